// tests/unit/src/statement_decision_test.cpp — a MongoDB command as a
// database statement (src/statement_decision.h): its classification, the
// refusal sentence the driver prints, and the audit text with every literal
// redacted as libpg_query's normalisation does for SQL.
#include <doctest.h>

#include "src/statement_decision.h"

using namespace askfirst;

namespace {

StatementFacts mongodb_statement(std::string json) {
    StatementFacts statement;
    statement.provider = "mongodb";
    statement.host = "mongo.test";
    statement.database = "shop";
    statement.message = "OP_MSG";
    statement.texts = {std::move(json)};
    return statement;
}

}  // namespace

TEST_CASE("a mongodb command: classified by the wire-command rules, shown with its literals, audited without them") {
    const auto drop = mongodb_statement(R"({ "drop" : "orders", "comment" : "cleanup", "$db" : "shop" })");
    const auto judged = classify_statement(drop);
    CHECK(judged.provider == "mongodb");
    CHECK(judged.tier == classifiers::Tier::destructive);
    CHECK(judged.operation == "drop");
    CHECK(judged.detail == R"({ "drop" : "orders", "comment" : "cleanup", "$db" : "shop" } (database shop on mongo.test))");
    CHECK(redacted_statement(drop) == R"({"drop":"orders","comment":"$1","$db":"shop"})");

    const auto find = mongodb_statement(R"({ "find" : "users", "filter" : { "email" : "a@b.example", "age" : { "$gt" : 30 } }, "$db" : "shop" })");
    CHECK(classify_statement(find).tier == classifiers::Tier::read);
    CHECK(redacted_statement(find) == R"({"find":"users","filter":{"email":"$1","age":{"$gt":"$2"}},"$db":"shop"})");

    http::RequestDecision decision;
    decision.classification = judged;
    decision.reason = "mode block-destructive refuses destructive operations on mongodb";
    CHECK(statement_refusal_message(decision, drop) ==
          R"(askfirst refused drop ({ "drop" : "orders", "comment" : "cleanup", "$db" : "shop" }): mode block-destructive refuses destructive operations on mongodb)");
}

TEST_CASE("a mongodb message askfirst could not read is the worst it could be, named by its opcode") {
    StatementFacts compressed = mongodb_statement("");
    compressed.texts.clear();
    compressed.message = "OP_COMPRESSED";
    compressed.complete = false;
    compressed.why_incomplete = "a compressed message (OP_COMPRESSED), which askfirst does not decompress";
    const auto judged = classify_statement(compressed);
    CHECK(judged.tier == classifiers::Tier::destructive);
    CHECK(judged.operation == "OP_COMPRESSED");
    http::RequestDecision decision;
    decision.classification = judged;
    decision.reason = "mode block-destructive refuses destructive operations on mongodb";
    CHECK(statement_refusal_message(decision, compressed).starts_with(
        "askfirst refused OP_COMPRESSED (a compressed message (OP_COMPRESSED), which askfirst does not decompress)"));
}
