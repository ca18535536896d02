// tests/unit/netstack/demux_test.cpp — the demux routing table, one row per
// frame type: what goes to libslirp, to lwIP, to the DNS responder, through
// udp.allow, and what is dropped (invariant 2: no UDP leaves unlisted).
#include <doctest.h>

#include <string>
#include <vector>

#include "netstack/demux.h"
#include "tests/unit/netstack/test_frames.h"

namespace askfirst::netstack::test {
namespace {

struct DemuxRow {
    const char* behaviour;
    std::vector<std::uint8_t> frame;
    DemuxRoute expected;
};

std::vector<std::uint8_t> truncated(std::vector<std::uint8_t> frame, std::size_t bytes) {
    frame.resize(bytes);
    return frame;
}

std::vector<std::uint8_t> ipv4_fragment() {
    auto frame = tcp_frame({endpoint("10.0.2.15:1"), endpoint("1.2.3.4:80"), 0, 0, kSyn});
    frame[kEthernetHeaderBytes + 6] = 0x20;  // more fragments
    return frame;
}

std::vector<std::uint8_t> ethertype_frame(std::uint16_t ether_type) {
    auto frame = arp_request_frame();
    write_be16(frame.data() + 12, ether_type);
    return frame;
}

}  // namespace

TEST_CASE("the demux routes each frame type where design.md says") {
    const std::vector<IpEndpoint> allowed = {endpoint("192.0.2.50:51820")};
    const DemuxPolicy policy{allowed};
    const std::vector<DemuxRow> rows = {
        {"ARP goes to slirp", arp_request_frame(), DemuxRoute::slirp_service},
        {"DHCP goes to slirp", udp_frame(endpoint("0.0.0.0:68"), endpoint("255.255.255.255:67")), DemuxRoute::slirp_service},
        {"DHCPv6 goes to slirp", udp_frame(endpoint("[fe80::1]:546"), endpoint("[ff02::1:2]:547")), DemuxRoute::slirp_service},
        {"ICMP echo goes to slirp", icmp_frame(false, 8), DemuxRoute::slirp_service},
        {"ICMPv6 echo goes to slirp", icmp_frame(true, 128), DemuxRoute::slirp_service},
        {"NDP router solicitation goes to slirp", icmp_frame(true, 133), DemuxRoute::slirp_service},
        {"NDP neighbor solicitation goes to slirp", icmp_frame(true, 135), DemuxRoute::slirp_service},
        {"ICMP other than echo is dropped", icmp_frame(false, 3), DemuxRoute::dropped},
        {"MLD is dropped", icmp_frame(true, 143), DemuxRoute::dropped},
        {"IPv4 TCP to any address goes to lwIP", tcp_frame({endpoint("10.0.2.15:5"), endpoint("203.0.113.9:4242"), 0, 0, kSyn}), DemuxRoute::lwip_tcp},
        {"IPv6 TCP to any address goes to lwIP", tcp_frame({endpoint("[fec0::15]:5"), endpoint("[2001:db8::1]:22"), 0, 0, kSyn}), DemuxRoute::lwip_tcp},
        {"TCP to the gateway goes to lwIP", tcp_frame({endpoint("10.0.2.15:5"), endpoint("10.0.2.2:8080"), 0, 0, kSyn}), DemuxRoute::lwip_tcp},
        {"TCP to the nameserver port 53 goes to lwIP", tcp_frame({endpoint("10.0.2.15:5"), endpoint("10.0.2.3:53"), 0, 0, kSyn}), DemuxRoute::lwip_tcp},
        {"UDP DNS to 10.0.2.3 goes to the responder", udp_frame(endpoint("10.0.2.15:5353"), endpoint("10.0.2.3:53")), DemuxRoute::dns_query},
        {"UDP DNS to fec0::3 goes to the responder", udp_frame(endpoint("[fec0::15]:5353"), endpoint("[fec0::3]:53")), DemuxRoute::dns_query},
        {"UDP DNS to an outside resolver is dropped", udp_frame(endpoint("10.0.2.15:5353"), endpoint("8.8.8.8:53")), DemuxRoute::udp_dropped},
        {"QUIC (UDP/443) is dropped", udp_frame(endpoint("10.0.2.15:5000"), endpoint("203.0.113.9:443")), DemuxRoute::udp_dropped},
        {"UDP to the gateway is dropped", udp_frame(endpoint("10.0.2.15:5000"), endpoint("10.0.2.2:9999")), DemuxRoute::udp_dropped},
        {"IPv6 UDP is dropped", udp_frame(endpoint("[fec0::15]:5000"), endpoint("[2001:db8::1]:443")), DemuxRoute::udp_dropped},
        {"UDP listed in udp.allow goes to slirp's NAT", udp_frame(endpoint("10.0.2.15:5000"), endpoint("192.0.2.50:51820")), DemuxRoute::udp_allowed},
        {"UDP to a listed host on another port is dropped", udp_frame(endpoint("10.0.2.15:5000"), endpoint("192.0.2.50:51821")), DemuxRoute::udp_dropped},
        {"an IPv4 fragment is dropped", ipv4_fragment(), DemuxRoute::dropped},
        {"a frame shorter than an Ethernet header is dropped", truncated(arp_request_frame(), 10), DemuxRoute::dropped},
        {"a truncated IPv4 packet is dropped", truncated(tcp_frame({endpoint("10.0.2.15:5"), endpoint("1.2.3.4:80"), 0, 0, kSyn}), 40), DemuxRoute::dropped},
        {"a truncated IPv6 packet is dropped", truncated(tcp_frame({endpoint("[fec0::15]:5"), endpoint("[2001:db8::1]:80"), 0, 0, kSyn}), 60), DemuxRoute::dropped},
        {"an unknown ethertype is dropped", ethertype_frame(0x88cc), DemuxRoute::dropped},
    };
    for (const auto& row : rows) {
        CAPTURE(row.behaviour);
        const auto decision = demux_frame(row.frame, policy);
        CHECK(demux_route_name(decision.route) == demux_route_name(row.expected));
    }
}

TEST_CASE("the demux reports the endpoints of a TCP segment") {
    const auto frame = tcp_frame({endpoint("10.0.2.15:40000"), endpoint("203.0.113.9:4242"), 0, 0, kSyn});
    const auto decision = demux_frame(frame, {});
    REQUIRE(decision.frame.has_value());
    CHECK(decision.frame->source == endpoint("10.0.2.15:40000"));
    CHECK(decision.frame->destination == endpoint("203.0.113.9:4242"));
    CHECK(decision.frame->tcp_flags == kSyn);
    CHECK(decision.frame->source_mac == kGuestMac);
}

TEST_CASE("an IPv4 header whose length points past the frame is dropped") {
    auto frame = tcp_frame({endpoint("10.0.2.15:1"), endpoint("1.2.3.4:80"), 0, 0, kSyn});
    write_be16(frame.data() + kEthernetHeaderBytes + 2, 1400);
    CHECK(demux_frame(frame, {}).route == DemuxRoute::dropped);
}

}  // namespace askfirst::netstack::test
