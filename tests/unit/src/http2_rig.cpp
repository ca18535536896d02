// tests/unit/src/http2_rig.cpp — the in-memory HTTP/2 rig (see http2_rig.h).
#include "tests/unit/src/http2_rig.h"

#include <cstring>
#include <variant>

namespace askfirst::http::testing {

namespace {

H2Peer& peer(void* user_data) { return *static_cast<H2Peer*>(user_data); }

std::vector<nghttp2_nv> nv_of(const Fields& fields) {
    std::vector<nghttp2_nv> nva;
    for (const auto& [name, value] : fields)
        nva.push_back({const_cast<std::uint8_t*>(reinterpret_cast<const std::uint8_t*>(name.data())),
                       const_cast<std::uint8_t*>(reinterpret_cast<const std::uint8_t*>(value.data())), name.size(),
                       value.size(), NGHTTP2_NV_FLAG_NONE});
    return nva;
}

int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name, std::size_t namelen,
              const std::uint8_t* value, std::size_t valuelen, std::uint8_t, void* user_data) {
    auto& seen = peer(user_data).seen[frame->hd.stream_id];
    std::pair<std::string, std::string> field{std::string(reinterpret_cast<const char*>(name), namelen),
                                              std::string(reinterpret_cast<const char*>(value), valuelen)};
    if (frame->headers.cat == NGHTTP2_HCAT_HEADERS && !seen.headers.empty()) seen.trailers.push_back(field);
    else seen.headers.push_back(field);
    return 0;
}

int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    H2Peer& p = peer(user_data);
    if (frame->hd.type == NGHTTP2_GOAWAY) {
        p.got_goaway = true;
        p.goaway_code = frame->goaway.error_code;
    }
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
        p.requests_in_order.push_back(frame->hd.stream_id);
    if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
        p.seen[frame->hd.stream_id].ended = true;
    if (frame->hd.type == NGHTTP2_RST_STREAM) p.seen[frame->hd.stream_id].reset = frame->rst_stream.error_code + 1;
    return 0;
}

int on_data(nghttp2_session*, std::uint8_t, std::int32_t stream_id, const std::uint8_t* data, std::size_t len,
            void* user_data) {
    peer(user_data).seen[stream_id].body.append(reinterpret_cast<const char*>(data), len);
    return 0;
}

ssize_t read_source(nghttp2_session* session, std::int32_t stream_id, std::uint8_t* buf, std::size_t length,
                    std::uint32_t* flags, nghttp2_data_source*, void* user_data) {
    auto& source = peer(user_data).sources[stream_id];
    const std::size_t n = std::min(length, source.bytes.size());
    std::memcpy(buf, source.bytes.data(), n);
    source.bytes.erase(0, n);
    if (source.bytes.empty() && source.end) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        if (!source.trailers.empty()) {
            *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
            auto nva = nv_of(source.trailers);
            nghttp2_submit_trailer(session, stream_id, nva.data(), nva.size());
        }
        return static_cast<ssize_t>(n);
    }
    return n == 0 ? static_cast<ssize_t>(NGHTTP2_ERR_DEFERRED) : static_cast<ssize_t>(n);
}

}  // namespace

H2Peer::H2Peer(bool server) {
    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, on_data);
    nghttp2_session* session = nullptr;
    if (server) nghttp2_session_server_new(&session, callbacks, this);
    else nghttp2_session_client_new(&session, callbacks, this);
    nghttp2_session_callbacks_del(callbacks);
    session_.reset(session);
    nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, nullptr, 0);
}

std::int32_t H2Peer::request(const Fields& headers, std::string body, bool end) {
    auto nva = nv_of(headers);
    nghttp2_data_provider provider{};
    provider.read_callback = read_source;
    const bool has_body = !body.empty() || !end;
    Source source{std::move(body), end, {}};
    const std::int32_t id =
        nghttp2_submit_request(session_.get(), nullptr, nva.data(), nva.size(), has_body ? &provider : nullptr, nullptr);
    sources[id] = std::move(source);
    return id;
}

void H2Peer::send_more(std::int32_t stream_id, std::string_view body, bool end) {
    auto& source = sources[stream_id];
    source.bytes.append(body);
    source.end = end;
    nghttp2_session_resume_data(session_.get(), stream_id);
}

void H2Peer::respond(std::int32_t stream_id, const Fields& headers, std::string body, Fields trailers) {
    auto nva = nv_of(headers);
    nghttp2_data_provider provider{};
    provider.read_callback = read_source;
    const bool has_body = !body.empty() || !trailers.empty();
    sources[stream_id] = Source{std::move(body), true, std::move(trailers)};
    nghttp2_submit_response(session_.get(), stream_id, nva.data(), nva.size(), has_body ? &provider : nullptr);
}

void H2Peer::reset(std::int32_t stream_id, std::uint32_t code) {
    nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, stream_id, code);
}

std::string H2Peer::take_output() {
    std::string out;
    for (;;) {
        const std::uint8_t* data = nullptr;
        const ssize_t n = nghttp2_session_mem_send(session_.get(), &data);
        if (n <= 0) break;
        out.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
    }
    return out;
}

