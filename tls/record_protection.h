// tls/record_protection.h — the TLS 1.2 AEAD record layer of an established
// session, done with OpenSSL's libcrypto instead of mbedTLS.
//
// Why: a bulk download through askfirstd is decrypted once (upstream) and
// encrypted once (guest). Debian's mbedTLS 2.28 does that in portable C,
// one 16-byte block per call: ~260 MB/s per pass for ChaCha20-Poly1305 and
// ~200 MB/s for AES-GCM with AES-NI (tests/bench/tls_bench), which held the
// whole flow near 40 MB/s on the benchmark machine (perf: 72% of askfirstd's
// time in libmbedcrypto). libcrypto's AES-GCM and ChaCha20-Poly1305 are
// stitched assembly, several GB/s.
//
// How: mbedTLS still does every handshake (certificates, verification,
// tickets, ALPN); its key export hook hands us the key block, and once the
// handshake is over TlsSession seals and opens the application records
// itself with this class (RFC 5246 §6.2.3.3, RFC 5288 for AES-GCM, RFC 7905
// for ChaCha20-Poly1305), continuing mbedTLS's sequence numbers. Only the
// three AEAD suites we offer are handled; anything else stays with mbedTLS.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "src/base/result.h"
#include "tls/record_format.h"

namespace askfirst::tls {

enum class RecordAead { aes_128_gcm, aes_256_gcm, chacha20_poly1305 };
// The AEAD of an mbedTLS ciphersuite id, or nullopt for a suite we leave to mbedTLS.
std::optional<RecordAead> record_aead_for_suite(int mbedtls_ciphersuite);
// Whether AES-GCM is the cheapest suite per byte here (AES-NI and PCLMULQDQ).
bool cpu_has_fast_aes_gcm();

// One direction's key, its fixed IV (4 bytes for GCM, 12 for ChaCha20-Poly1305)
// and the sequence number of the next record.
struct TrafficSecret {
    std::vector<std::uint8_t> key;
    std::vector<std::uint8_t> fixed_iv;
    std::uint64_t sequence = 0;
};

class RecordProtection {
public:
    // A failure when the IV or key has a length that does not fit the AEAD
    // (libcrypto refuses the key); the session then leaves the records to mbedTLS.
    static Result<std::unique_ptr<RecordProtection>> create(RecordAead aead, const TrafficSecret& write,
                                                            const TrafficSecret& read);
    ~RecordProtection();
    RecordProtection(const RecordProtection&) = delete;
    RecordProtection& operator=(const RecordProtection&) = delete;

    // Bytes of one whole record (header included) carrying `plaintext` bytes.
    std::size_t sealed_size(std::size_t plaintext) const { return kRecordHeaderBytes + overhead() + plaintext; }
    // Plaintext bytes inside a record body of `body` bytes; nullopt if too short.
    std::optional<std::size_t> opened_size(std::size_t body) const;
    // Writes one record of `type` into `out` (exactly sealed_size(plaintext.size()) bytes).
    bool seal(std::uint8_t type, std::span<const std::uint8_t> plaintext, std::span<std::uint8_t> out);
    // Checks and decrypts one record body into `out` (at least opened_size bytes);
    // false when the tag does not match (a forged or corrupted record).
    bool open(std::uint8_t type, std::span<const std::uint8_t> body, std::span<std::uint8_t> out);

private:
    struct CipherContexts;
    RecordProtection(RecordAead aead, std::unique_ptr<CipherContexts> contexts, const TrafficSecret& write,
                     const TrafficSecret& read);
    std::size_t explicit_nonce_bytes() const { return aead_ == RecordAead::chacha20_poly1305 ? 0 : 8; }
    std::size_t overhead() const { return explicit_nonce_bytes() + 16; }  // + the 16-byte tag
    void make_nonce(const std::vector<std::uint8_t>& fixed_iv, std::uint64_t sequence,
                    std::span<const std::uint8_t> explicit_nonce, std::uint8_t (&nonce)[12]) const;

    RecordAead aead_;
    std::unique_ptr<CipherContexts> contexts_;
    std::vector<std::uint8_t> write_iv_;
    std::vector<std::uint8_t> read_iv_;
    std::uint64_t write_sequence_;
    std::uint64_t read_sequence_;
};

}  // namespace askfirst::tls
