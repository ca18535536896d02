// The fixtures of tls_test_peers.h.
#include "tests/unit/tls/tls_test_peers.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tls/random_source.h"

namespace askfirst::tls::testing {
namespace {

const mbedtls_ecp_group_id kTestCurves[] = {MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_NONE};

std::unique_ptr<TestCertificate> parsed(std::unique_ptr<TestCertificate> made) {
    if (mbedtls_x509_crt_parse_der(made->certificate.get(), made->der.data(), made->der.size()) != 0) return nullptr;
    return made;
}

}  // namespace

TemporaryDirectory::TemporaryDirectory() {
    char name[] = "/tmp/askfirst-tls-test-XXXXXX";
    path_ = ::mkdtemp(name) != nullptr ? name : "";
}

TemporaryDirectory::~TemporaryDirectory() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
}

std::string write_text_file(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    return path;
}

std::unique_ptr<TestCertificate> make_test_ca(const std::string& common_name, int intermediates) {
    auto ca = std::make_unique<TestCertificate>();
    ca->key = generate_p256_key().take();
    ca->subject = "CN=" + common_name + ",O=askfirst tests";
    const std::time_t now = std::time(nullptr);
    CertificateRequest request{ca->subject, now - kDay, now + 365 * kDay, true, std::nullopt, intermediates};
    ca->der = write_certificate(request, *ca->key, *ca->key, ca->subject).take();
    return parsed(std::move(ca));
}

std::unique_ptr<TestCertificate> make_test_intermediate(TestCertificate& issuer, const std::string& common_name,
                                                        std::time_t from_offset, std::time_t to_offset) {
    auto ca = std::make_unique<TestCertificate>();
    ca->key = generate_p256_key().take();
    ca->subject = "CN=" + common_name + ",O=askfirst tests";
    const std::time_t now = std::time(nullptr);
    CertificateRequest request{ca->subject, now + from_offset, now + to_offset, true, std::nullopt, 0};
    ca->der = write_certificate(request, *ca->key, *issuer.key, issuer.subject).take();
    return parsed(std::move(ca));
}

void append_to_chain(TestCertificate& leaf, const TestCertificate& next) {
    mbedtls_x509_crt_parse_der(leaf.certificate.get(), next.der.data(), next.der.size());
}

std::unique_ptr<TestCertificate> make_test_leaf(TestCertificate* issuer, const std::string& host, std::time_t from_offset,
                                                std::time_t to_offset) {
    auto leaf = std::make_unique<TestCertificate>();
    leaf->key = generate_p256_key().take();
    leaf->subject = "CN=" + host + ",O=askfirst tests";
    const std::time_t now = std::time(nullptr);
    CertificateRequest request{leaf->subject, now + from_offset, now + to_offset, false, LeafName::parse(host).take()};
    PrivateKey& signer = issuer != nullptr ? *issuer->key : *leaf->key;
    const std::string& issuer_subject = issuer != nullptr ? issuer->subject : leaf->subject;
    leaf->der = write_certificate(request, *leaf->key, signer, issuer_subject).take();
    return parsed(std::move(leaf));
}

