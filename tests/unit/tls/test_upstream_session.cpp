// Tests for tls/upstream_tls_client.h: our client session against an
// in-memory mbedTLS server holding certificates from a test CA given as
// tls.extra_ca. A bad certificate must fail with a reason a person can act
// on, and nothing may pass through the failed session.
#include <doctest.h>

#include "tests/unit/tls/tls_test_peers.h"
#include "tls/certificate_builder.h"
#include "tls/upstream_tls_client.h"

using namespace askfirst::tls;
using namespace askfirst::tls::testing;

namespace {

struct UpstreamFixture {
    TemporaryDirectory directory;
    std::unique_ptr<TestCertificate> ca = make_test_ca("upstream test CA");
    std::string ca_file = write_text_file(directory.path() + "/test-ca.pem", certificate_pem(ca->der) + "\n");
    std::unique_ptr<UpstreamTlsClient> client = UpstreamTlsClient::create({"", {ca_file}}).take();

    // Handshakes our client session (SNI `sni`, dialed `ip`) with a server presenting `leaf`.
    std::pair<std::unique_ptr<TlsSession>, std::unique_ptr<TestPeer>> connect(TestCertificate& leaf, const std::string& sni,
                                                                               const std::string& ip = "127.0.0.1") {
        auto session = client->start_session(sni, ip);
        REQUIRE(session.ok());
        auto server = TestPeer::server(leaf);
        pump(*session.value(), *server);
        return {session.take(), std::move(server)};
    }
};

}  // namespace

TEST_CASE("an upstream with a certificate from tls.extra_ca is verified, speaks http/1.1 and relays both ways") {
    UpstreamFixture f;
    auto leaf = make_test_leaf(f.ca.get(), "upstream.example");
    auto [session, server] = f.connect(*leaf, "upstream.example");
    REQUIRE(session->state() == TlsSessionState::established);
    CHECK(server->state() == TlsSessionState::established);
    CHECK(session->negotiated_alpn() == "http/1.1");
    CHECK(send_through(*session, *server, "GET /x HTTP/1.1\r\n\r\n") == "GET /x HTTP/1.1\r\n\r\n");
    CHECK(send_through(*server, *session, "HTTP/1.1 200 OK\r\n\r\n") == "HTTP/1.1 200 OK\r\n\r\n");
}

TEST_CASE("bad upstream certificates fail with a reason that names the problem") {
    UpstreamFixture f;
    auto other_ca = make_test_ca("untrusted CA");
    struct Row {
        const char* name;
        std::unique_ptr<TestCertificate> leaf;
        std::string sni;
        std::string ip;
        std::vector<std::string> reason_words;
    };
    Row rows[] = {
        {"expired", make_test_leaf(f.ca.get(), "upstream.example", -60 * kDay, -kDay), "upstream.example", "127.0.0.1", {"expired on", "renew"}},
        {"not yet valid", make_test_leaf(f.ca.get(), "upstream.example", kDay, 30 * kDay), "upstream.example", "127.0.0.1", {"not valid before", "clock"}},
        {"wrong name", make_test_leaf(f.ca.get(), "other.example"), "upstream.example", "127.0.0.1", {"wrong name", "other.example", "not upstream.example"}},
        {"self-signed", make_test_leaf(nullptr, "upstream.example"), "upstream.example", "127.0.0.1", {"self-signed", "tls.extra_ca"}},
        {"unknown issuer", make_test_leaf(other_ca.get(), "upstream.example"), "upstream.example", "127.0.0.1", {"unknown issuer", "untrusted CA"}},
        {"no SNI, leaf for another IP", make_test_leaf(f.ca.get(), "127.0.0.2"), "", "127.0.0.1", {"wrong name", "127.0.0.1"}},
        {"no SNI, leaf with only a DNS name", make_test_leaf(f.ca.get(), "upstream.example"), "", "127.0.0.1", {"wrong name", "upstream.example"}},
    };
    for (auto& row : rows) {
        const std::string name = row.name;
        CAPTURE(name);
        REQUIRE(row.leaf != nullptr);
        auto [session, server] = f.connect(*row.leaf, row.sni, row.ip);
        CHECK(session->state() == TlsSessionState::failed);
        CHECK(session->failure().kind == TlsFailureKind::upstream_certificate_invalid);
        const std::string reason = session->failure().reason;
        CAPTURE(reason);
        for (const auto& word : row.reason_words) CHECK(reason.find(word) != std::string::npos);
        // Nothing is relayed through a failed session.
        const std::uint8_t request[] = {'G', 'E', 'T'};
        CHECK(session->write_plaintext(request) == 0);
        std::uint8_t buffer[16];
        CHECK(session->read_plaintext(buffer) == 0);
    }
}

