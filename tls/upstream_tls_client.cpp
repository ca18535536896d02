// tls/upstream_tls_client.cpp — the shared upstream client config (trust
// store, suites, ALPN) and the upstream session with its verify callback.
#include "tls/upstream_tls_client.h"

#include <mbedtls/platform.h>
#include <mbedtls/ssl_ciphersuites.h>

#include <optional>

#include "tls/certificate_builder.h"
#include "tls/elliptic_curve_offload.h"
#include "tls/modular_inverse_offload.h"
#include "tls/sha256_block_offload.h"
#include "tls/random_source.h"
#include "tls/upstream_verification.h"

namespace askfirst::tls {
namespace {

// Forward-secret AEAD suites for both key types real servers use, in the
// guest side's order for the same reason (servers that honour the client's
// order, nginx's default, then pick the first).
const int kUpstreamCiphersuitesAesFirst[] = {
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    0,
};
const int kUpstreamCiphersuitesChachaFirst[] = {
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    0,
};
const mbedtls_ecp_group_id kUpstreamCurves[] = {MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1,
                                                MBEDTLS_ECP_DP_SECP384R1, MBEDTLS_ECP_DP_NONE};
const char* kUpstreamAlpn[] = {"http/1.1", nullptr};
// For a guest that speaks HTTP/2: h2 when the server has it, else HTTP/1.1
// (the HTTP/2 session then speaks HTTP/1.1 upstream).
const char* kUpstreamAlpnH2[] = {"h2", "http/1.1", nullptr};

class UpstreamSession final : public TlsSession {
public:
    UpstreamSession(std::string expected_name, std::optional<std::vector<std::uint8_t>> expected_ip,
                    UpstreamSessionCache& cache, std::string cache_key)
        : TlsSession(Role::upstream_client), expected_name_(std::move(expected_name)), expected_ip_(std::move(expected_ip)),
          cache_(cache), cache_key_(std::move(cache_key)) {}

    bool start(const mbedtls_ssl_config* config) {
        if (!setup(config)) return false;
        if (const mbedtls_ssl_session* saved = cache_.find(cache_key_, std::time(nullptr)))
            mbedtls_ssl_set_session(ssl(), saved);
        // With an IP the name check is ours (verify callback); with a name
        // mbedTLS sends it as SNI and checks the certificate against it.
        if (!expected_ip_ && mbedtls_ssl_set_hostname(ssl(), expected_name_.c_str()) != 0) return false;
        mbedtls_ssl_set_verify(ssl(), &UpstreamSession::verify_one, this);
        return true;
    }

private:
    // Called for each certificate of the chain, root first, leaf (depth 0) last.
    static int verify_one(void* self, mbedtls_x509_crt* certificate, int depth, std::uint32_t* flags) {
        auto* session = static_cast<UpstreamSession*>(self);
        if (depth == 0 && session->expected_ip_ && !certificate_names_ip(certificate, *session->expected_ip_))
            *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
        session->chain_.push_back(note_certificate(certificate, depth, *flags));
        return 0;
    }

    void record_handshake_failure(int code, int alert) override {
        const std::uint32_t flags = mbedtls_ssl_get_verify_result(ssl());
        if (code == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED || (flags != 0 && flags != static_cast<std::uint32_t>(-1))) {
            fail(TlsFailureKind::upstream_certificate_invalid, explain_verification_failure(expected_name_, flags, chain_));
        } else if (alert >= 0) {
            fail(TlsFailureKind::peer_alert,
                 "the upstream server " + expected_name_ + " ended the TLS handshake with alert " + std::to_string(alert) +
                     " (it may require TLS 1.3, which askfirst's mbedTLS 2.28 cannot speak, or a client "
                     "certificate: a kube entry in `credentials` with source file + key_file gives one)",
                 alert);
        } else {
            fail(TlsFailureKind::protocol_error,
                 "TLS handshake with the upstream server " + expected_name_ + " failed: " + mbedtls_error_text(code));
        }
        chain_.clear();
    }

    // After verification nothing needs the upstream chain again (no
    // renegotiation, no client-side session saving), but mbedTLS 2.28 is
    // built with KEEP_PEER_CERTIFICATE and would hold the parsed chain,
    // 3–8 KiB for a typical RSA chain, for the life of the flow.
    void on_established() override {
        std::vector<ChainCertificateNote>().swap(chain_);
        mbedtls_ssl_session* session = ssl()->session;
        if (session != nullptr && session->peer_cert != nullptr) {
            mbedtls_x509_crt_free(session->peer_cert);
            mbedtls_free(session->peer_cert);
            session->peer_cert = nullptr;
        }
        cache_.store(cache_key_, ssl(), std::time(nullptr));
    }

