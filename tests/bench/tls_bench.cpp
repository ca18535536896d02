// tests/bench/tls_bench.cpp — how much the tls/ layer costs, in memory on
// one core (no sockets): handshakes/s through our guest-side server session
// and through the whole MITM pair, against plain mbedTLS client ↔ server in
// the same process; bulk MB/s through the two sessions against one plain
// pair; heap bytes per intercepted flow (both sessions, idle) and per
// cached leaf, from mallinfo2(). Prints one table. Run by hand:
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

}  // namespace

int main(int argc, char** argv) {
    const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
    World world;
    long count = 0;
    std::printf("tls_bench: in memory, one thread, rates per CPU-second (%.1f s per row); ECDSA P-256 leaves, TLS 1.2\n\n", seconds);
    std::printf("%-58s %14s %10s\n", "measure", "value", "vs plain");

    const double plain_hs = rate(seconds, [&] {
        auto client = world.plain_client();
        auto server = TestPeer::server(*world.upstream_leaf);
        pump(*client, *server);
    }, count);
    std::printf("%-58s %11.0f /s %10s\n", "handshakes: plain mbedTLS client <-> server", plain_hs, "1.00");
    const double guest_hs = rate(seconds, [&] {
        auto client = world.guest();
        auto session = world.accept(*client);
        pump(*client, *session);
    }, count);
    std::printf("%-58s %11.0f /s %10.2f\n", "handshakes: guest client <-> our server session (leaf cached)", guest_hs, guest_hs / plain_hs);
    auto first = world.guest();
    auto first_session = world.accept(*first);
    pump(*first, *first_session);
    auto ticket = first->saved_session();
    const double resumed_hs = rate(seconds, [&] {
        auto client = world.guest(ticket->get());
        auto session = world.accept(*client);
        pump(*client, *session);
    }, count);
    std::printf("%-58s %11.0f /s %10.2f\n", "handshakes: same, resumed by session ticket", resumed_hs, resumed_hs / plain_hs);
    const double mitm_hs = rate(seconds, [&] { open_mitm_flow(world); }, count);
    std::printf("%-58s %11.0f /s %10.2f\n", "handshakes: whole MITM flow, new sessions on both sides", mitm_hs, mitm_hs / plain_hs);
    open_mitm_flow(world, ticket->get());  // leaves a resumable upstream session
    const double mitm_resumed = rate(seconds, [&] {
        MitmFlow flow = open_mitm_flow(world, ticket->get());
        if (!flow.guest_session->resumed() || !flow.upstream_session->resumed()) std::fprintf(stderr, "tls_bench: not resumed\n"), std::exit(1);
    }, count);
    std::printf("%-58s %11.0f /s %10.2f\n", "handshakes: whole MITM flow, both sides resumed", mitm_resumed, mitm_resumed / plain_hs);
    int minted = 0;
    const double mint_rate = rate(seconds, [&] { world.guest_server->leaf_for("host" + std::to_string(++minted) + ".bench"); }, count);
    std::printf("%-58s %11.0f /s %10s\n", "leaf certificates minted (ECDSA sign, cache miss)", mint_rate, "");

    const std::size_t bulk_bytes = 256u << 20;
    auto plain_client = world.plain_client();
    auto plain_server = TestPeer::server(*world.upstream_leaf);
    pump(*plain_client, *plain_server);
    const double plain_bulk = bulk(*plain_client, {}, *plain_server, bulk_bytes);
    std::printf("%-58s %10.0f MB/s %10s\n", ("bulk: plain client -> server, " + plain_client->ciphersuite()).c_str(), plain_bulk, "1.00");
    for (const int suite : {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                            MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}) {
        auto suite_client = world.plain_client(suite);
        auto suite_server = TestPeer::server(*world.upstream_leaf);
        pump(*suite_client, *suite_server);
        const double suite_bulk = bulk(*suite_client, {}, *suite_server, bulk_bytes / 4);
        std::printf("%-58s %10.0f MB/s %10.2f\n", ("  same, " + suite_client->ciphersuite()).c_str(), suite_bulk, suite_bulk / plain_bulk);
    }
    MitmFlow flow = open_mitm_flow(world);
    const double mitm_bulk = bulk(*flow.guest, {{flow.guest_session.get(), flow.upstream_session.get()}}, *flow.server, bulk_bytes);
    std::printf("%-58s %10.0f MB/s %10.2f\n", "bulk: guest -> our two sessions -> server", mitm_bulk, mitm_bulk / plain_bulk);
    MitmFlow back = open_mitm_flow(world);
    const double mitm_down = bulk(*back.server, {{back.upstream_session.get(), back.guest_session.get()}}, *back.guest, bulk_bytes);
    std::printf("%-58s %10.0f MB/s %10.2f\n", "bulk: server -> our two sessions -> guest", mitm_down, mitm_down / plain_bulk);

    // Heap per idle flow: what freeing our two sessions of established,
    // drained flows gives back (the peers stay alive, so only ours is counted).
    std::vector<std::pair<std::unique_ptr<TestPeer>, std::unique_ptr<TestPeer>>> plain_pairs;
    for (int i = 0; i < kMemoryFlows; ++i) {
        plain_pairs.emplace_back(world.plain_client(), TestPeer::server(*world.upstream_leaf));
        pump(*plain_pairs.back().first, *plain_pairs.back().second);
    }
    std::size_t before = heap_in_use();
    for (auto& pair : plain_pairs) pair.second.reset();
    const double plain_server_bytes = static_cast<double>(before - heap_in_use()) / kMemoryFlows;
    plain_pairs.clear();
    std::vector<MitmFlow> flows;
    for (int i = 0; i < kMemoryFlows; ++i) flows.push_back(open_mitm_flow(world));
    before = heap_in_use();
    for (auto& flow : flows) flow.guest_session.reset();
    const double guest_side_bytes = static_cast<double>(before - heap_in_use()) / kMemoryFlows;
    before = heap_in_use();
    for (auto& flow : flows) flow.upstream_session.reset();
    const double upstream_side_bytes = static_cast<double>(before - heap_in_use()) / kMemoryFlows;
    std::printf("%-58s %9.1f KiB %10s\n", "heap: plain mbedTLS server session, idle (reference)", plain_server_bytes / 1024, "");
    std::printf("%-58s %9.1f KiB %10s\n", "heap: our guest-side session, idle", guest_side_bytes / 1024, "");
    std::printf("%-58s %9.1f KiB %10s\n", "heap: our upstream-side session, idle", upstream_side_bytes / 1024, "");
    std::printf("%-58s %9.1f KiB %10s\n", "heap: both sessions of one idle intercepted flow", (guest_side_bytes + upstream_side_bytes) / 1024, "");
    flows.clear();

    auto fresh_server = GuestTlsServer::create(*world.ca).take();  // an empty cache: no evictions below
    GuestTlsServer& server = *fresh_server;
    before = heap_in_use();
    const int leaves = 500;
    for (int i = 0; i < leaves; ++i) server.leaf_for("memory" + std::to_string(i) + ".bench");
    std::printf("%-58s %9.2f KiB %10s\n", "heap: per cached leaf (certificate + server config)",
                static_cast<double>(heap_in_use() - before) / leaves / 1024, "");
    return 0;
}
