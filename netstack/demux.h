// netstack/demux.h — where each guest frame goes. A pure function of the frame
// bytes and the profile's udp.allow list, so it is table-tested and fuzzed:
//   ARP, DHCP, ICMP echo, NDP/RA, DHCPv6        → libslirp (its usual services)
//   every IPv4/IPv6 TCP segment, any address    → lwIP (every flow is terminated)
//   UDP to the virtual nameserver port 53       → askfirstd's DNS responder
//   UDP to a destination listed in udp.allow    → libslirp's NAT (logged)
//   any other UDP (QUIC, tunnels, outside DNS)  → dropped (invariant 2)
//   anything else (fragments, odd protocols)    → dropped
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "netstack/ethernet_frame.h"
#include "netstack/ip_endpoint.h"

namespace askfirst::netstack {

enum class DemuxRoute : std::uint8_t {
    slirp_service,   // ARP, DHCP(v6), ICMP echo, NDP
    lwip_tcp,        // a TCP segment for the terminating stack
    dns_query,       // UDP to 10.0.2.3:53 or [fec0::3]:53
    udp_allowed,     // UDP to a udp.allow destination: slirp NAT
    udp_dropped,     // UDP that the profile does not allow
    dropped,         // malformed, fragmented, or a protocol nobody serves
};

// For log lines and test names; checked against the enum by a static_assert.
std::string_view demux_route_name(DemuxRoute route);

struct DemuxPolicy {
    std::span<const IpEndpoint> udp_allow;  // the profile's udp.allow entries
};

struct DemuxDecision {
    DemuxRoute route = DemuxRoute::dropped;
    std::string_view reason;             // why, for -v logging ("ipv4 fragment", ...)
    std::optional<ParsedFrame> frame;    // set unless the frame did not parse
};

DemuxDecision demux_frame(std::span<const std::uint8_t> frame, const DemuxPolicy& policy);

}  // namespace askfirst::netstack
