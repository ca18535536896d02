// tests/bench/tls_bench.cpp — how much the tls/ layer costs, in memory on
// one core (no sockets): handshakes/s through our guest-side server session
// and through the whole MITM pair, against plain mbedTLS client ↔ server in
// the same process; bulk MB/s through the two sessions against one plain
// pair; heap bytes per intercepted flow (both sessions, idle) and per
// cached leaf, from mallinfo2(); handshakes with mbedTLS's elliptic-curve
// arithmetic against libcrypto's. Prints one table. Run by hand:
//     build/tests/bench/tls_bench [seconds-per-row]
#include <malloc.h>
#include <mbedtls/ssl_ciphersuites.h>

#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "tests/unit/tls/tls_test_peers.h"
#include "tls/ca_store.h"
#include "tls/client_hello.h"
#include "tls/elliptic_curve_offload.h"
#include "tls/guest_tls_server.h"
#include "tls/upstream_tls_client.h"

using namespace askfirst::tls;
using namespace askfirst::tls::testing;

namespace {

// CPU time of this thread, not wall time: the machine is shared with other
// builds, and a rate per CPU-second is what the layer costs.
double cpu_seconds() {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

constexpr std::size_t kBulkChunk = 16384;
constexpr int kMemoryFlows = 200;  // flows held at once for the per-flow heap figure

struct World {
    TemporaryDirectory directory;
    std::unique_ptr<CertificateAuthority> ca =
        CertificateAuthority::load_or_create(CaLocation::in_directory(directory.path() + "/ca")).take();
    std::unique_ptr<GuestTlsServer> guest_server = GuestTlsServer::create(*ca).take();
    std::unique_ptr<TestCertificate> upstream_ca = make_test_ca("bench upstream CA");
    std::unique_ptr<TestCertificate> upstream_leaf = make_test_leaf(upstream_ca.get(), "upstream.bench");
    std::string upstream_ca_file = write_text_file(directory.path() + "/up.pem", certificate_pem(upstream_ca->der) + "\n");
    std::unique_ptr<UpstreamTlsClient> upstream_client = UpstreamTlsClient::create({"", {upstream_ca_file}}).take();
    TicketKeys upstream_tickets;

    std::unique_ptr<TestPeer> guest(const mbedtls_ssl_session* resume = nullptr) {
        TestClientOptions options;
        options.trust = ca->certificate();
        options.server_name = "upstream.bench";
        options.alpn = {"http/1.1"};
        options.resume = resume;
        return TestPeer::client(options);
    }
    std::unique_ptr<TestPeer> plain_client(int only_ciphersuite = 0) {
        TestClientOptions options;
        options.only_ciphersuite = only_ciphersuite;
        options.trust = upstream_ca->certificate.get();
        options.server_name = "upstream.bench";
        options.alpn = {"http/1.1"};
        return TestPeer::client(options);
    }
    std::unique_ptr<TlsSession> accept(TestPeer& client) {
        client.advance();
        const auto flight = client.take_ciphertext();
        return guest_server->start_session(parse_client_hello(flight).hello, "192.0.2.1").take();
    }
};

// One intercepted flow: guest ↔ [guest session | upstream session] ↔ server.
struct MitmFlow {
    std::unique_ptr<TestPeer> guest;
    std::unique_ptr<TlsSession> guest_session;
    std::unique_ptr<TlsSession> upstream_session;
    std::unique_ptr<TestPeer> server;
};

// `resume`: the guest offers this session, and the server takes tickets so
// that our upstream side resumes too.
MitmFlow open_mitm_flow(World& world, const mbedtls_ssl_session* resume = nullptr) {
    MitmFlow flow;
    flow.guest = world.guest(resume);
    flow.guest_session = world.accept(*flow.guest);
    // A new address per flow when not resuming, so the upstream side never resumes either.
    static int address = 0;
    const std::string ip = resume != nullptr ? "192.0.2.1" : "198.51.100." + std::to_string(++address % 250 + 2);
    flow.upstream_session = world.upstream_client->start_session("upstream.bench", ip).take();
    flow.server = TestPeer::server(*world.upstream_leaf, {"http/1.1"}, resume != nullptr ? &world.upstream_tickets : nullptr);
    pump(*flow.guest, *flow.guest_session);
    pump(*flow.upstream_session, *flow.server);
    if (!flow.guest->is_established() || !flow.upstream_session->is_established()) {
        std::fprintf(stderr, "tls_bench: MITM handshake failed: %s / %s\n", flow.guest_session->failure().reason.c_str(),
                     flow.upstream_session->failure().reason.c_str());
        std::exit(1);
    }
    return flow;
}

double rate(double seconds, const std::function<void()>& once, long& count) {
    const double start = cpu_seconds();
    count = 0;
    double elapsed = 0;
    do {
        once();
        ++count;
        elapsed = cpu_seconds() - start;
    } while (elapsed < seconds);
    return static_cast<double>(count) / elapsed;
}

// Moves plaintext from `from` to `to`, keeping what `to` refuses in `carry`.
std::size_t relay(TlsSession& from, TlsSession& to, std::vector<std::uint8_t>& carry) {
    std::size_t moved = 0;
    std::uint8_t buffer[kBulkChunk];
    for (;;) {
        if (!carry.empty()) {
            const std::size_t n = to.write_plaintext(carry);
            carry.erase(carry.begin(), carry.begin() + static_cast<std::ptrdiff_t>(n));
            moved += n;
            if (!carry.empty()) return moved;
        }
        const std::size_t n = from.read_plaintext(buffer);
        if (n == 0) return moved;
        carry.assign(buffer, buffer + n);
    }
}

// Sends `total` bytes from `source` and drains them at `sink`, moving through
// the middle (if any) with relay(); returns MB/s of plaintext delivered.
double bulk(TlsSession& source, std::vector<std::pair<TlsSession*, TlsSession*>> hops, TlsSession& sink, std::size_t total) {
    const std::vector<std::uint8_t> chunk(kBulkChunk, 'b');
    std::vector<std::vector<std::uint8_t>> carries(hops.size());
    std::uint8_t buffer[kBulkChunk];
    std::size_t sent = 0, received = 0;
    const double start = cpu_seconds();
    while (received < total) {
        if (sent < total) sent += source.write_plaintext(std::span(chunk).first(std::min(kBulkChunk, total - sent)));
        TlsSession* previous = &source;
        for (std::size_t i = 0; i < hops.size(); ++i) {
            pump(*previous, *hops[i].first);
            relay(*hops[i].first, *hops[i].second, carries[i]);
            previous = hops[i].second;
        }
        pump(*previous, sink);
        for (std::size_t n; (n = sink.read_plaintext(buffer)) > 0;) received += n;
    }
    return static_cast<double>(total) / 1e6 / (cpu_seconds() - start);
}

std::size_t heap_in_use() { return mallinfo2().uordblks; }

void print_rate(const std::string& what, double value, const char* unit, double baseline) {
    if (baseline > 0) std::printf("%-62s %9.0f %-4s %8.2f\n", what.c_str(), value, unit, value / baseline);
    else std::printf("%-62s %9.0f %-4s %8s\n", what.c_str(), value, unit, "");
}

void handshake_rows(World& world, double seconds) {
    long count = 0;
    const double plain = rate(seconds, [&] {
        auto client = world.plain_client();
        auto server = TestPeer::server(*world.upstream_leaf);
        pump(*client, *server);
    }, count);
    print_rate("handshakes: plain mbedTLS client <-> server", plain, "/s", plain);
    print_rate("handshakes: guest client <-> our server session (leaf cached)", rate(seconds, [&] {
        auto client = world.guest();
        auto session = world.accept(*client);
        pump(*client, *session);
    }, count), "/s", plain);
    auto first = world.guest();
    auto first_session = world.accept(*first);
    pump(*first, *first_session);
    auto ticket = first->saved_session();
    print_rate("handshakes: same, resumed by session ticket", rate(seconds, [&] {
        auto client = world.guest(ticket->get());
        auto session = world.accept(*client);
        pump(*client, *session);
    }, count), "/s", plain);
    print_rate("handshakes: whole MITM flow, new sessions on both sides", rate(seconds, [&] { open_mitm_flow(world); }, count), "/s", plain);
    open_mitm_flow(world, ticket->get());  // leaves a resumable upstream session
    print_rate("handshakes: whole MITM flow, both sides resumed", rate(seconds, [&] {
        MitmFlow flow = open_mitm_flow(world, ticket->get());
        if (!flow.guest_session->resumed() || !flow.upstream_session->resumed()) std::fprintf(stderr, "tls_bench: not resumed\n"), std::exit(1);
    }, count), "/s", plain);
    int minted = 0;
    print_rate("leaf certificates minted (ECDSA sign, cache miss)",
               rate(seconds, [&] { world.guest_server->leaf_for("host" + std::to_string(++minted) + ".bench"); }, count), "/s", 0);
}

// The same handshakes with mbedTLS's own elliptic-curve arithmetic and with
// libcrypto's (tls/elliptic_curve_offload.h), switched in this process. The
// test peers (guest client, upstream server) are in the process too, so the
// handshake rows offload every endpoint; leaf minting is ours alone.
void offload_rows(World& world, double seconds) {
    std::printf("\n%-62s %9s %9s %8s\n", "elliptic curves: mbedTLS's vs libcrypto's (per CPU-second)", "mbedTLS", "libcrypto",
                "ratio");
    long count = 0;
    int minted = 0;
    const std::vector<std::pair<std::string, std::function<void()>>> rows = {
        {"handshakes: plain mbedTLS client <-> server", [&] {
             auto client = world.plain_client();
             auto server = TestPeer::server(*world.upstream_leaf);
             pump(*client, *server);
         }},
        {"handshakes: guest client <-> our server session (leaf cached)", [&] {
             auto client = world.guest();
             auto session = world.accept(*client);
             pump(*client, *session);
         }},
        {"handshakes: whole MITM flow, new sessions on both sides", [&] { open_mitm_flow(world); }},
        {"leaf certificates minted (ECDSA sign, cache miss)",
         [&] { world.guest_server->leaf_for("offload" + std::to_string(++minted) + ".bench"); }},
    };
    for (const auto& [what, once] : rows) {
        set_elliptic_curve_offload_enabled(false);
        const double originals = rate(seconds, once, count);
        set_elliptic_curve_offload_enabled(true);
        const double offloaded = rate(seconds, once, count);
        std::printf("%-62s %9.0f %9.0f %8.2f\n", what.c_str(), originals, offloaded, offloaded / originals);
    }
    std::printf("\n");
}

void bulk_rows(World& world, std::size_t bulk_bytes) {
    auto plain_client = world.plain_client();
    auto plain_server = TestPeer::server(*world.upstream_leaf);
    pump(*plain_client, *plain_server);
    const double plain = bulk(*plain_client, {}, *plain_server, bulk_bytes);
    print_rate("bulk: plain client -> server, " + plain_client->ciphersuite(), plain, "MB/s", plain);
    for (const int suite : {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                            MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}) {
        auto client = world.plain_client(suite);
        auto server = TestPeer::server(*world.upstream_leaf);
        pump(*client, *server);
        print_rate("  same, " + client->ciphersuite(), bulk(*client, {}, *server, bulk_bytes / 4), "MB/s", plain);
    }
    MitmFlow up = open_mitm_flow(world);
    print_rate("bulk: guest -> our two sessions -> server",
               bulk(*up.guest, {{up.guest_session.get(), up.upstream_session.get()}}, *up.server, bulk_bytes), "MB/s", plain);
    MitmFlow down = open_mitm_flow(world);
    print_rate("bulk: server -> our two sessions -> guest",
               bulk(*down.server, {{down.upstream_session.get(), down.guest_session.get()}}, *down.guest, bulk_bytes), "MB/s", plain);
}

void print_size(const std::string& what, double bytes) { std::printf("%-62s %9.1f KiB\n", what.c_str(), bytes / 1024); }

// Heap per idle flow: what freeing our sessions of established, drained
// flows gives back (the test peers stay alive, so only ours is counted).
void memory_rows(World& world) {
    std::vector<std::pair<std::unique_ptr<TestPeer>, std::unique_ptr<TestPeer>>> plain_pairs;
    for (int i = 0; i < kMemoryFlows; ++i) {
        plain_pairs.emplace_back(world.plain_client(), TestPeer::server(*world.upstream_leaf));
        pump(*plain_pairs.back().first, *plain_pairs.back().second);
    }
    std::size_t before = heap_in_use();
    for (auto& pair : plain_pairs) pair.second.reset();
    print_size("heap: plain mbedTLS server session, idle (reference)", static_cast<double>(before - heap_in_use()) / kMemoryFlows);
    plain_pairs.clear();
    std::vector<MitmFlow> flows;
    for (int i = 0; i < kMemoryFlows; ++i) flows.push_back(open_mitm_flow(world));
    before = heap_in_use();
    for (auto& flow : flows) flow.guest_session.reset();
    const double guest_side = static_cast<double>(before - heap_in_use()) / kMemoryFlows;
    before = heap_in_use();
    for (auto& flow : flows) flow.upstream_session.reset();
    const double upstream_side = static_cast<double>(before - heap_in_use()) / kMemoryFlows;
    print_size("heap: our guest-side session, idle", guest_side);
    print_size("heap: our upstream-side session, idle", upstream_side);
    print_size("heap: both sessions of one idle intercepted flow", guest_side + upstream_side);
    flows.clear();
    auto fresh_server = GuestTlsServer::create(*world.ca).take();  // an empty cache: no evictions below
    before = heap_in_use();
    constexpr int kLeaves = 500;
    for (int i = 0; i < kLeaves; ++i) fresh_server->leaf_for("memory" + std::to_string(i) + ".bench");
    print_size("heap: per cached leaf (certificate + server config)", static_cast<double>(heap_in_use() - before) / kLeaves);
}

}  // namespace

int main(int argc, char** argv) {
    const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
    World world;
    std::printf("tls_bench: in memory, one thread, rates per CPU-second (%.1f s per row); ECDSA P-256 leaves, TLS 1.2\n\n", seconds);
    std::printf("elliptic-curve offload: %s\n", std::string(elliptic_curve_offload_name(elliptic_curve_offload_status())).c_str());
    std::printf("%-62s %14s %8s\n", "measure", "value", "vs plain");
    handshake_rows(world, seconds);
    offload_rows(world, seconds);
    bulk_rows(world, 256u << 20);
    memory_rows(world);
    return 0;
}
