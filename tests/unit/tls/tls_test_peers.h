// Test fixtures for the tls/ sessions, all in memory: a test PKI made with
// mbedTLS (CA, leaves valid / expired / for another name, self-signed), a
// plain mbedTLS endpoint (TestPeer) that plays the guest's client or the
// upstream server, and pump(), which moves ciphertext between two sessions
// until both are quiet.
#pragma once

#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "tls/certificate_builder.h"
#include "tls/mbedtls_handles.h"
#include "tls/tls_interceptor.h"
#include "tls/tls_session.h"

namespace askfirst::tls::testing {

struct TestCertificate {
    std::unique_ptr<PrivateKey> key;
    std::vector<std::uint8_t> der;
    X509Certificate certificate;
    std::string subject;
};

constexpr std::time_t kDay = 24 * 3600;

// A root that may have `intermediates` below it.
std::unique_ptr<TestCertificate> make_test_ca(const std::string& common_name, int intermediates = 0);
// An intermediate CA signed by `issuer`, valid from now + from_offset to now + to_offset.
std::unique_ptr<TestCertificate> make_test_intermediate(TestCertificate& issuer, const std::string& common_name,
                                                        std::time_t from_offset = -kDay, std::time_t to_offset = 365 * kDay);
// Appends `next` to `leaf`'s chain, so a TestPeer server sends both.
void append_to_chain(TestCertificate& leaf, const TestCertificate& next);
// A leaf for `host` (DNS name or IP literal) signed by `issuer`, valid from
// now + from_offset to now + to_offset; issuer null makes it self-signed.
std::unique_ptr<TestCertificate> make_test_leaf(TestCertificate* issuer, const std::string& host,
                                                std::time_t from_offset = -kDay, std::time_t to_offset = 30 * kDay);

// A fresh directory under /tmp, removed with everything in it.
class TemporaryDirectory {
public:
    TemporaryDirectory();
    ~TemporaryDirectory();
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

std::string write_text_file(const std::string& path, const std::string& text);

struct TestClientOptions {
    const mbedtls_x509_crt* trust = nullptr;  // required verification against this
    std::string server_name;                  // SNI and name checked ("" for none)
    std::vector<std::string> alpn;            // offered protocols, in order
    const mbedtls_ssl_session* resume = nullptr;
    bool session_tickets = true;
    int only_ciphersuite = 0;  // offer just this suite (0: mbedTLS's defaults)
    mbedtls_ecp_group_id only_curve = MBEDTLS_ECP_DP_NONE;  // offer just this ECDHE group
};

// A plain mbedTLS endpoint driven through the same memory-buffer shell.
class TestPeer final : public TlsSession {
public:
    static std::unique_ptr<TestPeer> client(const TestClientOptions& options);
    // `tickets` (optional) lets the server issue and accept session tickets.
    static std::unique_ptr<TestPeer> server(TestCertificate& leaf, std::vector<std::string> alpn = {"http/1.1"},
                                            TicketKeys* tickets = nullptr);

    // The session after a handshake, for resumption (client side).
    std::unique_ptr<SslSession> saved_session();
    const mbedtls_x509_crt* peer_certificate() { return mbedtls_ssl_get_peer_cert(ssl()); }
    std::uint32_t verify_result() { return mbedtls_ssl_get_verify_result(ssl()); }

private:
    TestPeer(Role role) : TlsSession(role) {}
    void record_handshake_failure(int code, int alert) override;

    SslConfig config_;
    int suites_[2] = {0, 0};
    mbedtls_ecp_group_id curves_[2] = {MBEDTLS_ECP_DP_NONE, MBEDTLS_ECP_DP_NONE};
    std::vector<std::string> alpn_storage_;
    std::vector<const char*> alpn_list_;
};

// Moves ciphertext both ways until neither side has more; returns the rounds.
int pump(TlsSession& a, TlsSession& b);

// Writes all of `bytes` into `from`, pumping to `to`, and returns what `to`
// read back as plaintext.
std::string send_through(TlsSession& from, TlsSession& to, const std::string& bytes);

// Both of askfirst's sessions for one flow, opened as askfirstd's pipeline
// opens them (the guest's on our leaf, then the upstream's), so in-memory
// tests can drive a whole intercepted flow.
struct InterceptedFlowTls {
    std::unique_ptr<TlsSession> guest;     // our server, facing the guest
    std::unique_ptr<TlsSession> upstream;  // our client, facing the real server
};

inline Result<InterceptedFlowTls> open_flow(TlsInterceptor& tls, const ClientHello& hello,
                                            std::string_view destination_ip) {
    using R = Result<InterceptedFlowTls>;
    auto guest = tls.start_guest_session(hello, destination_ip);
    if (!guest) return R::failure(guest.error());
    auto upstream = tls.start_upstream_session(hello.server_name, destination_ip);
    if (!upstream) return R::failure(upstream.error());
    return R::success(InterceptedFlowTls{guest.take(), upstream.take()});
}

}  // namespace askfirst::tls::testing
