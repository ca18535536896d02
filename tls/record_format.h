// tls/record_format.h — the TLS record layer's fixed sizes (RFC 5246 §6.2,
// RFC 8446 §5.1), in one place for everything in tls/ that frames records:
// the ClientHello reassembly (client_hello.cpp), the AEAD record layer
// (record_protection) and the sessions' buffer bounds (tls_session.h).
#pragma once

#include <cstddef>
#include <cstdint>

namespace askfirst::tls {

// RFC 5246 §6.2: a record header is type(1) version(2) length(2).
constexpr std::size_t kRecordHeaderBytes = 5;
// RFC 5246 §6.2.1, RFC 8446 §5.1: at most 2^14 bytes of plaintext per record.
constexpr std::size_t kMaxRecordPlaintext = 16384;
// RFC 5246 §6.2.3: a protected fragment is at most 2^14 + 2048 bytes.
constexpr std::size_t kMaxRecordBody = kMaxRecordPlaintext + 2048;
// RFC 5246 §6.2.1 ContentType handshake(22).
constexpr std::uint8_t kHandshakeRecordType = 22;

}  // namespace askfirst::tls
