// Tests for tls/guest_tls_server.h and tls/tls_session.h on the guest side:
// a plain mbedTLS client (the guest) handshakes with our server session, all
// in memory; the leaf it sees, resumption, ALPN, refusals, close and
// back-pressure are each pinned here.
#include <doctest.h>

#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ciphersuites.h>

#include "tests/unit/tls/client_hello_builder.h"
#include "tests/unit/tls/tls_test_peers.h"
#include "tls/ca_store.h"
#include "tls/client_hello.h"
#include "tls/guest_tls_server.h"
#include "tls/upstream_verification.h"

using namespace askfirst::tls;
using namespace askfirst::tls::testing;

namespace {

struct GuestFixture {
    TemporaryDirectory directory;
    std::unique_ptr<CertificateAuthority> ca = CertificateAuthority::load_or_create(CaLocation::in_directory(directory.path() + "/ca")).take();
    std::unique_ptr<GuestTlsServer> server = GuestTlsServer::create(*ca).take();

    // The guest's first flight, parsed as the flow shell would, then given
    // to a new server session; `split` re-frames the ClientHello into
    // records of that many bytes first.
    std::unique_ptr<TlsSession> accept(TestPeer& guest, const std::string& destination = "198.51.100.7", std::size_t split = 0,
                                       bool offer_h2 = true) {
        guest.advance();
        Bytes first_flight = guest.take_ciphertext();
        if (split > 0) first_flight = as_records(parse_client_hello(first_flight).hello.handshake_message, split);
        const auto parse = parse_client_hello(first_flight);
        REQUIRE(parse.status == ClientHelloStatus::complete);
        auto session = server->start_session(parse.hello, destination, offer_h2);
        REQUIRE(session.ok());
        return session.take();
    }
};

std::unique_ptr<TestPeer> guest_client(GuestFixture& f, const std::string& sni, std::vector<std::string> alpn = {"h2", "http/1.1"},
                                       const mbedtls_ssl_session* resume = nullptr, bool tickets = true) {
    TestClientOptions options;
    options.trust = f.ca->certificate();
    options.server_name = sni;
    options.alpn = std::move(alpn);
    options.resume = resume;
    options.session_tickets = tickets;
    return TestPeer::client(options);
}

bool leaf_has_dns_name(const mbedtls_x509_crt* leaf, const std::string& name) {
    for (const mbedtls_x509_sequence* san = &leaf->subject_alt_names; san != nullptr; san = san->next)
        if (san->buf.p != nullptr && std::string(reinterpret_cast<const char*>(san->buf.p), san->buf.len) == name) return true;
    return false;
}

}  // namespace

TEST_CASE("a guest that trusts the askfirst CA gets a leaf for its SNI, chained to the CA, and h2 when it offers h2") {
    GuestFixture f;
    auto guest = guest_client(f, "api.example.com");
    auto session = f.accept(*guest);
    pump(*guest, *session);
    REQUIRE(session->state() == TlsSessionState::established);
    REQUIRE(guest->state() == TlsSessionState::established);
    CHECK(session->negotiated_alpn() == "h2");  // each stream is judged (src/http/http2_session.h)
    CHECK(guest->negotiated_alpn() == "h2");
    // Our preference: AES-128-GCM where the CPU has AES-NI (libcrypto seals the records), else ChaCha20-Poly1305.
    CHECK(session->ciphersuite() == (cpu_has_fast_aes_gcm() ? "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256"
                                                            : "TLS-ECDHE-ECDSA-WITH-CHACHA20-POLY1305-SHA256"));
    const mbedtls_x509_crt* leaf = guest->peer_certificate();
    REQUIRE(leaf != nullptr);
    CHECK(leaf_has_dns_name(leaf, "api.example.com"));
    CHECK(leaf->ca_istrue == 0);
    std::uint32_t flags = 0;
    CHECK(mbedtls_x509_crt_verify(const_cast<mbedtls_x509_crt*>(leaf), f.ca->certificate(), nullptr, "api.example.com", &flags, nullptr, nullptr) == 0);
    CHECK(flags == 0);
    CHECK(send_through(*guest, *session, "GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n") == "GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n");
    CHECK(send_through(*session, *guest, "HTTP/1.1 204 No Content\r\n\r\n") == "HTTP/1.1 204 No Content\r\n\r\n");
}

