// netstack/udp_frame.h — builds the Ethernet/IP/UDP frames askfirstd itself
// sends to the guest: the virtual nameserver's DNS replies (from 10.0.2.3:53
// or [fec0::3]:53). Also the internet checksum (RFC 1071) and its IPv4/IPv6
// pseudo-header, which the unit tests reuse to craft guest frames.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "netstack/ethernet_frame.h"
#include "netstack/ip_endpoint.h"

namespace askfirst::netstack {

// One's-complement sum of `bytes` added to `partial` (not yet folded/inverted).
std::uint32_t checksum_add(std::uint32_t partial, std::span<const std::uint8_t> bytes);
std::uint16_t checksum_fold(std::uint32_t partial);  // folded and inverted
// Sum of the IPv4/IPv6 pseudo-header for an upper-layer packet.
std::uint32_t pseudo_header_sum(const IpAddress& source, const IpAddress& destination, std::uint8_t protocol,
                                std::size_t upper_layer_bytes);

// A complete frame: Ethernet (from the gateway MAC to `guest_mac`), IPv4 or
// IPv6 (by the source's family; both endpoints must share it), UDP with a
// valid checksum, then `payload`. Empty if it would exceed kMaxFrameBytes.
std::vector<std::uint8_t> build_udp_frame(const MacAddress& guest_mac, const IpEndpoint& source,
                                          const IpEndpoint& destination, std::span<const std::uint8_t> payload);

}  // namespace askfirst::netstack
