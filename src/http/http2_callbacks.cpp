// src/http/http2_callbacks.cpp — the C callbacks nghttp2 calls while the
// HTTP/2 session feeds it bytes or asks it for bytes: each one a trampoline
// into an Http2Session member (user_data is the session). No exception
// crosses into C (conventions.md): one that escapes a member fails the
// callback, and nghttp2 then ends the session.
#include <exception>
#include <string_view>

#include "src/http/http2_session.h"
#include "src/http/http2_stream.h"

namespace askfirst::http {

namespace {

Http2Session& session_of(void* user_data) { return *static_cast<Http2Session*>(user_data); }

std::string_view view(const std::uint8_t* bytes, std::size_t length) {
    return {reinterpret_cast<const char*>(bytes), length};
}

template <typename Call>
auto guarded(Call&& call) -> decltype(call()) {
    try {
        return call();
    } catch (const std::exception&) {
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
}

// ---- the guest side (server session) ----

int guest_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    return guarded([&] { return session_of(user_data).guest_begin_headers(*frame); });
}

int guest_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name, std::size_t name_length,
                 const std::uint8_t* value, std::size_t value_length, std::uint8_t, void* user_data) {
    return guarded([&] {
        return session_of(user_data).guest_header(frame->hd.stream_id, view(name, name_length),
                                                  view(value, value_length));
    });
}

int guest_invalid_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                         std::size_t name_length, const std::uint8_t*, std::size_t, std::uint8_t, void* user_data) {
    return guarded([&] { return session_of(user_data).guest_invalid_header(frame->hd.stream_id, view(name, name_length)); });
}

int guest_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    return guarded([&] { return session_of(user_data).guest_frame_recv(*frame); });
}

int guest_invalid_frame(nghttp2_session*, const nghttp2_frame* frame, int lib_error, void* user_data) {
    return guarded([&] { return session_of(user_data).guest_invalid_frame(*frame, lib_error); });
}

int guest_frame_sent(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    return guarded([&] { return session_of(user_data).guest_frame_sent(*frame); });
}

int guest_data_chunk(nghttp2_session*, std::uint8_t, std::int32_t stream_id, const std::uint8_t* data,
                     std::size_t length, void* user_data) {
    return guarded([&] { return session_of(user_data).guest_data_chunk(stream_id, view(data, length)); });
}

int guest_stream_close(nghttp2_session*, std::int32_t stream_id, std::uint32_t, void* user_data) {
    return guarded([&] { return session_of(user_data).guest_stream_close(stream_id); });
}

// ---- the upstream side (client session) ----

int upstream_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    return guarded([&] { return session_of(user_data).upstream_begin_headers(*frame); });
}

int upstream_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name, std::size_t name_length,
                    const std::uint8_t* value, std::size_t value_length, std::uint8_t, void* user_data) {
    return guarded([&] {
        return session_of(user_data).upstream_header(*frame, view(name, name_length), view(value, value_length));
    });
}

int upstream_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    return guarded([&] { return session_of(user_data).upstream_frame_recv(*frame); });
}

int upstream_data_chunk(nghttp2_session*, std::uint8_t, std::int32_t stream_id, const std::uint8_t* data,
                        std::size_t length, void* user_data) {
    return guarded([&] { return session_of(user_data).upstream_data_chunk(stream_id, view(data, length)); });
}

int upstream_stream_close(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code, void* user_data) {
    return guarded([&] { return session_of(user_data).upstream_stream_close(stream_id, error_code); });
}

}  // namespace

// The data providers' read callbacks (nghttp2_data_source_read_callback).
ssize_t read_response_for_guest(nghttp2_session*, std::int32_t stream_id, std::uint8_t* buffer, std::size_t length,
                                std::uint32_t* flags, nghttp2_data_source*, void* user_data) {
    return guarded([&]() -> ssize_t {
        return session_of(user_data).guest_read_response(stream_id, buffer, length, flags);
    });
}

ssize_t read_request_for_upstream(nghttp2_session*, std::int32_t stream_id, std::uint8_t* buffer, std::size_t length,
                                  std::uint32_t* flags, nghttp2_data_source*, void* user_data) {
    return guarded([&]() -> ssize_t {
        return session_of(user_data).upstream_read_request(stream_id, buffer, length, flags);
    });
}

Nghttp2Callbacks new_guest_callbacks() {
    Nghttp2Callbacks callbacks = new_nghttp2_callbacks();
    if (!callbacks) return callbacks;
    nghttp2_session_callbacks* c = callbacks.get();
    nghttp2_session_callbacks_set_on_begin_headers_callback(c, guest_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(c, guest_header);
    nghttp2_session_callbacks_set_on_invalid_header_callback(c, guest_invalid_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(c, guest_frame_recv);
    nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(c, guest_invalid_frame);
    nghttp2_session_callbacks_set_on_frame_send_callback(c, guest_frame_sent);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(c, guest_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(c, guest_stream_close);
    return callbacks;
}

Nghttp2Callbacks new_upstream_callbacks() {
    Nghttp2Callbacks callbacks = new_nghttp2_callbacks();
    if (!callbacks) return callbacks;
    nghttp2_session_callbacks* c = callbacks.get();
    nghttp2_session_callbacks_set_on_begin_headers_callback(c, upstream_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(c, upstream_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(c, upstream_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(c, upstream_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(c, upstream_stream_close);
    return callbacks;
}

}  // namespace askfirst::http