TEST_CASE("without SNI an upstream leaf naming the dialed IP is accepted") {
    UpstreamFixture f;
    auto leaf = make_test_leaf(f.ca.get(), "127.0.0.1");
    auto [session, server] = f.connect(*leaf, "", "127.0.0.1");
    CHECK(session->state() == TlsSessionState::established);
    auto leaf6 = make_test_leaf(f.ca.get(), "::1");
    auto [session6, server6] = f.connect(*leaf6, "", "::1");
    CHECK(session6->state() == TlsSessionState::established);
}

TEST_CASE("the upstream client loads the system trust store and refuses unusable extra CA files") {
    auto system = UpstreamTlsClient::create({});
    REQUIRE(system.ok());
    CHECK(system.value()->trusted_certificate_count() > 50);

    TemporaryDirectory directory;
    const std::string missing = directory.path() + "/missing.pem";
    auto no_file = UpstreamTlsClient::create({"", {missing}});
    REQUIRE_FALSE(no_file.ok());
    CHECK(no_file.error().find(missing) != std::string::npos);
    CHECK(no_file.error().find("tls.extra_ca") != std::string::npos);

    const std::string garbage = write_text_file(directory.path() + "/garbage.pem", "not a certificate\n");
    auto bad_file = UpstreamTlsClient::create({"", {garbage}});
    REQUIRE_FALSE(bad_file.ok());
    CHECK(bad_file.error().find(garbage) != std::string::npos);

    auto nothing = UpstreamTlsClient::create({"", {}});
    CHECK_FALSE(nothing.ok());
}

TEST_CASE("an upstream that ends the handshake with an alert is a peer_alert, not a certificate failure") {
    UpstreamFixture f;
    auto leaf = make_test_leaf(f.ca.get(), "upstream.example");
    auto session = f.client->start_session("upstream.example", "127.0.0.1").take();
    auto server = TestPeer::server(*leaf, {"h2"});  // refuses our http/1.1 with no_application_protocol
    pump(*session, *server);
    CHECK(session->state() == TlsSessionState::failed);
    CHECK(session->failure().kind == TlsFailureKind::peer_alert);
    CHECK(session->failure().alert == MBEDTLS_SSL_ALERT_MSG_NO_APPLICATION_PROTOCOL);
}

TEST_CASE("a second upstream flow to the same name and address resumes; another address does not") {
    UpstreamFixture f;
    auto leaf = make_test_leaf(f.ca.get(), "upstream.example");
    TicketKeys server_tickets;
    auto connect = [&](const std::string& ip, TicketKeys* tickets) {
        auto session = f.client->start_session("upstream.example", ip).take();
        auto server = TestPeer::server(*leaf, {"http/1.1"}, tickets);
        pump(*session, *server);
        REQUIRE(session->is_established());
        return session->resumed();
    };
    CHECK_FALSE(connect("127.0.0.1", &server_tickets));
    CHECK(f.client->resumable_sessions() == 1);
    CHECK(connect("127.0.0.1", &server_tickets));
    CHECK_FALSE(connect("127.0.0.2", &server_tickets));
    // A server that no longer knows the ticket gets a full, verified handshake.
    TicketKeys other_tickets;
    CHECK_FALSE(connect("127.0.0.1", &other_tickets));
}

TEST_CASE("upstream chains through an intermediate: verified when sent, and a missing or expired one is named") {
    TemporaryDirectory directory;
    auto root = make_test_ca("chain root", 1);
    auto intermediate = make_test_intermediate(*root, "chain intermediate");
    auto old_intermediate = make_test_intermediate(*root, "expired intermediate", -400 * kDay, -kDay);
    const std::string root_file = write_text_file(directory.path() + "/root.pem", certificate_pem(root->der) + "\n");
    auto client = UpstreamTlsClient::create({"", {root_file}}).take();
    struct Row {
        const char* name;
        TestCertificate* issuer;
        bool send_intermediate;
        bool works;
        std::vector<std::string> reason_words;
    };
    Row rows[] = {
        {"intermediate sent", intermediate.get(), true, true, {}},
        {"intermediate missing", intermediate.get(), false, false, {"unknown issuer", "chain intermediate"}},
        {"intermediate expired", old_intermediate.get(), true, false, {"expired on", "expired intermediate"}},
    };
    for (auto& row : rows) {
        const std::string name = row.name;
        CAPTURE(name);
        auto leaf = make_test_leaf(row.issuer, "chain.example");
        if (row.send_intermediate) append_to_chain(*leaf, *row.issuer);
        auto session = client->start_session("chain.example", "127.0.0.1").take();
        auto server = TestPeer::server(*leaf);
        pump(*session, *server);
        CHECK(session->is_established() == row.works);
        const std::string reason = session->failure().reason;
        CAPTURE(reason);
        for (const auto& word : row.reason_words) CHECK(reason.find(word) != std::string::npos);
    }
}
