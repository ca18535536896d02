// tls/guest_tls_server.cpp — the shared server configuration per leaf, and
// the guest-side session's failure reasons.
#include "tls/guest_tls_server.h"

#include <mbedtls/ssl_ciphersuites.h>

#include <algorithm>

#include "tls/elliptic_curve_offload.h"
#include "tls/modular_inverse_offload.h"
#include "tls/sha256_block_offload.h"
#include "tls/random_source.h"

namespace askfirst::tls {
namespace {

// The suites the guest may pick: AEAD only, forward secret, ECDSA (our
// leaves), in our order of preference. The records after the handshake are
// libcrypto's (tls/record_protection.h): there AES-128-GCM with AES-NI and
// PCLMULQDQ is the cheapest per byte; without them, ChaCha20-Poly1305.
const int kGuestCiphersuitesAesFirst[] = {
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    0,
};
const int kGuestCiphersuitesChachaFirst[] = {
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    0,
};
const mbedtls_ecp_group_id kGuestCurves[] = {MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_NONE};
// Only HTTP/1.1 is parsed by the HTTP session behind this server.
// Our order of preference (mbedTLS 2.28 picks the first of ours the guest offers):
// HTTP/2 streams are each judged (src/http/http2_session.h), HTTP/1.1 otherwise.
const char* kGuestAlpn[] = {"h2", "http/1.1", nullptr};
// For an upstream known to answer h2 with HTTP/1.1 (UpstreamAlpnMemory).
const char* kGuestAlpnHttp1[] = {"http/1.1", nullptr};

constexpr std::uint16_t kTls12 = 0x0303;

// The alerts a client sends when it distrusts the certificate it was shown
// (RFC 5246 §7.2.2): OpenSSL and Go send unknown_ca or bad_certificate,
// NSS and Java certificate_unknown, rustls decrypt_error when it cannot
// verify a signature algorithm (issue 11: Codex CLI), some access_denied or
// unsupported_certificate.
constexpr int kCertificateRefusalAlerts[] = {
    MBEDTLS_SSL_ALERT_MSG_BAD_CERT,           // 42
    MBEDTLS_SSL_ALERT_MSG_UNSUPPORTED_CERT,   // 43
    MBEDTLS_SSL_ALERT_MSG_CERT_UNKNOWN,       // 46
    MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA,         // 48
    MBEDTLS_SSL_ALERT_MSG_ACCESS_DENIED,      // 49
    MBEDTLS_SSL_ALERT_MSG_DECRYPT_ERROR,      // 51
};

bool is_certificate_refusal(int alert) {
    return std::find(std::begin(kCertificateRefusalAlerts), std::end(kCertificateRefusalAlerts), alert) !=
           std::end(kCertificateRefusalAlerts);
}

}  // namespace

bool negotiates_h2(const ClientHello& hello) {
    for (const char* const* ours = kGuestAlpn; *ours != nullptr; ++ours)
        if (hello.offers_alpn(*ours)) return std::string_view(*ours) == "h2";
    return false;
}

std::string_view tls_alert_name(int alert) {
    switch (alert) {
    case MBEDTLS_SSL_ALERT_MSG_BAD_CERT: return "bad_certificate";
    case MBEDTLS_SSL_ALERT_MSG_UNSUPPORTED_CERT: return "unsupported_certificate";
    case MBEDTLS_SSL_ALERT_MSG_CERT_UNKNOWN: return "certificate_unknown";
    case MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA: return "unknown_ca";
    case MBEDTLS_SSL_ALERT_MSG_ACCESS_DENIED: return "access_denied";
    case MBEDTLS_SSL_ALERT_MSG_DECRYPT_ERROR: return "decrypt_error";
    case MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE: return "handshake_failure";
    case MBEDTLS_SSL_ALERT_MSG_PROTOCOL_VERSION: return "protocol_version";
    default: return "alert";
    }
}

namespace {

class GuestSession final : public TlsSession {
public:
    GuestSession(std::shared_ptr<LeafCertificate> leaf, const ClientHello& hello, bool offer_h2)
        : TlsSession(Role::guest_server), leaf_(std::move(leaf)), offer_h2_(offer_h2),
          alpn_without_http1_(!hello.alpn_protocols.empty() && !hello.offers_alpn("http/1.1") && !hello.offers_alpn("h2")),
          tls13_only_(!hello.supported_versions.empty() &&
                      std::find(hello.supported_versions.begin(), hello.supported_versions.end(), kTls12) ==
                          hello.supported_versions.end()) {
        for (const auto& protocol : hello.alpn_protocols) offered_alpn_ += (offered_alpn_.empty() ? "" : ",") + protocol;
    }
    bool start() { return setup((offer_h2_ ? leaf_->server_config : leaf_->server_config_http1)->get()); }

private:
    void record_handshake_failure(int code, int alert) override {
        const std::string& name = leaf_->name.text;
        if (alert >= 0 && is_certificate_refusal(alert)) {
            fail(TlsFailureKind::guest_rejected_certificate,
                 "the guest refused askfirst's certificate for " + name + " (alert " + std::string(tls_alert_name(alert)) +
                     "): install the askfirst CA in the guest (`askfirst ca export`), or list " + name +
                     " in the profile's tls.passthrough if the client pins its certificates",
                 alert);
        } else if (tls13_only_) {
            fail(TlsFailureKind::protocol_error,
                 "the guest offered only TLS 1.3 for " + name +
                     "; askfirst (mbedTLS 2.28) speaks TLS 1.2 to the guest: allow TLS 1.2 in the client",
                 alert);
        } else if (alpn_without_http1_) {
            fail(TlsFailureKind::no_common_alpn,
                 "the guest offered ALPN [" + offered_alpn_ + "] for " + name +
                     " but askfirst speaks only h2 and http/1.1 to the guest: configure the client for one of them "
                     "(curl --http1.1)");
        } else if (alert >= 0) {
            fail(TlsFailureKind::peer_alert,
                 "the guest ended the TLS handshake for " + name + " with alert " + std::string(tls_alert_name(alert)) + " (" +
                     std::to_string(alert) + ")",
                 alert);
        } else {
            fail(TlsFailureKind::protocol_error,
                 "TLS handshake with the guest for " + name + " failed: " + mbedtls_error_text(code) +
                     "; askfirst offers TLS 1.2 with ECDHE-ECDSA and AES-GCM or ChaCha20");
        }
    }

