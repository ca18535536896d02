// src/request_decider.h — the one decision point of askfirstd, on the loop.
//
// For each request an HTTP session announces (DecideRequest), and for each
// opaque flow at connect, it runs: classify (classifiers/) → the profile's
// mode (consent/policy) → pass | block | ask. "ask" goes to the consent
// broker (src/consent_service). When no one is listening on the control
// socket (the tray, `askfirst prompts`, a script), the question waits up to
// consent.listener_grace_s (default 10) for one to subscribe; if none does it
// is answered by the profile's consent.no_ui (default deny), so an agent is
// never left hanging on a question nobody can see. Every outcome is
// appended to the audit log BEFORE the verdict is delivered (invariant 8),
// and a failed audit write refuses the request (fail closed).
//
// Verdicts are always delivered later from the loop, never inside decide_*
// (the libuv rule), and never after cancel() of their ticket. Those the mode
// decided alone (no question) in one loop turn are delivered together on the
// next: their audit lines first, in one write (AuditLog::append_all), then
// each verdict, in the order the requests came (a write per request was ~11 %
// of askfirstd's CPU on keep-alive requests).
//
// Credentials (src/credentials/credential_broker.h, issue 13): before the
// mode is applied, the broker examines the request. A stub sent to a host
// its entry does not list is refused (audit "refused") and quarantines the
// session: every write (and every opaque flow) is refused until a person
// answers the question "quarantine this session?" with "don't allow" (any
// other answer, a timeout or nobody listening keeps it). A real-looking
// credential askfirst did not issue is asked about first (its own question,
// whose grant covers that one credential on that provider), refused, or let
// through, as the profile's unissued_credentials says. Only a request that
// passed gets the broker's edits (the real secret in place of the stub).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "classifiers/classification.h"
#include "consent/audit_log.h"
#include "consent/policy.h"
#include "src/consent_service.h"
#include "src/credentials/credential_broker.h"
#include "src/deferred_calls.h"
#include "src/operator_log.h"
#include "src/http/http_session.h"
#include "src/request_decision.h"
#include "src/statement_decision.h"
#include "src/tls_refusals.h"

namespace askfirst {

struct DecisionSettings {
    std::string vm_name;
    std::string profile_name;
    consent::NoUiAnswer no_ui = consent::NoUiAnswer::deny;
    std::chrono::milliseconds listener_grace{10000};  // profile consent.listener_grace_s
    credentials::CredentialBroker* credentials = nullptr;  // none: no credential entries, no checks
};

// What a flow pipeline asks of the decision point. RequestDecider is the one
// askfirstd runs; the pipeline's playbook test answers by hand.
class FlowDecisions {
public:
    using Ticket = std::uint64_t;
    // pass, or the complete refusal to send (a 403 with the JSON body); and the
    // audit line written for it (kept by a flow whose upstream is not up yet:
    // record_upstream_refusal); for a pass, the edits the session applies to
    // the head as it goes upstream (HttpSession::pass): the real credentials.
    using RequestVerdict = std::function<void(bool pass, const http::LocalResponse& refusal,
                                              const consent::AuditRecord& line, const http::RequestEdits& edits)>;
    using OpaqueVerdict = std::function<void(bool pass)>;
    // pass, or the sentence and hint of the protocol's own refusal (a
    // PostgreSQL ErrorResponse's message and hint).
    using StatementVerdict = std::function<void(bool pass, const std::string& message, const std::string& hint)>;

