// src/request_decision.cpp — classification, mode and no_ui into a decision;
// the 403 and the audit record that follow from it.
#include "src/request_decision.h"

#include "src/http_responses.h"

namespace askfirst::http {

namespace {

std::string reason_for(const RequestDecision& d, consent::NoUiAnswer no_ui) {
    std::string tier(classifiers::tier_name(d.classification.tier));
    std::string mode(consent::mode_name(d.mode));
    std::string on = " operations on " + d.classification.provider;
    switch (d.policy_action) {
        case consent::PolicyAction::pass:
            return d.mode == consent::Mode::off ? "mode off passes every operation; it is logged"
                                                : "mode " + mode + " passes " + tier + on;
        case consent::PolicyAction::block:
            return "mode " + mode + " refuses " + tier + on;
        case consent::PolicyAction::ask:
            // Reached only when no one listens on the control socket (request_decider.h).
            return "mode " + mode + " asks a person before " + tier + on +
                   ", but no one is listening for questions, so consent.no_ui = " +
                   std::string(consent::no_ui_name(no_ui)) +
                   " decided; to be asked, run askfirst-tray or `askfirst prompts` while the agent runs";
    }
    return "refused";
}

}  // namespace

RequestDecision decide_request(const classifiers::HttpRequest& request, const consent::ModeTable& modes,
                               consent::NoUiAnswer no_ui) {
    RequestDecision d;
    d.classification = classifiers::classify(request);
    consent::PolicyDecision policy = consent::decide_by_policy(modes, d.classification.provider, d.classification.tier);
    d.mode = policy.mode;
    d.policy_action = policy.action;
    d.pass = consent::resolve_without_ui(policy.action, no_ui) == consent::PolicyAction::pass;
    d.decided_by = "policy";
    d.reason = reason_for(d, no_ui);
    return d;
}

RequestDecision decide_opaque_flow(std::string_view host, std::uint16_t port, const consent::ModeTable& modes,
                                   consent::NoUiAnswer no_ui) {
    RequestDecision d;
    d.classification.provider = "tcp";
    d.classification.operation = "tcp " + std::string(host) + ":" + std::to_string(port);
    d.classification.tier = classifiers::Tier::write;
    d.classification.detail = d.classification.operation;
    consent::PolicyDecision policy = consent::decide_by_policy(modes, "tcp", classifiers::Tier::write);
    d.mode = policy.mode;
    d.policy_action = policy.action;
    d.pass = consent::resolve_without_ui(policy.action, no_ui) == consent::PolicyAction::pass;
    d.reason = reason_for(d, no_ui);
    return d;
}

LocalResponse denial_response(const RequestDecision& d) {
    DenialDetails denial{d.classification.provider, d.classification.operation,
                         std::string(classifiers::tier_name(d.classification.tier)),
                         std::string(consent::mode_name(d.mode)), d.reason};
    return LocalResponse{403, denial_json(denial)};
}

consent::AuditRecord audit_record(const RequestDecision& d, const classifiers::HttpRequest& request,
                                  const FlowFacts& flow, std::chrono::system_clock::time_point decided_at,
                                  std::chrono::milliseconds waited) {
    consent::AuditRecord r;
    r.time = decided_at;
    r.vm = flow.vm;
    r.guest_address = flow.guest_address;
    r.dest_address = flow.dest_address;
    r.sni = flow.sni;
    r.host = request.host;
    r.method = request.method;
    r.path = request.path;
    r.query = request.query;  // redacted by audit_line()
    r.provider = d.classification.provider;
    r.operation = d.classification.operation;
    r.tier = std::string(classifiers::tier_name(d.classification.tier));
    r.mode = std::string(consent::mode_name(d.mode));
    r.decision = d.pass ? "pass" : "block";
    r.decided_by = d.decided_by;
    r.reason = d.reason;
    r.wait_ms = waited.count();
    return r;
}

}  // namespace askfirst::http
