// src/http/http2_session_upstream.cpp — the upstream side of the HTTP/2
// session: an nghttp2 client session over the one upstream connection,
// each passed stream submitted 1:1, its body taken from the guest as the
// upstream's flow control allows, and the response (headers, DATA,
// trailers — gRPC's grpc-status lives there) relayed to the guest's stream.
// Interface and limits: http2_session.h.
#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "src/http/http2_session.h"
#include "src/http/http2_stream.h"

namespace askfirst::http {

namespace {

// A response header block from the upstream; as for HTTP/1.1 responses.
constexpr std::size_t kMaxResponseHeaderBytes = kMaxResponseHeadBytes;

// `never_indexed`: fields sent as never-indexed literals (they carry a real credential).
std::vector<nghttp2_nv> as_nv(const Http2Session::HeaderList& headers,
                              const std::vector<std::string>& never_indexed = {}) {
    std::vector<nghttp2_nv> nva;
    nva.reserve(headers.size());
    for (const auto& [name, value] : headers) {
        const bool secret = std::find(never_indexed.begin(), never_indexed.end(), name) != never_indexed.end();
        nva.push_back(nghttp2_nv{const_cast<std::uint8_t*>(reinterpret_cast<const std::uint8_t*>(name.data())),
                                 const_cast<std::uint8_t*>(reinterpret_cast<const std::uint8_t*>(value.data())),
                                 name.size(), value.size(),
                                 static_cast<std::uint8_t>(secret ? NGHTTP2_NV_FLAG_NO_INDEX : NGHTTP2_NV_FLAG_NONE)});
    }
    return nva;
}

// nghttp2's allocator for the upstream session: what it frees is wiped first
// (its copy of a request's header fields, HPACK's buffers), as a real
// credential may have been in it. glibc tells a block's size.
void* wiping_malloc(std::size_t size, void*) { return std::malloc(size); }
void* wiping_calloc(std::size_t count, std::size_t size, void*) { return std::calloc(count, size); }
void wiping_free(void* block, void*) {
    if (block == nullptr) return;
    wipe_bytes(block, malloc_usable_size(block));
    std::free(block);
}
void* wiping_realloc(void* block, std::size_t size, void*) {
    if (block == nullptr) return std::malloc(size);
    if (size == 0) {
        wiping_free(block, nullptr);
        return nullptr;
    }
    void* grown = std::malloc(size);
    if (grown == nullptr) return nullptr;
    std::memcpy(grown, block, std::min(size, malloc_usable_size(block)));
    wiping_free(block, nullptr);
    return grown;
}
nghttp2_mem wiping_allocator{nullptr, wiping_malloc, wiping_free, wiping_calloc, wiping_realloc};

bool connection_specific(std::string_view name) {
    for (std::string_view banned : {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"})
        if (name == banned) return true;
    return false;
}

}  // namespace

Http2Session::HeaderList h2_fields_of(std::string_view header_lines) {
    Http2Session::HeaderList fields;
    while (!header_lines.empty()) {
        const std::size_t end = header_lines.find("\r\n");
        std::string_view line = header_lines.substr(0, end);
        header_lines.remove_prefix(end == std::string_view::npos ? header_lines.size() : end + 2);
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) continue;
        std::string name;
        for (char c : line.substr(0, colon)) name += classifiers::ascii_lower(c);
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
        if (!connection_specific(name)) fields.emplace_back(std::move(name), std::string(value));
    }
    return fields;
}

Http2Session::Stream* Http2Session::find_by_upstream(std::int32_t upstream_id) {
    auto it = guest_id_by_upstream_.find(upstream_id);
    return it == guest_id_by_upstream_.end() ? nullptr : find_stream(it->second);
}

bool Http2Session::start_upstream_session() {
    Nghttp2Callbacks callbacks = new_upstream_callbacks();
    Nghttp2Option option = new_nghttp2_option();
    if (!callbacks || !option) return false;
    nghttp2_option_set_no_auto_window_update(option.get(), 1);  // a slow guest keeps the upstream's window closed
    nghttp2_session* session = nullptr;
    if (nghttp2_session_client_new3(&session, callbacks.get(), this, option.get(), &wiping_allocator) != 0) return false;
    upstream_.reset(session);
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<std::uint32_t>(kH2StreamWindow)},
    };
    nghttp2_submit_settings(upstream_.get(), NGHTTP2_FLAG_NONE, settings, std::size(settings));
    nghttp2_session_set_local_window_size(upstream_.get(), NGHTTP2_FLAG_NONE, 0, kH2ConnectionWindow);
    return true;
}

