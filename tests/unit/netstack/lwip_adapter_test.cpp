// tests/unit/netstack/lwip_adapter_test.cpp — the lwIP adapter with crafted
// guest frames and no sockets: the frames lwIP sends are captured. Pins that
// lwIP answers for ANY destination as that destination (v4 and v6), delivers
// bytes, keeps the window closed until they are consumed, and handles FIN,
// refusal and 16-bit-safe sends, and that guest data is ACKed within
// ~10 ms (not at lwIP's 250 ms tick) unless a reply carried the ACK.
#include <doctest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "netstack/lwip_adapter.h"
#include "tests/unit/netstack/test_frames.h"

namespace askfirst::netstack::test {
namespace {

struct RecordingEvents : LwipConnectionEvents {
    std::string received;
    int finished = 0;
    std::size_t acked = 0;
    int gone = 0;
    void on_guest_bytes(std::span<const std::uint8_t> bytes) override { received.append(bytes.begin(), bytes.end()); }
    void on_guest_finished() override { ++finished; }
    void on_guest_acked(std::size_t bytes) override { acked += bytes; }
    void on_guest_gone(bool) override { ++gone; }
};

// One stack, the frames it sent, and the connections it accepted (each
// reporting to `events`).
struct StackHarness {
    RecordingEvents events;  // first: outlives the connections that report to it
    std::vector<std::vector<std::uint8_t>> sent;
    std::vector<std::unique_ptr<LwipTcpConnection>> accepted;
    bool refuse = false;
    std::unique_ptr<LwipStack> stack;

    StackHarness() {
        auto created = LwipStack::create(
            [this](std::span<const std::uint8_t> frame) { sent.emplace_back(frame.begin(), frame.end()); },
            [this](std::unique_ptr<LwipTcpConnection>& connection) {
                if (refuse) return;
                connection->set_events(&events);
                accepted.push_back(std::move(connection));
            });
        REQUIRE_MESSAGE(created.ok(), created.error());
        stack = created.take();
        stack->set_guest_mac(kGuestMac);
    }
    ~StackHarness() {
        accepted.clear();
        stack.reset();
    }
    void feed(const TcpSegmentSpec& spec) {
        const auto frame = tcp_frame(spec);
        const auto parsed = parse_ethernet_frame(frame);
        REQUIRE(parsed.has_value());
        stack->input_tcp_segment(frame, *parsed);
    }
    SeenSegment last() {
        REQUIRE(!sent.empty());
        const auto seen = read_tcp_frame(sent.back());
        REQUIRE(seen.has_value());
        return *seen;
    }
    // SYN, SYN-ACK, ACK; returns the server's next sequence number.
    std::uint32_t handshake(const IpEndpoint& guest, const IpEndpoint& destination, std::uint32_t guest_seq,
                            std::vector<std::uint8_t> syn_options = {}) {
        TcpSegmentSpec syn{guest, destination, guest_seq, 0, kSyn};
        syn.options = std::move(syn_options);
        feed(syn);
        const auto syn_ack = last();
        feed({guest, destination, guest_seq + 1, syn_ack.seq + 1, kAck});
        return syn_ack.seq + 1;
    }
};

}  // namespace

TEST_CASE("a SYN to any IPv4 address gets a SYN-ACK from that address and port") {
    StackHarness harness;
    const auto guest = endpoint("10.0.2.15:40001");
    const auto destination = endpoint("203.0.113.9:4242");
    harness.feed({guest, destination, 1000, 0, kSyn});
    const auto reply = harness.last();
    CHECK(reply.flags == (kSyn | kAck));
    CHECK(reply.source == destination);
    CHECK(reply.destination == guest);
    CHECK(reply.ack == 1001);
    CHECK(reply.checksum_ok);
    CHECK(reply.source_mac == kGatewayMac);
    CHECK(reply.destination_mac == kGuestMac);
}

TEST_CASE("a SYN to any IPv6 address gets a SYN-ACK from that address and port") {
    StackHarness harness;
    const auto guest = endpoint("[fec0::5054:ff:fe12:3456]:40002");
    const auto destination = endpoint("[2001:db8::9]:4242");
    harness.feed({guest, destination, 7000, 0, kSyn});
    const auto reply = harness.last();
    CHECK(reply.flags == (kSyn | kAck));
    CHECK(reply.source == destination);
    CHECK(reply.destination == guest);
    CHECK(reply.ack == 7001);
    CHECK(reply.checksum_ok);
}

TEST_CASE("the accepted connection carries the original destination and delivers the guest's bytes") {
    StackHarness harness;
    const auto guest = endpoint("10.0.2.15:40003");
    const auto destination = endpoint("198.51.100.7:5432");
    const auto server_seq = harness.handshake(guest, destination, 5000);
    REQUIRE(harness.accepted.size() == 1);
    auto& connection = *harness.accepted.front();
    CHECK(connection.original_destination() == destination);
    CHECK(connection.guest() == guest);
    harness.feed({guest, destination, 5001, server_seq, kAck | kPsh, 0xffff, {'h', 'e', 'l', 'l', 'o'}});
    CHECK(harness.events.received == "hello");
}

// Run the timers the way the appliance does: after the returned delay.
void run_timers_until_quiet(StackHarness& harness, int rounds) {
    for (int i = 0; i < rounds; ++i) {
        const std::uint32_t next_ms = harness.stack->run_timers();
        CHECK(next_ms <= 250);  // a pending ACK flush must wake the loop no later than lwIP's tick
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min<std::uint32_t>(next_ms, 20) + 1));
    }
}

