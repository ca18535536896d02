// consent/consent_broker.h — the host-side consent state machine.
//
// When the policy says "ask", the flow pipeline holds the request and asks
// this broker. The broker is sans-io: it is driven by calls that carry the
// loop's clock (`now`), and it answers with values — an immediate verdict, or
// a ticket whose verdict arrives later as a `Resolution` returned from
// answer(), expire() or cancel(). It never calls back into the caller, so no
// callback can run inside the call that registered it (the libuv rule).
//
// Rules (../shared/design.md, "Decisions"; issue 6):
// - A question is (profile, provider, tier, operation, detail).
// - Answers: once (stores nothing), 15m and session (stored grants), deny.
// - A grant covers one provider at one level: a write grant never covers a
//   destructive operation; a destructive grant covers writes too. A question
//   with a `scope` (provider generic: its host) is covered only by a grant of
//   the same scope: allowing one unknown host allows no other (issue 14).
// - A denial is remembered for `deny_memory` (60 s) for the same provider,
//   scope and operation: repeats are refused at once, without a new question.
// - Identical questions asked while one is open wait for the same answer.
// - An unanswered question is denied after `question_timeout`.
// - If a held request goes away (the guest closed its flow), its ticket is
//   cancelled; a question with no tickets left is withdrawn.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "classifiers/classification.h"

namespace askfirst::consent {

using Clock = std::chrono::steady_clock;
using classifiers::Tier;

enum class Answer : std::uint8_t { once, fifteen_minutes, session, deny };
std::string_view answer_name(Answer answer);            // "once" | "15m" | "session" | "deny"
std::optional<Answer> parse_answer(std::string_view name);

// Who decided a held request, as written to the audit log's `decided_by`.
// no_listener: nobody subscribed within the listener grace (src/consent_service.h);
// the caller answers by consent.no_ui.
enum class DecidedBy : std::uint8_t { grant, user, timeout, deny_memory, withdrawn, no_listener };
std::string_view decided_by_name(DecidedBy decided_by);

struct Question {
    std::string profile;
    std::string provider;
    Tier tier = Tier::write;  // write or destructive: reads are never asked
    std::string operation;
    std::string detail;
    std::vector<std::string> flags;
    // What a grant for this question is limited to: "" for the whole
    // provider; the host for provider generic (unknown hosts are unrelated).
    std::string scope;
};

using TicketId = std::uint64_t;
using QuestionId = std::uint64_t;
using GrantId = std::uint64_t;

struct Verdict {
    bool allowed = false;
    DecidedBy decided_by = DecidedBy::user;
};

// What ask() returns: either decided now, or a ticket for a question that is
// open (new or shared with an identical open question).
struct AskResult {
    std::optional<Verdict> verdict;  // set when decided at once
    TicketId ticket = 0;             // set when the request must wait
    QuestionId question = 0;
    bool new_question = false;       // true when this ask opened the question
};

// A held request's fate, returned from answer(), expire() and cancel().
struct Resolution {
    TicketId ticket = 0;
    QuestionId question = 0;
    Verdict verdict;
};

struct PendingQuestion {
    QuestionId id = 0;
    Question question;
    Clock::time_point asked_at;
    Clock::time_point deadline;
    std::size_t waiting_requests = 0;
};

struct Grant {
    GrantId id = 0;
    std::string provider;
    std::string scope;                           // "" = the whole provider; else one host (generic)
    Tier level = Tier::write;                    // write covers writes; destructive covers both
    std::optional<Clock::time_point> expires_at; // none: for the session
};

struct BrokerSettings {
    std::chrono::seconds question_timeout{120};  // profile consent.timeout_s
    std::chrono::seconds deny_memory{60};        // design.md: "remembered for one minute"
    std::chrono::seconds short_grant{15 * 60};   // the "15 min" button
    // Bounds so a flooding guest cannot grow the broker without limit; past
    // them a new question is denied at once (fail closed).
    std::size_t max_open_questions = 256;
    std::size_t max_tickets_per_question = 1024;
    std::size_t max_remembered_denials = 4096;
};

class ConsentBroker {
public:
    explicit ConsentBroker(BrokerSettings settings = {});

    AskResult ask(const Question& question, Clock::time_point now);

    // The person's answer to an open question: resolves every ticket waiting
    // on it. An unknown or already-closed id resolves nothing (nullopt).
    std::optional<std::vector<Resolution>> answer(QuestionId id, Answer answer, Clock::time_point now);

    // Denies every question whose deadline has passed; drops expired grants
    // and remembered denials.
    std::vector<Resolution> expire(Clock::time_point now);

    // The held request went away. If it was the last one waiting on its
    // question, the question is withdrawn (returned so the UI can close it).
    std::optional<QuestionId> cancel(TicketId ticket);

    // The earliest time expire() has something to do, if any.
    std::optional<Clock::time_point> next_deadline() const;

    std::vector<PendingQuestion> pending() const;
    std::vector<Grant> grants(Clock::time_point now) const;
    bool revoke(GrantId id);

private:
    struct OpenQuestion {
        PendingQuestion pending;
        std::vector<TicketId> tickets;
    };
    struct RememberedDenial {
        std::string provider;
        std::string scope;
        std::string operation;
        Clock::time_point until;
    };

    std::optional<Verdict> decided_without_asking(const Question& question, Clock::time_point now) const;
    OpenQuestion* find_identical(const Question& question);
    std::vector<Resolution> close_question(std::size_t index, Verdict verdict);
    void store_grant(const Question& question, Answer answer, Clock::time_point now);
    void remember_denial(const Question& question, Clock::time_point now);

    BrokerSettings settings_;
    std::vector<OpenQuestion> open_;
    std::vector<Grant> grants_;
    std::vector<RememberedDenial> denials_;
    QuestionId next_question_ = 1;
    TicketId next_ticket_ = 1;
    GrantId next_grant_ = 1;
};

}  // namespace askfirst::consent
