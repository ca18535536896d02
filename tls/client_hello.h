// tls/client_hello.h — a strict, allocation-light parser for the TLS
// ClientHello that opens an intercepted flow (sans-io, fuzzed in
// tests/fuzz/fuzz_client_hello.cpp).
//
// The flow shell calls parse_client_hello() with every byte the guest has
// sent so far (after fits_tls_client_hello() said match):
//   incomplete → wait for more bytes (a ClientHello may span many TCP
//                segments and several TLS records);
//   invalid    → close the flow and log `error`; never relay it blind;
//   complete   → pick passthrough or interception by `server_name`, then
//                hand `bytes_for_tls_server()` to the guest-side session.
//
// Written by hand rather than with mbedTLS because mbedTLS parses the
// ClientHello only inside a server handshake: we need SNI and ALPN before
// we choose a certificate, or decide not to intercept at all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace askfirst::tls {

// The largest ClientHello we accept: one TLS record's worth (RFC 8446 §5.1,
// 2^14), which is also all that mbedTLS 2.28's server reads in one message.
// Real ClientHellos are 200–2000 bytes (a hybrid post-quantum key share
// makes ~1.8 KiB).
constexpr std::size_t kMaxClientHelloBytes = 16384;

struct ClientHello {
    std::uint16_t record_version = 0;         // of the first record (0x0301 is common)
    std::uint16_t legacy_version = 0;         // 0x0303 for TLS 1.2 and 1.3
    std::string server_name;                  // SNI host_name, lower-cased; empty when absent
    std::vector<std::string> alpn_protocols;  // in the client's order; empty when absent
    std::vector<std::uint16_t> supported_versions;  // extension 43; empty when absent
    std::size_t record_count = 0;             // TLS records the message spanned
    std::size_t consumed_bytes = 0;           // bytes of the stream up to the message's end
    std::vector<std::uint8_t> handshake_message;  // type + length + body, reassembled

    bool offers_alpn(std::string_view protocol) const;
    // The ClientHello as one TLS record, followed by nothing: mbedTLS 2.28's
    // server cannot reassemble a handshake message split across records,
    // so the guest-side session is fed this instead of the raw records
    // (and then any stream bytes after consumed_bytes).
    std::vector<std::uint8_t> as_single_record() const;
};

enum class ClientHelloStatus { complete, incomplete, invalid };

struct ClientHelloParse {
    ClientHelloStatus status = ClientHelloStatus::incomplete;
    ClientHello hello;   // filled when complete
    std::string error;   // says what is wrong when invalid
};

ClientHelloParse parse_client_hello(std::span<const std::uint8_t> stream);

}  // namespace askfirst::tls