// A passed stream goes upstream, in the protocol the upstream speaks.
void Http2Session::submit_upstream_request(Stream& stream) {
    switch (upstream_protocol_) {
        case UpstreamProtocol::unknown:
            if (!upstream_requested_) emit(SendToUpstream{});  // asks the shell for the connection
            upstream_requested_ = true;
            awaiting_upstream_.push_back(stream.id);
            return;
        case UpstreamProtocol::http2:
            submit_h2_request(stream);
            return;
        case UpstreamProtocol::http1:
            h1_queue_.push_back(stream.id);
            h1_send_next();
            return;
    }
}

void Http2Session::on_upstream_protocol(UpstreamProtocol protocol) {
    if (closed_ || upstream_protocol_ != UpstreamProtocol::unknown || protocol == UpstreamProtocol::unknown) return;
    upstream_protocol_ = protocol;
    for (std::int32_t id : std::exchange(awaiting_upstream_, {})) {
        Stream* stream = find_stream(id);
        if (stream != nullptr && stream->verdict == Stream::Verdict::pass && upstream_failure_.empty())
            submit_upstream_request(*stream);
    }
    if (!early_upstream_bytes_.empty()) on_upstream_bytes(std::exchange(early_upstream_bytes_, {}));
    flush();
}

// More of a passed stream's body (or its end) is here.
void Http2Session::upstream_body_available(Stream& stream) {
    if (stream.verdict != Stream::Verdict::pass) return;
    if (upstream_protocol_ == UpstreamProtocol::http2 && upstream_ && stream.upstream_id > 0)
        nghttp2_session_resume_data(upstream_.get(), stream.upstream_id);
    else if (upstream_protocol_ == UpstreamProtocol::http1 && stream.id == h1_current_)
        h1_send_body(stream);
}

// Up to `at_most` of the guest's body bytes: the guest's window reopens by
// what was not already consumed while inspecting.
std::string Http2Session::take_guest_body(Stream& stream, std::size_t at_most) {
    const std::size_t n = std::min(at_most, stream.body_out.size());
    std::string taken = stream.body_out.substr(0, n);
    stream.body_out.erase(0, n);
    const std::size_t already = std::min(n, stream.body_out_consumed);
    stream.body_out_consumed -= already;
    if (n > already) nghttp2_session_consume(guest_.get(), stream.id, n - already);
    return taken;
}

// Up to `at_most` body bytes leave for the upstream. With a body rewriter,
// the guest's bytes go through it first (as many as it takes to have
// `at_most` out, or all there are: it may hold a chunk back until it is
// whole). On its failure: "" and stream.rewrite_failure set; also when the
// guest's body ended inside a chunk it holds.
std::string Http2Session::take_body_out(Stream& stream, std::size_t at_most) {
    if (!stream.body_rewriter) return take_guest_body(stream, at_most);
    while (stream.rewritten_out.size() < at_most && !stream.body_out.empty()) {
        const std::string raw = take_guest_body(stream, at_most);
        const std::string out = stream.body_rewriter->rewrite(raw);
        if (!stream.body_rewriter->failure().empty()) {
            stream.rewrite_failure = stream.body_rewriter->failure();
            stream.body_rewriter.reset();
            wipe_string(stream.rewritten_out);
            stream.rewritten_out.clear();
            return "";
        }
        stream.rewriter_held = stream.rewriter_held + raw.size() - out.size();
        stream.rewritten_out += out;
    }
    if (stream.guest_ended && stream.body_out.empty() && stream.rewriter_held > 0) {
        stream.rewrite_failure = "the aws-chunked body ended inside a chunk: nothing of that chunk was sent";
        stream.body_rewriter.reset();
        return "";
    }
    const std::size_t n = std::min(at_most, stream.rewritten_out.size());
    std::string taken = stream.rewritten_out.substr(0, n);
    stream.rewritten_out.erase(0, n);
    return taken;
}

