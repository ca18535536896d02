// src/http_head_lines.cpp — CRLF discipline and bounds of request heads.
// See http_head_lines.h for why this exists next to llhttp.
#include "src/http_head_lines.h"

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
    return check_crlf_lines(head, kMaxHeaderCount + 1, "request head");
}

std::optional<std::string> check_trailer_lines(std::string_view trailers) {
    if (trailers.size() > kMaxTrailerBytes) {
        return "trailer section longer than " + std::to_string(kMaxTrailerBytes) + " bytes";
    }
    return check_crlf_lines(trailers, kMaxHeaderCount, "trailer section");
}

}  // namespace askfirst::http
