// tests/unit/netstack/slirp_adapter_test.cpp — libslirp behind the adapter, on
// a private loop and without any socket: it answers the guest's ARP for the
// gateway with slirp's gateway MAC, so the guest can reach lwIP at all.
#include <doctest.h>

#include <cstring>
#include <vector>

#include "netstack/slirp_adapter.h"
#include "tests/unit/netstack/test_frames.h"

namespace askfirst::netstack::test {
namespace {

std::vector<std::uint8_t> arp_who_has(const IpAddress& target) {
    auto frame = arp_request_frame();
    std::uint8_t* arp = frame.data() + kEthernetHeaderBytes;
    write_be16(arp, 1);               // Ethernet
    write_be16(arp + 2, kEtherTypeIpv4);
    arp[4] = 6;
    arp[5] = 4;
    write_be16(arp + 6, 1);           // request
    std::memcpy(arp + 8, kGuestMac.data(), 6);
    const std::uint8_t guest_ip[4] = {10, 0, 2, 15};
    std::memcpy(arp + 14, guest_ip, 4);
    std::memcpy(arp + 24, target.bytes.data(), 4);
    return frame;
}

}  // namespace

TEST_CASE("slirp answers the guest's ARP for the gateway with the gateway MAC") {
    uv_loop_t loop;
    uv_loop_init(&loop);
    std::vector<std::vector<std::uint8_t>> sent;
    {
        auto created = SlirpAdapter::create(
            &loop, [&](std::span<const std::uint8_t> frame) { sent.emplace_back(frame.begin(), frame.end()); },
            [](const std::string&) {});
        REQUIRE_MESSAGE(created.ok(), created.error());
        auto slirp = created.take();
        slirp->input_frame(arp_who_has(kGatewayV4));
        uv_run(&loop, UV_RUN_NOWAIT);
    }
    uv_walk(&loop, [](uv_handle_t* handle, void*) { if (!uv_is_closing(handle)) uv_close(handle, nullptr); }, nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    REQUIRE_FALSE(sent.empty());
    const auto& reply = sent.front();
    REQUIRE(reply.size() >= 42);
    CHECK(read_be16(reply.data() + 12) == kEtherTypeArp);
    CHECK(read_be16(reply.data() + kEthernetHeaderBytes + 6) == 2);  // ARP reply
    CHECK(std::memcmp(reply.data() + kEthernetHeaderBytes + 8, kGatewayMac.data(), 6) == 0);
    CHECK(std::memcmp(reply.data(), kGuestMac.data(), 6) == 0);
}

}  // namespace askfirst::netstack::test