// HTTP/2 upstream: the header fields as the guest sent them (nghttp2
// checked them), the body as it comes.
void Http2Session::submit_h2_request(Stream& stream) {
    if (!upstream_ && !start_upstream_session()) {
        answer_locally(stream, 502, "cannot start the HTTP/2 session to the upstream");
        return;
    }
    const std::vector<nghttp2_nv> nva = as_nv(stream.request_headers, stream.secret_fields);
    nghttp2_data_provider body{};
    body.read_callback = read_request_for_upstream;
    const bool has_body = !stream.guest_ended || !stream.body_out.empty() || !stream.request_trailers.empty();
    const std::int32_t upstream_id =
        nghttp2_submit_request(upstream_.get(), nullptr, nva.data(), nva.size(), has_body ? &body : nullptr, nullptr);
    if (upstream_id < 0) {
        answer_locally(stream, 502, std::string("the upstream HTTP/2 session refused the request: ") +
                                        nghttp2_strerror(upstream_id));
        return;
    }
    stream.upstream_id = upstream_id;
    guest_id_by_upstream_[upstream_id] = stream.id;
    wipe_fields(stream.request_headers);  // nghttp2 copied them (its copy is freed wiped)
}

ssize_t Http2Session::upstream_read_request(std::int32_t upstream_id, std::uint8_t* buffer, std::size_t length,
                                            std::uint32_t* flags) {
    Stream* stream = find_by_upstream(upstream_id);
    if (stream == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    const std::string taken = take_body_out(*stream, length);
    // A re-signing that failed: the upstream stream is reset (it never gets the
    // rest), and upstream_stream_close answers the guest with the reason.
    if (!stream->rewrite_failure.empty()) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    const std::size_t n = taken.size();
    std::memcpy(buffer, taken.data(), n);
    if (stream->body_out.empty() && stream->rewritten_out.empty() && stream->guest_ended) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        if (!stream->request_trailers.empty()) {
            *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
            const std::vector<nghttp2_nv> nva = as_nv(stream->request_trailers);
            nghttp2_submit_trailer(upstream_.get(), upstream_id, nva.data(), nva.size());
        }
        return static_cast<ssize_t>(n);
    }
    return n == 0 ? static_cast<ssize_t>(NGHTTP2_ERR_DEFERRED) : static_cast<ssize_t>(n);
}

// ---- responses ----

int Http2Session::upstream_begin_headers(const nghttp2_frame& frame) {
    if (Stream* stream = find_by_upstream(frame.hd.stream_id)) {
        if (!stream->final_response_seen) stream->response_headers.clear();  // after a 1xx, the next block
    }
    return 0;
}

int Http2Session::upstream_header(const nghttp2_frame& frame, std::string_view name, std::string_view value) {
    Stream* stream = find_by_upstream(frame.hd.stream_id);
    if (stream == nullptr) return 0;
    stream->response_header_bytes += name.size() + value.size() + 32;
    if (stream->response_header_bytes > kMaxResponseHeaderBytes) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    (stream->final_response_seen ? stream->response_trailers : stream->response_headers).emplace_back(name, value);
    return 0;
}