void H2Peer::feed(std::string_view bytes) {
    nghttp2_session_mem_recv(session_.get(), reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

H2Rig::H2Rig(Http2Config config) : session(std::move(config)) {}

void H2Rig::collect(std::string* raw_out) {
    for (auto& output : session.take_outputs()) {
        if (auto* to_guest = std::get_if<SendToGuest>(&output)) {
            if (raw_out != nullptr) raw_out->append(to_guest->bytes);
            else guest.feed(to_guest->bytes);
        } else if (auto* to_upstream = std::get_if<SendToUpstream>(&output)) {
            bytes_to_upstream += to_upstream->bytes.size();
            ++upstream_writes;
            if (raw_upstream) upstream_wire += to_upstream->bytes;
            else upstream.feed(to_upstream->bytes);
        } else if (auto* decide = std::get_if<DecideRequest>(&output)) {
            decisions.push_back(std::move(*decide));
        } else if (auto* refusal = std::get_if<ProtocolRefusal>(&output)) {
            refusals.push_back(*refusal);
        } else if (auto* cancel = std::get_if<CancelDecision>(&output)) {
            cancelled.push_back(cancel->id);
        } else if (auto* close = std::get_if<CloseFlow>(&output)) {
            closed = true;
            close_reason = close->reason;
        }
    }
}

void H2Rig::pump() {
    for (int round = 0; round < 1000; ++round) {
        std::string from_guest = guest.take_output();
        if (!from_guest.empty()) session.on_guest_bytes(from_guest);
        collect();
        // The upstream connection exists once the session first wrote to it.
        std::string from_upstream = bytes_to_upstream > 0 && !raw_upstream ? upstream.take_output() : std::string();
        if (!from_upstream.empty()) session.on_upstream_bytes(from_upstream);
        collect();
        if (from_guest.empty() && from_upstream.empty()) return;
    }
}

std::string H2Rig::raw_guest(std::string_view bytes) {
    session.on_guest_bytes(bytes);
    std::string out;
    collect(&out);
    return out;
}

namespace http2_frames {

std::string frame(std::uint8_t type, std::uint8_t flags, std::int32_t stream_id, std::string_view payload) {
    std::string out;
    const std::size_t n = payload.size();
    out += static_cast<char>((n >> 16) & 0xff);
    out += static_cast<char>((n >> 8) & 0xff);
    out += static_cast<char>(n & 0xff);
    out += static_cast<char>(type);
    out += static_cast<char>(flags);
    const auto id = static_cast<std::uint32_t>(stream_id);
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((id >> shift) & 0xff);
    out.append(payload);
    return out;
}

std::string settings() { return frame(NGHTTP2_SETTINGS, 0, 0, ""); }

namespace {
// RFC 7541 §5.1 integer with an N-bit prefix.
void hpack_integer(std::string& out, std::uint8_t first_bits, int prefix_bits, std::size_t value) {
    const std::size_t max_prefix = (1u << prefix_bits) - 1;
    if (value < max_prefix) {
        out += static_cast<char>(first_bits | value);
        return;
    }
    out += static_cast<char>(first_bits | max_prefix);
    value -= max_prefix;
    while (value >= 128) {
        out += static_cast<char>((value & 0x7f) | 0x80);
        value >>= 7;
    }
    out += static_cast<char>(value);
}
}  // namespace

std::string hpack(const Fields& fields) {
    std::string out;
    for (const auto& [name, value] : fields) {
        out += '\0';  // literal header field without indexing, new name (RFC 7541 §6.2.2)
        hpack_integer(out, 0, 7, name.size());
        out += name;
        hpack_integer(out, 0, 7, value.size());
        out += value;
    }
    return out;
}

std::string headers(std::int32_t stream_id, const Fields& fields, bool end_stream) {
    return frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS | (end_stream ? NGHTTP2_FLAG_END_STREAM : 0), stream_id,
                 hpack(fields));
}

std::string data(std::int32_t stream_id, std::string_view payload, bool end_stream) {
    return frame(NGHTTP2_DATA, end_stream ? NGHTTP2_FLAG_END_STREAM : 0, stream_id, payload);
}

std::string rst_stream(std::int32_t stream_id, std::uint32_t code) {
    std::string payload;
    for (int shift = 24; shift >= 0; shift -= 8) payload += static_cast<char>((code >> shift) & 0xff);
    return frame(NGHTTP2_RST_STREAM, 0, stream_id, payload);
}

std::string ping(std::uint64_t opaque) {
    std::string payload;
    for (int shift = 56; shift >= 0; shift -= 8) payload += static_cast<char>((opaque >> shift) & 0xff);
    return frame(NGHTTP2_PING, 0, 0, payload);
}

std::vector<FrameSeen> parse(std::string_view bytes) {
    std::vector<FrameSeen> frames;
    while (bytes.size() >= 9) {
        const auto* b = reinterpret_cast<const std::uint8_t*>(bytes.data());
        const std::size_t length = (std::size_t{b[0]} << 16) | (std::size_t{b[1]} << 8) | b[2];
        if (bytes.size() < 9 + length) break;
        const std::int32_t id = static_cast<std::int32_t>(((std::uint32_t{b[5]} & 0x7f) << 24) |
                                                          (std::uint32_t{b[6]} << 16) | (std::uint32_t{b[7]} << 8) | b[8]);
        frames.push_back({b[3], b[4], id, std::string(bytes.substr(9, length))});
        bytes.remove_prefix(9 + length);
    }
    return frames;
}

}  // namespace http2_frames

}  // namespace askfirst::http::testing
