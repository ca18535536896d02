// tests/unit/src/raw_request_test.cpp — `askfirst classify --raw` reads a
// request exactly as askfirstd would: same refusals, same inspected body.
#include <doctest.h>

#include "src/http/raw_request.h"

using namespace askfirst::http;

TEST_CASE("a raw request becomes the HttpRequest askfirstd would judge") {
    RawRequestResult read = read_raw_request(
        "POST /inspect/inspect?op=1 HTTP/1.1\r\nHost: API.test:443\r\nContent-Length: 7\r\n\r\n{\"q\":1}", "api.test");
    REQUIRE(read.request);
    CHECK(read.request->host == "api.test");
    CHECK(read.request->path == "/inspect/inspect");
    CHECK(read.request->query == "op=1");
    CHECK(read.request->body == "{\"q\":1}");
    CHECK(read.request->body_complete);
}

TEST_CASE("a raw request askfirstd would refuse is refused with the same status") {
    struct Case { const char* name; std::string raw; std::string sni; int status; };
    const Case cases[] = {
        {"obsolete folding", "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n", "", 400},
        {"Host is not the SNI", "GET / HTTP/1.1\r\nHost: b.test\r\n\r\n", "a.test", 421},
        {"CL and TE", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "", 400},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.name));
        RawRequestResult read = read_raw_request(c.raw, c.sni);
        CHECK_FALSE(read.request);
        CHECK(read.refused_status == c.status);
        CHECK_FALSE(read.error.empty());
    }
}

TEST_CASE("an incomplete raw request says so") {
    RawRequestResult read = read_raw_request("POST /inspect HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nshort");
    CHECK_FALSE(read.request);
    CHECK(read.error.find("incomplete") != std::string::npos);
}

TEST_CASE("a saved request (askfirst classify --raw): bare LF heads accepted, the rest as askfirstd reads it") {
    auto read = read_saved_request("POST /inspect?x=1 HTTP/1.1\nHost: API.GitHub.com:443\nContent-Length: 3\n\nabc");
    REQUIRE_MESSAGE(read.ok(), read.error());
    CHECK(read->host == "api.github.com");
    CHECK(read->path == "/inspect");
    CHECK(read->query == "x=1");
    CHECK(read->body == "abc");  // the classifier needs the body (the test double: /inspect), so the session read it

    read = read_saved_request(
        "POST /inspect HTTP/1.1\r\nHost: api.github.com\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
    REQUIRE_MESSAGE(read.ok(), read.error());
    CHECK(read->body == "abcde");

    struct Case { const char* name; std::string raw; const char* says; };
    const Case refused[] = {
        {"cut-off body: askfirstd would wait for the rest", "POST /inspect HTTP/1.1\r\nHost: api.github.com\r\nContent-Length: 10\r\n\r\nabc",
         "incomplete"},
        {"not a request", "nonsense\r\n\r\n", "refuse this request with 400"},
        {"no version", "GET /\r\n\r\n", "refuse this request with 400"},
        {"CL and TE", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
         "refuse this request with 400"},
    };
    for (const Case& c : refused) {
        CAPTURE(std::string(c.name));
        read = read_saved_request(c.raw);
        const std::string said = read.ok() ? std::string("read") : read.error();
        CAPTURE(said);
        CHECK_FALSE(read.ok());
        CHECK(read.error().find(c.says) != std::string::npos);
    }
}
