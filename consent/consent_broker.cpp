// consent/consent_broker.cpp — the consent state machine (see the header for
// the rules). Everything here is linear scans over small vectors: the bounds
// in BrokerSettings keep them small, and a person answers at human speed.
#include "consent/consent_broker.h"

#include <algorithm>
#include <array>
#include <utility>

#include "src/base/enum_table.h"

namespace askfirst::consent {

namespace {

struct AnswerName {
    Answer answer;
    std::string_view name;
};
constexpr std::array<AnswerName, 4> kAnswerNames{{
    {Answer::once, "once"},
    {Answer::fifteen_minutes, "15m"},
    {Answer::session, "session"},
    {Answer::deny, "deny"},
}};
static_assert(rows_follow_enum(kAnswerNames, &AnswerName::answer, Answer::deny), "one name per Answer, in order");

struct DecidedByName {
    DecidedBy decided_by;
    std::string_view name;
};
constexpr std::array<DecidedByName, 6> kDecidedByNames{{
    {DecidedBy::grant, "grant"},
    {DecidedBy::user, "user"},
    {DecidedBy::timeout, "timeout"},
    {DecidedBy::deny_memory, "deny-memory"},
    {DecidedBy::withdrawn, "withdrawn"},
    {DecidedBy::no_listener, "no-listener"},
}};
static_assert(rows_follow_enum(kDecidedByNames, &DecidedByName::decided_by, DecidedBy::no_listener),
              "one name per DecidedBy, in order");

bool same_question(const Question& a, const Question& b) {
    return a.profile == b.profile && a.provider == b.provider && a.scope == b.scope && a.tier == b.tier &&
           a.operation == b.operation && a.detail == b.detail;
}

}  // namespace

std::string_view answer_name(Answer answer) {
    for (const auto& row : kAnswerNames)
        if (row.answer == answer) return row.name;
    return "deny";
}

std::optional<Answer> parse_answer(std::string_view name) {
    for (const auto& row : kAnswerNames)
        if (row.name == name) return row.answer;
    return std::nullopt;
}

std::string_view decided_by_name(DecidedBy decided_by) {
    for (const auto& row : kDecidedByNames)
        if (row.decided_by == decided_by) return row.name;
    return "user";
}

ConsentBroker::ConsentBroker(BrokerSettings settings) : settings_(settings) {}

std::optional<Verdict> ConsentBroker::decided_without_asking(const Question& question,
                                                             Clock::time_point now) const {
    for (const auto& grant : grants_) {
        const bool live = !grant.expires_at || now < *grant.expires_at;
        if (live && grant.provider == question.provider && grant.scope == question.scope &&
            question.tier <= grant.level)
            return Verdict{true, DecidedBy::grant};
    }
    for (const auto& denial : denials_) {
        if (now < denial.until && denial.provider == question.provider && denial.scope == question.scope &&
            denial.operation == question.operation)
            return Verdict{false, DecidedBy::deny_memory};
    }
    return std::nullopt;
}

ConsentBroker::OpenQuestion* ConsentBroker::find_identical(const Question& question) {
    for (auto& open : open_)
        if (same_question(open.pending.question, question)) return &open;
    return nullptr;
}

AskResult ConsentBroker::ask(const Question& question, Clock::time_point now) {
    AskResult result;
    if (question.tier == Tier::read) {  // reads are never asked; a caller bug must not block
        result.verdict = Verdict{true, DecidedBy::grant};
        return result;
    }
    if (auto verdict = decided_without_asking(question, now)) {
        result.verdict = verdict;
        return result;
    }
    OpenQuestion* open = find_identical(question);
    if (open == nullptr) {
        if (open_.size() >= settings_.max_open_questions) {  // fail closed under a flood
            result.verdict = Verdict{false, DecidedBy::timeout};
            return result;
        }
        OpenQuestion fresh;
        fresh.pending.id = next_question_++;
        fresh.pending.question = question;
        fresh.pending.asked_at = now;
        fresh.pending.deadline = now + settings_.question_timeout;
        open_.push_back(std::move(fresh));
        open = &open_.back();
        result.new_question = true;
    } else if (open->tickets.size() >= settings_.max_tickets_per_question) {
        result.verdict = Verdict{false, DecidedBy::timeout};
        return result;
    }
    result.ticket = next_ticket_++;
    result.question = open->pending.id;
    open->tickets.push_back(result.ticket);
    open->pending.waiting_requests = open->tickets.size();
    return result;
}

std::vector<Resolution> ConsentBroker::close_question(std::size_t index, Verdict verdict) {
    std::vector<Resolution> resolutions;
    const QuestionId id = open_[index].pending.id;
    for (TicketId ticket : open_[index].tickets) resolutions.push_back({ticket, id, verdict});
    open_.erase(open_.begin() + static_cast<std::ptrdiff_t>(index));
    return resolutions;
}

void ConsentBroker::store_grant(const Question& question, Answer answer, Clock::time_point now) {
    Grant grant;
    grant.provider = question.provider;
    grant.scope = question.scope;
    grant.level = question.tier;
    if (answer == Answer::fifteen_minutes) grant.expires_at = now + settings_.short_grant;
    // A stronger or longer grant for the same provider replaces a weaker one.
    std::erase_if(grants_, [&](const Grant& old) {
        return old.provider == grant.provider && old.scope == grant.scope && old.level <= grant.level &&
               (!grant.expires_at || (old.expires_at && *old.expires_at <= *grant.expires_at));
    });
    grant.id = next_grant_++;
    grants_.push_back(std::move(grant));
}

void ConsentBroker::remember_denial(const Question& question, Clock::time_point now) {
    std::erase_if(denials_, [&](const RememberedDenial& old) {
        return old.until <= now ||
               (old.provider == question.provider && old.scope == question.scope &&
                old.operation == question.operation);
    });
    if (denials_.size() >= settings_.max_remembered_denials) denials_.erase(denials_.begin());
    denials_.push_back({question.provider, question.scope, question.operation, now + settings_.deny_memory});
}

std::optional<std::vector<Resolution>> ConsentBroker::answer(QuestionId id, Answer answer,
                                                             Clock::time_point now) {
    auto it = std::find_if(open_.begin(), open_.end(),
                           [id](const OpenQuestion& open) { return open.pending.id == id; });
    if (it == open_.end()) return std::nullopt;
    const Question question = it->pending.question;
    const bool allowed = answer != Answer::deny;
    if (answer == Answer::fifteen_minutes || answer == Answer::session) store_grant(question, answer, now);
    if (answer == Answer::deny) remember_denial(question, now);

    auto resolutions = close_question(static_cast<std::size_t>(it - open_.begin()),
                                      Verdict{allowed, DecidedBy::user});
    // A grant may also settle other open questions it now covers.
    if (answer == Answer::fifteen_minutes || answer == Answer::session) {
        for (std::size_t i = 0; i < open_.size();) {
            if (auto verdict = decided_without_asking(open_[i].pending.question, now)) {
                auto more = close_question(i, *verdict);
                resolutions.insert(resolutions.end(), more.begin(), more.end());
            } else {
                ++i;
            }
        }
    }
    return resolutions;
}

std::vector<Resolution> ConsentBroker::expire(Clock::time_point now) {
    std::vector<Resolution> resolutions;
    for (std::size_t i = 0; i < open_.size();) {
        if (open_[i].pending.deadline <= now) {
            auto timed_out = close_question(i, Verdict{false, DecidedBy::timeout});
            resolutions.insert(resolutions.end(), timed_out.begin(), timed_out.end());
        } else {
            ++i;
        }
    }
    std::erase_if(grants_, [now](const Grant& grant) { return grant.expires_at && *grant.expires_at <= now; });
    std::erase_if(denials_, [now](const RememberedDenial& denial) { return denial.until <= now; });
    return resolutions;
}

std::optional<QuestionId> ConsentBroker::cancel(TicketId ticket) {
    for (std::size_t i = 0; i < open_.size(); ++i) {
        auto& tickets = open_[i].tickets;
        auto it = std::find(tickets.begin(), tickets.end(), ticket);
        if (it == tickets.end()) continue;
        tickets.erase(it);
        open_[i].pending.waiting_requests = tickets.size();
        if (!tickets.empty()) return std::nullopt;
        const QuestionId withdrawn = open_[i].pending.id;
        open_.erase(open_.begin() + static_cast<std::ptrdiff_t>(i));
        return withdrawn;
    }
    return std::nullopt;
}

std::optional<Clock::time_point> ConsentBroker::next_deadline() const {
    std::optional<Clock::time_point> earliest;
    auto consider = [&](Clock::time_point when) {
        if (!earliest || when < *earliest) earliest = when;
    };
    for (const auto& open : open_) consider(open.pending.deadline);
    for (const auto& grant : grants_)
        if (grant.expires_at) consider(*grant.expires_at);
    for (const auto& denial : denials_) consider(denial.until);
    return earliest;
}

std::vector<PendingQuestion> ConsentBroker::pending() const {
    std::vector<PendingQuestion> questions;
    questions.reserve(open_.size());
    for (const auto& open : open_) questions.push_back(open.pending);
    return questions;
}

std::vector<Grant> ConsentBroker::grants(Clock::time_point now) const {
    std::vector<Grant> live;
    for (const auto& grant : grants_)
        if (!grant.expires_at || now < *grant.expires_at) live.push_back(grant);
    return live;
}

bool ConsentBroker::revoke(GrantId id) {
    return std::erase_if(grants_, [id](const Grant& grant) { return grant.id == id; }) > 0;
}

}  // namespace askfirst::consent
