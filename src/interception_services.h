// src/interception_services.h — what every flow pipeline of one askfirstd
// shares: the TLS pair's factories, the learned passthrough hosts, the
// decision point, the timer factory and the operator log. Owned by
// src/interception (askfirstd) or by a test; each flow keeps a reference.
#pragma once

#include <cstddef>
#include <string>

#include <uv.h>

#include "src/flow_timer.h"
#include "src/http/http_session.h"
#include "src/operator_log.h"
#include "src/request_decider.h"
#include "tls/guest_tls_server.h"
#include "tls/passthrough_hosts.h"
#include "tls/upstream_tls_client.h"

namespace askfirst {

struct InterceptionServices {
    uv_loop_t* loop = nullptr;
    tls::GuestTlsServer* guest_tls = nullptr;       // nullptr: every TLS flow is passed through (opaque)
    tls::UpstreamTlsClient* upstream_tls = nullptr;
    tls::PassthroughHosts* passthrough = nullptr;
    FlowDecisions* decider = nullptr;
    FlowTimerFactory make_timer;                    // askfirstd: a UvFlowTimer on `loop`
    OperatorLog log{""};
    std::string vm_name;
    std::size_t max_inspect_bytes = http::kDefaultMaxInspectBytes;
};

}  // namespace askfirst
