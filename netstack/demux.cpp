// netstack/demux.cpp — the routing table described in netstack/demux.h.
// The decision reads only the parsed headers; nothing here has side effects.
#include "netstack/demux.h"

#include <algorithm>
#include <array>

namespace askfirst::netstack {
namespace {

// Well-known ports of the services libslirp answers for the guest.
constexpr std::uint16_t kDhcpServerPort = 67;     // RFC 2131
constexpr std::uint16_t kDhcpv6ServerPort = 547;  // RFC 8415
constexpr std::uint16_t kDnsPort = 53;            // RFC 1035

constexpr std::uint8_t kIcmpEchoRequest = 8;       // RFC 792
constexpr std::uint8_t kIcmpv6EchoRequest = 128;   // RFC 4443
constexpr std::uint8_t kIcmpv6RouterSolicit = 133; // RFC 4861: 133..137 are NDP
constexpr std::uint8_t kIcmpv6Redirect = 137;

constexpr std::array<std::string_view, 6> kRouteNames = {
    "slirp_service", "lwip_tcp", "dns_query", "udp_allowed", "udp_dropped", "dropped"};
static_assert(kRouteNames.size() == static_cast<std::size_t>(DemuxRoute::dropped) + 1,
              "kRouteNames must name every DemuxRoute");

DemuxDecision decide(DemuxRoute route, std::string_view reason, const ParsedFrame& frame) {
    return DemuxDecision{route, reason, frame};
}

bool is_nameserver(const IpAddress& address) {
    return address == kNameserverV4 || address == nameserver_v6();
}

DemuxDecision route_udp(const ParsedFrame& frame, const DemuxPolicy& policy) {
    const std::uint16_t port = frame.destination.port;
    if (frame.ether_type == kEtherTypeIpv4 && port == kDhcpServerPort) return decide(DemuxRoute::slirp_service, "dhcp", frame);
    if (frame.ether_type == kEtherTypeIpv6 && port == kDhcpv6ServerPort)
        return decide(DemuxRoute::slirp_service, "dhcpv6", frame);
    if (port == kDnsPort && is_nameserver(frame.destination.address))
        return decide(DemuxRoute::dns_query, "dns to the virtual nameserver", frame);
    const bool allowed = std::find(policy.udp_allow.begin(), policy.udp_allow.end(), frame.destination) !=
                         policy.udp_allow.end();
    if (allowed) return decide(DemuxRoute::udp_allowed, "listed in udp.allow", frame);
    return decide(DemuxRoute::udp_dropped, "udp not listed in udp.allow", frame);
}

DemuxDecision route_icmp(const ParsedFrame& frame) {
    if (frame.ip_protocol == kIpProtoIcmp) {
        if (frame.icmp_type == kIcmpEchoRequest) return decide(DemuxRoute::slirp_service, "icmp echo", frame);
        return decide(DemuxRoute::dropped, "icmp other than echo request", frame);
    }
    if (frame.icmp_type == kIcmpv6EchoRequest) return decide(DemuxRoute::slirp_service, "icmpv6 echo", frame);
    if (frame.icmp_type >= kIcmpv6RouterSolicit && frame.icmp_type <= kIcmpv6Redirect)
        return decide(DemuxRoute::slirp_service, "ndp", frame);
    return decide(DemuxRoute::dropped, "icmpv6 other than echo or ndp", frame);
}

}  // namespace

std::string_view demux_route_name(DemuxRoute route) {
    return kRouteNames[static_cast<std::size_t>(route)];
}

DemuxDecision demux_frame(std::span<const std::uint8_t> bytes, const DemuxPolicy& policy) {
    const auto parsed = parse_ethernet_frame(bytes);
    if (!parsed) return DemuxDecision{DemuxRoute::dropped, "malformed frame", std::nullopt};
    const ParsedFrame& frame = *parsed;
    if (frame.ether_type == kEtherTypeArp) return decide(DemuxRoute::slirp_service, "arp", frame);
    if (!frame.is_ip) return decide(DemuxRoute::dropped, "ethertype nobody serves", frame);
    if (frame.is_fragment) return decide(DemuxRoute::dropped, "ip fragment", frame);
    switch (frame.ip_protocol) {
    case kIpProtoTcp:
        return decide(DemuxRoute::lwip_tcp, "tcp", frame);
    case kIpProtoUdp:
        return route_udp(frame, policy);
    case kIpProtoIcmp:
        if (frame.ether_type != kEtherTypeIpv4) break;
        return route_icmp(frame);
    case kIpProtoIcmpv6:
        if (frame.ether_type != kEtherTypeIpv6) break;
        return route_icmp(frame);
    default:
        break;
    }
    return decide(DemuxRoute::dropped, "ip protocol nobody serves", frame);
}

}  // namespace askfirst::netstack
