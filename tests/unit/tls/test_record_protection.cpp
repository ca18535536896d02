// Unit tests for the records after the handshake (tls/record_protection.h,
// tls/tls_session_records.cpp): our sessions seal and open them with
// libcrypto while the test peers keep mbedTLS's record layer, so every
// exchange here checks the two against each other.
#include <doctest.h>
#include <mbedtls/ssl_ciphersuites.h>

#include <string>

#include "tests/unit/tls/tls_test_peers.h"
#include "tls/ca_store.h"
#include "tls/client_hello.h"
#include "tls/guest_tls_server.h"
#include "tls/record_protection.h"
#include "tls/tls_interceptor.h"

using namespace askfirst::tls;
using namespace askfirst::tls::testing;

namespace {

// Both sessions of an intercepted flow, the guest's client and the server,
// all handshaken; the guest offers only `suite` (0: its defaults).
struct InterceptedWorld {
    TemporaryDirectory directory;
    std::unique_ptr<TestCertificate> upstream_ca = make_test_ca("records upstream CA");
    std::unique_ptr<TestCertificate> upstream_leaf = make_test_leaf(upstream_ca.get(), "api.example.com");
    std::unique_ptr<TlsInterceptor> tls;
    std::unique_ptr<TestPeer> guest, server;
    InterceptedFlowTls ours;

    explicit InterceptedWorld(int suite = 0) {
        TlsSettings settings;
        settings.ca_directory = directory.path() + "/ca";
        settings.system_trust_bundle = "";
        settings.extra_ca_files = {write_text_file(directory.path() + "/up.pem", certificate_pem(upstream_ca->der) + "\n")};
        tls = TlsInterceptor::create(settings).take();
        TestClientOptions options;
        options.trust = tls->ca().certificate();
        options.server_name = "api.example.com";
        options.only_ciphersuite = suite;
        options.alpn = {"h2", "http/1.1"};
        guest = TestPeer::client(options);
        server = TestPeer::server(*upstream_leaf);
        guest->advance();
        const auto flight = guest->take_ciphertext();
        ours = open_flow(*tls, parse_client_hello(flight).hello, "203.0.113.9").take();
        pump(*guest, *ours.guest);
        pump(*ours.upstream, *server);
    }
};

std::string patterned_bytes(std::size_t size) {
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 131 + i / 977) & 0xff);
    return bytes;
}

std::string read_all(TlsSession& session, std::size_t chunk) {
    std::string received;
    std::vector<std::uint8_t> buffer(chunk);
    for (std::size_t n; (n = session.read_plaintext(buffer)) > 0;) received.append(reinterpret_cast<char*>(buffer.data()), n);
    return received;
}

TrafficSecret secret(std::size_t key_bytes, std::size_t iv_bytes, std::uint8_t fill, std::uint64_t sequence) {
    return {std::vector<std::uint8_t>(key_bytes, fill), std::vector<std::uint8_t>(iv_bytes, fill ^ 0x5a), sequence};
}

}  // namespace

TEST_CASE("each AEAD suite's records go to libcrypto after the handshake and carry bulk data both ways intact") {
    const int suites[] = {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                          MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256};
    const std::string bulk = patterned_bytes(200 * 1024 + 17);  // many records, the last one short
    for (const int suite : suites) {
        CAPTURE(mbedtls_ssl_get_ciphersuite_name(suite));
        InterceptedWorld world(suite);
        REQUIRE(world.ours.guest->is_established());
        REQUIRE(world.ours.upstream->is_established());
        CHECK(world.ours.guest->records_offloaded());
        CHECK(world.ours.upstream->records_offloaded());
        CHECK(world.ours.guest->ciphersuite() == mbedtls_ssl_get_ciphersuite_name(suite));
        CHECK(world.ours.guest->negotiated_alpn() == "h2");
        CHECK(send_through(*world.guest, *world.ours.guest, bulk) == bulk);
        CHECK(send_through(*world.ours.guest, *world.guest, bulk) == bulk);
        CHECK(send_through(*world.ours.upstream, *world.server, bulk) == bulk);
        CHECK(send_through(*world.server, *world.ours.upstream, bulk) == bulk);
    }
}

TEST_CASE("a guest that resumes its session by ticket gets libcrypto records too, with the sequence numbers continued") {
    InterceptedWorld world;
    REQUIRE(send_through(*world.guest, *world.ours.guest, "first") == "first");
    auto ticket = world.guest->saved_session();
    REQUIRE(ticket);
    TestClientOptions options;
    options.trust = world.tls->ca().certificate();
    options.server_name = "api.example.com";
    options.resume = ticket->get();
    auto guest = TestPeer::client(options);
    guest->advance();
    const auto flight = guest->take_ciphertext();
    auto ours = open_flow(*world.tls, parse_client_hello(flight).hello, "203.0.113.9").take();
    pump(*guest, *ours.guest);
    REQUIRE(ours.guest->is_established());
    CHECK(ours.guest->resumed());
    CHECK(ours.guest->records_offloaded());
    const std::string bulk = patterned_bytes(40000);
    CHECK(send_through(*guest, *ours.guest, bulk) == bulk);
    CHECK(send_through(*ours.guest, *guest, bulk) == bulk);
}

