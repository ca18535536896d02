// tests/unit/src/http/http_request_head_test.cpp — the name that is judged
// (invariant 5): Host normalisation, table-driven.
#include <doctest.h>

#include "src/http/http_request_head.h"

using askfirst::http::normalize_host;

TEST_CASE("Host values: lower-cased, port removed, anything ambiguous refused") {
    struct Case { const char* name; const char* value; const char* host; };  // host nullptr: refused
    const Case cases[] = {
        {"plain name", "api.example.com", "api.example.com"},
        {"capitals", "API.Example.COM", "api.example.com"},
        {"with port", "api.example.com:8443", "api.example.com"},
        {"IPv4 with port", "10.0.2.2:8080", "10.0.2.2"},
        {"IPv6 literal with port", "[::1]:443", "[::1]"},
        {"IPv6 literal", "[FE80::1]", "[fe80::1]"},
        {"empty", "", nullptr},
        {"empty port", "a.test:", nullptr},
        {"port not a number", "a.test:https", nullptr},
        {"port too long", "a.test:123456", nullptr},
        {"two ports", "a.test:1:2", nullptr},
        {"userinfo", "user@a.test", nullptr},
        {"list", "a.test,b.test", nullptr},
        {"space", "a.test b.test", nullptr},
        {"path", "a.test/x", nullptr},
        {"unclosed bracket", "[::1", nullptr},
        {"junk after bracket", "[::1]x", nullptr},
        {"percent-encoding", "a%2etest", nullptr},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.name));
        auto host = normalize_host(c.value);
        if (c.host == nullptr) {
            CHECK_FALSE(host);
        } else {
            REQUIRE(host);
            CHECK(*host == c.host);
        }
    }
}