TEST_CASE("guest data no reply answers is ACKed within the short delay, not at lwIP's 250 ms tick") {
    StackHarness harness;
    const auto guest = endpoint("10.0.2.15:40010");
    const auto destination = endpoint("198.51.100.7:80");
    const auto server_seq = harness.handshake(guest, destination, 700);
    auto& connection = *harness.accepted.front();
    const auto started = std::chrono::steady_clock::now();
    harness.feed({guest, destination, 701, server_seq, kAck | kPsh, 0xffff, {'P', 'O', 'S', 'T'}});
    REQUIRE(harness.events.received == "POST");
    connection.consumed(4);
    const std::size_t frames_before = harness.sent.size();
    const std::uint32_t first_wait = harness.stack->run_timers();
    // The loop is told to come back for the ACK (unless this thread stalled past the delay and it went out already).
    CHECK((first_wait <= 10 || harness.sent.size() > frames_before));
    while (harness.sent.size() == frames_before &&
           std::chrono::steady_clock::now() - started < std::chrono::milliseconds(200)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        harness.stack->run_timers();
    }
    const auto waited = std::chrono::steady_clock::now() - started;
    REQUIRE(harness.sent.size() > frames_before);
    const auto ack = harness.last();
    CHECK(ack.flags == kAck);
    CHECK(ack.ack == 705);
    CHECK(ack.payload.empty());
    CHECK(waited < std::chrono::milliseconds(200));  // lwIP alone would wait for its next 250 ms tick
}

TEST_CASE("a reply sent before the delay carries the ACK and no bare ACK follows") {
    StackHarness harness;
    const auto guest = endpoint("10.0.2.15:40011");
    const auto destination = endpoint("198.51.100.7:80");
    const auto server_seq = harness.handshake(guest, destination, 900);
    auto& connection = *harness.accepted.front();
    harness.feed({guest, destination, 901, server_seq, kAck | kPsh, 0xffff, {'G', 'E', 'T'}});
    connection.consumed(3);
    const std::vector<std::uint8_t> reply{'2', '0', '0'};
    REQUIRE(connection.send(reply) == reply.size());
    const auto answer = harness.last();
    CHECK(answer.payload == reply);
    CHECK(answer.ack == 904);
    const std::size_t frames_after_reply = harness.sent.size();
    run_timers_until_quiet(harness, 3);  // past the ACK delay
    CHECK(harness.sent.size() == frames_after_reply);
}

TEST_CASE("bytes the owner has not consumed keep lwIP's receive window closed") {
    StackHarness harness;
    const auto guest = endpoint("10.0.2.15:40004");
    const auto destination = endpoint("198.51.100.7:80");
    const auto server_seq = harness.handshake(guest, destination, 100);
    auto& connection = *harness.accepted.front();
    std::vector<std::uint8_t> chunk(1000, 'x');
    std::uint32_t seq = 101;
    // Fill far past TCP_WND (64 KiB) without consuming: lwIP must stop taking bytes.
    for (int i = 0; i < 100; ++i, seq += 1000) harness.feed({guest, destination, seq, server_seq, kAck, 0xffff, chunk});
    CHECK(harness.events.received.size() < 70000);
    CHECK(harness.events.received.size() > 60000);
    const std::size_t before = harness.events.received.size();
    connection.consumed(before);
    // After the window reopened, a retransmission of the next bytes is taken.
    harness.feed({guest, destination, static_cast<std::uint32_t>(101 + before), server_seq, kAck, 0xffff, chunk});
    CHECK(harness.events.received.size() == before + 1000);
}

