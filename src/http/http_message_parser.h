// src/http/http_message_parser.h — one HTTP/1.x message stream (requests from the
// guest, or responses from the upstream) cut at its boundaries by llhttp.
//
// The HTTP session (src/http/http_session.h) must forward the exact bytes it was
// given, so it never re-serialises what llhttp parsed. Instead this wrapper
// pauses llhttp at every boundary that matters (end of head, start of the
// trailer section, end of message) and reports how many input bytes were
// consumed before it: every byte the session routes belongs to exactly one
// part of one message. The parser is llhttp 8.1 from Debian's node-llhttp,
// built without any lenient flag (src/meson.build); the few things it still
// accepts that we refuse (obsolete folding, bare LF) are checked on the raw
// head by src/http/http_head_lines.h.
#pragma once

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "classifiers/classification.h"

static_assert(LLHTTP_VERSION_MAJOR == 8, "written against llhttp 8.x (Debian 12 node-llhttp)");

namespace askfirst::http {

enum class MessageKind : std::uint8_t { request, response };

// Where parse() stopped. Every value but `need_more` and `error` leaves the
// parser paused just after the boundary; the next parse() continues.
enum class Boundary : std::uint8_t {
    need_more,          // all input consumed, no boundary reached
    headers_complete,   // the head (start line + headers + blank line) is done
    trailers_begin,     // chunked: the last-chunk line is done, trailers follow
    message_complete,   // the whole message is done
    upgrade,            // after an upgrade/CONNECT message: what follows is not HTTP
    h2_preface,         // "PRI * HTTP/2.0": HTTP/2 with prior knowledge
    error,              // framing error: error_reason() says which
};

struct ParseStep {
    std::size_t consumed = 0;
    Boundary boundary = Boundary::need_more;
};

class MessageParser {
public:
    explicit MessageParser(MessageKind kind);
    MessageParser(const MessageParser&) = delete;
    MessageParser& operator=(const MessageParser&) = delete;

    ParseStep parse(std::string_view input);
    // End of input: completes a close-delimited response body.
    ParseStep finish();
    // After Boundary::upgrade when the upgrade did not happen: parse HTTP again.
    void resume_after_upgrade();

    // For responses, set before the head of the next response is parsed:
    // a response to HEAD has no body whatever its headers say.
    void set_response_to_head(bool is_head) { response_to_head_ = is_head; }
    // Responses: also collect their header fields (headers()); by default a
    // response head is relayed as bytes and not read.
    void read_response_headers() { read_response_headers_ = true; }
    // Collect the de-chunked body of the current message, at most `limit`
    // bytes; body_overflowed() turns true when more arrived.
    void inspect_body(std::size_t limit);

    // The head of the current message (valid from headers_complete on).
    std::string_view method() const { return method_; }
    std::string_view target() const { return target_; }
    const std::vector<classifiers::Header>& headers() const { return headers_; }
    int http_major() const { return parser_.http_major; }
    int http_minor() const { return parser_.http_minor; }
    int status_code() const { return parser_.status_code; }
    bool has_body_framing() const;   // Content-Length > 0 or chunked
    // A Content-Length body (not chunked) of at most `limit` bytes.
    bool has_declared_length_at_most(std::uint64_t limit) const;
    bool is_chunked() const { return (parser_.flags & F_CHUNKED) != 0; }
    bool has_transfer_encoding() const { return (parser_.flags & F_TRANSFER_ENCODING) != 0; }
    bool is_upgrade() const { return parser_.upgrade != 0; }
    bool keep_alive() const { return llhttp_should_keep_alive(&parser_) != 0; }
    bool needs_eof() const { return llhttp_message_needs_eof(&parser_) != 0; }

    const std::string& inspected_body() const { return body_; }
    // The inspected body so far, handed over and cleared: a caller relaying a
    // de-chunked body (the HTTP/2 session's HTTP/1.1 upstream) takes it after
    // each parse() and inspects with no limit.
    std::string take_inspected_body() { return std::exchange(body_, std::string()); }
    bool body_overflowed() const { return body_overflowed_; }
    std::string error_reason() const;

private:
    friend struct MessageParserCallbacks;
    void begin_message();

    MessageKind kind_;
    llhttp_t parser_{};
    bool in_head_ = true;          // header callbacks belong to the head, not trailers
    bool response_to_head_ = false;
    bool read_response_headers_ = false;
    Boundary pending_boundary_ = Boundary::need_more;
    Boundary stuck_at_ = Boundary::need_more;  // upgrade, h2_preface or error: llhttp stays there
    std::string method_;
    std::string target_;
    std::string field_;
    std::string value_;
    std::vector<classifiers::Header> headers_;
    std::size_t body_limit_ = 0;
    bool inspecting_ = false;
    std::string body_;
    bool body_overflowed_ = false;
    std::string callback_failure_;
};

}  // namespace askfirst::http