int Http2Session::upstream_frame_recv(const nghttp2_frame& frame) {
    Stream* stream = find_by_upstream(frame.hd.stream_id);
    if (stream == nullptr) return 0;
    const bool end_stream = (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (frame.hd.type == NGHTTP2_HEADERS) {
        if (!stream->final_response_seen) {
            const std::string& status = stream->response_headers.empty() ? std::string() : stream->response_headers[0].second;
            if (status.size() == 3 && status[0] == '1') {  // interim: not relayed (the guest's 100-continue is its own)
                stream->response_headers.clear();
                return 0;
            }
            stream->final_response_seen = true;
            stream->response_ended = end_stream;
            submit_guest_response(*stream, stream->response_headers, !end_stream);
            stream->response_headers.clear();
            return 0;
        }
        stream->response_ended = true;  // trailers end the stream
    } else if (frame.hd.type == NGHTTP2_DATA && end_stream) {
        stream->response_ended = true;
    } else {
        return 0;
    }
    nghttp2_session_resume_data(guest_.get(), stream->id);
    return 0;
}

int Http2Session::upstream_data_chunk(std::int32_t upstream_id, std::string_view data) {
    Stream* stream = find_by_upstream(upstream_id);
    if (stream == nullptr) {
        nghttp2_session_consume(upstream_.get(), upstream_id, data.size());  // nobody to give it to
        return 0;
    }
    stream->response_body.append(data);
    nghttp2_session_resume_data(guest_.get(), stream->id);
    return 0;
}

int Http2Session::upstream_stream_close(std::int32_t upstream_id, std::uint32_t error_code) {
    Stream* stream = find_by_upstream(upstream_id);
    guest_id_by_upstream_.erase(upstream_id);
    if (stream == nullptr) return 0;
    stream->upstream_closed = true;
    if (!stream->rewrite_failure.empty() && !stream->answered) {
        answer_locally(*stream, 502, stream->rewrite_failure);
    } else if (!stream->response_ended) {
        // Reset (or gone) before its response was whole: the guest's stream ends the same way.
        nghttp2_submit_rst_stream(guest_.get(), NGHTTP2_FLAG_NONE, stream->id,
                                  error_code != NGHTTP2_NO_ERROR ? error_code : static_cast<std::uint32_t>(NGHTTP2_INTERNAL_ERROR));
    }
    return 0;
}

void Http2Session::submit_guest_response(Stream& stream, const HeaderList& headers, bool with_body) {
    stream.answered = true;
    const std::vector<nghttp2_nv> nva = as_nv(headers);
    nghttp2_data_provider body{};
    body.read_callback = read_response_for_guest;
    nghttp2_submit_response(guest_.get(), stream.id, nva.data(), nva.size(), with_body ? &body : nullptr);
}

ssize_t Http2Session::guest_read_response(std::int32_t stream_id, std::uint8_t* buffer, std::size_t length,
                                          std::uint32_t* flags) {
    Stream* stream = find_stream(stream_id);
    if (stream == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    const std::size_t n = std::min(length, stream->response_body.size());
    std::memcpy(buffer, stream->response_body.data(), n);
    stream->response_body.erase(0, n);
    if (n > 0 && stream->upstream_id > 0 && upstream_) nghttp2_session_consume(upstream_.get(), stream->upstream_id, n);
    if (stream->response_body.empty() && stream->response_ended) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        if (!stream->response_trailers.empty()) {
            *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
            const std::vector<nghttp2_nv> nva = as_nv(stream->response_trailers);
            nghttp2_submit_trailer(guest_.get(), stream_id, nva.data(), nva.size());
        }
        return static_cast<ssize_t>(n);
    }
    return n == 0 ? static_cast<ssize_t>(NGHTTP2_ERR_DEFERRED) : static_cast<ssize_t>(n);
}

// ---- the upstream connection ----

void Http2Session::on_upstream_bytes(std::string_view bytes) {
    if (closed_ || bytes.empty()) return;
    if (upstream_protocol_ == UpstreamProtocol::unknown) {  // the shell told the ALPN late: keep them
        early_upstream_bytes_.append(bytes);
        return;
    }
    if (upstream_protocol_ == UpstreamProtocol::http1) {
        h1_parse(bytes, false);
        flush();
        return;
    }
    if (!upstream_) return;
    const ssize_t rv = nghttp2_session_mem_recv(upstream_.get(), reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                                bytes.size());
    if (rv < 0) {
        fail_upstream_streams(std::string("the upstream's HTTP/2 was refused: ") + nghttp2_strerror(static_cast<int>(rv)));
    } else if (!nghttp2_session_want_read(upstream_.get()) && !nghttp2_session_want_write(upstream_.get())) {
        fail_upstream_streams("the upstream ended the HTTP/2 session");
    }
    flush();
}

void Http2Session::on_upstream_eof() {
    if (closed_ || upstream_eof_) return;
    upstream_eof_ = true;
    if (upstream_protocol_ == UpstreamProtocol::http1) h1_parse({}, true);  // ends a close-delimited response
    fail_upstream_streams("the upstream closed the connection");
    flush();
}

void Http2Session::on_upstream_failed(std::string_view reason) {
    if (closed_) return;
    fail_upstream_streams(std::string(reason));
    flush();
}

// The upstream is gone: streams still owed a response get a 502 (or, when
// their response had begun, a reset); streams passed later get a 502 too.
void Http2Session::fail_upstream_streams(const std::string& reason) {
    if (!upstream_failure_.empty()) return;
    upstream_failure_ = reason;
    h1_queue_.clear();
    h1_current_ = 0;
    for (auto& [id, stream] : streams_) {
        if (stream->verdict != Stream::Verdict::pass || stream->response_ended) continue;
        if (stream->upstream_id > 0) guest_id_by_upstream_.erase(stream->upstream_id);
        stream->upstream_id = 0;
        stream->upstream_closed = true;
        if (stream->answered) {
            nghttp2_submit_rst_stream(guest_.get(), NGHTTP2_FLAG_NONE, id, NGHTTP2_INTERNAL_ERROR);
        } else {
            answer_locally(*stream, 502, reason);
        }
    }
    upstream_.reset();
}

}  // namespace askfirst::http
