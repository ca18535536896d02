// tls/protocol_detect.h — recognisers of a guest flow's first message
// (sans-io), used by the detector table in src/first_bytes_detection.h,
// which buffers what the guest sent so far and asks again after every
// segment; and the timing of the "who speaks first" probe
// (src/intercepting_pipeline.h).
//
// A verdict never changes once given for a prefix: more bytes only turn
// need_more into one of the others. Detection is strict (a whole HTTP/1
// request line, not just a word and a space) so that an SSH banner
// ("SSH-2.0-OpenSSH_9.2p1 Debian") is not mistaken for HTTP; the one
// exception is a registered HTTP method and a blank (fits_lenient_http1_start),
// since a lenient server would act on what follows.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

namespace askfirst::tls {

// How long a flow may stay silent before the upstream is dialed to see
// whether the server speaks first. A server-first protocol (SSH, SMTP,
// MySQL) waits this long for its banner on every connection: at 3 s, an
// unlisted MariaDB took 3025 ms from connect to greeting (test_mysql.py), a
// tax on every ORM connection. Client-first protocols send within
// milliseconds of the TCP handshake on real hardware; a TCG-emulated guest
// on a loaded host was measured taking over a second to its ClientHello.
// Such a slow client now meets the early dial, which costs it nothing but
// an upstream connection opened before its request is judged: the dial
// commits to nothing until one side speaks, the guest's late bytes are
// still detected (and use the dialed connection), nothing crosses either
// way before a verdict. 250 ms is far above a native client's first write
// and well below what a person notices per connection.
constexpr std::chrono::milliseconds kServerSpeaksFirstTimeout{250};

// Bytes after which an unfinished HTTP/1 request line is no longer waited
// for (nginx's large_client_header_buffers default line size: 8 KiB).
constexpr std::size_t kMaxRequestLineBytes = 8192;

// The recognisers, one per protocol, for the flow pipeline's detector table
// (src/first_bytes_detection.h). Each answers for the bytes so far; an
// answer other than need_more never changes for a longer prefix.
enum class Fit { match, no, need_more };
// RFC 8446 §5.1: a handshake record whose fragment starts a ClientHello.
Fit fits_tls_client_hello(std::span<const std::uint8_t> bytes);
// RFC 9113 §3.4: the 24-byte HTTP/2 client connection preface.
Fit fits_http2_preface(std::span<const std::uint8_t> bytes);
// RFC 9112 §3: "METHOD SP target SP HTTP/1.x CRLF", at most kMaxRequestLineBytes.
Fit fits_http1_request_line(std::span<const std::uint8_t> bytes);
// What a lenient server would still take for a request once the strict
// line above says no (need_more while it waits, no when it matches): leading empty lines (RFC 9112 §2.2 lets servers skip
// them; nginx skips any number), then a registered method (IANA registry)
// and a space or tab, whatever follows (two spaces, a lower-case version, a
// bare LF, obs-text in the target). Judged opaque, such bytes were spliced
// unread to a server that acts on them: a `DELETE /index` with LF line ends
// passed block-destructive as a "tcp" write. They go to the HTTP session,
// whose strict parser refuses what is ambiguous (400).
Fit fits_lenient_http1_start(std::span<const std::uint8_t> bytes);

}  // namespace askfirst::tls
