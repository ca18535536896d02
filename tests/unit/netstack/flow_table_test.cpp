// tests/unit/netstack/flow_table_test.cpp — the flow table between crafted
// guest frames (through lwIP) and real upstream sockets on 127.0.0.1, on a
// private libuv loop: bytes relayed both ways, a full table refuses with RST,
// a refused upstream and a connect that never completes reset the guest.
#include <doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "netstack/flow_table.h"
#include "netstack/relay_pipeline.h"
#include "tests/unit/netstack/test_frames.h"

namespace askfirst::netstack::test {
namespace {

// A listening TCP socket on 127.0.0.1 (an ephemeral port); closed on destruction.
struct LoopbackListener {
    int fd = -1;
    std::uint16_t port = 0;
    explicit LoopbackListener(int backlog = 16) {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        REQUIRE(::listen(fd, backlog) == 0);
        socklen_t length = sizeof address;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
        port = ntohs(address.sin_port);
    }
    ~LoopbackListener() { ::close(fd); }
    IpEndpoint endpoint() const { return IpEndpoint{IpAddress::v4(127, 0, 0, 1), port}; }
};

struct FlowHarness {
    uv_loop_t loop{};
    std::vector<std::vector<std::uint8_t>> sent;
    std::unique_ptr<FlowTable> table;
    std::unique_ptr<LwipStack> stack;

    FlowHarness(UpstreamTables tables, FlowLimits limits) {
        uv_loop_init(&loop);
        table = std::make_unique<FlowTable>(&loop, std::move(tables), limits,
                                            [](const FlowInfo&) { return std::make_unique<RelayPipeline>(); },
                                            [](const std::string&) {}, false);
        auto created = LwipStack::create(
            [this](std::span<const std::uint8_t> frame) { sent.emplace_back(frame.begin(), frame.end()); },
            [this](std::unique_ptr<LwipTcpConnection>& connection) { table->accept(connection); });
        REQUIRE_MESSAGE(created.ok(), created.error());
        stack = created.take();
        stack->set_guest_mac(kGuestMac);
    }
    ~FlowHarness() {
        table.reset();
        stack.reset();
        uv_run(&loop, UV_RUN_NOWAIT);
        uv_walk(&loop, [](uv_handle_t* handle, void*) { if (!uv_is_closing(handle)) uv_close(handle, nullptr); }, nullptr);
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
    }
    void feed(const TcpSegmentSpec& spec) {
        const auto frame = tcp_frame(spec);
        stack->input_tcp_segment(frame, *parse_ethernet_frame(frame));
    }
    std::uint32_t handshake(const IpEndpoint& guest, const IpEndpoint& destination, std::uint32_t guest_seq) {
        feed({guest, destination, guest_seq, 0, kSyn});
        const auto syn_ack = read_tcp_frame(sent.back());
        REQUIRE(syn_ack.has_value());
        feed({guest, destination, guest_seq + 1, syn_ack->seq + 1, kAck});
        return syn_ack->seq + 1;
    }
    // Runs the loop until `done` or 3 s pass.
    bool run_until(const std::function<bool()>& done) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            uv_run(&loop, UV_RUN_NOWAIT);
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        return true;
    }
    bool guest_got_rst() const {
        for (const auto& frame : sent)
            if (const auto seen = read_tcp_frame(frame); seen && (seen->flags & kRst) != 0) return true;
        return false;
    }
    std::string payload_to_guest() const {
        std::string bytes;
        for (const auto& frame : sent)
            if (const auto seen = read_tcp_frame(frame)) bytes.append(seen->payload.begin(), seen->payload.end());
        return bytes;
    }
};

int accept_now(int listener) {
    for (int i = 0; i < 300; ++i) {
        const int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK);
        if (fd >= 0) return fd;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return -1;
}

}  // namespace

TEST_CASE("a flow relays the guest's bytes upstream and the upstream's bytes to the guest") {
    LoopbackListener server;
    const auto destination = endpoint("198.51.100.7:5432");
    UpstreamTables tables;
    tables.upstream_map[destination] = server.endpoint();
    FlowHarness harness(tables, FlowLimits{});
    const auto guest = endpoint("10.0.2.15:41001");
    const auto server_seq = harness.handshake(guest, destination, 100);
    CHECK(harness.table->live_flows() == 1);
    harness.feed({guest, destination, 101, server_seq, kAck | kPsh, 0xffff, {'p', 'i', 'n', 'g'}});
    int upstream = -1;
    REQUIRE(harness.run_until([&] { return upstream >= 0 || (upstream = accept_now(server.fd)) >= 0; }));
    char received[8] = {};
    REQUIRE(harness.run_until([&] { return ::recv(upstream, received, sizeof received, MSG_DONTWAIT) == 4; }));
    CHECK(std::string(received, 4) == "ping");
    REQUIRE(::send(upstream, "pong", 4, 0) == 4);
    CHECK(harness.run_until([&] { return harness.payload_to_guest() == "pong"; }));
    ::close(upstream);
}

TEST_CASE("a full flow table refuses the next flow with RST") {
    LoopbackListener server;
    const auto destination = endpoint("198.51.100.7:6443");
    UpstreamTables tables;
    tables.upstream_map[destination] = server.endpoint();
    FlowLimits limits;
    limits.max_flows = 1;
    FlowHarness harness(tables, limits);
    harness.handshake(endpoint("10.0.2.15:41002"), destination, 1);
    CHECK_FALSE(harness.guest_got_rst());
    harness.handshake(endpoint("10.0.2.15:41003"), destination, 1);
    CHECK(harness.guest_got_rst());
    CHECK(harness.table->live_flows() == 1);
}

TEST_CASE("an upstream that refuses the connection resets the guest at once") {
    int closed_port = 0;
    {
        LoopbackListener gone;  // bound and closed: nothing listens there now
        closed_port = gone.port;
    }
    const auto destination = endpoint("198.51.100.7:2376");
    UpstreamTables tables;
    tables.upstream_map[destination] = IpEndpoint{IpAddress::v4(127, 0, 0, 1), static_cast<std::uint16_t>(closed_port)};
    FlowHarness harness(tables, FlowLimits{});
    harness.handshake(endpoint("10.0.2.15:41004"), destination, 1);
    CHECK(harness.run_until([&] { return harness.guest_got_rst(); }));
    CHECK(harness.run_until([&] { return harness.table->live_flows() == 0; }));
}

TEST_CASE("an upstream connect that never completes resets the guest after the deadline") {
    LoopbackListener server(0);
    // Fill the accept queue so that further SYNs to it are dropped (the connect hangs).
    std::vector<int> fillers;
    for (int i = 0; i < 4; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(server.port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
        fillers.push_back(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto destination = endpoint("198.51.100.7:9200");
    UpstreamTables tables;
    tables.upstream_map[destination] = server.endpoint();
    FlowLimits limits;
    limits.connect_timeout_ms = 300;
    FlowHarness harness(tables, limits);
    const auto started = std::chrono::steady_clock::now();
    harness.handshake(endpoint("10.0.2.15:41005"), destination, 1);
    CHECK(harness.run_until([&] { return harness.guest_got_rst(); }));
    CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(250));
    for (const int fd : fillers) ::close(fd);
}

}  // namespace askfirst::netstack::test
