// tls/protocol_detect.h — which protocol a guest TCP flow speaks, judged from
// its first bytes (sans-io). The flow shell in src/ buffers what the guest
// sent so far and asks again after every segment:
//
//   on guest data:   result = detect_protocol(all bytes received so far)
//                    need_more → keep buffering (do not connect upstream yet)
//                    tls_client_hello → parse_client_hello() (tls/client_hello.h)
//                    http1 → plain HTTP session; http2_prior_knowledge, opaque → opaque flow
//   on timer:        no byte at all after kServerSpeaksFirstTimeout → dial the
//                    upstream and let the first side to speak decide: the
//                    server's banner (SMTP, MySQL, FTP, SSH) → opaque; the
//                    guest's bytes → detection as above (src/intercepting_pipeline.h).
//
// A verdict never changes once given for a prefix: more bytes only turn
// need_more into one of the others. Detection is strict (a whole HTTP/1
// request line, not just a word and a space) so that an SSH banner
// ("SSH-2.0-OpenSSH_9.2p1 Debian") is not mistaken for HTTP.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

namespace askfirst::tls {

enum class DetectedProtocol {
    need_more,              // every byte so far fits some protocol: wait for more
    tls_client_hello,       // a TLS handshake record carrying a ClientHello
    http1,                  // "METHOD SP target SP HTTP/1.x CRLF"
    http2_prior_knowledge,  // the 24-byte HTTP/2 connection preface
    opaque,                 // none of the above
};

const char* protocol_name(DetectedProtocol protocol);

// How long a flow may stay silent before the upstream is dialed to see
// whether the server speaks first. Client-first protocols send within
// milliseconds of the TCP handshake on real hardware, but a TCG-emulated
// guest on a loaded host was measured here taking over a second between
// connect and ClientHello (curl loading its CA bundle). Three seconds keeps
// the early dial off nearly every client-first flow, at the price of
// delaying the banner of a server-first protocol (SSH, SMTP, MySQL) once per
// connection. A guest later than this is still detected: the dial commits
// to nothing until one side speaks.
constexpr std::chrono::milliseconds kServerSpeaksFirstTimeout{3000};

// Bytes after which an unfinished HTTP/1 request line is no longer waited
// for (nginx's large_client_header_buffers default line size: 8 KiB).
constexpr std::size_t kMaxRequestLineBytes = 8192;

DetectedProtocol detect_protocol(std::span<const std::uint8_t> first_bytes);

// The recognisers behind detect_protocol(), one per protocol, for the flow
// pipeline's detector table (src/first_bytes_detection.h). Each answers for
// the bytes so far; an answer other than need_more never changes for a
// longer prefix.
enum class Fit { match, no, need_more };
Fit fits_tls_client_hello(std::span<const std::uint8_t> bytes);
Fit fits_http2_preface(std::span<const std::uint8_t> bytes);
Fit fits_http1_request_line(std::span<const std::uint8_t> bytes);

}  // namespace askfirst::tls
