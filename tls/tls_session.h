// tls/tls_session.h — one TLS endpoint of an intercepted flow, sans-io over
// memory buffers: the guest-side server (made by GuestTlsServer) or the
// upstream client (made by UpstreamTlsClient). It never touches a socket;
// the flow shell in src/ moves bytes between it and the transports.
//
// What the flow shell calls, per loop event (the same for both sessions):
//
//   transport data arrived (lwIP recv for the guest, uv_read for upstream):
//       n = session.accept_ciphertext(bytes);       // n may be < size
//       if n < size: keep the rest and stop reading that transport (lwIP:
//           do not tcp_recved / return ERR_MEM; libuv: uv_read_stop) until
//           ciphertext_in_room() > 0 again, which happens as plaintext is read.
//       session.advance();                           // handshake progress
//       while ((k = session.read_plaintext(buffer)) > 0) give buffer[0..k] to
//           the HTTP session (or the other TLS session); if that side is full,
//           stop: the bytes stay inside the session, the room stays 0, and
//           the shell stops reading the transport: back-pressure is kept.
//       flush (below).
//   plaintext to send (from the HTTP session / the other side):
//       accepted = session.write_plaintext(bytes); // 0 while handshaking or
//           while wants_to_write() holds more than kMaxBufferedCiphertextOut:
//           keep the rest and retry after the next flush.
//       flush.
//   flush (after every call above, and when the transport drains):
//       if session.wants_to_write(): send pending_ciphertext() then
//           consume_ciphertext(sent) (the span is valid until the next call
//           on the session: copy it, e.g. tcp_write with TCP_WRITE_FLAG_COPY),
//           or move take_ciphertext() into a uv_write that owns the bytes.
//   transport EOF (peer's FIN): session.on_transport_eof(); read_plaintext()
//       until 0; state() is then peer_closed (truncated() says whether the
//       peer skipped close_notify).
//   we want to close (the other side ended): session.close(); flush; then
//       shut the transport's write side.
//   state() == failed: flush (a fatal alert may be queued), close the
//       transport, log failure().reason; see TlsFailureKind for what the
//       shell does next (a guest that refused our certificate → passthrough
//       list; an upstream certificate failure → 502 to each request).
//
// Records after the handshake: mbedTLS does the handshake; once it is over
// the session seals and opens application records itself with libcrypto
// (tls/record_protection.h: several times faster per byte) and frees the
// mbedTLS context. A suite we do not handle, or a handshake that ends with
// bytes still inside mbedTLS, stays with mbedTLS for the whole flow.
//
// Memory per session: during the handshake, mbedTLS's own record buffers
// (~33 KiB in Debian's build, allocated by mbedtls_ssl_setup); once the
// records are ours, two libcrypto cipher contexts (~1 KiB); plus the
// ByteQueues, which are empty (no allocation) whenever the flow is idle.
//
// This is the narrow interface a TLS 1.3 library (mbedTLS 3.x) would
// replace: nothing of mbedTLS appears in it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tls/byte_queue.h"
#include "tls/mbedtls_handles.h"
#include "tls/record_format.h"
#include "tls/record_protection.h"

namespace askfirst::tls {

// Ciphertext a session buffers from its peer beyond what mbedTLS holds
// itself: two maximal TLS records (2 × (2^14 + 2048 expansion), RFC 5246
// §6.2.3), so one record can be read while the next arrives.
constexpr std::size_t kMaxBufferedCiphertextIn = 2 * kMaxRecordBody;
// Ciphertext produced and not yet taken by the shell; write_plaintext stops
// accepting above this (it may exceed it by one record).
constexpr std::size_t kMaxBufferedCiphertextOut = 2 * kMaxRecordBody;

// closed: we sent close_notify (the peer may still send; keep reading).
// peer_closed: the peer sent close_notify or its transport ended; when we
// had closed already, both directions are done.
enum class TlsSessionState { handshaking, established, peer_closed, closed, failed };
const char* state_name(TlsSessionState state);

enum class TlsFailureKind {
    none,
    guest_rejected_certificate,    // the guest sent unknown_ca / bad_certificate / certificate_unknown
    no_common_alpn,                // the guest offered ALPN without h2 or http/1.1
    upstream_certificate_invalid,  // verification failed; reason says why (expired, name, issuer)
    peer_alert,                    // another fatal alert from the peer
    closed_during_handshake,       // the transport ended before the handshake did
    protocol_error,                // malformed record, bad MAC, unsupported version or suite...
};
const char* failure_kind_name(TlsFailureKind kind);

struct TlsFailure {
    TlsFailureKind kind = TlsFailureKind::none;
    int alert = -1;       // the peer's alert description, when one arrived
    std::string reason;   // for a person: what failed and what to do
};

// Makes the sessions of `config` hand their keys to TlsSession, so that it
// can take the records over once the handshake is done (the factories call it).
void offload_records_after_handshake(mbedtls_ssl_config* config);

class TlsSession {
public:
    enum class Role { guest_server, upstream_client };
    virtual ~TlsSession() = default;
    TlsSession(const TlsSession&) = delete;
    TlsSession& operator=(const TlsSession&) = delete;

