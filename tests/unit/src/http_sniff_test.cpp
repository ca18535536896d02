// tests/unit/src/http_sniff_test.cpp — which first bytes make a flow HTTP.
#include <doctest.h>

#include <string>

#include "src/http_sniff.h"

using namespace askfirst::http;

TEST_CASE("HTTP/1.x is recognised by its method token; everything else is not HTTP") {
    struct Case { const char* name; std::string bytes; Http1Sniff expected; };
    const Case cases[] = {
        {"GET", "GET / HTTP/1.1\r\n", Http1Sniff::http},
        {"WebDAV method", "PROPFIND /x HTTP/1.1\r\n", Http1Sniff::http},
        {"HTTP/2 preface (the session refuses it)", "PRI * HTTP/2.0\r\n", Http1Sniff::http},
        {"empty line first", "\r\nPOST / HTTP/1.1\r\n", Http1Sniff::http},
        {"nothing yet", "", Http1Sniff::need_more},
        {"half a method", "DELE", Http1Sniff::need_more},
        {"just the CR", "\r", Http1Sniff::need_more},
        {"SSH banner", "SSH-2.0-OpenSSH_9.2\r\n", Http1Sniff::not_http},
        {"TLS ClientHello", std::string("\x16\x03\x01\x02\x00\x01", 6), Http1Sniff::not_http},
        {"lower-case method", "get / HTTP/1.1", Http1Sniff::not_http},
        {"space first", " GET /", Http1Sniff::not_http},
        {"PostgreSQL startup", std::string("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8), Http1Sniff::not_http},
        {"overlong token", std::string(30, 'A') + " /", Http1Sniff::not_http},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.name));
        CHECK(sniff_http1(c.bytes) == c.expected);
    }
}
