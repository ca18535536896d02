// src/http/http2_stream.h — one stream of the HTTP/2 session
// (src/http/http2_session.h): the guest's request, its verdict, the body
// bytes on their way upstream and the response on its way to the guest.
// Internal to the session's files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <vector>

#include "classifiers/classification.h"
#include "src/http/head_edits.h"
#include "src/http/http2_session.h"

namespace askfirst::http {

struct Http2Session::Stream {
    enum class Verdict { pending, pass, refuse };

    std::int32_t id = 0;             // the guest's stream id (also the RequestId)
    std::int32_t upstream_id = 0;    // 0 until submitted upstream
    Verdict verdict = Verdict::pending;
    bool decide_emitted = false;
    bool header_refused = false;     // reset with PROTOCOL_ERROR: nothing more of it is read
    bool inspecting = false;         // the classifier needs the body: it is read before the decision
    bool in_trailers = false;        // the guest's second header block
    bool guest_ended = false;        // END_STREAM from the guest
    std::size_t header_bytes = 0;    // RFC 9113 §6.5.2 accounting of the request's header blocks
    std::size_t header_fields = 0;
    HeaderList request_headers;      // as received, pseudo-headers first (nghttp2 checked their order)
    HeaderList request_trailers;
    // Fields the credential broker's edits put a real secret into (lower
    // case; ":path" for the target): sent never-indexed (RFC 7541 §7.1.3),
    // so no HPACK table on either side keeps them, and wiped once handed
    // upstream (request_headers are wiped then; ~Stream wipes what is left).
    std::vector<std::string> secret_fields;
    classifiers::HttpRequest request;

    // Guest body not yet taken by the upstream session. Its first
    // body_out_consumed bytes were already consumed (their window reopened,
    // while inspecting); the rest is consumed as the upstream takes it.
    std::string body_out;
    std::size_t body_out_consumed = 0;
    std::size_t inspected = 0;
    // A passed aws-chunked upload re-signed as it streams (head_edits.h's
    // BodyRewriter): body_out goes through it; what it let out waits in
    // rewritten_out; rewriter_held counts what it holds back (a chunk not
    // yet whole). rewrite_failure: why it stopped (the stream gets a 502).
    std::shared_ptr<BodyRewriter> body_rewriter;
    std::string rewritten_out;
    std::size_t rewriter_held = 0;
    std::string rewrite_failure;

    // The response, ours or the upstream's.
    bool answered = false;           // response headers submitted to the guest
    bool final_response_seen = false;
    std::size_t response_header_bytes = 0;
    HeaderList response_headers;
    HeaderList response_trailers;
    std::string response_body;       // not yet sent to the guest
    bool response_ended = false;     // nothing more will be appended
    bool upstream_closed = false;

    Stream() = default;
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
    ~Stream() {
        wipe_fields(request_headers);
        wipe_fields(request_trailers);
    }
};

// "Name: value\r\n" lines (LocalResponse::extra_headers, our own values) as
// HTTP/2 fields: names lower-cased, connection-specific ones dropped.
Http2Session::HeaderList h2_fields_of(std::string_view header_lines);

}  // namespace askfirst::http

namespace askfirst::http {

// The two sides' nghttp2 callbacks (src/http/http2_callbacks.cpp): C
// trampolines into Http2Session's members, user_data is the session.
Nghttp2Callbacks new_guest_callbacks();
Nghttp2Callbacks new_upstream_callbacks();
// The data providers' read callbacks: a response body to the guest, a request body upstream.
ssize_t read_response_for_guest(nghttp2_session*, std::int32_t stream_id, std::uint8_t* buffer, std::size_t length,
                                std::uint32_t* flags, nghttp2_data_source*, void* user_data);
ssize_t read_request_for_upstream(nghttp2_session*, std::int32_t stream_id, std::uint8_t* buffer, std::size_t length,
                                  std::uint32_t* flags, nghttp2_data_source*, void* user_data);

}  // namespace askfirst::http
