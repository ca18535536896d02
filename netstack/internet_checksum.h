// netstack/internet_checksum.h — the internet checksum (RFC 1071): the
// one's-complement sum of 16-bit words. One fast implementation serves the
// frames askfirstd builds itself (udp_frame, the SYN-ACK MSS rewrite) and,
// through lwip_adapter's override of lwIP's `lwip_standard_chksum`, every TCP
// segment lwIP sends to or receives from the guest: on a bulk download that
// sum runs over every byte, and Debian's lwIP does it 2 bytes per step (37 %
// of askfirstd measured); this one takes 32 bytes per step with AVX2 (8
// without), and sums while it copies where lwIP copies a payload into a
// segment.
#pragma once

#include <cstdint>
#include <span>

#include "netstack/ip_endpoint.h"

namespace askfirst::netstack {

// The folded one's-complement sum of `bytes` read as 16-bit words in the
// host's byte order (an odd last byte is padded with a zero after it): lwIP's
// LWIP_CHKSUM contract. 0 only when every byte is 0; never inverted.
std::uint16_t ones_complement_sum_host_order(std::span<const std::uint8_t> bytes);
// Copies `source` to `destination` (source.size() bytes, not overlapping) and
// returns the same sum of it, in one pass: lwIP's lwip_chksum_copy contract.
std::uint16_t copy_and_sum_host_order(std::uint8_t* destination, std::span<const std::uint8_t> source);

// The same sum with the words read big-endian (network order), added to
// `partial` (not yet folded or inverted).
std::uint32_t checksum_add(std::uint32_t partial, std::span<const std::uint8_t> bytes);
std::uint16_t checksum_fold(std::uint32_t partial);  // folded and inverted
// Sum of the IPv4/IPv6 pseudo-header for an upper-layer packet.
std::uint32_t pseudo_header_sum(const IpAddress& source, const IpAddress& destination, std::uint8_t protocol,
                                std::size_t upper_layer_bytes);

}  // namespace askfirst::netstack
