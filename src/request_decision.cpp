// src/request_decision.cpp — classification, mode and no_ui into a decision;
// the 403 and the audit record that follow from it.
#include "src/request_decision.h"

#include "src/http/git_push_refusal.h"
#include "src/http/http_responses.h"

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

// Forges whose REST clients (gh, glab, tea) print the "message" member of an error.
constexpr std::string_view kForgesWithMessageErrors[] = {"github", "gitlab", "gitea"};

// A GraphQL endpoint: the path the forges and the generic GraphQL provider
// recognise (…/graphql, GitLab and GHES /api/graphql).
bool is_graphql_endpoint(const classifiers::HttpRequest& request) {
    return request.path.ends_with("/graphql") || request.path.ends_with("/graphql/");
}

// AWS by the classifier's wire protocol; when it identified no service, by
// the request's shape: X-Amz-Target is the json protocol, a form body the
// query protocol, anything else a REST call.
RefusalShape aws_refusal_shape(const classifiers::Classification& c, const classifiers::HttpRequest& request) {
    const bool s3 = c.operation.starts_with("s3:");
    const std::string_view protocol = classifiers::wire_protocol(request);
    if (protocol == "query") return RefusalShape::aws_query_xml;
    if (protocol == "ec2") return RefusalShape::aws_ec2_xml;
    if (protocol == "json") return RefusalShape::aws_json;
    if (protocol == "rest-json") return RefusalShape::aws_rest_json;
    if (protocol == "rest-xml") return s3 ? RefusalShape::aws_s3_xml : RefusalShape::aws_query_xml;
    if (request.has_header("x-amz-target")) return RefusalShape::aws_json;
    if (classifiers::equals_ignoring_ascii_case(request.header("content-type").substr(0, 33),
                                                "application/x-www-form-urlencoded"))
        return RefusalShape::aws_query_xml;
    return s3 ? RefusalShape::aws_s3_xml : RefusalShape::aws_rest_json;
}

}  // namespace

RequestDecision decide_request(const classifiers::HttpRequest& request, const consent::ModeTable& modes,
                               consent::NoUiAnswer no_ui) {
    classifiers::Classification classification = classifiers::classify(request);
    if (!request.body.empty() && !classifiers::needs_body(request)) {
        // The session read this body only so the question names its target
        // (HttpSession::body_may_name_the_target): it may add detail, never
        // lower the tier the head alone was judged.
        classifiers::HttpRequest head = request;
        head.body.clear();
        const classifiers::Classification on_head = classifiers::classify(head);
        if (on_head.tier > classification.tier) classification.tier = on_head.tier;
    }
    return decide_classified(std::move(classification), modes, no_ui);
}

RequestDecision decide_classified(classifiers::Classification classification, const consent::ModeTable& modes,
                                  consent::NoUiAnswer no_ui) {
    RequestDecision d;
    d.classification = std::move(classification);
    consent::PolicyDecision policy = consent::decide_by_policy(modes, d.classification.provider, d.classification.tier);
    d.mode = policy.mode;
    d.policy_action = policy.action;
    d.pass = consent::resolve_without_ui(policy.action, no_ui) == consent::PolicyAction::pass;
    d.decided_by = "policy";
    d.reason = reason_for(d, no_ui);
    return d;
}

RequestDecision decide_opaque_flow(const OpaqueFlow& flow, const consent::ModeTable& modes, consent::NoUiAnswer no_ui) {
    RequestDecision d;
    const std::string host_port = flow.host + ":" + std::to_string(flow.port);
    auto& c = d.classification;
    if (flow.claimed_by.empty()) {
        c.provider = "tcp";
        c.operation = "tcp " + host_port;
        c.tier = classifiers::Tier::write;
        c.detail = "a connection askfirst cannot read (" + flow.why + ") to " + host_port;
    } else {
        c.provider = flow.claimed_by;
        c.operation = "encrypted connection " + host_port;
        c.tier = classifiers::Tier::destructive;
        c.detail = "an encrypted connection to " + flow.claimed_by + " (" + host_port +
                   ") that askfirst cannot read: it may carry any operation (" + flow.why + ")";
        c.flags.push_back("unread-tls");
    }
    consent::PolicyDecision policy = consent::decide_by_policy(modes, c.provider, c.tier);
    d.mode = policy.mode;
    d.policy_action = policy.action;
    d.pass = consent::resolve_without_ui(policy.action, no_ui) == consent::PolicyAction::pass;
    d.decided_by = "policy";
    d.reason = reason_for(d, no_ui) + "; askfirst cannot read this connection: " + flow.why;
    return d;
}