    virtual ~FlowDecisions() = default;
    virtual Ticket decide_request(const http::FlowFacts& flow, const classifiers::HttpRequest& request,
                                  RequestVerdict done) = 0;
    virtual Ticket decide_opaque(const http::FlowFacts& flow, const http::OpaqueFlow& opaque, OpaqueVerdict done) = 0;
    // A database statement (src/database/): classified as SQL or a Redis
    // command, provider statement.provider; the audit line names it with its
    // literals redacted.
    virtual Ticket decide_statement(const http::FlowFacts& flow, const StatementFacts& statement,
                                    StatementVerdict done) = 0;
    virtual void record_upstream_refusal(const consent::AuditRecord& passed, const std::string& reason) = 0;
    virtual void record_protocol_refusal(const http::FlowFacts& flow, int status, const std::string& reason) = 0;
    virtual void record_tls_refusal(const http::FlowFacts& flow, const TlsRefusal& refusal, const std::string& sentence) = 0;
    virtual void cancel(Ticket ticket) = 0;
};

class RequestDecider final : public FlowDecisions {
public:

    RequestDecider(uv_loop_t* loop, consent::ModeTable& modes, consent::AuditLog& audit,
                   ConsentService& consent, DecisionSettings settings);
    ~RequestDecider();
    RequestDecider(const RequestDecider&) = delete;
    RequestDecider& operator=(const RequestDecider&) = delete;

    Ticket decide_request(const http::FlowFacts& flow, const classifiers::HttpRequest& request,
                          RequestVerdict done) override;
    // An opaque flow (not HTTP, TLS we may not open, a passthrough host),
    // judged by http::decide_opaque_flow (src/request_decision.h).
    Ticket decide_opaque(const http::FlowFacts& flow, const http::OpaqueFlow& opaque, OpaqueVerdict done) override;
    Ticket decide_statement(const http::FlowFacts& flow, const StatementFacts& statement,
                            StatementVerdict done) override;
    // A request this decider passed (its audit line: `passed`) was answered
    // 502 by askfirst because the upstream failed (connect, or its
    // certificate) before it could take it: appends a second audit line, the
    // same request, decision "refused", decided_by "upstream", with the
    // reason, so the log says what the guest got.
    void record_upstream_refusal(const consent::AuditRecord& passed, const std::string& reason) override;
    // A request the HTTP session refused before it was judged (its
    // ProtocolRefusal output): one audit record, decision "refused", with the
    // reason (http::protocol_refusal_record). The guest already has its answer;
    // a failed write is reported on stderr.
    void record_protocol_refusal(const http::FlowFacts& flow, int status, const std::string& reason) override;
    // The guest refused askfirst's certificate: one audit record
    // (http::tls_refusal_record), so the tray's recent decisions show it.
    void record_tls_refusal(const http::FlowFacts& flow, const TlsRefusal& refusal,
                            const std::string& sentence) override;
    // The flow went away: its verdict will not be delivered; an open question
    // it alone was waiting on is withdrawn.
    void cancel(Ticket ticket) override;

    bool quarantined() const { return quarantined_; }

private:
    struct Pending;
    struct Delivery;  // a settled request's outcome and audit line, before the verdict goes out
    void settle(Ticket ticket, http::RequestDecision decision);
    void settle_decided_by_mode();
    void deliver(Pending& pending, const http::RequestDecision& decision);
    Delivery prepare_delivery(Pending& pending, const http::RequestDecision& decision);
    void finish_delivery(Pending& pending, Delivery& delivery, const Status& audited);
    Ticket start(std::unique_ptr<Pending> pending);
    void apply_policy(Ticket ticket, Pending& held);
    void apply_credential_finding(Pending& pending);
    void refuse_if_quarantined(http::RequestDecision& decision) const;
    void quarantine(const std::string& reason);


    consent::ModeTable& modes_;
    consent::AuditLog& audit_;
    ConsentService& consent_;
    DeferredCalls deferred_;
    DecisionSettings settings_;
    OperatorLog log_;
    Ticket next_ticket_ = 1;
    std::unordered_map<Ticket, std::unique_ptr<Pending>> pending_;
    // Tickets the mode decided since the last turn, in arrival order: settled
    // together by settle_decided_by_mode() (one deferred call for all).
    std::vector<Ticket> decided_by_mode_;
    bool quarantined_ = false;
    std::string quarantine_reason_;
    ConsentService::Ticket quarantine_question_ = 0;
    // Keeps deferred deliveries from touching a destroyed decider.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace askfirst
