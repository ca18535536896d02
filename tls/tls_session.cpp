// tls/tls_session.cpp — the mbedTLS state machine behind TlsSession: BIO
// callbacks over the two ByteQueues, handshake stepping, record reading and
// writing, and the mapping of mbedTLS results to session states. The
// records after the handshake, when libcrypto takes them over, are in
// tls/tls_session_records.cpp.
#include "tls/tls_session.h"

#include <mbedtls/platform_util.h>
#include <mbedtls/ssl_internal.h>

#include "tls/random_source.h"

namespace askfirst::tls {

namespace {
// The session whose handshake is being stepped: mbedTLS's key export hook
// names no context, and one loop thread steps one handshake at a time.
thread_local TlsSession* session_in_handshake = nullptr;
}  // namespace

void offload_records_after_handshake(mbedtls_ssl_config* config) {
    mbedtls_ssl_conf_export_keys_ext_cb(config, &TlsSession::capture_key_block, nullptr);
}

// Keeps the key block of an AEAD suite (no MAC keys) for take_over_records().
int TlsSession::capture_key_block(void*, const unsigned char*, const unsigned char* key_block, std::size_t mac_bytes,
                                  std::size_t key_bytes, std::size_t iv_bytes, const unsigned char*,
                                  const unsigned char*, mbedtls_tls_prf_types) {
    TlsSession* session = session_in_handshake;
    if (session == nullptr || mac_bytes != 0) return 0;
    session->key_block_.assign(key_block, key_block + 2 * key_bytes + 2 * iv_bytes);
    session->key_bytes_ = key_bytes;
    session->iv_bytes_ = iv_bytes;
    return 0;
}

const char* state_name(TlsSessionState state) {
    switch (state) {
    case TlsSessionState::handshaking: return "handshaking";
    case TlsSessionState::established: return "established";
    case TlsSessionState::peer_closed: return "peer_closed";
    case TlsSessionState::closed: return "closed";
    case TlsSessionState::failed: return "failed";
    }
    return "unknown";
}

const char* failure_kind_name(TlsFailureKind kind) {
    switch (kind) {
    case TlsFailureKind::none: return "none";
    case TlsFailureKind::guest_rejected_certificate: return "guest_rejected_certificate";
    case TlsFailureKind::no_common_alpn: return "no_common_alpn";
    case TlsFailureKind::upstream_certificate_invalid: return "upstream_certificate_invalid";
    case TlsFailureKind::peer_alert: return "peer_alert";
    case TlsFailureKind::closed_during_handshake: return "closed_during_handshake";
    case TlsFailureKind::protocol_error: return "protocol_error";
    }
    return "unknown";
}

TlsSession::TlsSession(Role role) : role_(role) {}

bool TlsSession::setup(const mbedtls_ssl_config* config) {
    if (mbedtls_ssl_setup(ssl_.get(), config) != 0) return false;
    mbedtls_ssl_set_bio(ssl_.get(), this, send_to_queue, receive_from_queue, nullptr);
    return true;
}

// The out BIO always takes the whole record: write_plaintext() bounds the
// queue before it asks mbedTLS to write, so mbedTLS never sees WANT_WRITE
// (which would oblige us to repeat the same write call).
int TlsSession::send_to_queue(void* self, const unsigned char* bytes, std::size_t length) {
    static_cast<TlsSession*>(self)->ciphertext_out_.append({bytes, length});
    return static_cast<int>(length);
}

int TlsSession::receive_from_queue(void* self, unsigned char* bytes, std::size_t length) {
    auto* session = static_cast<TlsSession*>(self);
    if (session->ciphertext_in_.empty()) return MBEDTLS_ERR_SSL_WANT_READ;
    return static_cast<int>(session->ciphertext_in_.pop_into({bytes, length}));
}

std::size_t TlsSession::ciphertext_in_room() const {
    // After our close_notify the peer may still send data and its own close_notify.
    const bool reading = state_ == TlsSessionState::handshaking || state_ == TlsSessionState::established ||
                         state_ == TlsSessionState::closed;
    if (!reading) return 0;
    return ciphertext_in_.size() >= kMaxBufferedCiphertextIn ? 0 : kMaxBufferedCiphertextIn - ciphertext_in_.size();
}

std::size_t TlsSession::accept_ciphertext(std::span<const std::uint8_t> bytes) {
    const std::size_t n = bytes.size() < ciphertext_in_room() ? bytes.size() : ciphertext_in_room();
    ciphertext_in_.append(bytes.first(n));
    return n;
}

void TlsSession::fail(TlsFailureKind kind, std::string reason, int alert) {
    state_ = TlsSessionState::failed;
    failure_ = TlsFailure{kind, alert, std::move(reason)};
}

// Steps the handshake one message at a time so that the resumption flag can
// be read before mbedTLS frees its handshake parameters at the end.
TlsSessionState TlsSession::advance() {
    while (state_ == TlsSessionState::handshaking) {
        if (ssl_.get()->state == MBEDTLS_SSL_HANDSHAKE_OVER) {
            state_ = TlsSessionState::established;
            on_established();
            take_over_records();
            break;
        }
        session_in_handshake = this;
        const int rc = mbedtls_ssl_handshake_step(ssl_.get());
        session_in_handshake = nullptr;
        if (ssl_.get()->handshake != nullptr) resumed_ = ssl_.get()->handshake->resume != 0;
        if (rc == MBEDTLS_ERR_SSL_WANT_READ) {
            if (transport_eof_ && ciphertext_in_.empty())
                fail(TlsFailureKind::closed_during_handshake, "the peer closed the connection during the TLS handshake");
            break;
        }
        if (rc != 0) {
            const bool alert = rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE && ssl_.get()->in_msg != nullptr;
            record_handshake_failure(rc, alert ? ssl_.get()->in_msg[1] : -1);
            break;
        }
    }
    return state_;
}

void TlsSession::on_read_error(int code) {
    if (code == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
        state_ = TlsSessionState::peer_closed;
    } else if (code == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE) {
        const int alert = ssl_.get()->in_msg != nullptr ? ssl_.get()->in_msg[1] : -1;
        fail(TlsFailureKind::peer_alert, "the peer ended TLS with fatal alert " + std::to_string(alert), alert);
    } else {
        fail(TlsFailureKind::protocol_error, "TLS record error: " + mbedtls_error_text(code));
    }
}

std::size_t TlsSession::read_plaintext(std::span<std::uint8_t> out) {
    if (state_ == TlsSessionState::handshaking) advance();
    // A half-closed session (we sent close_notify) still reads what the peer sends.
    if ((state_ != TlsSessionState::established && state_ != TlsSessionState::closed) || out.empty()) return 0;
    if (records_) return read_own_records(out);
    for (;;) {
        const std::size_t queued_before = ciphertext_in_.size();
        const int rc = mbedtls_ssl_read(ssl_.get(), out.data(), out.size());
        if (rc > 0) return static_cast<std::size_t>(rc);
        if (rc == MBEDTLS_ERR_SSL_WANT_READ) {
            // A non-data record (a warning alert, say) was consumed: go on
            // while that made progress and bytes are still queued.
            if (!ciphertext_in_.empty() && ciphertext_in_.size() < queued_before) continue;
            if (transport_eof_ && ciphertext_in_.empty()) {
                state_ = TlsSessionState::peer_closed;
                truncated_ = true;
            }
            return 0;
        }
        if (rc == 0) return 0;  // mbedTLS 2.28 returns 0 for an EOF from the BIO; ours never reports one
        on_read_error(rc);
        return 0;
    }
}

std::size_t TlsSession::write_plaintext(std::span<const std::uint8_t> bytes) {
    if (state_ == TlsSessionState::handshaking) advance();
    if (state_ != TlsSessionState::established && state_ != TlsSessionState::peer_closed) return 0;
    if (records_) return write_own_records(bytes);
    std::size_t accepted = 0;
    while (accepted < bytes.size() && ciphertext_out_.size() < kMaxBufferedCiphertextOut) {
        const int rc = mbedtls_ssl_write(ssl_.get(), bytes.data() + accepted, bytes.size() - accepted);
        if (rc < 0) {
            fail(TlsFailureKind::protocol_error, "TLS write failed: " + mbedtls_error_text(rc));
            break;
        }
        accepted += static_cast<std::size_t>(rc);
    }
    return accepted;
}

void TlsSession::close() {
    const bool open = state_ == TlsSessionState::established || state_ == TlsSessionState::peer_closed;
    if (open && !sent_close_notify_) {
        const std::uint8_t close_notify[2] = {MBEDTLS_SSL_ALERT_LEVEL_WARNING, MBEDTLS_SSL_ALERT_MSG_CLOSE_NOTIFY};
        if (records_) seal_record(MBEDTLS_SSL_MSG_ALERT, close_notify);
        else mbedtls_ssl_close_notify(ssl_.get());
    }
    sent_close_notify_ = true;
    // Once the peer has closed too, peer_closed stays: both directions are done.
    if (state_ != TlsSessionState::failed && state_ != TlsSessionState::peer_closed) state_ = TlsSessionState::closed;
}

void TlsSession::on_transport_eof() {
    transport_eof_ = true;
    if (state_ == TlsSessionState::handshaking) advance();
}

std::string TlsSession::negotiated_alpn() const {
    if (records_) return alpn_;
    const char* protocol = mbedtls_ssl_get_alpn_protocol(ssl_.get());
    return protocol != nullptr ? protocol : "";
}

std::string TlsSession::ciphersuite() const {
    if (records_) return suite_name_;
    const char* name = mbedtls_ssl_get_ciphersuite(ssl_.get());  // null before the handshake chose one
    return name != nullptr ? name : "";
}

}  // namespace askfirst::tls