TEST_CASE("a guest that scales windows may have two large segments in flight, and gets that window back once consumed") {
    // Debian's compiled TCP_WND (65535) is one 65480-byte segment: an upload
    // went one segment per round trip. The adapter widens it to 0xFFFF << 1.
    StackHarness harness;
    const auto guest = endpoint("10.0.2.15:40014");
    const auto destination = endpoint("198.51.100.7:80");
    const std::vector<std::uint8_t> window_scale_7 = {1, 3, 3, 7};  // NOP, window scale 7
    TcpSegmentSpec syn{guest, destination, 100, 0, kSyn};
    syn.options = window_scale_7;
    harness.feed(syn);
    const auto syn_ack = harness.last();
    const std::uint32_t server_seq = syn_ack.seq + 1;
    harness.feed({guest, destination, 101, server_seq, kAck});
    REQUIRE(harness.accepted.size() == 1);
    auto& connection = *harness.accepted.front();

    std::vector<std::uint8_t> chunk(1000, 'x');
    std::uint32_t seq = 101;
    for (int i = 0; i < 200; ++i, seq += 1000) harness.feed({guest, destination, seq, server_seq, kAck, 0xffff, chunk});
    CHECK(harness.events.received.size() > 130000);  // past the compiled 65535
    CHECK(harness.events.received.size() <= 131070);
    const std::size_t before = harness.events.received.size();
    harness.sent.clear();
    connection.consumed(before);
    REQUIRE_FALSE(harness.sent.empty());  // the window update goes out at once
    CHECK(harness.last().window == 0xFFFF);  // x2 at our scale: 131070 bytes open again
    harness.feed({guest, destination, static_cast<std::uint32_t>(101 + before), server_seq, kAck, 0xffff, chunk});
    CHECK(harness.events.received.size() == before + 1000);
}

TEST_CASE("a FIN from the guest is reported and finish() answers with a FIN") {
    // With window scaling the adapter's receive window is wider than lwIP's
    // compiled one, which tcp_close reads as unread data: it answered RST.
    const std::vector<std::uint8_t> window_scale_7 = {1, 3, 3, 7};
    std::uint16_t guest_port = 40005;  // a fresh 4-tuple each round: lwIP may still hold the last one
    for (const auto& syn_options : {std::vector<std::uint8_t>{}, window_scale_7}) {
        CAPTURE(syn_options.size());
        StackHarness harness;
        const auto guest = endpoint("10.0.2.15:" + std::to_string(guest_port++));
        const auto destination = endpoint("198.51.100.7:22");
        const auto server_seq = harness.handshake(guest, destination, 300, syn_options);
        REQUIRE(harness.accepted.size() == 1);
        auto& connection = *harness.accepted.front();
        const std::vector<std::uint8_t> request(3000, 'q');
        harness.feed({guest, destination, 301, server_seq, kAck | kFin, 0xffff, request});
        CHECK(harness.events.finished == 1);
        connection.consumed(request.size());
        // Half-close: the server side may still send after the guest's FIN.
        const std::string reply = "still here";
        CHECK(connection.send({reinterpret_cast<const std::uint8_t*>(reply.data()), reply.size()}) == reply.size());
        const auto data_segment = harness.last();
        CHECK(std::string(data_segment.payload.begin(), data_segment.payload.end()) == reply);
        connection.finish();
        CHECK((harness.last().flags & kFin) != 0);
        CHECK((harness.last().flags & kRst) == 0);
        CHECK_FALSE(connection.attached());
    }
}

TEST_CASE("a refused connection is reset") {
    StackHarness harness;
    harness.refuse = true;
    const auto guest = endpoint("10.0.2.15:40006");
    const auto destination = endpoint("198.51.100.7:443");
    harness.handshake(guest, destination, 900);
    CHECK(harness.accepted.empty());
    CHECK((harness.last().flags & kRst) != 0);
}

TEST_CASE("send() takes at most the send buffer and never more than lwIP's 16-bit lengths") {
    StackHarness harness;
    const auto guest = endpoint("10.0.2.15:40007");
    const auto destination = endpoint("198.51.100.7:9200");
    harness.handshake(guest, destination, 1);
    auto& connection = *harness.accepted.front();
    const std::vector<std::uint8_t> big(200000, 'b');
    const std::size_t space = connection.send_space();
    CHECK(space > 0);
    const std::size_t taken = connection.send(big);
    CHECK(taken <= space);
    CHECK(taken > 0);
    CHECK(connection.send(big) == 0);  // full until the guest acknowledges
}

TEST_CASE("send() cuts what it takes at whole segments while more is offered: no runt segment on the wire") {
    StackHarness harness;
    harness.handshake(endpoint("10.0.2.15:40012"), endpoint("198.51.100.7:80"), 1);
    auto& connection = *harness.accepted.front();
    const std::size_t segment = connection.segment_bytes();
    REQUIRE(segment == 536);  // the crafted SYN has no MSS option: RFC 9293's default
    harness.sent.clear();
    const std::vector<std::uint8_t> offered(300000, 's');  // more than the send buffer takes
    const std::size_t taken = connection.send(offered);
    CHECK(taken > 0);
    CHECK(taken % segment == 0);
    std::size_t frames_with_data = 0;
    for (const auto& frame : harness.sent) {
        const auto seen = read_tcp_frame(frame);
        REQUIRE(seen.has_value());
        if (seen->payload.empty()) continue;
        ++frames_with_data;
        CHECK(seen->payload.size() == segment);
        CHECK(seen->checksum_ok);
    }
    CHECK(frames_with_data > 1);
}