    std::size_t accept_ciphertext(std::span<const std::uint8_t> bytes);
    std::size_t ciphertext_in_room() const;
    TlsSessionState advance();
    std::size_t read_plaintext(std::span<std::uint8_t> out);
    std::size_t write_plaintext(std::span<const std::uint8_t> bytes);

    bool wants_to_write() const { return !ciphertext_out_.empty(); }
    std::span<const std::uint8_t> pending_ciphertext() const { return ciphertext_out_.front(); }
    void consume_ciphertext(std::size_t n) { ciphertext_out_.drop_front(n); }
    std::vector<std::uint8_t> take_ciphertext() { return ciphertext_out_.take_all(); }

    void close();
    void on_transport_eof();

    TlsSessionState state() const { return state_; }
    bool is_established() const { return state_ == TlsSessionState::established; }
    const TlsFailure& failure() const { return failure_; }
    bool truncated() const { return truncated_; }
    bool resumed() const { return resumed_; }
    std::string negotiated_alpn() const;  // "" when none
    std::string ciphersuite() const;
    Role role() const { return role_; }
    // Whether the records are sealed by libcrypto now (see above), for tests and logs.
    bool records_offloaded() const { return records_ != nullptr; }

protected:
    explicit TlsSession(Role role);
    // Binds the BIOs; called by the factories once the config is set.
    bool setup(const mbedtls_ssl_config* config);
    mbedtls_ssl_context* ssl() { return ssl_.get(); }
    void fail(TlsFailureKind kind, std::string reason, int alert = -1);
    // Turns an mbedTLS error from the handshake into a TlsFailure; each role
    // knows its own reasons (our certificate refused; upstream's invalid).
    virtual void record_handshake_failure(int mbedtls_code, int peer_alert) = 0;
    virtual void on_established() {}

private:
    friend void offload_records_after_handshake(mbedtls_ssl_config* config);
    static int capture_key_block(void* unused, const unsigned char* master, const unsigned char* key_block,
                                 std::size_t mac_bytes, std::size_t key_bytes, std::size_t iv_bytes,
                                 const unsigned char client_random[32], const unsigned char server_random[32],
                                 mbedtls_tls_prf_types prf);
    void take_over_records();
    std::size_t read_own_records(std::span<std::uint8_t> out);
    std::size_t write_own_records(std::span<const std::uint8_t> bytes);
    bool seal_record(std::uint8_t type, std::span<const std::uint8_t> plaintext);
    void on_own_alert(std::span<const std::uint8_t> alert);
    static int send_to_queue(void* self, const unsigned char* bytes, std::size_t length);
    static int receive_from_queue(void* self, unsigned char* bytes, std::size_t length);
    void on_read_error(int code);

    Role role_;
    SslContext ssl_;
    ByteQueue ciphertext_in_;
    ByteQueue ciphertext_out_;
    TlsSessionState state_ = TlsSessionState::handshaking;
    TlsFailure failure_;
    bool transport_eof_ = false;
    bool sent_close_notify_ = false;
    bool truncated_ = false;
    bool resumed_ = false;
    // Between the key export and the end of the handshake: client key, server
    // key, client IV, server IV (RFC 5246 §6.3), then wiped.
    std::vector<std::uint8_t> key_block_;
    std::size_t key_bytes_ = 0;
    std::size_t iv_bytes_ = 0;
    std::unique_ptr<RecordProtection> records_;
    ByteQueue plaintext_in_;  // the rest of an opened record that did not fit the reader's buffer
    std::string alpn_;        // kept when the mbedTLS context is freed
    std::string suite_name_;
};

}  // namespace askfirst::tls
