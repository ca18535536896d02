// Tests for tls/tls_interceptor.h: startup errors, the passthrough plan, and
// one whole intercepted flow (guest ↔ our two sessions ↔ server) in memory.
#include <doctest.h>

#include "tests/unit/tls/tls_test_peers.h"
#include "tls/tls_interceptor.h"

using namespace askfirst::tls;
using namespace askfirst::tls::testing;

namespace {

ClientHello hello_for(const std::string& sni) {
    ClientHello hello;
    hello.server_name = sni;
    return hello;
}

}  // namespace

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

TEST_CASE("listed hosts and hosts whose guest refused us are passed through; others intercepted") {
    TemporaryDirectory directory;
    TlsSettings settings;
    settings.ca_directory = directory.path() + "/ca";
    settings.passthrough_patterns = {"*.pinned.example"};
    auto tls = TlsInterceptor::create(settings).take();
    CHECK(tls->plan_for(hello_for("app.pinned.example")) == TlsPlan::passthrough);
    CHECK(tls->plan_for(hello_for("api.example.com")) == TlsPlan::intercept);
    CHECK(tls->plan_for(hello_for("")) == TlsPlan::intercept);
    tls->remember_refusal("api.example.com");
    CHECK(tls->plan_for(hello_for("api.example.com")) == TlsPlan::passthrough);
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
    auto flow = tls->open_flow(parse_client_hello(flight).hello, "203.0.113.9");
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
