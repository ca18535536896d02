// netstack/udp_frame.h — builds the Ethernet/IP/UDP frames askfirstd itself
// sends to the guest: the virtual nameserver's DNS replies (from 10.0.2.3:53
// or [fec0::3]:53). Includes the internet checksum (internet_checksum.h),
// which the unit tests reuse to craft guest frames.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "netstack/ethernet_frame.h"
#include "netstack/internet_checksum.h"
#include "netstack/ip_endpoint.h"

namespace askfirst::netstack {

// A complete frame: Ethernet (from the gateway MAC to `guest_mac`), IPv4 or
// IPv6 (by the source's family; both endpoints must share it), UDP with a
// valid checksum, then `payload`. Empty if it would exceed kMaxFrameBytes.
std::vector<std::uint8_t> build_udp_frame(const MacAddress& guest_mac, const IpEndpoint& source,
                                          const IpEndpoint& destination, std::span<const std::uint8_t> payload);

}  // namespace askfirst::netstack
