// tests/unit/src/http/http_session_framing_test.cpp — invariant 4 and 5: every
// request whose framing is ambiguous, or whose Host is not the SNI, is
// answered by askfirstd itself (400 / 421, JSON body, connection closed) and
// not one byte of it reaches the upstream, however the bytes are split.
#include <doctest.h>

#include <cjson/cJSON.h>

#include "tests/unit/src/session_playbook.h"

using namespace askfirst::http;
using namespace askfirst::http::testing;

namespace {

struct FramingCase {
    const char* name;
    std::string raw;
    int status;
};

std::string repeat(std::string_view text, std::size_t times) {
    std::string out;
    for (std::size_t i = 0; i < times; ++i) out += text;
    return out;
}

// POST /inspect...: the test classifier needs the body, so the request is held
// until its end and a body framing error is found before anything is passed.
const std::vector<FramingCase>& framing_cases() {
    static const std::vector<FramingCase> cases = {
        {"Content-Length with Transfer-Encoding",
         "POST /inspect HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
        {"Transfer-Encoding before Content-Length",
         "POST /inspect HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", 400},
        {"two different Content-Lengths",
         "POST /inspect HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400},
        {"two equal Content-Lengths (also refused: llhttp allows no duplicate)",
         "POST /inspect HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400},
        {"Content-Length list", "POST /inspect HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3, 3\r\n\r\nabc", 400},
        {"Content-Length with a sign", "POST /inspect HTTP/1.1\r\nHost: a.test\r\nContent-Length: +3\r\n\r\nabc", 400},
        {"Content-Length not a number", "POST /inspect HTTP/1.1\r\nHost: a.test\r\nContent-Length: 0x3\r\n\r\nabc", 400},
        {"Transfer-Encoding gzip only",
         "POST /inspect HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: gzip\r\n\r\nabc", 400},
        {"Transfer-Encoding chunked not final",
         "POST /inspect HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400},
        {"Transfer-Encoding chunked twice",
         "POST /inspect HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
        {"Transfer-Encoding look-alike",
         "POST /inspect HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400},
        {"Transfer-Encoding in HTTP/1.0",
         "POST /inspect HTTP/1.0\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
        {"chunk size not hex",
         "POST /inspect HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400},
        {"chunk size overflows 64 bits",
         "POST /inspect HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\nabc\r\n0\r\n\r\n", 400},
        {"chunk size line ends in bare LF",
         "POST /inspect HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", 400},
        {"chunk data longer than its size",
         "POST /inspect HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n", 400},
        {"chunk data ends in bare LF",
         "POST /inspect HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n", 400},
        {"obsolete folding in a trailer",
         "POST /inspect HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n b\r\n\r\n", 400},
        {"trailer section ends in bare LF",
         "POST /inspect HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\n", 400},
        {"obsolete line folding with a space", "GET / HTTP/1.1\r\nHost: a.test\r\nX-A: a\r\n b\r\n\r\n", 400},
        {"obsolete line folding with a tab", "GET / HTTP/1.1\r\nHost: a.test\r\nX-A: a\r\n\tb\r\n\r\n", 400},
        {"request line ends in bare LF", "GET / HTTP/1.1\nHost: a.test\r\n\r\n", 400},
        {"header line ends in bare LF", "GET / HTTP/1.1\r\nHost: a.test\nX-A: b\r\n\r\n", 400},
        {"head ends in bare LF", "GET / HTTP/1.1\r\nHost: a.test\r\n\n", 400},
        {"bare CR inside a header line", "GET / HTTP/1.1\r\nHost: a.test\r\nX-A: a\rb\r\n\r\n", 400},
        {"bare CR ending a header line", "GET / HTTP/1.1\r\nHost: a.test\rX-A: b\r\n\r\n", 400},
        {"whitespace before the colon", "GET / HTTP/1.1\r\nHost : a.test\r\n\r\n", 400},
        {"request line too long", "GET /" + std::string(kMaxRequestLineBytes, 'a') + " HTTP/1.1\r\nHost: a.test\r\n\r\n", 400},
        {"too many headers", "GET / HTTP/1.1\r\nHost: a.test\r\n" + repeat("X-A: b\r\n", kMaxHeaderCount + 1) + "\r\n", 400},
        {"head too long", "GET / HTTP/1.1\r\nHost: a.test\r\n" + repeat("X-Long: " + std::string(4000, 'v') + "\r\n", 17) + "\r\n", 400},
        {"HTTP/1.1 without Host", "GET / HTTP/1.1\r\nX-A: b\r\n\r\n", 400},
        {"two Host headers", "GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n", 400},
        {"Host with a list", "GET / HTTP/1.1\r\nHost: a.test, b.test\r\n\r\n", 400},
        {"Host with userinfo", "GET / HTTP/1.1\r\nHost: u@a.test\r\n\r\n", 400},
        {"absolute-form names another host", "GET http://b.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n", 400},
        {"fragment in the target", "GET /a#b HTTP/1.1\r\nHost: a.test\r\n\r\n", 400},
        {"Upgrade h2c", "GET / HTTP/1.1\r\nHost: a.test\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n", 400},
        {"HTTP/2 prior knowledge", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400},
        {"CONNECT tunnel", "CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n", 400},
        {"invalid HTTP version", "GET / HTTP/1.7\r\nHost: a.test\r\n\r\n", 400},
        {"space in the target", "GET /a b HTTP/1.1\r\nHost: a.test\r\n\r\n", 400},
        {"control byte in a header value", std::string("GET / HTTP/1.1\r\nHost: a.test\r\nX-A: a\x01b\r\n\r\n"), 400},
        {"Content-Length in a trailer",
         "POST /inspect HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nContent-Length: 40\r\n\r\n", 400},
        {"Transfer-Encoding in a trailer",
         "POST /inspect HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\ntransfer-encoding: chunked\r\n\r\n", 400},
        {"Host in a trailer",
         "POST /inspect HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nHost: b.test\r\n\r\n", 400},
        {"a method override in a trailer (a server merging trailers would run it)",
         "POST /inspect HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-HTTP-Method-Override: DELETE\r\n\r\n", 400},
        {"X-Method-Override in a trailer",
         "POST /inspect HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nx-method-override: delete\r\n\r\n", 400},
        {"Content_Length look-alike", "POST /inspect HTTP/1.1\r\nHost: a.test\r\nContent_Length: 3\r\n\r\nabc", 400},
        {"Transfer_Encoding look-alike", "POST /inspect HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\nTransfer_Encoding: chunked\r\n\r\nabc", 400},
        {"first header line starts with whitespace", "GET / HTTP/1.1\r\n Host: a.test\r\n\r\n", 400},
        {"two spaces in the request line", "GET  / HTTP/1.1\r\nHost: a.test\r\n\r\n", 400},
        {"space after the version", "GET / HTTP/1.1 \r\nHost: a.test\r\n\r\n", 400},
        {"lower-case method", "get / HTTP/1.1\r\nHost: a.test\r\n\r\n", 400},
        {"empty field name in a trailer",
         "POST /inspect HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n: v\r\n\r\n", 400},
        {"tab in the request line", "GET\t/ HTTP/1.1\r\nHost: a.test\r\n\r\n", 400},
        {"empty header name", "GET / HTTP/1.1\r\nHost: a.test\r\n: v\r\n\r\n", 400},
        {"NUL in the target", std::string("GET /a\0b HTTP/1.1\r\nHost: a.test\r\n\r\n", 34), 400},
        {"Host is not the SNI", "GET / HTTP/1.1\r\nHost: b.test\r\n\r\n", 421},
        {"Host is an address, SNI a name", "GET / HTTP/1.1\r\nHost: 10.0.0.1\r\n\r\n", 421},
    };
    return cases;
}

void check_refused_json(const std::string& guest_bytes, int status) {
    CHECK(status_of_response(guest_bytes) == status);
    CHECK(guest_bytes.find("Content-Type: application/json\r\n") != std::string::npos);
    CHECK(guest_bytes.find("Connection: close\r\n") != std::string::npos);
    std::size_t body_at = guest_bytes.find("\r\n\r\n");
    REQUIRE(body_at != std::string::npos);
    cJSON* json = cJSON_Parse(guest_bytes.c_str() + body_at + 4);
    REQUIRE(json != nullptr);
    const cJSON* error = cJSON_GetObjectItemCaseSensitive(json, "error");
    CHECK(cJSON_IsString(error));
    CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(json, "reason")));
    cJSON_Delete(json);
}

}  // namespace

TEST_CASE("ambiguous or refused framing gets a JSON error, closes, and sends nothing upstream") {
    for (const FramingCase& c : framing_cases()) {
        std::string name = c.name;
        CAPTURE(name);
        Playbook whole({.sni = "a.test"});
        whole.guest(c.raw);
        CHECK(whole.to_upstream().empty());
        CHECK(whole.closed());
        check_refused_json(whole.to_guest(), c.status);

        Playbook bytewise({.sni = "a.test"});
        bytewise.guest_bytewise(c.raw);
        CHECK(bytewise.to_upstream().empty());
        CHECK(bytewise.trace() == whole.trace());
    }
}

TEST_CASE("the same requests, well framed, are passed unchanged") {
    const std::vector<std::pair<const char*, std::string>> good = {
        {"Content-Length body", "POST /inspect HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\n\r\nabc"},
        {"chunked body", "POST /inspect HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
        {"final chunked after gzip", "POST /inspect HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
        {"Host with port and capitals", "GET / HTTP/1.1\r\nHost: A.Test:8443\r\n\r\n"},
        {"absolute-form agreeing with Host", "GET http://a.test/x?y=1 HTTP/1.1\r\nHost: a.test\r\n\r\n"},
        {"Upgrade offered without Connection: upgrade is just a header", "GET / HTTP/1.1\r\nHost: a.test\r\nUpgrade: websocket\r\n\r\n"},
        {"one empty line before the request", "\r\nGET / HTTP/1.1\r\nHost: a.test\r\n\r\n"},
        {"obs-text in a header value", "GET / HTTP/1.1\r\nHost: a.test\r\nX-Name: caf\xc3\xa9\r\n\r\n"},
    };
    for (const auto& [name, raw] : good) {
        std::string case_name = name;  // clang 14 cannot capture a structured binding
        CAPTURE(case_name);
        Playbook book({.sni = "a.test"});
        book.guest(raw);
        CHECK(book.to_upstream() == raw);
        CHECK_FALSE(book.closed());
        CHECK(book.decisions.size() == 1);
    }
}

TEST_CASE("without SNI (plain HTTP) any valid Host is judged by its own name") {
    Playbook book;
    book.guest("GET /x HTTP/1.1\r\nHost: Other.Example:80\r\n\r\n");
    REQUIRE(book.decisions.size() == 1);
    CHECK(book.decisions[0].request.host == "other.example");
}

TEST_CASE("an upstream response that breaks HTTP gets a 502 if the guest has seen none of it") {
    Playbook book;
    book.guest("GET /read HTTP/1.1\r\nHost: a.test\r\n\r\n");
    book.upstream("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n");
    CHECK(status_of_response(book.to_guest()) == 502);
    CHECK(book.closed());
}
