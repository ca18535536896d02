// src/http/http_head_lines.cpp — CRLF discipline and bounds of request heads.
// See http_head_lines.h for why this exists next to llhttp.
#include "src/http/http_head_lines.h"

#include "classifiers/method_override.h"

#include <cctype>

namespace askfirst::http {

std::optional<std::string> RequestHeadBounds::append(std::string_view bytes) {
    total_ += bytes.size();
    if (total_ > kMaxRequestHeadBytes) {
        return "request head longer than " + std::to_string(kMaxRequestHeadBytes) + " bytes";
    }
    for (char c : bytes) {
        if (!request_line_done_) {
            // Empty lines before the request line (RFC 9112 §2.2) do not
            // count; a lone CR counts as a byte (the full check refuses it).
            if (c == '\n' && request_line_bytes_ > 1) request_line_done_ = true;
            else if (c == '\n') request_line_bytes_ = 0;
            else ++request_line_bytes_;
            if (request_line_bytes_ > kMaxRequestLineBytes) {
                return "request line longer than " + std::to_string(kMaxRequestLineBytes) + " bytes";
            }
            continue;
        }
        if (c == '\n' && ++line_breaks_ > kMaxHeaderCount + 1) {  // +1: the blank line
            return "more than " + std::to_string(kMaxHeaderCount) + " header lines";
        }
    }
    return std::nullopt;
}

namespace {

// Walks CRLF-terminated lines; refuses bare CR, bare LF and folded lines
// (in a head, the request line cannot start with whitespace either).
std::optional<std::string> check_crlf_lines(std::string_view text, std::size_t max_lines,
                                            std::string_view what) {
    std::size_t lines = 0;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n')) {
            return std::string(what) + ": bare CR inside a line";
        }
        if (c != '\n') continue;
        if (i == 0 || text[i - 1] != '\r') return std::string(what) + ": line ends in a bare LF, not CRLF";
        std::size_t line_length = i - 1 - line_start;
        if (line_length > 0) {
            char first = text[line_start];
            if (first == ' ' || first == '\t') {
                return std::string(what) + ": obsolete line folding (a line starts with whitespace)";
            }
            if (++lines > max_lines) return std::string(what) + ": too many lines";
        }
        line_start = i + 1;
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> check_request_head_lines(std::string_view head) {
    // Request line + kMaxHeaderCount headers.
    if (auto refused = check_crlf_lines(head, kMaxHeaderCount + 1, "request head")) return refused;
    // RFC 9112 §3: method SP request-target SP HTTP-version, one SP each.
    // llhttp 8.1 accepts runs of spaces; servers that split differently
    // would see another target than the one judged.
    while (head.substr(0, 2) == "\r\n") head.remove_prefix(2);
    std::string_view request_line = head.substr(0, head.find("\r\n"));
    std::size_t spaces = 0;
    for (char c : request_line) {
        if (c == ' ') ++spaces;
        if (c == '\t') return std::string("request line contains a tab");
    }
    if (spaces != 2) return std::string("request line is not 'METHOD SP target SP version' with single spaces");
    return std::nullopt;
}

std::optional<std::string> check_trailer_lines(std::string_view trailers) {
    if (trailers.size() > kMaxTrailerBytes) {
        return "trailer section longer than " + std::to_string(kMaxTrailerBytes) + " bytes";
    }
    if (auto refused = check_crlf_lines(trailers, kMaxHeaderCount, "trailer section")) return refused;
    // RFC 9110 §6.5.1: framing and routing fields are not allowed as
    // trailers, and an upstream that merges trailers into the head would
    // act on them after we judged the request without them.
    while (!trailers.empty()) {
        std::size_t end = trailers.find("\r\n");
        std::string_view line = trailers.substr(0, end);
        std::string_view name = line.substr(0, line.find(':'));
        if (name.empty() && !line.empty()) return std::string("trailer line without a field name");
        if (auto refused = refused_trailer_field(name)) return refused;
        if (end == std::string_view::npos) break;
        trailers.remove_prefix(end + 2);
    }
    return std::nullopt;
}

std::optional<std::string> refused_trailer_field(std::string_view name) {
    if (!is_framing_or_routing_field(name) && !classifiers::is_method_override_header(name)) return std::nullopt;
    std::string shown;
    for (char c : name.substr(0, 64)) shown += (c >= 0x21 && c <= 0x7e && c != '\'' && c != '\\') ? c : '?';
    return "trailer section carries '" + shown + "', a field only a head may carry";
}

bool is_framing_or_routing_field(std::string_view name) {
    static constexpr std::string_view kFields[] = {"content-length", "transfer-encoding", "host"};
    for (std::string_view field : kFields) {
        if (name.size() != field.size()) continue;
        bool same = true;
        for (std::size_t i = 0; i < name.size() && same; ++i) {
            char c = static_cast<char>(std::tolower(static_cast<unsigned char>(name[i])));
            if (c == '_') c = '-';  // CGI-style servers read '_' as '-'
            same = c == field[i];
        }
        if (same) return true;
    }
    return false;
}

}  // namespace askfirst::http