TEST_CASE("a read smaller than a record gets the rest of that record on the next reads") {
    InterceptedWorld world;
    const std::string message = patterned_bytes(10000);
    REQUIRE(world.guest->write_plaintext({reinterpret_cast<const std::uint8_t*>(message.data()), message.size()}) ==
            message.size());
    pump(*world.guest, *world.ours.guest);
    CHECK(read_all(*world.ours.guest, 999) == message);
}

TEST_CASE("a record altered on the wire fails the session with bad_record_mac and yields none of its bytes") {
    InterceptedWorld world;
    const std::string secret_text = "GET /secret HTTP/1.1\r\n\r\n";
    world.guest->write_plaintext({reinterpret_cast<const std::uint8_t*>(secret_text.data()), secret_text.size()});
    auto record = world.guest->take_ciphertext();
    REQUIRE(record.size() > 10);
    record[record.size() - 3] ^= 0x01;  // inside the tag
    REQUIRE(world.ours.guest->accept_ciphertext(record) == record.size());
    CHECK(read_all(*world.ours.guest, 16384).empty());
    CHECK(world.ours.guest->state() == TlsSessionState::failed);
    CHECK(world.ours.guest->failure().kind == TlsFailureKind::protocol_error);
    CHECK(world.ours.guest->wants_to_write());  // the fatal alert for the guest
    pump(*world.ours.guest, *world.guest);
    read_all(*world.guest, 16384);
    CHECK(world.guest->state() == TlsSessionState::failed);
}

TEST_CASE("close_notify either way ends the stream cleanly; a transport EOF without it is a truncation") {
    SUBCASE("the peer's close_notify") {
        InterceptedWorld world;
        world.guest->close();
        pump(*world.guest, *world.ours.guest);
        CHECK(read_all(*world.ours.guest, 16384).empty());
        CHECK(world.ours.guest->state() == TlsSessionState::peer_closed);
        CHECK_FALSE(world.ours.guest->truncated());
    }
    SUBCASE("our close_notify, read by an mbedTLS peer") {
        InterceptedWorld world;
        world.ours.upstream->close();
        CHECK(world.ours.upstream->state() == TlsSessionState::closed);
        pump(*world.ours.upstream, *world.server);
        read_all(*world.server, 16384);
        CHECK(world.server->state() == TlsSessionState::peer_closed);
        CHECK_FALSE(world.server->truncated());
    }
    SUBCASE("the transport ends without close_notify") {
        InterceptedWorld world;
        CHECK(send_through(*world.guest, *world.ours.guest, "last words") == "last words");
        world.ours.guest->on_transport_eof();
        CHECK(read_all(*world.ours.guest, 16384).empty());
        CHECK(world.ours.guest->state() == TlsSessionState::peer_closed);
        CHECK(world.ours.guest->truncated());
    }
}

TEST_CASE("a sealed record opens once with the peer's keys: a replay, a reordering or another type fails") {
    struct Row { RecordAead aead; std::size_t key_bytes, iv_bytes; };
    const Row rows[] = {{RecordAead::aes_128_gcm, 16, 4}, {RecordAead::aes_256_gcm, 32, 4},
                        {RecordAead::chacha20_poly1305, 32, 12}};
    for (const auto& row : rows) {
        CAPTURE(static_cast<int>(row.aead));
        auto ours_created = RecordProtection::create(row.aead, secret(row.key_bytes, row.iv_bytes, 1, 7),
                                                     secret(row.key_bytes, row.iv_bytes, 2, 0));
        auto peer_created = RecordProtection::create(row.aead, secret(row.key_bytes, row.iv_bytes, 2, 0),
                                                     secret(row.key_bytes, row.iv_bytes, 1, 7));
        REQUIRE_MESSAGE(ours_created.ok(), ours_created.error());
        REQUIRE_MESSAGE(peer_created.ok(), peer_created.error());
        auto ours = ours_created.take();
        auto peer = peer_created.take();
        const std::string text = "HTTP/1.1 200 OK\r\n\r\n";
        const std::span<const std::uint8_t> plain(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
        std::vector<std::uint8_t> first(ours->sealed_size(plain.size())), second(first.size());
        REQUIRE(ours->seal(23, plain, first));
        REQUIRE(ours->seal(23, plain, second));
        CHECK(first != second);  // a new nonce per record
        std::vector<std::uint8_t> opened(plain.size());
        const auto body = [](const std::vector<std::uint8_t>& record) {
            return std::span<const std::uint8_t>(record).subspan(kRecordHeaderBytes);
        };
        CHECK_FALSE(peer->open(23, body(second), opened));  // out of order
        CHECK_FALSE(peer->open(21, body(first), opened));   // another content type
        REQUIRE(peer->open(23, body(first), opened));
        CHECK(std::string(opened.begin(), opened.end()) == text);
        CHECK_FALSE(peer->open(23, body(first), opened));  // replayed
        CHECK(peer->open(23, body(second), opened));
    }
}

TEST_CASE("a key of the wrong length for its AEAD is refused") {
    const auto mismatched = RecordProtection::create(RecordAead::aes_128_gcm, secret(32, 4, 1, 0), secret(16, 4, 2, 0));
    CHECK_FALSE(mismatched.ok());
    CHECK(mismatched.error().find("libcrypto refused a key") != std::string::npos);
    const auto short_iv = RecordProtection::create(RecordAead::chacha20_poly1305, secret(32, 4, 1, 0), secret(32, 4, 2, 0));
    CHECK_FALSE(short_iv.ok());
    CHECK(short_iv.error().find("fixed IV") != std::string::npos);
}
