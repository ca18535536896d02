// Tests for tls/tls_interceptor.h: startup errors, the passthrough plan, and
// one whole intercepted flow (guest ↔ our two sessions ↔ server) in memory.
#include <doctest.h>

#include <malloc.h>

#include "tests/unit/tls/tls_test_peers.h"
#include "tls/tls_interceptor.h"

using namespace askfirst::tls;
using namespace askfirst::tls::testing;

TEST_CASE("startup refuses a bad passthrough pattern or extra CA file, naming it") {
    TemporaryDirectory directory;
    TlsSettings settings;
    settings.ca_directory = directory.path() + "/ca";
    settings.passthrough_patterns = {"*"};
    auto bad_pattern = TlsInterceptor::create(settings);
    REQUIRE_FALSE(bad_pattern.ok());
    CHECK(bad_pattern.error().find("tls.passthrough") != std::string::npos);
    settings.passthrough_patterns = {};
    settings.extra_ca_files = {directory.path() + "/nope.pem"};
    auto bad_ca = TlsInterceptor::create(settings);
    REQUIRE_FALSE(bad_ca.ok());
    CHECK(bad_ca.error().find("nope.pem") != std::string::npos);
}

TEST_CASE("listed hosts are passed through; others intercepted") {
    TemporaryDirectory directory;
    TlsSettings settings;
    settings.ca_directory = directory.path() + "/ca";
    settings.passthrough_patterns = {"*.pinned.example"};
    auto tls = TlsInterceptor::create(settings).take();
    CHECK(tls->plan_for("app.pinned.example", "app.pinned.example") == TlsPlan::passthrough);
    CHECK(tls->plan_for("app.pinned.example", "other.pinned.example") == TlsPlan::passthrough);
    CHECK(tls->plan_for("api.example.com", "api.example.com") == TlsPlan::intercept);
    CHECK(tls->plan_for("", "") == TlsPlan::intercept);
}

// A listed SNI is the guest's word only: sent to an address it did not
// resolve through askfirst for a listed name (a provider's address typed in
// by hand), it must not splice that flow unread.
TEST_CASE("a listed SNI is passed through only to an address the guest resolved for a listed name") {
    TemporaryDirectory directory;
    TlsSettings settings;
    settings.ca_directory = directory.path() + "/ca";
    settings.passthrough_patterns = {"*.pinned.example"};
    auto tls = TlsInterceptor::create(settings).take();
    CHECK(tls->plan_for("app.pinned.example", "") == TlsPlan::intercept);
    CHECK(tls->plan_for("app.pinned.example", "rds.us-east-1.amazonaws.com") == TlsPlan::intercept);
    CHECK(tls->plan_for("rds.us-east-1.amazonaws.com", "app.pinned.example") == TlsPlan::intercept);
}

// Issue 11: a refusal of our certificate once turned every later flow to the
// host into an unread splice, so a client that refused the CA opened a tunnel
// for the next one. Learning is an opt-in, and never for a provider's host.
TEST_CASE("a refused certificate turns interception off only with learn_passthrough, never for a provider's host") {
    struct Case {
        const char* name;
        bool learn_passthrough;
        bool claimed_by_provider;
        RefusalLearning learning;
        TlsPlan next_flow;
    };
    const Case cases[] = {
        {"default: keeps intercepting", false, false, RefusalLearning::kept_intercepting, TlsPlan::intercept},
        {"default, provider host: keeps intercepting", false, true, RefusalLearning::kept_intercepting, TlsPlan::intercept},
        {"opt-in, provider host: keeps intercepting", true, true, RefusalLearning::kept_intercepting, TlsPlan::intercept},
        {"opt-in, other host: passthrough next time", true, false, RefusalLearning::passthrough_next_time,
         TlsPlan::passthrough},
    };
    for (const Case& c : cases) {
        CAPTURE(c.name);
        TemporaryDirectory directory;
        TlsSettings settings;
        settings.ca_directory = directory.path() + "/ca";
        settings.learn_passthrough = c.learn_passthrough;
        auto tls = TlsInterceptor::create(settings).take();
        for (int attempt = 0; attempt < 3; ++attempt)
            CHECK(tls->on_certificate_refused("api.example.com", c.claimed_by_provider) == c.learning);
        CHECK(tls->plan_for("api.example.com", "api.example.com") == c.next_flow);
        CHECK(tls->plan_for("other.example.com", "other.example.com") == TlsPlan::intercept);
    }
}