TEST_CASE("send() takes a short end of what it is offered and sends it as it is") {
    StackHarness harness;
    harness.handshake(endpoint("10.0.2.15:40013"), endpoint("198.51.100.7:80"), 1);
    harness.sent.clear();
    CHECK(harness.accepted.front()->send(std::vector<std::uint8_t>(100, 't')) == 100);
    CHECK(harness.last().payload.size() == 100);
}

TEST_CASE("a segment from a loopback source is ignored") {
    StackHarness harness;
    harness.feed({endpoint("127.0.0.1:40008"), endpoint("203.0.113.9:80"), 1, 0, kSyn});
    CHECK(harness.sent.empty());
}

}  // namespace askfirst::netstack::test

namespace askfirst::netstack::test {

// Closes a connection lwIP-side first, so its pcb ends in TIME_WAIT.
void close_server_first(StackHarness& harness, const IpEndpoint& guest, const IpEndpoint& destination) {
    const auto server_seq = harness.handshake(guest, destination, 1000);
    harness.accepted.back()->finish();
    harness.feed({guest, destination, 1001, server_seq + 1, kAck | kFin});
}

TEST_CASE("connections lwIP closed first leave no TIME_WAIT pcbs once the timers ran") {
    StackHarness harness;
    const auto destination = endpoint("198.51.100.7:8081");
    for (std::uint16_t i = 0; i < 100; ++i)
        close_server_first(harness, endpoint("10.0.2.15:" + std::to_string(20000 + i)), destination);
    CHECK(harness.stack->time_wait_count() == 100);
    harness.stack->run_timers();
    CHECK(harness.stack->time_wait_count() == 0);
    harness.accepted.clear();
}

TEST_CASE("a SYN reusing the ports of a connection in TIME_WAIT is accepted") {
    StackHarness harness;
    const auto guest = endpoint("10.0.2.15:31000");
    const auto destination = endpoint("198.51.100.7:8082");
    close_server_first(harness, guest, destination);
    REQUIRE(harness.stack->time_wait_count() == 1);
    harness.feed({guest, destination, 90000, 0, kSyn});  // the guest reuses its port at once
    const auto reply = harness.last();
    CHECK(reply.flags == (kSyn | kAck));
    CHECK(reply.ack == 90001);
    harness.accepted.clear();
}

}  // namespace askfirst::netstack::test

namespace askfirst::netstack::test {

TEST_CASE("a connection reset from inside the accept handler is answered with RST, not used after free") {
    StackHarness harness;
    harness.stack.reset();
    std::vector<std::unique_ptr<LwipTcpConnection>> kept;
    auto created = LwipStack::create(
        [&](std::span<const std::uint8_t> frame) { harness.sent.emplace_back(frame.begin(), frame.end()); },
        [&](std::unique_ptr<LwipTcpConnection>& connection) {
            connection->abort();  // a pipeline that refuses in on_start
            kept.push_back(std::move(connection));
        });
    REQUIRE_MESSAGE(created.ok(), created.error());
    harness.stack = created.take();
    harness.stack->set_guest_mac(kGuestMac);
    harness.handshake(endpoint("10.0.2.15:40009"), endpoint("198.51.100.7:8443"), 77);
    CHECK((harness.last().flags & kRst) != 0);
    REQUIRE(kept.size() == 1);
    CHECK_FALSE(kept.front()->attached());
    kept.clear();
}

}  // namespace askfirst::netstack::test

namespace askfirst::netstack::test {

TEST_CASE("a SYN flood stops being answered at the half-open bound") {
    StackHarness harness;
    const auto destination = endpoint("198.51.100.7:8083");
    for (int i = 0; i < 5000; ++i) {
        const auto guest = IpEndpoint{IpAddress::v4(10, 0, 2, 15), static_cast<std::uint16_t>(1024 + i)};
        harness.feed({guest, destination, 1, 0, kSyn});
    }
    std::size_t syn_acks = 0;
    for (const auto& frame : harness.sent)
        if (const auto seen = read_tcp_frame(frame); seen && seen->flags == (kSyn | kAck)) ++syn_acks;
    // lwIP's pcbs are process-wide: earlier cases may have left a few half-open ones.
    CHECK(syn_acks <= 4096);
    CHECK(syn_acks > 4000);
    CHECK(harness.stack->half_open_count() < 4200);
}

}  // namespace askfirst::netstack::test
