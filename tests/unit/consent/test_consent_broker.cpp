// Unit tests for consent/consent_broker: the grant rules as tables, driven by
// an injected clock (no loop, no sockets).
#include <doctest.h>

#include <string>
#include <vector>

#include "consent/consent_broker.h"

using namespace askfirst::consent;
using namespace std::chrono_literals;

namespace {

const Clock::time_point t0{};  // the epoch of the injected clock

Question question(std::string provider, Tier tier, std::string operation = "op", std::string detail = "") {
    Question q;
    q.profile = "pocketos";
    q.provider = std::move(provider);
    q.tier = tier;
    q.operation = std::move(operation);
    q.detail = detail.empty() ? q.operation : std::move(detail);
    return q;
}

// Asks, answers the new question, and returns the verdict the first request got.
Verdict ask_and_answer(ConsentBroker& broker, const Question& q, Answer answer, Clock::time_point now) {
    auto asked = broker.ask(q, now);
    REQUIRE_FALSE(asked.verdict);
    auto resolved = broker.answer(asked.question, answer, now);
    REQUIRE(resolved);
    REQUIRE(resolved->size() == 1);
    CHECK(resolved->front().ticket == asked.ticket);
    return resolved->front().verdict;
}

}  // namespace

TEST_CASE("an answer allows or denies the request that asked, decided by the user") {
    struct Row {
        const char* name;
        Answer answer;
        bool allowed;
    };
    const Row rows[] = {
        {"once allows", Answer::once, true},
        {"15m allows", Answer::fifteen_minutes, true},
        {"session allows", Answer::session, true},
        {"deny refuses", Answer::deny, false},
    };
    for (const auto& row : rows) {
        CAPTURE(row.name);
        ConsentBroker broker;
        auto verdict = ask_and_answer(broker, question("aws", Tier::destructive), row.answer, t0);
        CHECK(verdict.allowed == row.allowed);
        CHECK(verdict.decided_by == DecidedBy::user);
    }
}

TEST_CASE("what the next question gets after an answer (grant scope table)") {
    struct Row {
        const char* name;
        Answer first_answer;
        Tier first_tier;
        std::string next_provider;
        Tier next_tier;
        std::chrono::seconds later;
        bool next_decided_at_once;
        bool next_allowed;
    };
    const Row rows[] = {
        {"once stores nothing", Answer::once, Tier::write, "aws", Tier::write, 1s, false, false},
        {"session write grant covers the next write", Answer::session, Tier::write, "aws", Tier::write, 1s, true, true},
        {"write grant never covers destructive", Answer::session, Tier::write, "aws", Tier::destructive, 1s, false, false},
        {"destructive grant covers writes", Answer::session, Tier::destructive, "aws", Tier::write, 1s, true, true},
        {"destructive grant covers destructive", Answer::session, Tier::destructive, "aws", Tier::destructive, 1s, true, true},
        {"grant covers one provider only", Answer::session, Tier::destructive, "github", Tier::write, 1s, false, false},
        {"15m grant holds at 14m59s", Answer::fifteen_minutes, Tier::write, "aws", Tier::write, 899s, true, true},
        {"15m grant is gone at 15m", Answer::fifteen_minutes, Tier::write, "aws", Tier::write, 900s, false, false},
        {"session grant holds after hours", Answer::session, Tier::write, "aws", Tier::write, 36000s, true, true},
    };
    for (const auto& row : rows) {
        CAPTURE(row.name);
        ConsentBroker broker;
        ask_and_answer(broker, question("aws", row.first_tier, "first"), row.first_answer, t0);
        auto next = broker.ask(question(row.next_provider, row.next_tier, "second"), t0 + row.later);
        CHECK(next.verdict.has_value() == row.next_decided_at_once);
        if (next.verdict) {
            CHECK(next.verdict->allowed == row.next_allowed);
            CHECK(next.verdict->decided_by == DecidedBy::grant);
        } else {
            CHECK(next.new_question);
        }
    }
}