TEST_CASE("an intercepted flow relays a request and a response through both sessions") {
    TemporaryDirectory directory;
    auto upstream_ca = make_test_ca("interceptor upstream CA");
    auto upstream_leaf = make_test_leaf(upstream_ca.get(), "api.example.com");
    TlsSettings settings;
    settings.ca_directory = directory.path() + "/ca";
    settings.system_trust_bundle = "";
    settings.extra_ca_files = {write_text_file(directory.path() + "/up.pem", certificate_pem(upstream_ca->der) + "\n")};
    auto tls = TlsInterceptor::create(settings).take();

    TestClientOptions options;
    options.trust = tls->ca().certificate();
    options.server_name = "api.example.com";
    auto guest = TestPeer::client(options);
    guest->advance();
    const auto flight = guest->take_ciphertext();
    auto flow = open_flow(*tls, parse_client_hello(flight).hello, "203.0.113.9");
    REQUIRE(flow.ok());
    auto server = TestPeer::server(*upstream_leaf);
    pump(*guest, *flow.value().guest);
    pump(*flow.value().upstream, *server);
    REQUIRE(flow.value().guest->is_established());
    REQUIRE(flow.value().upstream->is_established());
    const std::string request = "GET /v1 HTTP/1.1\r\nHost: api.example.com\r\n\r\n";
    const std::string at_proxy = send_through(*guest, *flow.value().guest, request);
    CHECK(at_proxy == request);
    CHECK(send_through(*flow.value().upstream, *server, at_proxy) == request);
    const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    CHECK(send_through(*flow.value().guest, *guest, send_through(*server, *flow.value().upstream, response)) == response);
}

#if !defined(__SANITIZE_ADDRESS__)  // ASan's allocator does not report through mallinfo2
TEST_CASE("an idle intercepted flow holds at most 12 KiB in its two sessions once libcrypto has the records") {
    // Debian's mbedTLS allocates 2 × 16.7 KiB of record buffers per session;
    // once the handshake is over the records are libcrypto's and the
    // mbedTLS contexts are freed (tls/record_protection.h), leaving two
    // cipher contexts per session. The budget is 80 KiB per flow.
    constexpr double kBudgetBytes = 12 * 1024;
    constexpr int kFlows = 8;
    TemporaryDirectory directory;
    auto upstream_ca = make_test_ca("memory upstream CA");
    auto upstream_leaf = make_test_leaf(upstream_ca.get(), "api.example.com");
    TlsSettings settings;
    settings.ca_directory = directory.path() + "/ca";
    settings.system_trust_bundle = "";
    settings.extra_ca_files = {write_text_file(directory.path() + "/up.pem", certificate_pem(upstream_ca->der) + "\n")};
    auto tls = TlsInterceptor::create(settings).take();
    struct Flow {
        std::unique_ptr<TestPeer> guest, server;
        InterceptedFlowTls ours;
    };
    std::vector<Flow> flows;
    for (int i = 0; i < kFlows; ++i) {
        TestClientOptions options;
        options.trust = tls->ca().certificate();
        options.server_name = "api.example.com";
        Flow flow{TestPeer::client(options), TestPeer::server(*upstream_leaf), {}};
        flow.guest->advance();
        const auto flight = flow.guest->take_ciphertext();
        flow.ours = open_flow(*tls, parse_client_hello(flight).hello, "203.0.113.9").take();
        pump(*flow.guest, *flow.ours.guest);
        pump(*flow.ours.upstream, *flow.server);
        REQUIRE(flow.ours.upstream->is_established());
        REQUIRE(send_through(*flow.guest, *flow.ours.guest, "ping") == "ping");
        REQUIRE(flow.ours.guest->records_offloaded());
        REQUIRE(flow.ours.upstream->records_offloaded());
        flows.push_back(std::move(flow));
    }
    const std::size_t before = mallinfo2().uordblks;
    for (auto& flow : flows) flow.ours = {};
    const double per_flow = static_cast<double>(before - mallinfo2().uordblks) / kFlows;
    CAPTURE(per_flow);
    CHECK(per_flow > 1024);  // the sessions' own state is really counted
    CHECK(per_flow <= kBudgetBytes);
}
#endif

// tls/upstream_alpn_memory.h through the interceptor: a guest is offered h2
// unless its upstream answered h2 with HTTP/1.1 lately and the guest can
// speak HTTP/1.1 (a client that offers only h2 keeps it).
TEST_CASE("the guest is offered h2 unless its upstream answered h2 with HTTP/1.1 and the guest speaks HTTP/1.1") {
    TemporaryDirectory directory;
    TlsSettings settings;
    settings.ca_directory = directory.path() + "/ca";
    auto tls = TlsInterceptor::create(settings).take();
    const auto now = UpstreamAlpnMemory::Clock::now();
    const std::string plain = UpstreamAlpnMemory::key("plain.example.com", "192.0.2.10:443");
    const std::string modern = UpstreamAlpnMemory::key("modern.example.com", "192.0.2.11:443");
    tls->remember_upstream_alpn(plain, "http/1.1", now);
    tls->remember_upstream_alpn(modern, "h2", now);
    struct Row { const char* name; std::string upstream; std::vector<std::string> offered; bool offer_h2; };
    for (const Row& row : {
             Row{"HTTP/1.1 upstream, guest offers both", plain, {"h2", "http/1.1"}, false},
             Row{"HTTP/1.1 upstream, guest offers only h2 (gRPC)", plain, {"h2"}, true},
             Row{"h2 upstream", modern, {"h2", "http/1.1"}, true},
             Row{"upstream never seen", UpstreamAlpnMemory::key("new.example.com", "192.0.2.12:443"), {"h2", "http/1.1"}, true},
         }) {
        CAPTURE(row.name);
        ClientHello hello;
        hello.alpn_protocols = row.offered;
        CHECK(tls->offer_h2_to_guest(hello, row.upstream, now) == row.offer_h2);
    }
}
