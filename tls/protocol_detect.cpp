// tls/protocol_detect.cpp — the first-message recognisers of the detector
// table (src/first_bytes_detection.cpp): each answers match / no / need_more
// for the bytes so far.
#include "tls/protocol_detect.h"

#include <string_view>

namespace askfirst::tls {
namespace {

// RFC 9110 §5.6.2 tchar.
bool is_tchar(std::uint8_t c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_target_char(std::uint8_t c) { return c > 0x20 && c < 0x7f; }

}  // namespace

// RFC 8446 §5.1: handshake(22), legacy_record_version 0x03 0x0X, and
// HandshakeType client_hello(1) as the first byte of the fragment.
// A record length of 0 is forbidden for handshake records.
Fit fits_tls_client_hello(std::span<const std::uint8_t> bytes) {
    constexpr std::uint8_t kHandshakeRecord = 22, kClientHello = 1, kMajor = 3, kMaxMinor = 4;
    if (bytes.size() >= 1 && bytes[0] != kHandshakeRecord) return Fit::no;
    if (bytes.size() >= 2 && bytes[1] != kMajor) return Fit::no;
    if (bytes.size() >= 3 && bytes[2] > kMaxMinor) return Fit::no;
    if (bytes.size() >= 5 && bytes[3] == 0 && bytes[4] == 0) return Fit::no;
    if (bytes.size() >= 6) return bytes[5] == kClientHello ? Fit::match : Fit::no;
    return Fit::need_more;
}

// RFC 9113 §3.4: the client connection preface.
Fit fits_http2_preface(std::span<const std::uint8_t> bytes) {
    constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    const std::size_t n = bytes.size() < kPreface.size() ? bytes.size() : kPreface.size();
    for (std::size_t i = 0; i < n; ++i)
        if (bytes[i] != static_cast<std::uint8_t>(kPreface[i])) return Fit::no;
    return n == kPreface.size() ? Fit::match : Fit::need_more;
}

// RFC 9112 §3: request-line = method SP request-target SP HTTP-version CRLF,
// HTTP-version "HTTP/1.0" or "HTTP/1.1" here (HTTP/2 uses the preface).
Fit fits_http1_request_line(std::span<const std::uint8_t> bytes) {
    enum class Part { method, target, version, lf } part = Part::method;
    constexpr std::string_view kVersion = "HTTP/1.";
    std::size_t part_length = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i >= kMaxRequestLineBytes) return Fit::no;
        const std::uint8_t c = bytes[i];
        switch (part) {
        case Part::method:
            if (c == ' ' && part_length > 0) { part = Part::target; part_length = 0; continue; }
            if (!is_tchar(c)) return Fit::no;
            break;
        case Part::target:
            if (c == ' ' && part_length > 0) { part = Part::version; part_length = 0; continue; }
            if (!is_target_char(c)) return Fit::no;
            break;
        case Part::version:
            if (part_length < kVersion.size()) {
                if (c != static_cast<std::uint8_t>(kVersion[part_length])) return Fit::no;
            } else if (part_length == kVersion.size()) {
                if (c != '0' && c != '1') return Fit::no;
            } else if (c != '\r') {
                return Fit::no;
            } else {
                part = Part::lf;
            }
            break;
        case Part::lf:
            return c == '\n' ? Fit::match : Fit::no;
        }
        ++part_length;
    }
    return Fit::need_more;
}

namespace {

// Methods of the IANA HTTP Method Registry (RFC 9110 §16.1), the ones a
// server may act on (not PRI: that is the HTTP/2 preface, tried first).
// Only these open the lenient path below, so a text protocol whose client
// speaks first with an upper-case word (IRC's NICK) stays opaque.
constexpr std::string_view kRegisteredMethods[] = {
    "ACL", "BASELINE-CONTROL", "BIND", "CHECKIN", "CHECKOUT", "CONNECT", "COPY", "DELETE", "GET", "HEAD",
    "LABEL", "LINK", "LOCK", "MERGE", "MKACTIVITY", "MKCALENDAR", "MKCOL", "MKREDIRECTREF", "MKWORKSPACE",
    "MOVE", "OPTIONS", "ORDERPATCH", "PATCH", "POST", "PROPFIND", "PROPPATCH", "PUT", "QUERY", "REBIND",
    "REPORT", "SEARCH", "TRACE", "UNBIND", "UNCHECKOUT", "UNLINK", "UNLOCK", "UPDATE", "UPDATEREDIRECTREF",
    "VERSION-CONTROL",
};
constexpr std::size_t kLongestRegisteredMethod = 17;  // "UPDATEREDIRECTREF"

}  // namespace

Fit fits_lenient_http1_start(std::span<const std::uint8_t> bytes) {
    // Only what the strict row refused: a request line it takes stays its own.
    const Fit strict = fits_http1_request_line(bytes);
    if (strict != Fit::no) return strict == Fit::match ? Fit::no : Fit::need_more;
    std::size_t at = 0;
    while (at < bytes.size() && (bytes[at] == '\r' || bytes[at] == '\n')) ++at;
    if (at >= kMaxRequestLineBytes) return Fit::no;
    const std::size_t method_start = at;
    while (at < bytes.size() && at - method_start <= kLongestRegisteredMethod &&
           ((bytes[at] >= 'A' && bytes[at] <= 'Z') || bytes[at] == '-'))
        ++at;
    if (at == bytes.size()) return at - method_start <= kLongestRegisteredMethod ? Fit::need_more : Fit::no;
    if (bytes[at] != ' ' && bytes[at] != '\t') return Fit::no;
    const std::string_view method(reinterpret_cast<const char*>(bytes.data()) + method_start, at - method_start);
    for (const std::string_view registered : kRegisteredMethods)
        if (method == registered) return Fit::match;
    return Fit::no;
}

}  // namespace askfirst::tls
