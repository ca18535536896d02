// tests/unit/netstack/relay_pipeline_test.cpp — the relay's back-pressure and
// half-close rules, driven sans-io through a fake FlowIo that records every
// call: feed pipeline events, then check the commands it issued, in order.
#include <doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "netstack/relay_pipeline.h"
#include "src/dialed_flow_io.h"  // header-only: how src/intercepting_pipeline hands a probed flow to the relay

namespace askfirst::netstack::test {
namespace {

std::span<const std::uint8_t> bytes_of(const std::string& text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// A FlowIo whose lwIP send room and upstream socket room the test sets.
struct FakeFlowIo : FlowIo {
    FlowInfo flow_info;
    std::size_t guest_room = 1 << 20;     // what guest_send() takes
    std::size_t upstream_room = 1 << 20;  // what upstream_send() writes at once
    std::string to_guest, to_upstream;
    std::size_t consumed = 0, upstream_queued_bytes = 0;
    std::vector<std::string> calls;       // the commands, in order

    const FlowInfo& info() const override { return flow_info; }
    std::size_t guest_send_space() const override { return guest_room; }
    std::size_t guest_send(std::span<const std::uint8_t> bytes) override {
        const std::size_t taken = std::min(guest_room, bytes.size());
        to_guest.append(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(taken));
        guest_room -= taken;
        return taken;
    }
    void guest_consumed(std::size_t bytes) override { consumed += bytes; }
    void guest_finish() override { calls.push_back("guest_finish"); }
    void upstream_connect() override { calls.push_back("upstream_connect"); }
    std::size_t upstream_send(std::span<const std::uint8_t> bytes) override {
        to_upstream.append(bytes.begin(), bytes.end());
        const std::size_t now = std::min(upstream_room, bytes.size());
        upstream_queued_bytes += bytes.size() - now;
        return now;
    }
    std::size_t upstream_queued() const override { return upstream_queued_bytes; }
    void upstream_finish() override { calls.push_back("upstream_finish"); }
    void upstream_pause_reading() override { calls.push_back("pause"); }
    void upstream_resume_reading() override { calls.push_back("resume"); }
    void reset(std::string_view reason) override { calls.push_back("reset:" + std::string(reason)); }
};

}  // namespace

TEST_CASE("the relay connects upstream as soon as the flow starts") {
    FakeFlowIo io;
    RelayPipeline relay;
    relay.on_start(io);
    CHECK(io.calls == std::vector<std::string>{"upstream_connect"});
}

TEST_CASE("a relay handed an already dialed flow does not dial again and delivers the held banner") {
    FakeFlowIo io;
    io.guest_room = 10;
    DialedFlowIo dialed(io);
    RelayPipeline relay;
    relay.on_start(dialed);
    relay.on_upstream_bytes(bytes_of("SSH-2.0-x\r\n"));  // held by the pipeline while the flow was judged
    CHECK(io.to_guest == "SSH-2.0-x\r");
    relay.on_guest_bytes(bytes_of("SSH-2.0-guest\r\n"));
    CHECK(io.to_upstream == "SSH-2.0-guest\r\n");
    io.guest_room = 10;
    relay.on_guest_send_space();
    CHECK(io.to_guest == "SSH-2.0-x\r\n");
    CHECK(io.calls == std::vector<std::string>{"pause", "resume"});  // no upstream_connect
}

TEST_CASE("guest bytes reopen the guest window only once upstream has taken them") {
    FakeFlowIo io;
    io.upstream_room = 3;  // the socket takes 3 bytes now, queues the rest
    RelayPipeline relay;
    relay.on_start(io);
    relay.on_guest_bytes(bytes_of("hello world"));
    CHECK(io.to_upstream == "hello world");
    CHECK(io.consumed == 3);  // the 8 queued bytes keep lwIP's window closed
    relay.on_upstream_sent(8);
    CHECK(io.consumed == 11);
}

TEST_CASE("a slow guest pauses upstream reading and the held bytes resume it") {
    FakeFlowIo io;
    io.guest_room = 4;
    RelayPipeline relay;
    relay.on_start(io);
    relay.on_upstream_bytes(bytes_of("0123456789"));
    CHECK(io.to_guest == "0123");
    CHECK(relay.held_for_guest() == 6);
    CHECK(io.calls.back() == "pause");
    io.guest_room = 3;
    relay.on_guest_send_space();
    CHECK(io.to_guest == "0123456");
    CHECK(io.calls.back() == "pause");  // still holding: no resume yet
    io.guest_room = 100;
    relay.on_guest_send_space();
    CHECK(io.to_guest == "0123456789");
    CHECK(relay.held_for_guest() == 0);
    CHECK(io.calls.back() == "resume");
}

TEST_CASE("bytes arriving while some are held keep their order") {
    FakeFlowIo io;
    io.guest_room = 2;
    RelayPipeline relay;
    relay.on_start(io);
    relay.on_upstream_bytes(bytes_of("abcd"));
    relay.on_upstream_bytes(bytes_of("ef"));  // a read already in flight when paused
    io.guest_room = 100;
    relay.on_guest_send_space();
    CHECK(io.to_guest == "abcdef");
}

TEST_CASE("the guest's FIN half-closes upstream and upstream's FIN half-closes the guest") {
    FakeFlowIo io;
    RelayPipeline relay;
    relay.on_start(io);
    relay.on_guest_finished();
    CHECK(io.calls.back() == "upstream_finish");
    relay.on_upstream_bytes(bytes_of("reply after the guest's FIN"));
    CHECK(io.to_guest == "reply after the guest's FIN");
    relay.on_upstream_finished();
    CHECK(io.calls.back() == "guest_finish");
}

TEST_CASE("upstream's FIN waits until the held bytes reached the guest") {
    FakeFlowIo io;
    io.guest_room = 1;
    RelayPipeline relay;
    relay.on_start(io);
    relay.on_upstream_bytes(bytes_of("xyz"));
    relay.on_upstream_finished();
    CHECK(std::count(io.calls.begin(), io.calls.end(), "guest_finish") == 0);
    io.guest_room = 10;
    relay.on_guest_send_space();
    CHECK(io.to_guest == "xyz");
    CHECK(io.calls.back() == "guest_finish");
}

TEST_CASE("an upstream that refuses or times out resets the guest") {
    FakeFlowIo io;
    RelayPipeline relay;
    relay.on_start(io);
    relay.on_upstream_failed("connect to 127.0.0.1:1 failed: connection refused");
    CHECK(io.calls.back() == "reset:connect to 127.0.0.1:1 failed: connection refused");
}

}  // namespace askfirst::netstack::test
