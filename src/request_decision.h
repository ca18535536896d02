// src/request_decision.h — the decision point for one request, as pure
// functions the shell calls on a DecideRequest (src/http/http_session.h):
//
//   classify (classifiers/) -> policy (consent/policy.h) -> pass | block | ask
//
// "ask" is resolved by consent.no_ui until the consent broker exists; then
// the shell hands an "ask" to the broker instead and builds the decision
// from its answer (decided_by "user", "grant" or "timeout").
//
// The shell, for each DecideRequest:
//   1. RequestDecision d = decide_request(event.request, modes, no_ui);
//   2. audit_log.append(audit_record(d, event.request, flow, now, wait), err)
//      — if that fails, refuse (fail closed) with the 403 below;
//   3. d.pass ? session.pass(id) : session.refuse(id, denial_response(d, event.request)).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "classifiers/classification.h"
#include "consent/audit_log.h"
#include "consent/policy.h"
#include "src/http/http_session.h"

namespace askfirst::http {

struct RequestDecision {
    classifiers::Classification classification;
    consent::Mode mode = consent::kDefaultMode;
    consent::PolicyAction policy_action = consent::PolicyAction::block;  // before no_ui
    bool pass = false;                  // the outcome
    std::string decided_by = "policy";  // policy | grant | user | timeout
    std::string reason;                 // one sentence for the 403 body and the log
    std::string how_to_allow;           // for a refusal; empty: derived from mode and decided_by
};

RequestDecision decide_request(const classifiers::HttpRequest& request, const consent::ModeTable& modes,
                               consent::NoUiAnswer no_ui);

// The same for an operation classified elsewhere (a database statement:
// src/statement_decision.h).
RequestDecision decide_classified(classifiers::Classification classification, const consent::ModeTable& modes,
                                  consent::NoUiAnswer no_ui);

// A flow askfirst cannot read request by request: not HTTP, or TLS it does
// not open (tls.passthrough, a learned refusal), or first bytes that never
// became a known protocol.
struct OpaqueFlow {
    std::string host;    // from the SNI or the DNS answer when known, else the address
    std::uint16_t port = 0;
    // A provider whose classifier claims this host (classifiers/host_claims.h),
    // set only for TLS that askfirst does not open: such a flow may carry any
    // of that provider's operations, so it is judged as the worst of them.
    std::string claimed_by;
    std::string why;     // why it is opaque, for the audit reason and the operator log
};

// An opaque flow is judged once, at connect. Claimed by a provider: that
// provider's destructive tier ("an encrypted connection to aws that askfirst
// cannot read"), so block-destructive refuses it and prompt-* asks. Else a
// write on provider "tcp", operation "tcp HOST:PORT" (invariant 2: nothing
// passes unjudged because askfirst cannot read it). No classifier runs.
RequestDecision decide_opaque_flow(const OpaqueFlow& flow, const consent::ModeTable& modes, consent::NoUiAnswer no_ui);

// The shape of the 403 body the provider's clients parse: by the
// classification's provider and wire protocol, and the request's own shape
// (a GraphQL endpoint, X-Amz-Target) where the provider does not settle it.
RefusalShape refusal_shape_for(const classifiers::Classification& classification,
                               const classifiers::HttpRequest& request);

// Who can allow a refused request, and how (one sentence for the 403).
std::string how_to_allow(const RequestDecision& decision);

// The 403 the guest gets for a refused decision, shaped for its client.
LocalResponse denial_response(const RequestDecision& decision, const classifiers::HttpRequest& request);

// What the flow knows that the request does not.
struct FlowFacts {
    std::string vm;
    std::string guest_address;
    std::string dest_address;
    std::string sni;
    std::uint32_t http2_stream = 0;  // the request's HTTP/2 stream (audit "stream"); 0 otherwise
};

consent::AuditRecord audit_record(const RequestDecision& decision, const classifiers::HttpRequest& request,
                                  const FlowFacts& flow, std::chrono::system_clock::time_point decided_at,
                                  std::chrono::milliseconds waited);

// The audit record of a request askfirstd refused before judging it
// (HttpSession's ProtocolRefusal: framing 400, Host ≠ SNI 421, h2c/CONNECT
// 400, an upstream that failed 502): provider "http", operation "refused
// with HTTP <status>", decision "refused", decided_by "askfirstd", the reason.
consent::AuditRecord protocol_refusal_record(const FlowFacts& flow, int status, std::string_view reason,
                                             std::chrono::system_clock::time_point refused_at);

// The audit record of a guest refusing askfirst's certificate (issue 11): no
// request was read; provider the claiming one (or "tls"), decision
// "refused", decided_by "guest", the sentence that says what to do.
consent::AuditRecord tls_refusal_record(const FlowFacts& flow, std::string_view host, std::string_view provider,
                                        std::string_view sentence, std::chrono::system_clock::time_point refused_at);

}  // namespace askfirst::http