TEST_CASE("without SNI the leaf names the destination IP as an iPAddress SAN") {
    GuestFixture f;
    TestClientOptions options;  // no SNI, no name check: the IP SAN is checked below
    options.trust = f.ca->certificate();
    auto guest = TestPeer::client(options);
    auto session = f.accept(*guest, "198.51.100.7");
    pump(*guest, *session);
    REQUIRE(guest->state() == TlsSessionState::established);
    CHECK(certificate_names_ip(guest->peer_certificate(), {198, 51, 100, 7}));
    CHECK_FALSE(certificate_names_ip(guest->peer_certificate(), {198, 51, 100, 8}));
}

TEST_CASE("a second connection to the same name reuses the cached leaf") {
    GuestFixture f;
    for (int connection = 0; connection < 2; ++connection) {
        auto guest = guest_client(f, "repo.example.org");
        auto session = f.accept(*guest);
        pump(*guest, *session);
        CHECK(guest->state() == TlsSessionState::established);
    }
    auto other = guest_client(f, "other.example.org");
    auto other_session = f.accept(*other);
    pump(*other, *other_session);
    CHECK(f.server->leaves_minted() == 2);
    CHECK(f.server->leaf_cache().hits() == 1);
    CHECK(f.server->leaf_cache().size() == 2);
}

TEST_CASE("a returning guest resumes by session ticket, and by session id without tickets") {
    for (const bool tickets : {true, false}) {
        CAPTURE(tickets);
        GuestFixture f;
        auto first = guest_client(f, "api.example.com", {"http/1.1"}, nullptr, tickets);
        auto first_session = f.accept(*first);
        pump(*first, *first_session);
        REQUIRE(first->state() == TlsSessionState::established);
        CHECK_FALSE(first_session->resumed());
        auto saved = first->saved_session();
        REQUIRE(saved != nullptr);
        auto second = guest_client(f, "api.example.com", {"http/1.1"}, saved->get(), tickets);
        auto second_session = f.accept(*second);
        pump(*second, *second_session);
        REQUIRE(second_session->state() == TlsSessionState::established);
        CHECK(second_session->resumed());
        CHECK(second->resumed());
        CHECK(send_through(*second, *second_session, "ping") == "ping");
    }
}

TEST_CASE("a ClientHello split across records still completes the handshake") {
    GuestFixture f;
    auto guest = guest_client(f, "split.example.com");
    auto session = f.accept(*guest, "198.51.100.7", 50);
    pump(*guest, *session);
    CHECK(session->state() == TlsSessionState::established);
    CHECK(guest->state() == TlsSessionState::established);
}

TEST_CASE("a guest offering only http/1.1 gets http/1.1") {
    GuestFixture f;
    auto guest = guest_client(f, "api.example.com", {"http/1.1"});
    auto session = f.accept(*guest);
    pump(*guest, *session);
    REQUIRE(session->state() == TlsSessionState::established);
    CHECK(session->negotiated_alpn() == "http/1.1");
}

// An upstream that answered h2 with HTTP/1.1 (tls/upstream_alpn_memory.h):
// the guest is offered http/1.1 only, from the same leaf, and the next
// guest offered both still gets h2.
TEST_CASE("offered http/1.1 only, a guest that prefers h2 gets http/1.1; the same leaf still gives h2 when offered") {
    GuestFixture f;
    auto first = guest_client(f, "api.example.com", {"h2", "http/1.1"});
    auto session = f.accept(*first, "198.51.100.7", 0, /*offer_h2=*/false);
    pump(*first, *session);
    REQUIRE(session->state() == TlsSessionState::established);
    CHECK(session->negotiated_alpn() == "http/1.1");
    CHECK(first->negotiated_alpn() == "http/1.1");
    auto second = guest_client(f, "api.example.com", {"h2", "http/1.1"});
    auto h2_session = f.accept(*second);
    pump(*second, *h2_session);
    REQUIRE(h2_session->state() == TlsSessionState::established);
    CHECK(h2_session->negotiated_alpn() == "h2");
    CHECK(f.server->leaves_minted() == 1);
}