RefusalShape refusal_shape_for(const classifiers::Classification& c, const classifiers::HttpRequest& request) {
    // A gRPC client reads only grpc-status and grpc-message, whatever the provider.
    if (request.header("content-type").starts_with("application/grpc")) return RefusalShape::grpc_status;
    if (c.provider == "aws") return aws_refusal_shape(c, request);
    if (c.provider == "kubernetes") return RefusalShape::kubernetes_status;
    if (c.provider == "git") return RefusalShape::git_text;
    if (is_graphql_endpoint(request)) return RefusalShape::graphql_errors;
    for (std::string_view forge : kForgesWithMessageErrors)
        if (c.provider == forge) return RefusalShape::forge_rest_json;
    return RefusalShape::askfirst_json;
}

std::string how_to_allow(const RequestDecision& d) {
    if (!d.how_to_allow.empty()) return d.how_to_allow;
    const std::string& provider = d.classification.provider;
    if (d.decided_by == "policy" && d.policy_action == consent::PolicyAction::block)
        return "a person on the host can change the mode for " + provider + " (`askfirst mode " + provider +
               " prompt-writes`, or modes." + provider + " in the profile)";
    if (d.decided_by == "policy")  // ask, answered by consent.no_ui
        return "a person on the host runs askfirst-tray or `askfirst prompts`, then the agent retries and "
               "the person allows it";
    return "retry later and ask the person on the host (askfirst-tray or `askfirst prompts`) to allow it";
}

LocalResponse denial_response(const RequestDecision& d, const classifiers::HttpRequest& request) {
    DenialDetails denial{d.classification.provider, d.classification.operation,
                         std::string(classifiers::tier_name(d.classification.tier)),
                         std::string(consent::mode_name(d.mode)), d.reason, how_to_allow(d)};
    const RefusalShape shape = refusal_shape_for(d.classification, request);
    // git prints no body of a 403 to a push: answer in its protocol when the command list is readable.
    if (shape == RefusalShape::git_text && request.path.ends_with("/git-receive-pack"))
        if (auto push = read_push_commands(request.body)) return git_push_rejection(*push, denial_message(denial));
    return shaped_denial(denial, shape);
}

namespace {
// What every audit line says of the flow: when, which VM, who dialed what.
consent::AuditRecord flow_record(const FlowFacts& flow, std::chrono::system_clock::time_point at) {
    consent::AuditRecord r;
    r.time = at;
    r.vm = flow.vm;
    r.guest_address = flow.guest_address;
    r.dest_address = flow.dest_address;
    r.sni = flow.sni;
    r.stream = flow.http2_stream;
    return r;
}
}  // namespace

consent::AuditRecord audit_record(const RequestDecision& d, const classifiers::HttpRequest& request,
                                  const FlowFacts& flow, std::chrono::system_clock::time_point decided_at,
                                  std::chrono::milliseconds waited) {
    consent::AuditRecord r = flow_record(flow, decided_at);
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

consent::AuditRecord protocol_refusal_record(const FlowFacts& flow, int status, std::string_view reason,
                                             std::chrono::system_clock::time_point refused_at) {
    consent::AuditRecord r = flow_record(flow, refused_at);
    r.host = flow.sni;  // the request's own Host is not trusted (or not read) when its framing is refused
    r.provider = "http";
    r.operation = "refused with HTTP " + std::to_string(status);
    r.decision = "refused";
    r.decided_by = "askfirstd";
    r.reason = std::string(reason);
    return r;
}

consent::AuditRecord tls_refusal_record(const FlowFacts& flow, std::string_view host, std::string_view provider,
                                        std::string_view sentence, std::chrono::system_clock::time_point refused_at) {
    consent::AuditRecord r = flow_record(flow, refused_at);
    r.host = std::string(host);
    r.provider = provider.empty() ? "tls" : std::string(provider);
    r.operation = "TLS handshake for " + std::string(host) + " refused by the guest";
    r.decision = "refused";
    r.decided_by = "guest";
    r.reason = std::string(sentence);
    return r;
}

}  // namespace askfirst::http