std::unique_ptr<TestPeer> TestPeer::client(const TestClientOptions& options) {
    std::unique_ptr<TestPeer> peer(new TestPeer(Role::upstream_client));
    mbedtls_ssl_config* config = peer->config_.get();
    mbedtls_ssl_config_defaults(config, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    mbedtls_ssl_conf_rng(config, RandomSource::generate, RandomSource::process().context());
    mbedtls_ssl_conf_curves(config, kTestCurves);
    if (options.trust != nullptr) {
        mbedtls_ssl_conf_authmode(config, MBEDTLS_SSL_VERIFY_REQUIRED);
        mbedtls_ssl_conf_ca_chain(config, const_cast<mbedtls_x509_crt*>(options.trust), nullptr);
    } else {
        mbedtls_ssl_conf_authmode(config, MBEDTLS_SSL_VERIFY_NONE);
    }
    peer->alpn_storage_ = options.alpn;
    for (const auto& protocol : peer->alpn_storage_) peer->alpn_list_.push_back(protocol.c_str());
    peer->alpn_list_.push_back(nullptr);
    if (!options.alpn.empty()) mbedtls_ssl_conf_alpn_protocols(config, peer->alpn_list_.data());
    if (options.only_curve != MBEDTLS_ECP_DP_NONE) {
        peer->curves_[0] = options.only_curve;
        mbedtls_ssl_conf_curves(config, peer->curves_);
    }
    if (options.only_ciphersuite != 0) {
        peer->suites_[0] = options.only_ciphersuite;
        mbedtls_ssl_conf_ciphersuites(config, peer->suites_);
    }
    if (!options.session_tickets) mbedtls_ssl_conf_session_tickets(config, MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
    if (!peer->setup(config)) return nullptr;
    if (!options.server_name.empty()) mbedtls_ssl_set_hostname(peer->ssl(), options.server_name.c_str());
    if (options.resume != nullptr) mbedtls_ssl_set_session(peer->ssl(), options.resume);
    return peer;
}

std::unique_ptr<TestPeer> TestPeer::server(TestCertificate& leaf, std::vector<std::string> alpn, TicketKeys* tickets) {
    std::unique_ptr<TestPeer> peer(new TestPeer(Role::guest_server));
    mbedtls_ssl_config* config = peer->config_.get();
    mbedtls_ssl_config_defaults(config, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    mbedtls_ssl_conf_rng(config, RandomSource::generate, RandomSource::process().context());
    mbedtls_ssl_conf_curves(config, kTestCurves);
    mbedtls_ssl_conf_own_cert(config, leaf.certificate.get(), leaf.key->get());
    if (tickets != nullptr) {
        if (tickets->get()->f_rng == nullptr)
            mbedtls_ssl_ticket_setup(tickets->get(), RandomSource::generate, RandomSource::process().context(),
                                     MBEDTLS_CIPHER_AES_256_GCM, 3600);
        mbedtls_ssl_conf_session_tickets_cb(config, mbedtls_ssl_ticket_write, mbedtls_ssl_ticket_parse, tickets->get());
    }
    peer->alpn_storage_ = std::move(alpn);
    for (const auto& protocol : peer->alpn_storage_) peer->alpn_list_.push_back(protocol.c_str());
    peer->alpn_list_.push_back(nullptr);
    if (!peer->alpn_storage_.empty()) mbedtls_ssl_conf_alpn_protocols(config, peer->alpn_list_.data());
    if (!peer->setup(config)) return nullptr;
    return peer;
}

std::unique_ptr<SslSession> TestPeer::saved_session() {
    auto session = std::make_unique<SslSession>();
    if (mbedtls_ssl_get_session(ssl(), session->get()) != 0) return nullptr;
    return session;
}

void TestPeer::record_handshake_failure(int code, int alert) {
    fail(alert >= 0 ? TlsFailureKind::peer_alert : TlsFailureKind::protocol_error,
         "test peer handshake failed: " + mbedtls_error_text(code), alert);
}

namespace {

std::size_t move_ciphertext(TlsSession& from, TlsSession& to) {
    std::size_t moved = 0;
    while (from.wants_to_write()) {
        const auto pending = from.pending_ciphertext();
        const std::size_t n = to.accept_ciphertext(pending);
        if (n == 0) break;
        from.consume_ciphertext(n);
        moved += n;
    }
    to.advance();
    return moved;
}

}  // namespace

int pump(TlsSession& a, TlsSession& b) {
    int rounds = 0;
    a.advance();
    b.advance();
    while (rounds < 100) {
        ++rounds;
        const std::size_t moved = move_ciphertext(a, b) + move_ciphertext(b, a);
        if (moved == 0) break;
    }
    return rounds;
}

std::string send_through(TlsSession& from, TlsSession& to, const std::string& bytes) {
    std::string received;
    std::size_t sent = 0;
    std::vector<std::uint8_t> buffer(16384);
    for (int guard = 0; guard < 100000 && (sent < bytes.size() || received.size() < bytes.size()); ++guard) {
        sent += from.write_plaintext({reinterpret_cast<const std::uint8_t*>(bytes.data()) + sent, bytes.size() - sent});
        pump(from, to);
        for (std::size_t n; (n = to.read_plaintext(buffer)) > 0;) received.append(reinterpret_cast<char*>(buffer.data()), n);
        if (from.state() == TlsSessionState::failed || to.state() == TlsSessionState::failed) break;
    }
    return received;
}

}  // namespace askfirst::tls::testing