TEST_CASE("a guest offering neither h2 nor http/1.1 fails cleanly with no_common_alpn, without hanging") {
    GuestFixture f;
    auto guest = guest_client(f, "api.example.com", {"spdy/3.1"});
    auto session = f.accept(*guest);
    const int rounds = pump(*guest, *session);
    CHECK(rounds < 10);
    CHECK(session->state() == TlsSessionState::failed);
    CHECK(session->failure().kind == TlsFailureKind::no_common_alpn);
    CHECK(session->failure().reason.find("spdy/3.1") != std::string::npos);
    CHECK(guest->state() == TlsSessionState::failed);
    CHECK(guest->failure().alert == MBEDTLS_SSL_ALERT_MSG_NO_APPLICATION_PROTOCOL);
}

TEST_CASE("a guest that does not trust our CA is reported as refusing our certificate") {
    GuestFixture f;
    auto stranger_ca = make_test_ca("someone else");
    struct Row { const char* name; const mbedtls_x509_crt* trust; std::string sni; int alert; };
    const Row rows[] = {
        {"unknown CA", stranger_ca->certificate.get(), "api.example.com", MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA},
        // The guest trusts us but checks another name than it sent as SNI.
        {"name mismatch", f.ca->certificate(), "api.example.com", MBEDTLS_SSL_ALERT_MSG_BAD_CERT},
    };
    for (const auto& row : rows) {
        const std::string name = row.name;
        CAPTURE(name);
        TestClientOptions options;
        options.trust = row.trust;
        options.server_name = row.sni;
        auto guest = TestPeer::client(options);
        guest->advance();
        auto flight = guest->take_ciphertext();
        auto hello = parse_client_hello(flight).hello;
        if (name == "name mismatch") hello.server_name = "other.example.com";  // we mint for another name
        auto session = f.server->start_session(hello, "198.51.100.7").take();
        pump(*guest, *session);
        CHECK(session->state() == TlsSessionState::failed);
        CHECK(session->failure().kind == TlsFailureKind::guest_rejected_certificate);
        CHECK(session->failure().alert == row.alert);
        CHECK(session->failure().reason.find("askfirst ca export") != std::string::npos);
    }
}

TEST_CASE("close_notify is delivered both ways; a FIN without it is a truncation") {
    GuestFixture f;
    auto guest = guest_client(f, "api.example.com");
    auto session = f.accept(*guest);
    pump(*guest, *session);
    std::uint8_t buffer[64];
    guest->close();
    pump(*guest, *session);
    CHECK(session->read_plaintext(buffer) == 0);
    CHECK(session->state() == TlsSessionState::peer_closed);
    CHECK_FALSE(session->truncated());
    session->close();
    pump(*guest, *session);
    CHECK(guest->read_plaintext(buffer) == 0);
    CHECK(guest->state() == TlsSessionState::peer_closed);

    auto guest2 = guest_client(f, "api.example.com");
    auto session2 = f.accept(*guest2);
    pump(*guest2, *session2);
    session2->on_transport_eof();
    CHECK(session2->read_plaintext(buffer) == 0);
    CHECK(session2->state() == TlsSessionState::peer_closed);
    CHECK(session2->truncated());
}

TEST_CASE("a guest that disconnects during the handshake fails as closed_during_handshake") {
    GuestFixture f;
    auto guest = guest_client(f, "api.example.com");
    auto session = f.accept(*guest);
    session->on_transport_eof();
    CHECK(session->state() == TlsSessionState::failed);
    CHECK(session->failure().kind == TlsFailureKind::closed_during_handshake);
}

