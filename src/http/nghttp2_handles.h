// src/http/nghttp2_handles.h — one RAII owner per nghttp2 handle (session,
// callbacks, options), so that nothing else frees them (conventions.md, the
// model is tls/mbedtls_handles.h). Used by the HTTP/2 session only.
#pragma once

#include <memory>

#include <nghttp2/nghttp2.h>

namespace askfirst::http {

struct Nghttp2SessionDeleter {
    void operator()(nghttp2_session* session) const { nghttp2_session_del(session); }
};
using Nghttp2Session = std::unique_ptr<nghttp2_session, Nghttp2SessionDeleter>;

struct Nghttp2CallbacksDeleter {
    void operator()(nghttp2_session_callbacks* callbacks) const { nghttp2_session_callbacks_del(callbacks); }
};
using Nghttp2Callbacks = std::unique_ptr<nghttp2_session_callbacks, Nghttp2CallbacksDeleter>;

struct Nghttp2OptionDeleter {
    void operator()(nghttp2_option* option) const { nghttp2_option_del(option); }
};
using Nghttp2Option = std::unique_ptr<nghttp2_option, Nghttp2OptionDeleter>;

inline Nghttp2Callbacks new_nghttp2_callbacks() {
    nghttp2_session_callbacks* callbacks = nullptr;
    if (nghttp2_session_callbacks_new(&callbacks) != 0) return nullptr;
    return Nghttp2Callbacks(callbacks);
}

inline Nghttp2Option new_nghttp2_option() {
    nghttp2_option* option = nullptr;
    if (nghttp2_option_new(&option) != 0) return nullptr;
    return Nghttp2Option(option);
}

}  // namespace askfirst::http
