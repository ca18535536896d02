// Unit tests for tools/classify_input: how `askfirst classify` and the
// benchmark turn corpus lines and raw HTTP/1.1 requests into HttpRequests.
#include <doctest.h>

#include <string>

#include "tools/classify_input.h"

using namespace askfirst::cli;
using askfirst::classifiers::Tier;

TEST_CASE("corpus line: fields, host port stripped, expectation parsed") {
    const auto record = parse_corpus_record(
        R"({"provider":"aws","request":{"method":"POST","host":"RDS.us-west-2.amazonaws.com:443","path":"/",)"
        R"("query":"a=b","headers":{"Content-Type":" text/plain "},"body":"x"},"expect":"write","operation":"rds:X"})");
    REQUIRE(record.ok());
    CHECK(record->request.host == "rds.us-west-2.amazonaws.com");
    CHECK(record->request.query == "a=b");
    CHECK(record->request.header("content-type") == "text/plain");
    CHECK(record->expect == Tier::write);
    CHECK(record->operation == "rds:X");
    CHECK(record->provider == "aws");
}

TEST_CASE("corpus body: U+0000..U+00FF are bytes, NUL included; other text stays UTF-8") {
    struct Row { const char* behaviour; std::string json_body; std::string bytes; };
    const Row rows[] = {
        {"NUL bytes survive", R"(0000\u0000report-status)", std::string("0000\0report-status", 18)},
        {"latin-1 code points become single bytes", R"(PACK\u0000\u0002\u00ff)", std::string("PACK\0\x02\xff", 7)},
        {"an escaped backslash before u0000 is not a NUL", R"(a\\u0000)", "a\\u0000"},
        {"text above U+00FF stays UTF-8", "caf\u00e9 \u2713", "caf\xc3\xa9 \xe2\x9c\x93"},
    };
    for (const Row& row : rows) {
        INFO(row.behaviour);
        const auto record = parse_corpus_record(
            R"({"request":{"method":"POST","host":"h","path":"/","body":")" + row.json_body + R"("}})");
        REQUIRE(record.ok());
        CHECK(record->request.body == row.bytes);
    }
}

TEST_CASE("corpus line errors say what is wrong") {
    struct Row { const char* behaviour; std::string line; std::string fragment; };
    const Row rows[] = {
        {"not JSON", "{bad", "bad JSON"},
        {"no request object", R"({"expect":"read"})", "no \"request\""},
        {"unknown expectation", R"({"request":{"method":"GET","path":"/"},"expect":"maybe"})", "\"expect\" must be"},
        {"no method", R"({"request":{"path":"/"}})", "\"method\""},
    };
    for (const Row& row : rows) {
        INFO(row.behaviour);
        const auto record = parse_corpus_record(row.line);
        CHECK_FALSE(record.ok());
        CHECK(record.error().find(row.fragment) != std::string::npos);
    }
}