TEST_CASE("garbage after the handshake fails the session with a protocol error") {
    GuestFixture f;
    auto guest = guest_client(f, "api.example.com");
    auto session = f.accept(*guest);
    pump(*guest, *session);
    const Bytes garbage = {23, 3, 3, 0, 32, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
    CHECK(session->accept_ciphertext(garbage) == garbage.size());
    std::uint8_t buffer[64];
    CHECK(session->read_plaintext(buffer) == 0);
    CHECK(session->state() == TlsSessionState::failed);
    CHECK(session->failure().kind == TlsFailureKind::protocol_error);
    CHECK(session->accept_ciphertext(garbage) == 0);
}

TEST_CASE("back-pressure: input stops at its bound and output stops until the shell drains it") {
    GuestFixture f;
    auto guest = guest_client(f, "api.example.com");
    auto session = f.accept(*guest);
    pump(*guest, *session);
    const Bytes flood(3 * kMaxBufferedCiphertextIn, 0x17);
    CHECK(session->accept_ciphertext(flood) == kMaxBufferedCiphertextIn);
    CHECK(session->ciphertext_in_room() == 0);

    auto guest2 = guest_client(f, "api.example.com");
    auto session2 = f.accept(*guest2);
    pump(*guest2, *session2);
    const Bytes body(4 * kMaxBufferedCiphertextOut, 'x');
    const std::size_t accepted = session2->write_plaintext(body);
    CHECK(accepted > 0);
    CHECK(accepted < body.size());
    CHECK(session2->pending_ciphertext().size() < kMaxBufferedCiphertextOut + 16384 + 2048);
    CHECK(session2->write_plaintext(body) == 0);
    session2->take_ciphertext();
    CHECK(session2->write_plaintext(body) > 0);
}

TEST_CASE("the guest side speaks each offered AEAD suite, and refuses CBC and curves it cannot sign for") {
    GuestFixture f;
    // curve NONE: the guest offers X25519 and P-256 (what real clients do).
    // In TLS 1.2 the client's group list also bounds the certificate's curve
    // (RFC 4492 §5.1), so a client without P-256 cannot take our leaves.
    struct Row { int suite; mbedtls_ecp_group_id curve; bool works; };
    const Row rows[] = {
        {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, MBEDTLS_ECP_DP_NONE, true},
        {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, MBEDTLS_ECP_DP_SECP256R1, true},
        {MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, MBEDTLS_ECP_DP_SECP256R1, true},
        {MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, MBEDTLS_ECP_DP_NONE, true},
        {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, MBEDTLS_ECP_DP_NONE, false},
        {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, MBEDTLS_ECP_DP_SECP384R1, false},
        {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, MBEDTLS_ECP_DP_CURVE25519, false},
    };
    for (const auto& row : rows) {
        const std::string suite = mbedtls_ssl_get_ciphersuite_name(row.suite);
        CAPTURE(suite);
        CAPTURE(static_cast<int>(row.curve));
        TestClientOptions options;
        options.trust = f.ca->certificate();
        options.server_name = "api.example.com";
        options.only_ciphersuite = row.suite;
        options.only_curve = row.curve;
        auto guest = TestPeer::client(options);
        auto session = f.accept(*guest);
        pump(*guest, *session);
        CHECK(session->is_established() == row.works);
        if (row.works) CHECK(session->ciphersuite() == suite);
        else CHECK(session->state() == TlsSessionState::failed);
    }
}

TEST_CASE("a guest that offers only TLS 1.3 is told that askfirst speaks TLS 1.2") {
    GuestFixture f;
    HelloSpec spec;
    spec.server_name = "api.example.com";
    spec.versions = {0x0304};
    const auto parse = parse_client_hello(client_hello_records(spec));
    REQUIRE(parse.status == ClientHelloStatus::complete);
    auto session = f.server->start_session(parse.hello, "198.51.100.7").take();
    // The guest answers our TLS 1.2 ServerHello with protocol_version (70).
    const Bytes alert = {21, 3, 3, 0, 2, 2, 70};
    session->accept_ciphertext(alert);
    session->advance();
    CHECK(session->state() == TlsSessionState::failed);
    CHECK(session->failure().reason.find("only TLS 1.3") != std::string::npos);
}

TEST_CASE("ALPN: our preference decides (h2 first), so negotiates_h2 is known from the ClientHello alone") {
    struct Row { const char* name; std::vector<std::string> offered; const char* chosen; };
    for (const Row& row : {Row{"h2 then http/1.1", {"h2", "http/1.1"}, "h2"},
                           Row{"http/1.1 then h2: still h2", {"http/1.1", "h2"}, "h2"},
                           Row{"http/1.1 only", {"http/1.1"}, "http/1.1"}}) {
        CAPTURE(row.name);
        GuestFixture f;
        auto guest = guest_client(f, "api.example.com", row.offered);
        auto session = f.accept(*guest);
        pump(*guest, *session);
        REQUIRE(session->state() == TlsSessionState::established);
        CHECK(session->negotiated_alpn() == row.chosen);
        ClientHello hello;
        hello.alpn_protocols = row.offered;
        CHECK(negotiates_h2(hello) == (std::string(row.chosen) == "h2"));
    }
    CHECK_FALSE(negotiates_h2(ClientHello{}));
}
