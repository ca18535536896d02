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

TEST_CASE("raw request: origin form, absolute form, chunked and cut-off bodies") {
    auto request = parse_raw_request(
        "POST /a?x=1 HTTP/1.1\r\nHost: Example.test:8080\r\nContent-Length: 3\r\n\r\nabcdef");
    REQUIRE(request.ok());
    CHECK(request->host == "example.test");
    CHECK(request->path == "/a");
    CHECK(request->query == "x=1");
    CHECK(request->body == "abc");
    CHECK(request->body_complete);

    request = parse_raw_request("GET https://b.s3.amazonaws.com/k HTTP/1.1\n\n");
    REQUIRE(request.ok());
    CHECK(request->host == "b.s3.amazonaws.com");
    CHECK(request->path == "/k");

    request = parse_raw_request(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
    REQUIRE(request.ok());
    CHECK(request->body == "abcde");

    request = parse_raw_request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc");
    REQUIRE(request.ok());
    CHECK_FALSE(request->body_complete);

    request = parse_raw_request("nonsense");
    CHECK_FALSE(request.ok());
    CHECK(request.error().find("blank line") != std::string::npos);
    request = parse_raw_request("GET /\r\n\r\n");
    CHECK_FALSE(request.ok());
    CHECK(request.error().find("first line") != std::string::npos);
}
