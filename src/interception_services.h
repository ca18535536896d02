// src/interception_services.h — what every flow pipeline of one askfirstd
// shares: the TLS layer (tls::TlsInterceptor), the record of refused
// certificates, the decision point, the timer factory and the operator log. Owned by
// src/interception (askfirstd) or by a test; each flow keeps a reference.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <uv.h>

#include "src/database/redis_script_cache.h"
#include "src/flow_timer.h"
#include "src/http/http_session.h"
#include "src/operator_log.h"
#include "src/profile.h"
#include "src/request_decider.h"
#include "src/tls_refusals.h"
#include "tls/tls_interceptor.h"

namespace askfirst {

struct InterceptionServices {
    uv_loop_t* loop = nullptr;
    tls::TlsInterceptor* tls = nullptr;
    TlsRefusals* tls_refusals = nullptr;  // what `askfirst status` shows of refused certificates
    FlowDecisions* decider = nullptr;
    FlowTimerFactory make_timer;                    // askfirstd: a UvFlowTimer on `loop`
    OperatorLog log{""};
    std::string vm_name;
    std::size_t max_inspect_bytes = http::kDefaultMaxInspectBytes;
    std::vector<DatabaseEndpoint> databases;  // the profile's `databases`: endpoints read as their protocol
    // Every Lua script the guest sent to a Redis, by SHA1: EVALSHA is judged with its body.
    std::shared_ptr<database::RedisScriptCache> redis_scripts = std::make_shared<database::RedisScriptCache>();
};

}  // namespace askfirst
