// netstack/ethernet_frame.h — the layout of the guest's Ethernet frames: the
// fixed addresses of the virtual network (slirp's usual 10.0.2.0/24 and
// fec0::/64), the frame size bound every transport enforces, and a parser
// that finds the IPv4/IPv6 and TCP/UDP headers the demux routes by.
// Only what routing needs is parsed; lwIP and libslirp validate the rest.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "netstack/ip_endpoint.h"

namespace askfirst::netstack {

using MacAddress = std::array<std::uint8_t, 6>;

// slirp's gateway MAC (52:55:0a:00:02:02): lwIP's frames to the guest carry it too,
// so the guest sees one router.
inline constexpr MacAddress kGatewayMac = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};

// The virtual network, as libslirp lays it out by default (QEMU's -netdev user).
inline const IpAddress kGatewayV4 = IpAddress::v4(10, 0, 2, 2);
inline const IpAddress kNameserverV4 = IpAddress::v4(10, 0, 2, 3);
inline const IpAddress kGuestFirstV4 = IpAddress::v4(10, 0, 2, 15);  // slirp's DHCP start
inline constexpr std::uint8_t kGuestNetworkPrefixV4[3] = {10, 0, 2};  // 10.0.2.0/24
IpAddress gateway_v6();     // fec0::2
IpAddress nameserver_v6();  // fec0::3
bool is_in_guest_network(const IpAddress& address);  // 10.0.2.0/24 or fec0::/64

// Largest IP packet (MTU) we accept or send: 65520 bytes, the MTU pasta gives
// a namespace's TAP. A guest whose link MTU is 1500 (a QEMU VM) simply never
// sends more; one whose TAP has MTU 65520 sends 64 KiB segments, which cuts
// the per-frame cost of the TAP path by 40x. The frame adds the 14-byte
// Ethernet header and room for one 802.1Q tag.
inline constexpr std::size_t kIpMtu = 65520;
inline constexpr std::size_t kEthernetHeaderBytes = 14;
inline constexpr std::size_t kMaxFrameBytes = kIpMtu + kEthernetHeaderBytes + 4;

inline constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr std::uint16_t kEtherTypeArp = 0x0806;
inline constexpr std::uint16_t kEtherTypeIpv6 = 0x86dd;

inline constexpr std::uint8_t kIpProtoIcmp = 1;
inline constexpr std::uint8_t kIpProtoTcp = 6;
inline constexpr std::uint8_t kIpProtoUdp = 17;
inline constexpr std::uint8_t kIpProtoIcmpv6 = 58;

// What the demux needs to know of one frame. Offsets are into the frame.
struct ParsedFrame {
    MacAddress destination_mac{};
    MacAddress source_mac{};
    std::uint16_t ether_type = 0;
    // Set when ether_type is IPv4 or IPv6 and the IP header parsed.
    bool is_ip = false;
    bool is_fragment = false;          // IPv4 fragment or IPv6 fragment header
    std::uint8_t ip_protocol = 0;      // next header after the fixed IPv6 header
    std::size_t ip_offset = 0;         // start of the IP header
    std::size_t ip_packet_bytes = 0;   // IP header + payload, per the IP length field
    std::size_t l4_offset = 0;         // start of the TCP/UDP/ICMP header
    IpEndpoint source;                 // ports are 0 unless TCP or UDP
    IpEndpoint destination;
    std::uint8_t tcp_flags = 0;        // TCP only
    std::uint8_t icmp_type = 0;        // ICMP/ICMPv6 only
};

// nullopt when the frame is too short or its IP header is inconsistent
// (length fields pointing past the frame, bad IHL, wrong version).
std::optional<ParsedFrame> parse_ethernet_frame(std::span<const std::uint8_t> frame);

// Big-endian helpers shared by the frame builders.
inline std::uint16_t read_be16(const std::uint8_t* at) {
    return static_cast<std::uint16_t>((at[0] << 8) | at[1]);
}
inline void write_be16(std::uint8_t* at, std::uint16_t value) {
    at[0] = static_cast<std::uint8_t>(value >> 8);
    at[1] = static_cast<std::uint8_t>(value);
}

}  // namespace askfirst::netstack