TEST_CASE("a grant with a scope (an unknown host) covers that host only, and so does a denial") {
    struct Row {
        const char* name;
        Answer first_answer;
        std::string next_scope;
        Tier next_tier;
        bool next_decided_at_once;
        bool next_allowed;
    };
    const Row rows[] = {
        {"session grant covers the same host", Answer::session, "docs.example.org", Tier::write, true, true},
        {"session grant does not cover another host", Answer::session, "evil.example.net", Tier::write, false, false},
        {"session grant does not cover the whole provider", Answer::session, "", Tier::write, false, false},
        {"write grant on the host never covers its destructive", Answer::session, "docs.example.org",
         Tier::destructive, false, false},
        {"denial is remembered for the same host", Answer::deny, "docs.example.org", Tier::write, true, false},
        {"denial of one host does not refuse another", Answer::deny, "evil.example.net", Tier::write, false, false},
    };
    for (const auto& row : rows) {
        CAPTURE(row.name);
        ConsentBroker broker;
        Question first = question("generic", Tier::write, "POST /v1/x");
        first.scope = "docs.example.org";
        ask_and_answer(broker, first, row.first_answer, t0);
        Question next = question("generic", row.next_tier, "POST /v1/x");
        next.scope = row.next_scope;
        auto asked = broker.ask(next, t0 + 1s);
        CHECK(asked.verdict.has_value() == row.next_decided_at_once);
        if (asked.verdict) CHECK(asked.verdict->allowed == row.next_allowed);
    }
    // A scoped grant is listed with its scope.
    ConsentBroker broker;
    Question first = question("generic", Tier::write);
    first.scope = "docs.example.org";
    ask_and_answer(broker, first, Answer::session, t0);
    REQUIRE(broker.grants(t0).size() == 1);
    CHECK(broker.grants(t0).front().scope == "docs.example.org");
}

TEST_CASE("a denial is remembered 60 s for the same provider and operation") {
    struct Row {
        const char* name;
        std::string provider;
        std::string operation;
        std::chrono::seconds later;
        bool refused_at_once;
    };
    const Row rows[] = {
        {"same operation at 59 s refused without asking", "railway", "volumeDelete", 59s, true},
        {"same operation at 60 s asks again", "railway", "volumeDelete", 60s, false},
        {"other operation asks", "railway", "serviceDelete", 1s, false},
        {"other provider asks", "aws", "volumeDelete", 1s, false},
    };
    for (const auto& row : rows) {
        CAPTURE(row.name);
        ConsentBroker broker;
        ask_and_answer(broker, question("railway", Tier::destructive, "volumeDelete"), Answer::deny, t0);
        broker.expire(t0 + row.later);
        auto next = broker.ask(question(row.provider, Tier::destructive, row.operation), t0 + row.later);
        CHECK(next.verdict.has_value() == row.refused_at_once);
        if (next.verdict) {
            CHECK_FALSE(next.verdict->allowed);
            CHECK(next.verdict->decided_by == DecidedBy::deny_memory);
        }
    }
}

TEST_CASE("identical questions asked while one is open wait for the same answer") {
    ConsentBroker broker;
    auto first = broker.ask(question("aws", Tier::destructive, "rds:DeleteDBInstance", "prod-db-1"), t0);
    auto second = broker.ask(question("aws", Tier::destructive, "rds:DeleteDBInstance", "prod-db-1"), t0 + 1s);
    auto different = broker.ask(question("aws", Tier::destructive, "rds:DeleteDBInstance", "staging-db"), t0 + 1s);
    CHECK(first.new_question);
    CHECK_FALSE(second.new_question);
    CHECK(second.question == first.question);
    CHECK(different.question != first.question);
    CHECK(broker.pending().size() == 2);
    CHECK(broker.pending().front().waiting_requests == 2);

    auto resolved = broker.answer(first.question, Answer::once, t0 + 2s);
    REQUIRE(resolved);
    REQUIRE(resolved->size() == 2);
    CHECK(resolved->at(0).ticket == first.ticket);
    CHECK(resolved->at(1).ticket == second.ticket);
    CHECK(resolved->at(0).verdict.allowed);
    CHECK(resolved->at(1).verdict.allowed);
    CHECK(broker.pending().size() == 1);  // the other question is still open
}

