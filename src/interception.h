// src/interception.h — everything above TCP that askfirstd shares across its
// flows: the TLS layer (tls::TlsInterceptor: CA, both TLS sides, passthrough), the modes,
// the audit log, the consent service with its control socket, and the
// decision point. The appliance asks it for one InterceptingPipeline per flow.
//
// Started once, before the guest can send a byte: a profile, CA or audit log
// that cannot be used stops askfirstd at startup with the reason, rather than
// letting anything through unjudged.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <uv.h>

#include "consent/audit_log.h"
#include "consent/policy.h"
#include "netstack/flow_pipeline.h"
#include "src/consent_service.h"
#include "src/intercepting_pipeline.h"
#include "src/profile.h"
#include "src/request_decider.h"
#include "src/tls_refusals.h"
#include "tls/tls_interceptor.h"

namespace askfirst {

class Interception final : public DaemonControlView {
public:
    static Result<std::unique_ptr<Interception>> start(uv_loop_t* loop, const Profile& profile,
                                                       const std::string& vm_name);
    ~Interception() override;

    std::unique_ptr<netstack::FlowPipeline> make_pipeline(const netstack::FlowInfo& info);
    void set_flow_counter(std::function<std::size_t()> count_flows) { count_flows_ = std::move(count_flows); }
    const std::string& control_socket_path() const;
    const std::string& audit_log_path() const;

    // DaemonControlView (the control socket's status, set-mode, audit-tail)
    std::string status_json() override;
    std::string set_mode(const std::string& provider, const std::string& mode) override;
    std::string modes_json() override;
    std::string audit_tail_json(std::size_t lines) override;

private:
    Interception() = default;
    Status start_tls(const Profile& profile);
    Status start_decisions(uv_loop_t* loop, const Profile& profile, const std::string& vm_name);

    std::string profile_name_;
    std::string vm_name_;
    std::unique_ptr<tls::TlsInterceptor> tls_;
    TlsRefusals tls_refusals_;
    consent::ModeTable modes_;
    std::optional<consent::AuditLog> audit_;
    std::string audit_path_;
    std::unique_ptr<ConsentService> consent_;
    std::unique_ptr<RequestDecider> decider_;
    InterceptionServices services_;
    std::function<std::size_t()> count_flows_;
};

}  // namespace askfirst
