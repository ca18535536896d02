// src/http/http2_session_http1_upstream.cpp — an HTTP/2 guest in front of an
// upstream that speaks only HTTP/1.1 (TLS whose ALPN did not choose h2):
// each passed stream becomes one HTTP/1.1 request on the upstream
// connection, in turn (no pipelining), and its response (parsed by llhttp,
// the same strict parser as the HTTP/1.1 session) becomes the stream's
// HTTP/2 response. Interface and limits: http2_session.h.
#include <cstdio>
#include <limits>

#include "src/http/http2_session.h"
#include "src/http/http2_stream.h"

namespace askfirst::http {

namespace {

// Hop-by-hop fields (RFC 9110 §7.6.1) never cross between the two protocols.
bool hop_by_hop(std::string_view name) {
    for (std::string_view banned : {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
                                    "te", "trailer", "host"})
        if (classifiers::equals_ignoring_ascii_case(name, banned)) return true;
    return false;
}

std::string header_value(const Http2Session::HeaderList& headers, std::string_view name) {
    for (const auto& [n, v] : headers)
        if (n == name) return v;
    return {};
}

std::string chunk(std::string_view bytes) {
    char size[24];
    std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
    return size + std::string(bytes) + "\r\n";
}

}  // namespace

void Http2Session::h1_send_next() {
    while (h1_current_ == 0 && !h1_queue_.empty() && upstream_failure_.empty()) {
        const std::int32_t id = h1_queue_.front();
        h1_queue_.pop_front();
        Stream* stream = find_stream(id);
        if (stream == nullptr || stream->verdict != Stream::Verdict::pass) continue;
        h1_current_ = id;
        h1_request_done_ = false;
        const std::string method = header_value(stream->request_headers, ":method");
        std::string authority = header_value(stream->request_headers, ":authority");
        if (authority.empty()) authority = header_value(stream->request_headers, "host");
        // Built in one buffer big enough for it all: the fields may carry a
        // real credential, and a string that grows leaves copies behind.
        std::string path = header_value(stream->request_headers, ":path");
        std::size_t size = 64 + method.size() + authority.size() + path.size();
        for (const auto& [name, value] : stream->request_headers) size += name.size() + value.size() + 4;
        std::string head;
        head.reserve(size);
        head.append(method).append(" ").append(path);
        wipe_string(path);
        head.append(" HTTP/1.1\r\nHost: ").append(authority).append("\r\n");
        bool has_length = false;
        for (const auto& [name, value] : stream->request_headers) {
            if (name.starts_with(':') || hop_by_hop(name)) continue;
            if (name == "content-length") has_length = true;
            head.append(name).append(": ").append(value).append("\r\n");
        }
        h1_chunked_ = false;
        if (!has_length) {
            if (stream->guest_ended && stream->request_trailers.empty()) {
                if (!stream->body_out.empty()) head += "Content-Length: " + std::to_string(stream->body_out.size()) + "\r\n";
            } else {
                head += "Transfer-Encoding: chunked\r\n";
                h1_chunked_ = true;
            }
        }
        append_wiping(head, "\r\n");
        wipe_fields(stream->request_headers);  // in `head` now
        emit(SendToUpstream{std::move(head)});
        h1_response_.set_response_to_head(method == "HEAD");
        h1_send_body(*stream);
    }
}

void Http2Session::h1_send_body(Stream& stream) {
    if (h1_request_done_) return;
    std::string body = take_body_out(stream, std::numeric_limits<std::size_t>::max());
    if (!stream.rewrite_failure.empty()) {
        // A re-signing that failed: that connection has part of a body and gets no more.
        fail_upstream_streams(stream.rewrite_failure);
        return;
    }
    std::string out = h1_chunked_ && !body.empty() ? chunk(body) : std::move(body);
    if (stream.guest_ended) {
        h1_request_done_ = true;
        if (h1_chunked_) {
            out += "0\r\n";
            for (const auto& [name, value] : stream.request_trailers)
                if (!hop_by_hop(name)) out += name + ": " + value + "\r\n";
            out += "\r\n";
        }
    }
    if (!out.empty()) emit(SendToUpstream{std::move(out)});
}

void Http2Session::h1_parse(std::string_view bytes, bool at_eof) {
    for (;;) {
        const ParseStep step = h1_response_.parse(bytes);
        bytes.remove_prefix(step.consumed);
        if (!h1_response_step(step)) return;
        if (step.boundary == Boundary::need_more) break;
    }
    if (at_eof) h1_response_step(h1_response_.finish());
}

// One parse step of the upstream's response; false when parsing must stop.
bool Http2Session::h1_response_step(ParseStep step) {
    Stream* stream = h1_current_ > 0 ? find_stream(h1_current_) : nullptr;  // null: the guest reset it
    std::string body = h1_response_.take_inspected_body();
    if (stream != nullptr && !body.empty() && !h1_interim_) {
        stream->response_body += body;
        nghttp2_session_resume_data(guest_.get(), stream->id);
    }
    switch (step.boundary) {
        case Boundary::need_more:
        case Boundary::trailers_begin:
            return true;
        case Boundary::headers_complete:
            if (h1_current_ == 0) {
                fail_upstream_streams("the upstream sent a response no request asked for");
                return false;
            }
            h1_interim_ = h1_response_.status_code() < 200;
            if (!h1_interim_) h1_response_head(stream);
            h1_response_.inspect_body(std::numeric_limits<std::size_t>::max());
            return true;
        case Boundary::message_complete: {
            if (h1_interim_) {
                h1_interim_ = false;
                return true;
            }
            if (stream != nullptr) {
                stream->response_ended = true;
                nghttp2_session_resume_data(guest_.get(), stream->id);
            }
            h1_current_ = 0;
            if (!h1_response_.keep_alive()) {
                fail_upstream_streams("the upstream closed its HTTP/1.1 connection after a response");
                return false;
            }
            h1_send_next();
            return true;
        }
        default:
            fail_upstream_streams("the upstream's HTTP/1.1 response was refused: " + h1_response_.error_reason());
            return false;
    }
}

void Http2Session::h1_response_head(Stream* stream) {
    if (stream == nullptr) return;
    HeaderList headers{{":status", std::to_string(h1_response_.status_code())}};
    for (const auto& header : h1_response_.headers()) {
        if (hop_by_hop(header.name)) continue;
        std::string name;
        for (char c : header.name) name += classifiers::ascii_lower(c);
        headers.emplace_back(std::move(name), header.value);
    }
    stream->final_response_seen = true;
    submit_guest_response(*stream, headers, true);
}

}  // namespace askfirst::http
