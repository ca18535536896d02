// src/request_decider.cpp — classify → mode → (ask) → audit → verdict (see the header).
#include "src/request_decider.h"

#include <algorithm>
#include <chrono>

namespace askfirst {

struct RequestDecider::Pending {
    http::FlowFacts flow;
    classifiers::HttpRequest request;  // what the audit line describes (empty method for opaque flows)
    http::RequestDecision decision;     // classification and mode; outcome filled when settled
    RequestVerdict request_done;
    OpaqueVerdict opaque_done;
    StatementVerdict statement_done;
    StatementFacts statement;  // for a database statement: its refusal sentence and audit text
    std::chrono::steady_clock::time_point asked_at = std::chrono::steady_clock::now();
    ConsentService::Ticket consent_ticket = 0;
    // A real-looking credential askfirst did not issue, to be asked about
    // before the mode (unissued_credentials "prompt").
    std::optional<consent::Question> unissued_question;
    std::string unissued_reason;
};

namespace {

std::string decided_by_for(consent::DecidedBy decided_by) {
    switch (decided_by) {
    case consent::DecidedBy::grant: return "grant";
    case consent::DecidedBy::timeout: return "timeout";
    case consent::DecidedBy::user:
    case consent::DecidedBy::deny_memory:  // the person's answer of a minute ago
    case consent::DecidedBy::withdrawn: return "user";
    case consent::DecidedBy::no_listener: return "policy";  // consent.no_ui (not reached: settled as decided)
    }
    return "user";
}

std::string reason_for(const consent::Verdict& verdict, const std::string& operation) {
    switch (verdict.decided_by) {
    case consent::DecidedBy::grant: return "allowed by an earlier grant for this provider";
    case consent::DecidedBy::timeout: return "no one answered in time, so " + operation + " was refused";
    case consent::DecidedBy::deny_memory:
        return "a person refused " + operation + " less than a minute ago; wait before asking again";
    case consent::DecidedBy::no_listener: return "no one was listening for questions";
    case consent::DecidedBy::user:
    case consent::DecidedBy::withdrawn:
        return verdict.allowed ? "a person allowed " + operation : "a person refused " + operation;
    }
    return "refused";
}

// Grants for unknown hosts (generic) and unread connections (tcp) are per
// destination: allowing one host must not allow every other (issue 14). The
// host name alone names the destination only when TLS verified it (the SNI
// equals Host and the upstream certificate is valid for it); a plain-HTTP
// Host header, or an unread flow's name, is the guest's word, and the
// connection goes where the guest dialed: then the scope is name and address.
std::string grant_scope_for(const http::RequestDecision& decision, const std::string& host,
                            const http::FlowFacts& flow) {
    const std::string& provider = decision.classification.provider;
    const auto& flags = decision.classification.flags;
    // An unread TLS flow to a provider's host: a grant given for it covers that flow's destination,
    // never the provider's readable operations.
    if (std::find(flags.begin(), flags.end(), "unread-tls") != flags.end()) return "unread " + host + " at " + flow.dest_address;
    if (provider == "generic") return flow.sni.empty() ? host + " at " + flow.dest_address : host;
    if (provider == "tcp") return host + " at " + flow.dest_address;
    return "";
}

consent::Question question_for(const http::RequestDecision& decision, const std::string& profile,
                               const std::string& host, const http::FlowFacts& flow) {
    consent::Question question;
    question.profile = profile;
    question.provider = decision.classification.provider;
    question.tier = decision.classification.tier;
    question.operation = decision.classification.operation;
    question.detail = decision.classification.detail.empty() ? decision.classification.operation
                                                              : decision.classification.detail;
    question.flags = decision.classification.flags;
    question.scope = grant_scope_for(decision, host, flow);
    return question;
}

// A refusal by askfirstd itself (the credential broker), before any mode.
void refuse_for_credentials(http::RequestDecision& decision, const std::string& reason, const std::string& how) {
    decision.pass = false;
    decision.refused = true;
    decision.decided_by = "askfirstd";
    decision.reason = reason;
    decision.how_to_allow = how;
}

constexpr const char* kQuarantineQuestion = "quarantine this session?";
constexpr const char* kQuarantineHow =
    "a person on the host answers the question \"quarantine this session?\" (askfirst-tray or `askfirst prompts`): "
    "\"don't allow\" lifts the quarantine";

}  // namespace

RequestDecider::RequestDecider(uv_loop_t* loop, consent::ModeTable& modes, consent::AuditLog& audit,
                               ConsentService& consent, DecisionSettings settings)
    : modes_(modes), audit_(audit), consent_(consent), deferred_(loop), settings_(std::move(settings)),
      log_(settings_.vm_name) {}

RequestDecider::~RequestDecider() {
    *alive_ = false;
    consent_.cancel(quarantine_question_);
    for (auto& [ticket, pending] : pending_) consent_.cancel(pending->consent_ticket);
}

RequestDecider::Ticket RequestDecider::decide_request(const http::FlowFacts& flow,
                                                      const classifiers::HttpRequest& request, RequestVerdict done) {
    auto pending = std::make_unique<Pending>();
    pending->flow = flow;
    pending->request = request;
    pending->decision = http::decide_request(request, modes_, settings_.no_ui);
    pending->request_done = std::move(done);
    apply_credential_finding(*pending);
    refuse_if_quarantined(pending->decision);
    return start(std::move(pending));
}

RequestDecider::Ticket RequestDecider::decide_opaque(const http::FlowFacts& flow, const http::OpaqueFlow& opaque,
                                                     OpaqueVerdict done) {
    auto pending = std::make_unique<Pending>();
    pending->flow = flow;
    pending->decision = http::decide_opaque_flow(opaque, modes_, settings_.no_ui);
    pending->request.host = opaque.host + ":" + std::to_string(opaque.port);
    pending->opaque_done = std::move(done);
    refuse_if_quarantined(pending->decision);
    return start(std::move(pending));
}

RequestDecider::Ticket RequestDecider::decide_statement(const http::FlowFacts& flow, const StatementFacts& statement,
                                                        StatementVerdict done) {
    auto pending = std::make_unique<Pending>();
    pending->flow = flow;
    pending->statement = statement;
    pending->decision = askfirst::decide_statement(statement, modes_, settings_.no_ui);
    pending->request.host = statement.host;
    pending->request.method = statement.message;
    pending->request.path = "/" + statement.database;
    pending->statement_done = std::move(done);
    return start(std::move(pending));
}

RequestDecider::Ticket RequestDecider::start(std::unique_ptr<Pending> pending) {
    const Ticket ticket = next_ticket_++;
    Pending& held = *pending;
    pending_[ticket] = std::move(pending);
    if (!held.unissued_question || held.decision.refused) {
        apply_policy(ticket, held);
        return ticket;
    }
    // First the credential askfirst did not issue; the mode's own question (if any) after it.
    auto alive = alive_;
    held.consent_ticket = consent_.ask(*held.unissued_question, [this, alive, ticket](consent::Verdict verdict) {
        if (!*alive) return;
        auto it = pending_.find(ticket);
        if (it == pending_.end()) return;
        Pending& waiting = *it->second;
        waiting.consent_ticket = 0;
        const bool nobody = verdict.decided_by == consent::DecidedBy::no_listener;
        if (nobody ? settings_.no_ui != consent::NoUiAnswer::allow : !verdict.allowed)
            refuse_for_credentials(waiting.decision,
                                   waiting.unissued_reason + "; " +
                                       (nobody ? std::string("nobody answered, so it was refused")
                                               : reason_for(verdict, "its use")),
                                   "the agent uses the stub askfirst issued, or a person on the host (askfirst-tray "
                                   "or `askfirst prompts`) allows this credential");
        apply_policy(ticket, waiting);
    }, settings_.listener_grace);
    return ticket;
}

void RequestDecider::apply_policy(Ticket ticket, Pending& held) {
    const bool ask = !held.decision.refused && held.decision.policy_action == consent::PolicyAction::ask;
    if (!ask) {
        // Decided by the mode: deliver on the next turn, with the others decided in this one.
        decided_by_mode_.push_back(ticket);
        if (decided_by_mode_.size() > 1) return;  // the call posted for the first settles this one too
        auto alive = alive_;
        deferred_.post([this, alive] {
            if (*alive) settle_decided_by_mode();
        });
        return;
    }
    auto alive = alive_;
    held.consent_ticket = consent_.ask(question_for(held.decision, settings_.profile_name, held.request.host, held.flow),
                                       [this, alive, ticket](consent::Verdict verdict) {
        if (!*alive) return;
        auto it = pending_.find(ticket);
        if (it == pending_.end()) return;
        http::RequestDecision decision = it->second->decision;
        if (verdict.decided_by == consent::DecidedBy::no_listener) {
            settle(ticket, decision);  // nobody subscribed in time: consent.no_ui decided it (request_decision)
            return;
        }
        decision.pass = verdict.allowed;
        decision.decided_by = decided_by_for(verdict.decided_by);
        decision.reason = reason_for(verdict, decision.classification.operation);
        settle(ticket, decision);
    }, settings_.listener_grace);
}

// The broker's look at the request, before the mode (see the header).
void RequestDecider::apply_credential_finding(Pending& pending) {
    if (settings_.credentials == nullptr) return;
    const auto finding =
        settings_.credentials->examine(pending.request, pending.decision.classification.provider);
    using Kind = credentials::CredentialFinding::Kind;
    switch (finding.kind) {
    case Kind::none: return;
    case Kind::stub_leak:
        refuse_for_credentials(pending.decision, finding.reason, kQuarantineHow);
        log_.line("event=credential_stub_leak credential=" + finding.entry + " host=" + pending.request.host +
                  " where=\"" + finding.where + "\"");
        quarantine(finding.reason);
        return;
    case Kind::refused:
        refuse_for_credentials(pending.decision, finding.reason,
                               "the agent signs the request again, unaltered, with the stub credentials askfirst "
                               "put in the sandbox");
        return;
    case Kind::unissued:
        switch (finding.action) {
        case credentials::UnissuedAction::allow: return;
        case credentials::UnissuedAction::block:
            refuse_for_credentials(pending.decision, finding.reason + "; unissued_credentials is \"block\"",
                                   "the agent uses the stub askfirst issued, or a person sets unissued_credentials "
                                   "in the profile");
            return;
        case credentials::UnissuedAction::prompt: {
            consent::Question question;
            question.profile = settings_.profile_name;
            // The grant key: that one credential on that provider.
            question.provider = finding.provider + " (unissued credential " + finding.fingerprint + ")";
            question.tier = classifiers::Tier::write;
            question.operation = "use a credential askfirst does not hold for " +
                                 pending.decision.classification.operation;
            question.detail = finding.reason + ": " + (pending.decision.classification.detail.empty()
                                                           ? pending.decision.classification.operation
                                                           : pending.decision.classification.detail);
            question.flags = {"unissued-credential"};
            pending.unissued_question = std::move(question);
            pending.unissued_reason = finding.reason;
            return;
        }
        }
    }
}

void RequestDecider::refuse_if_quarantined(http::RequestDecision& decision) const {
    if (!quarantined_ || decision.refused || decision.classification.tier == classifiers::Tier::read) return;
    refuse_for_credentials(decision, "this session is quarantined (" + quarantine_reason_ + "), so no write passes",
                           kQuarantineHow);
}

// From now on every write is refused, until a person says "don't allow" to
// the question (a timeout, nobody listening or "allow" keep it).
void RequestDecider::quarantine(const std::string& reason) {
    if (quarantined_) return;
    quarantined_ = true;
    quarantine_reason_ = reason;
    log_.line("event=session_quarantined reason=\"" + reason + "\"");
    consent::Question question;
    question.profile = settings_.profile_name;
    question.provider = "askfirst";
    question.tier = classifiers::Tier::write;
    question.operation = kQuarantineQuestion;
    question.detail = reason + ". Allow: keep the session quarantined (every write refused). Don't allow: lift the "
                               "quarantine.";
    question.flags = {"credential-stub-leak"};
    auto alive = alive_;
    quarantine_question_ = consent_.ask(question, [this, alive](consent::Verdict verdict) {
        if (!*alive) return;
        quarantine_question_ = 0;
        if (verdict.decided_by != consent::DecidedBy::user || verdict.allowed) return;
        quarantined_ = false;
        log_.line("event=quarantine_lifted by=user");
    }, settings_.listener_grace);
}

void RequestDecider::settle(Ticket ticket, http::RequestDecision decision) {
    auto it = pending_.find(ticket);
    if (it == pending_.end()) return;
    std::unique_ptr<Pending> pending = std::move(it->second);
    pending_.erase(it);
    deliver(*pending, decision);
}

struct RequestDecider::Delivery {
    http::RequestDecision recorded;
    credentials::Injection injection;
    consent::AuditRecord line;
};

// The batch of settle(): every audit line in one write, then each verdict. A
// ticket cancelled meanwhile (its flow gone) is skipped; one cancelled by an
// earlier verdict of the batch has its line written but no verdict delivered.
void RequestDecider::settle_decided_by_mode() {
    std::vector<Ticket> tickets;
    tickets.swap(decided_by_mode_);
    std::vector<Ticket> settled;
    std::vector<Delivery> deliveries;
    settled.reserve(tickets.size());
    deliveries.reserve(tickets.size());
    for (const Ticket ticket : tickets) {
        auto it = pending_.find(ticket);
        if (it == pending_.end()) continue;
        settled.push_back(ticket);
        deliveries.push_back(prepare_delivery(*it->second, it->second->decision));
    }
    std::vector<const consent::AuditRecord*> lines;
    lines.reserve(deliveries.size());
    for (const Delivery& delivery : deliveries) lines.push_back(&delivery.line);
    const consent::AuditLog::Appended appended = lines.empty() ? consent::AuditLog::Appended{} : audit_.append_all(lines);
    const auto alive = alive_;  // a verdict's consequences could end this decider: stop then
    for (std::size_t i = 0; i < settled.size() && *alive; ++i) {
        auto it = pending_.find(settled[i]);
        if (it == pending_.end()) continue;
        std::unique_ptr<Pending> pending = std::move(it->second);
        pending_.erase(it);
        // A line not wholly written leaves appended.status a failure: its request is refused.
        finish_delivery(*pending, deliveries[i], i < appended.whole ? ok_status() : appended.status);
    }
}

// Audit first, then the verdict: a request never goes upstream unrecorded.
void RequestDecider::deliver(Pending& pending, const http::RequestDecision& decision) {
    Delivery delivery = prepare_delivery(pending, decision);
    finish_delivery(pending, delivery, audit_.append(delivery.line));
}

RequestDecider::Delivery RequestDecider::prepare_delivery(Pending& pending, const http::RequestDecision& decision) {
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - pending.asked_at);
    Delivery delivery;
    delivery.recorded = decision;
    http::RequestDecision& recorded = delivery.recorded;
    if (recorded.pass && pending.request_done && settings_.credentials != nullptr) {
        // The flow's SNI: the upstream TLS session verifies the server for it (and the Host equals it).
        auto injected = settings_.credentials->inject(pending.request, std::chrono::system_clock::now(),
                                                      !pending.flow.sni.empty());
        if (injected) delivery.injection = injected.take();
        else refuse_for_credentials(recorded, injected.error(),
                                    "a person on the host checks the credential's source (askfirst credentials)");
    }
    delivery.line =
        http::audit_record(recorded, pending.request, pending.flow, std::chrono::system_clock::now(), waited);
    if (pending.statement_done) delivery.line.statement = redacted_statement(pending.statement);
    return delivery;
}

