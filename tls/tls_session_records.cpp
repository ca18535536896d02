// tls/tls_session_records.cpp — a TlsSession's application records once
// the handshake is over and libcrypto seals them (tls/record_protection.h):
// the hand-over from mbedTLS, then reading, writing and closing records
// ourselves. Hand-written framing although mbedTLS frames records: the
// point is to leave mbedTLS's per-block ciphers out of the bulk path, and
// mbedTLS 2.28 has no hook for an external record cipher.
#include <mbedtls/platform_util.h>
#include <mbedtls/ssl_internal.h>

#include "tls/tls_session.h"

namespace askfirst::tls {
namespace {

std::uint64_t read_u64(const unsigned char* bytes) {
    std::uint64_t value = 0;
    for (int i = 0; i < 8; ++i) value = (value << 8) | bytes[i];
    return value;
}

}  // namespace

// Hands the records over when mbedTLS holds nothing of the stream: no
// partial record read, no message left in the last record, nothing unsent.
// Otherwise (or for a suite we do not handle) mbedTLS keeps the records.
void TlsSession::take_over_records() {
    mbedtls_ssl_context* ssl = ssl_.get();
    const auto aead = ssl->session != nullptr ? record_aead_for_suite(ssl->session->ciphersuite) : std::nullopt;
    const bool clean = ssl->in_left == 0 && ssl->out_left == 0 && ssl->in_offt == nullptr &&
                       (ssl->in_hslen == 0 || ssl->in_hslen >= ssl->in_msglen);
    if (aead && clean && key_bytes_ > 0 && key_block_.size() == 2 * key_bytes_ + 2 * iv_bytes_) {
        const std::uint8_t* client_key = key_block_.data();
        const std::uint8_t* server_key = client_key + key_bytes_;
        const std::uint8_t* client_iv = server_key + key_bytes_;
        const std::uint8_t* server_iv = client_iv + iv_bytes_;
        const bool server = role_ == Role::guest_server;
        TrafficSecret write{{server ? server_key : client_key, (server ? server_key : client_key) + key_bytes_},
                            {server ? server_iv : client_iv, (server ? server_iv : client_iv) + iv_bytes_},
                            read_u64(ssl->cur_out_ctr)};
        TrafficSecret read{{server ? client_key : server_key, (server ? client_key : server_key) + key_bytes_},
                           {server ? client_iv : server_iv, (server ? client_iv : server_iv) + iv_bytes_},
                           read_u64(ssl->in_ctr)};
        // A refused key leaves records_ empty: mbedTLS keeps the records.
        if (auto created = RecordProtection::create(*aead, write, read)) records_ = created.take();
        mbedtls_platform_zeroize(write.key.data(), write.key.size());
        mbedtls_platform_zeroize(read.key.data(), read.key.size());
    }
    mbedtls_platform_zeroize(key_block_.data(), key_block_.size());
    std::vector<std::uint8_t>().swap(key_block_);
    if (!records_) return;
    const char* alpn = mbedtls_ssl_get_alpn_protocol(ssl);
    alpn_ = alpn != nullptr ? alpn : "";
    suite_name_ = mbedtls_ssl_get_ciphersuite(ssl);
    // The context's record buffers (~33 KiB) and the session are no longer needed.
    mbedtls_ssl_free(ssl);
    mbedtls_ssl_init(ssl);
}

bool TlsSession::seal_record(std::uint8_t type, std::span<const std::uint8_t> plaintext) {
    const std::size_t size = records_->sealed_size(plaintext.size());
    if (records_->seal(type, plaintext, ciphertext_out_.append_space(size))) return true;
    ciphertext_out_.drop_back(size);
    fail(TlsFailureKind::protocol_error, "TLS record encryption failed (libcrypto refused the record)");
    return false;
}

std::size_t TlsSession::write_own_records(std::span<const std::uint8_t> bytes) {
    std::size_t accepted = 0;
    while (accepted < bytes.size() && ciphertext_out_.size() < kMaxBufferedCiphertextOut) {
        const auto piece = bytes.subspan(accepted, std::min(kMaxRecordPlaintext, bytes.size() - accepted));
        if (!seal_record(MBEDTLS_SSL_MSG_APPLICATION_DATA, piece)) break;
        accepted += piece.size();
    }
    return accepted;
}

void TlsSession::on_own_alert(std::span<const std::uint8_t> alert) {
    if (alert.size() != 2) {
        fail(TlsFailureKind::protocol_error, "TLS record error: an alert record of " + std::to_string(alert.size()) +
                                                 " bytes (an alert is 2)");
    } else if (alert[1] == MBEDTLS_SSL_ALERT_MSG_CLOSE_NOTIFY) {
        state_ = TlsSessionState::peer_closed;
    } else if (alert[0] == MBEDTLS_SSL_ALERT_LEVEL_FATAL) {
        fail(TlsFailureKind::peer_alert, "the peer ended TLS with fatal alert " + std::to_string(alert[1]), alert[1]);
    }  // other warnings are ignored, as mbedTLS does
}

// One record at a time, decrypted straight into `out` when it fits (a
// reader's 16 KiB chunk always holds one), else through plaintext_in_.
std::size_t TlsSession::read_own_records(std::span<std::uint8_t> out) {
    if (!plaintext_in_.empty()) return plaintext_in_.pop_into(out);
    while (state_ == TlsSessionState::established || state_ == TlsSessionState::closed) {
        const auto queued = ciphertext_in_.front();
        const std::size_t body = queued.size() >= kRecordHeaderBytes ? (std::size_t{queued[3]} << 8) | queued[4] : 0;
        if (queued.size() >= kRecordHeaderBytes && (body > kMaxRecordBody || queued[1] != 3 || queued[2] != 3)) {
            fail(TlsFailureKind::protocol_error, "TLS record error: a record header that is not TLS 1.2 or is too long");
            return 0;
        }
        if (queued.size() < kRecordHeaderBytes || queued.size() < kRecordHeaderBytes + body) {
            if (transport_eof_) {  // the transport ended inside a record, or without close_notify
                state_ = TlsSessionState::peer_closed;
                truncated_ = true;
            }
            return 0;
        }
        const std::uint8_t type = queued[0];
        const auto plaintext = records_->opened_size(body);
        std::span<std::uint8_t> target = plaintext && *plaintext <= out.size() ? out.first(*plaintext)
                                                                               : plaintext_in_.append_space(plaintext.value_or(0));
        if (!plaintext || !records_->open(type, queued.subspan(kRecordHeaderBytes, body), target)) {
            const std::uint8_t bad_mac[2] = {MBEDTLS_SSL_ALERT_LEVEL_FATAL, MBEDTLS_SSL_ALERT_MSG_BAD_RECORD_MAC};
            seal_record(MBEDTLS_SSL_MSG_ALERT, bad_mac);
            fail(TlsFailureKind::protocol_error, "TLS record error: a record failed authentication (bad record MAC)");
            return 0;
        }
        ciphertext_in_.drop_front(kRecordHeaderBytes + body);
        if (type == MBEDTLS_SSL_MSG_APPLICATION_DATA) {
            if (target.empty()) continue;
            return target.data() == out.data() ? target.size() : plaintext_in_.pop_into(out);
        }
        const std::vector<std::uint8_t> message(target.begin(), target.end());
        if (target.data() != out.data()) plaintext_in_.drop_back(target.size());
        if (type == MBEDTLS_SSL_MSG_ALERT) {
            on_own_alert(message);
        } else {
            // Renegotiation is off (a HelloRequest or a new ClientHello), and nothing else may follow the handshake.
            fail(TlsFailureKind::protocol_error, "TLS record error: a record of type " + std::to_string(type) +
                                                     " after the handshake (renegotiation is not supported)");
        }
    }
    return 0;
}

}  // namespace askfirst::tls
