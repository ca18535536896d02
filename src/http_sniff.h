// src/http_sniff.h — does a plaintext flow speak HTTP/1.x? The flow shell
// asks this of a new flow's first guest bytes (after ruling out a TLS
// ClientHello) to choose between an HttpSession and an opaque relay judged
// by destination (../shared/design.md, "The path of one request").
//
// HTTP/1.x starts with a method token and a space (RFC 9112 §3). The token
// is checked by shape, not against a list, so that unusual methods (PROPFIND,
// PURGE) still get an HttpSession — which then judges or refuses them; the
// HTTP/2 preface "PRI * HTTP/2.0" also counts, so the session refuses it.
#pragma once

#include <cstddef>
#include <string_view>

namespace askfirst::http {

// The longest method we wait for before deciding a flow is not HTTP
// (registered methods are at most 17 bytes: "VERSION-CONTROL" is 15,
// "BASELINE-CONTROL" 16).
inline constexpr std::size_t kMaxSniffedMethodBytes = 20;

enum class Http1Sniff { http, not_http, need_more };

Http1Sniff sniff_http1(std::string_view first_bytes);

}  // namespace askfirst::http
