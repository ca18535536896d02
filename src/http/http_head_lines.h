// src/http/http_head_lines.h — the line discipline of a request head, checked on
// the raw bytes the guest sent, before anything is classified or forwarded.
//
// llhttp (src/http/http_message_parser.h) decides framing, but llhttp 8.1 still
// accepts two things that a stricter upstream may read differently: obsolete
// line folding (a header line that starts with SP/HT continues the previous
// value) and a bare LF ending the request line or the head. Both are classic
// request-smuggling seeds (RFC 9112 §2.2, §5.2), so we refuse them here. This
// is a small hand-written line scan rather than a parser: llhttp still does
// all the parsing; this only enforces CRLF and the named bounds below.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace askfirst::http {

// RFC 9112 §3 asks servers to accept request lines of at least 8000 octets;
// Apache's LimitRequestLine default is 8190. We allow 8 KiB.
inline constexpr std::size_t kMaxRequestLineBytes = 8 * 1024;
// Apache's LimitRequestFields default; nginx allows about the same in 32 KiB.
inline constexpr std::size_t kMaxHeaderCount = 100;
// The whole head. AWS SigV4 and JWT bearer headers reach a few KiB; nginx's
// large_client_header_buffers default is 4 x 8 KiB. 64 KiB leaves room.
inline constexpr std::size_t kMaxRequestHeadBytes = 64 * 1024;
// A chunked request's trailer section (rarely used by clients at all).
inline constexpr std::size_t kMaxTrailerBytes = 16 * 1024;

// Counts a head as it arrives, so an endless head is refused without being
// kept: O(1) per byte however the bytes are split.
class RequestHeadBounds {
public:
    // Returns why the head is refused, or nothing while it stays in bounds.
    std::optional<std::string> append(std::string_view bytes);

private:
    std::size_t total_ = 0;
    std::size_t line_breaks_ = 0;
    std::size_t request_line_bytes_ = 0;
    bool request_line_done_ = false;
};

// The complete head, from the first byte through the blank line: every line
// ends in CRLF, no CR stands alone, no header line is folded, and there are
// at most kMaxHeaderCount header lines. Returns why it is refused, if it is.
std::optional<std::string> check_request_head_lines(std::string_view head);

// The trailer section of a chunked request (what follows the last-chunk
// line, through the final CRLF): the same line discipline as a head, and no
// field that only a head may carry (refused_trailer_field) among its fields.
std::optional<std::string> check_trailer_lines(std::string_view trailers);

// Why a request trailer field is refused, if it is: framing and routing
// fields (RFC 9110 §6.5.1) and method overrides. An upstream that merges
// trailers into the head would act on them after the request was judged
// without them. HTTP/1.1 chunked trailers and HTTP/2 trailers alike.
std::optional<std::string> refused_trailer_field(std::string_view name);

// Content-Length, Transfer-Encoding or Host, case-insensitively, also when
// spelled with '_' for '-' (which CGI-style upstreams read as the same name).
bool is_framing_or_routing_field(std::string_view name);

}  // namespace askfirst::http
