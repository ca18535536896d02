// src/http_sniff.cpp — an HTTP/1.x request starts with "TOKEN SP".
#include "src/http_sniff.h"

namespace askfirst::http {

namespace {

// Methods on the wire are upper-case tchars in practice (RFC 9110 §9.1 says
// they are case-sensitive and the standard ones are upper-case; llhttp
// accepts no other). '-' and '_' appear in WebDAV and vendor methods.
bool is_method_char(char c) { return (c >= 'A' && c <= 'Z') || c == '-' || c == '_'; }

}  // namespace

Http1Sniff sniff_http1(std::string_view bytes) {
    std::size_t i = 0;
    // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line.
    if (bytes == "\r") return Http1Sniff::need_more;
    if (bytes.substr(0, 2) == "\r\n") i = 2;
    std::size_t token_start = i;
    for (; i < bytes.size(); ++i) {
        char c = bytes[i];
        if (c == ' ') return i > token_start ? Http1Sniff::http : Http1Sniff::not_http;
        if (!is_method_char(c) || i - token_start >= kMaxSniffedMethodBytes) return Http1Sniff::not_http;
    }
    return Http1Sniff::need_more;
}

}  // namespace askfirst::http