void RequestDecider::finish_delivery(Pending& pending, Delivery& delivery, const Status& audited) {
    http::RequestDecision& recorded = delivery.recorded;
    if (!audited) {
        log_.line("event=audit_failed error=\"" + audited.error() + "\" action=refused");
        recorded.pass = false;
        recorded.reason = "askfirst could not write its audit log, so nothing passes (" + audited.error() + ")";
        recorded.how_to_allow = "a person on the host fixes the audit log (askfirstd's stderr says what failed)";
    }
    if (pending.opaque_done) {
        pending.opaque_done(recorded.pass);
        return;
    }
    if (pending.statement_done) {
        pending.statement_done(recorded.pass, recorded.pass ? "" : statement_refusal_message(recorded, pending.statement),
                               recorded.pass ? "" : http::how_to_allow(recorded));
        return;
    }
    http::RequestEdits edits;
    if (recorded.pass) edits = http::RequestEdits{std::move(delivery.injection.edits), std::move(delivery.injection.body)};
    pending.request_done(recorded.pass,
                         recorded.pass ? http::LocalResponse{} : http::denial_response(recorded, pending.request),
                         delivery.line, edits);
}

void RequestDecider::record_protocol_refusal(const http::FlowFacts& flow, int status, const std::string& reason) {
    auto appended = audit_.append(http::protocol_refusal_record(flow, status, reason, std::chrono::system_clock::now()));
    if (!appended) log_.line("event=audit_failed error=\"" + appended.error() + "\" action=none (already refused)");
}

void RequestDecider::record_tls_refusal(const http::FlowFacts& flow, const TlsRefusal& refusal,
                                        const std::string& sentence) {
    auto appended = audit_.append(
        http::tls_refusal_record(flow, refusal.host, refusal.provider, sentence, std::chrono::system_clock::now()));
    if (!appended) log_.line("event=audit_failed error=\"" + appended.error() + "\" what=tls_refusal");
}

void RequestDecider::record_upstream_refusal(const consent::AuditRecord& passed, const std::string& reason) {
    consent::AuditRecord record = passed;
    record.time = std::chrono::system_clock::now();
    record.decision = "refused";
    record.decided_by = "upstream";
    record.reason = "passed, but the upstream failed, so askfirst answered 502: " + reason;
    record.wait_ms = 0;
    if (auto appended = audit_.append(record); !appended)
        log_.line("event=audit_failed error=\"" + appended.error() + "\" what=upstream_refusal");
}

void RequestDecider::cancel(Ticket ticket) {
    auto it = pending_.find(ticket);
    if (it == pending_.end()) return;
    consent_.cancel(it->second->consent_ticket);
    pending_.erase(it);
}

}  // namespace askfirst