    std::shared_ptr<LeafCertificate> leaf_;  // keeps the certificate and config alive
    bool offer_h2_;
    bool alpn_without_http1_;
    bool tls13_only_;
    std::string offered_alpn_;
};

}  // namespace

GuestTlsServer::GuestTlsServer(CertificateAuthority& ca, std::size_t leaf_cache_capacity)
    : ca_(ca), leaf_cache_(leaf_cache_capacity) {}

Result<std::unique_ptr<GuestTlsServer>> GuestTlsServer::create(CertificateAuthority& ca, std::size_t leaf_cache_capacity) {
    using R = Result<std::unique_ptr<GuestTlsServer>>;
    std::unique_ptr<GuestTlsServer> server(new GuestTlsServer(ca, leaf_cache_capacity));
    // The offloads' self-checks run now, before the first handshake.
    (void)elliptic_curve_offload_status();
    (void)modular_inverse_offload_status();
    (void)sha256_block_offload_status();
    auto key = generate_p256_key();
    if (!key) return R::failure(key.error());
    server->leaf_key_ = key.take();
    const int rc = mbedtls_ssl_ticket_setup(server->ticket_keys_.get(), RandomSource::generate,
                                            RandomSource::process().context(), MBEDTLS_CIPHER_AES_256_GCM,
                                            kTicketLifetimeSeconds);
    if (rc != 0) return R::failure("cannot set up TLS session tickets: " + mbedtls_error_text(rc));
    mbedtls_ssl_cache_set_max_entries(server->session_cache_.get(), kSessionCacheEntries);
    mbedtls_ssl_cache_set_timeout(server->session_cache_.get(), kSessionCacheTimeoutSeconds);
    return R::success(std::move(server));
}

Status GuestTlsServer::configure_for_leaf(LeafCertificate& leaf) {
    leaf.server_config = std::make_unique<SslConfig>();
    leaf.server_config_http1 = std::make_unique<SslConfig>();
    if (auto both = configure_server(leaf, *leaf.server_config, kGuestAlpn); !both) return both;
    return configure_server(leaf, *leaf.server_config_http1, kGuestAlpnHttp1);
}

Status GuestTlsServer::configure_server(LeafCertificate& leaf, SslConfig& server_config, const char** alpn) {
    mbedtls_ssl_config* config = server_config.get();
    int rc = mbedtls_ssl_config_defaults(config, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                         MBEDTLS_SSL_PRESET_DEFAULT);
    if (rc == 0) rc = mbedtls_ssl_conf_own_cert(config, leaf.certificate.get(), leaf_key_->get());
    if (rc == 0) rc = mbedtls_ssl_conf_alpn_protocols(config, alpn);
    if (rc != 0) return Status::failure("cannot configure the guest TLS server for " + leaf.name.text + ": " + mbedtls_error_text(rc));
    mbedtls_ssl_conf_rng(config, RandomSource::generate, RandomSource::process().context());
    mbedtls_ssl_conf_min_version(config, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(config, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_ciphersuites(config, cpu_has_fast_aes_gcm() ? kGuestCiphersuitesAesFirst
                                                                  : kGuestCiphersuitesChachaFirst);
    mbedtls_ssl_conf_curves(config, kGuestCurves);
    mbedtls_ssl_conf_renegotiation(config, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
    mbedtls_ssl_conf_session_tickets_cb(config, mbedtls_ssl_ticket_write, mbedtls_ssl_ticket_parse, ticket_keys_.get());
    mbedtls_ssl_conf_session_cache(config, session_cache_.get(), mbedtls_ssl_cache_get, mbedtls_ssl_cache_set);
    offload_records_after_handshake(config);
    return ok_status();
}

Result<std::shared_ptr<LeafCertificate>> GuestTlsServer::leaf_for(std::string_view host) {
    using R = Result<std::shared_ptr<LeafCertificate>>;
    auto name = LeafName::parse(host);
    if (!name) return R::failure("cannot mint a certificate: " + name.error());
    const std::time_t now = std::time(nullptr);
    if (auto cached = leaf_cache_.find(name.value().text, now)) return R::success(std::move(cached));
    auto leaf = LeafMinter(ca_, *leaf_key_).mint(name.value(), now);
    if (!leaf) return leaf;
    if (auto configured = configure_for_leaf(*leaf.value()); !configured) return R::failure(configured.error());
    ++leaves_minted_;
    leaf_cache_.insert(leaf.value());
    return leaf;
}

Result<std::unique_ptr<TlsSession>> GuestTlsServer::start_session(const ClientHello& hello, std::string_view destination_ip,
                                                                  bool offer_h2) {
    using R = Result<std::unique_ptr<TlsSession>>;
    const std::string_view name = hello.server_name.empty() ? destination_ip : std::string_view(hello.server_name);
    auto leaf = leaf_for(name);
    if (!leaf) return R::failure(leaf.error());
    auto session = std::make_unique<GuestSession>(leaf.take(), hello, offer_h2);
    if (!session->start()) return R::failure("cannot allocate a TLS session for " + std::string(name) + " (out of memory)");
    const auto record = hello.as_single_record();
    if (session->accept_ciphertext(record) != record.size())
        return R::failure("the ClientHello for " + std::string(name) + " does not fit the session's input buffer");
    session->advance();
    return R::success(std::move(session));
}

}  // namespace askfirst::tls