TEST_CASE("an unanswered question is denied at its deadline, not before") {
    BrokerSettings settings;
    settings.question_timeout = 120s;
    ConsentBroker broker(settings);
    auto asked = broker.ask(question("github", Tier::write), t0);
    REQUIRE(broker.next_deadline());
    CHECK(*broker.next_deadline() == t0 + 120s);
    CHECK(broker.expire(t0 + 119s).empty());
    auto resolved = broker.expire(t0 + 120s);
    REQUIRE(resolved.size() == 1);
    CHECK(resolved[0].ticket == asked.ticket);
    CHECK_FALSE(resolved[0].verdict.allowed);
    CHECK(resolved[0].verdict.decided_by == DecidedBy::timeout);
    CHECK(broker.pending().empty());
    CHECK_FALSE(broker.answer(asked.question, Answer::session, t0 + 121s));  // too late: nothing to answer
}

TEST_CASE("a held request that goes away cancels its ticket; the last one withdraws the question") {
    ConsentBroker broker;
    auto first = broker.ask(question("aws", Tier::write), t0);
    auto second = broker.ask(question("aws", Tier::write), t0);
    CHECK_FALSE(broker.cancel(first.ticket));
    CHECK(broker.pending().front().waiting_requests == 1);
    auto withdrawn = broker.cancel(second.ticket);
    REQUIRE(withdrawn);
    CHECK(*withdrawn == first.question);
    CHECK(broker.pending().empty());
    CHECK_FALSE(broker.cancel(second.ticket));  // already gone
}

TEST_CASE("a session grant settles other open questions it covers") {
    ConsentBroker broker;
    auto write_question = broker.ask(question("aws", Tier::write, "ec2:StartInstances"), t0);
    auto destructive_question = broker.ask(question("aws", Tier::destructive, "rds:DeleteDBInstance"), t0);
    auto other_write = broker.ask(question("aws", Tier::write, "s3:PutObject"), t0);
    auto resolved = broker.answer(write_question.question, Answer::session, t0 + 1s);
    REQUIRE(resolved);
    REQUIRE(resolved->size() == 2);  // the asked one, and the other write it now covers
    CHECK(resolved->at(1).ticket == other_write.ticket);
    CHECK(resolved->at(1).verdict.decided_by == DecidedBy::grant);
    REQUIRE(broker.pending().size() == 1);
    CHECK(broker.pending().front().id == destructive_question.question);
}

TEST_CASE("grants are listed and can be revoked") {
    ConsentBroker broker;
    ask_and_answer(broker, question("aws", Tier::write), Answer::fifteen_minutes, t0);
    ask_and_answer(broker, question("github", Tier::destructive), Answer::session, t0);
    auto grants = broker.grants(t0 + 1s);
    REQUIRE(grants.size() == 2);
    CHECK(grants[0].provider == "aws");
    CHECK(grants[0].expires_at == t0 + 900s);
    CHECK_FALSE(grants[1].expires_at);
    CHECK(broker.revoke(grants[1].id));
    CHECK_FALSE(broker.revoke(grants[1].id));
    auto next = broker.ask(question("github", Tier::write), t0 + 2s);
    CHECK_FALSE(next.verdict);  // revoked: asks again
    CHECK(broker.grants(t0 + 901s).empty());
}

TEST_CASE("a flood of distinct questions past the bound is refused at once") {
    BrokerSettings settings;
    settings.max_open_questions = 3;
    ConsentBroker broker(settings);
    for (int i = 0; i < 3; ++i) CHECK_FALSE(broker.ask(question("aws", Tier::write, "op" + std::to_string(i)), t0).verdict);
    auto refused = broker.ask(question("aws", Tier::write, "op3"), t0);
    REQUIRE(refused.verdict);
    CHECK_FALSE(refused.verdict->allowed);
}

TEST_CASE("answer names round-trip and unknown names are rejected") {
    for (auto answer : {Answer::once, Answer::fifteen_minutes, Answer::session, Answer::deny}) {
        auto parsed = parse_answer(answer_name(answer));
        REQUIRE(parsed);
        CHECK(*parsed == answer);
    }
    CHECK_FALSE(parse_answer("always"));
    CHECK_FALSE(parse_answer(""));
}