    std::string expected_name_;
    std::optional<std::vector<std::uint8_t>> expected_ip_;
    std::vector<ChainCertificateNote> chain_;  // during the handshake only
    UpstreamSessionCache& cache_;  // owned by UpstreamTlsClient, which outlives its sessions
    std::string cache_key_;
};

}  // namespace

const mbedtls_ssl_session* UpstreamSessionCache::find(const std::string& key, std::time_t now) {
    for (auto entry = entries_.begin(); entry != entries_.end(); ++entry) {
        if (entry->key != key) continue;
        if (now - entry->stored <= kUpstreamSessionMaxAgeSeconds) return entry->session->get();
        entries_.erase(entry);
        return nullptr;
    }
    return nullptr;
}

void UpstreamSessionCache::store(const std::string& key, const mbedtls_ssl_context* ssl, std::time_t now) {
    auto session = std::make_unique<SslSession>();
    if (mbedtls_ssl_get_session(ssl, session->get()) != 0) return;
    for (auto entry = entries_.begin(); entry != entries_.end(); ++entry) {
        if (entry->key == key) {
            entries_.erase(entry);
            break;
        }
    }
    if (entries_.size() >= kUpstreamSessionCacheEntries) entries_.erase(entries_.begin());
    entries_.push_back(Entry{key, now, std::move(session)});
}

// One client config: the two differ only in the ALPN list they offer.
static int configure_client(mbedtls_ssl_config* config, const char** alpn, mbedtls_x509_crt* trust_anchors) {
    int rc = mbedtls_ssl_config_defaults(config, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    if (rc == 0) rc = mbedtls_ssl_conf_alpn_protocols(config, alpn);
    if (rc != 0) return rc;
    mbedtls_ssl_conf_rng(config, RandomSource::generate, RandomSource::process().context());
    mbedtls_ssl_conf_authmode(config, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(config, trust_anchors, nullptr);
    mbedtls_ssl_conf_min_version(config, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_ciphersuites(config, cpu_has_fast_aes_gcm() ? kUpstreamCiphersuitesAesFirst
                                                                  : kUpstreamCiphersuitesChachaFirst);
    mbedtls_ssl_conf_curves(config, kUpstreamCurves);
    mbedtls_ssl_conf_renegotiation(config, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
    offload_records_after_handshake(config);
    return 0;
}

Result<std::unique_ptr<UpstreamTlsClient>> UpstreamTlsClient::create(const UpstreamTrust& trust) {
    using R = Result<std::unique_ptr<UpstreamTlsClient>>;
    std::unique_ptr<UpstreamTlsClient> client(new UpstreamTlsClient());
    // The offloads' self-checks run now, before the first handshake.
    (void)elliptic_curve_offload_status();
    (void)modular_inverse_offload_status();
    (void)sha256_block_offload_status();
    if (!trust.system_bundle.empty()) {
        // A positive result counts certificates mbedTLS skipped (unsupported
        // algorithms in the system bundle); only a total failure is an error.
        const int rc = mbedtls_x509_crt_parse_file(client->trust_anchors_.get(), trust.system_bundle.c_str());
        if (rc < 0)
            return R::failure("cannot read the system trust store " + trust.system_bundle + ": " + mbedtls_error_text(rc) +
                              "; install the ca-certificates package");
    }
    for (const auto& file : trust.extra_ca_files) {
        const int rc = mbedtls_x509_crt_parse_file(client->trust_anchors_.get(), file.c_str());
        if (rc != 0)
            return R::failure("tls.extra_ca: cannot use " + file + " (" +
                              (rc < 0 ? mbedtls_error_text(rc) : std::to_string(rc) + " certificates did not parse") +
                              "); give a PEM file of CA certificates");
    }
    if (client->trusted_certificate_count() == 0)
        return R::failure("no trusted CA certificates: neither the system store nor tls.extra_ca gave any");

    for (auto [config, alpn] : {std::pair{client->config_.get(), kUpstreamAlpn}, std::pair{client->config_h2_.get(), kUpstreamAlpnH2}}) {
        const int rc = configure_client(config, alpn, client->trust_anchors_.get());
        if (rc != 0) return R::failure("cannot configure the upstream TLS client: " + mbedtls_error_text(rc));
    }
    return R::success(std::move(client));
}

Status UpstreamTlsClient::add_client_certificate(const UpstreamClientCertificate& given) {
    auto hosts = PassthroughHosts::from_patterns(given.hosts);
    if (!hosts) return Status::failure(given.label + ": hosts: " + hosts.error());
    for (const auto& host : given.hosts)
        if (presents_client_certificate_to(host))
            return Status::failure(given.label + ": " + host + " already has a client certificate from another entry");
    auto entry = std::make_unique<ClientCertificateConfigs>();
    entry->hosts = hosts.take();
    // mbedTLS parses PEM from a NUL-terminated buffer: a copy, wiped at once.
    std::string certificate(given.certificate_pem);
    int rc = mbedtls_x509_crt_parse(entry->certificate.get(), reinterpret_cast<const unsigned char*>(certificate.c_str()),
                                    certificate.size() + 1);
    if (rc != 0)
        return Status::failure(given.label + ": its client certificate does not parse (" +
                               (rc < 0 ? mbedtls_error_text(rc) : std::to_string(rc) + " certificates skipped") + ")");
    if (auto parsed = entry->key.parse(given.key_pem); !parsed)
        return Status::failure(given.label + ": its client key does not parse (" + parsed.error() + ")");
    if (mbedtls_pk_check_pair(&entry->certificate.get()->pk, entry->key.get()) != 0)
        return Status::failure(given.label + ": its client key is not the key of its certificate");
    for (auto [config, alpn] : {std::pair{entry->config.get(), kUpstreamAlpn}, std::pair{entry->config_h2.get(), kUpstreamAlpnH2}}) {
        rc = configure_client(config, alpn, trust_anchors_.get());
        if (rc == 0) rc = mbedtls_ssl_conf_own_cert(config, entry->certificate.get(), entry->key.get());
        if (rc != 0) return Status::failure(given.label + ": cannot configure its client certificate: " + mbedtls_error_text(rc));
    }
    client_certificates_.push_back(std::move(entry));
    return ok_status();
}

const UpstreamTlsClient::ClientCertificateConfigs* UpstreamTlsClient::client_certificate_for(std::string_view name) const {
    for (const auto& entry : client_certificates_)
        if (entry->hosts.matches(name)) return entry.get();
    return nullptr;
}

bool UpstreamTlsClient::presents_client_certificate_to(std::string_view checked_name) const {
    return client_certificate_for(checked_name) != nullptr;
}

std::size_t UpstreamTlsClient::trusted_certificate_count() const {
    std::size_t count = 0;
    for (const mbedtls_x509_crt* c = trust_anchors_.get(); c != nullptr && c->raw.p != nullptr; c = c->next) ++count;
    return count;
}

Result<std::unique_ptr<TlsSession>> UpstreamTlsClient::start_session(std::string_view server_name, std::string_view destination_ip,
                                                                     bool offer_h2) {
    using R = Result<std::unique_ptr<TlsSession>>;
    // No SNI: the certificate must name the address the guest dialed. An IP
    // literal as SNI (RFC 6066 forbids it; old clients send it) is the same case.
    const std::string_view expected = server_name.empty() ? destination_ip : server_name;
    auto parsed = LeafName::parse(expected);
    if (!parsed) return R::failure("upstream TLS needs a server name or destination IP: " + parsed.error());
    std::optional<std::vector<std::uint8_t>> expected_ip = parsed.value().ip;
    std::string expected_name(expected);
    // A session is resumed only for the same checked name at the same address.
    std::string cache_key = expected_name + "@" + std::string(destination_ip);
    auto session = std::make_unique<UpstreamSession>(expected_name, std::move(expected_ip), sessions_, std::move(cache_key));
    const mbedtls_ssl_config* config = offer_h2 ? config_h2_.get() : config_.get();
    if (const ClientCertificateConfigs* own = client_certificate_for(expected_name))
        config = offer_h2 ? own->config_h2.get() : own->config.get();
    if (!session->start(config)) return R::failure("cannot allocate an upstream TLS session for " + expected_name);
    return R::success(std::move(session));
}

}  // namespace askfirst::tls
