// netstack/ethernet_frame.cpp — the frame parser behind the demux: Ethernet,
// then IPv4 (IHL, total length, fragments) or IPv6 (fixed header, payload
// length, a fragment header noted), then the TCP/UDP ports or the ICMP type.
// Hand-written rather than a library: it reads a handful of fixed fields
// and must be a pure, fuzzable function of the bytes.
#include "netstack/ethernet_frame.h"

#include <algorithm>
#include <cstring>

namespace askfirst::netstack {
namespace {

constexpr std::size_t kIpv4MinHeaderBytes = 20;
constexpr std::size_t kIpv6HeaderBytes = 40;
constexpr std::size_t kTcpMinHeaderBytes = 20;
constexpr std::size_t kUdpHeaderBytes = 8;
constexpr std::uint8_t kIpv6NextHeaderFragment = 44;

bool parse_ipv4(std::span<const std::uint8_t> frame, ParsedFrame& parsed) {
    const std::size_t at = parsed.ip_offset;
    if (frame.size() < at + kIpv4MinHeaderBytes) return false;
    const std::uint8_t* ip = frame.data() + at;
    if ((ip[0] >> 4) != 4) return false;
    const std::size_t header_bytes = static_cast<std::size_t>(ip[0] & 0x0f) * 4;
    const std::size_t total_bytes = read_be16(ip + 2);
    if (header_bytes < kIpv4MinHeaderBytes || total_bytes < header_bytes || at + total_bytes > frame.size())
        return false;
    const std::uint16_t fragment_field = read_be16(ip + 6);
    parsed.is_fragment = (fragment_field & 0x2000) != 0 || (fragment_field & 0x1fff) != 0;
    parsed.ip_protocol = ip[9];
    parsed.ip_packet_bytes = total_bytes;
    parsed.l4_offset = at + header_bytes;
    parsed.source.address = IpAddress::from_v4_bytes(ip + 12);
    parsed.destination.address = IpAddress::from_v4_bytes(ip + 16);
    return true;
}

bool parse_ipv6(std::span<const std::uint8_t> frame, ParsedFrame& parsed) {
    const std::size_t at = parsed.ip_offset;
    if (frame.size() < at + kIpv6HeaderBytes) return false;
    const std::uint8_t* ip = frame.data() + at;
    if ((ip[0] >> 4) != 6) return false;
    const std::size_t payload_bytes = read_be16(ip + 4);
    if (at + kIpv6HeaderBytes + payload_bytes > frame.size()) return false;
    parsed.ip_protocol = ip[6];
    parsed.is_fragment = ip[6] == kIpv6NextHeaderFragment;
    parsed.ip_packet_bytes = kIpv6HeaderBytes + payload_bytes;
    parsed.l4_offset = at + kIpv6HeaderBytes;
    parsed.source.address = IpAddress::from_v6_bytes(ip + 8);
    parsed.destination.address = IpAddress::from_v6_bytes(ip + 24);
    return true;
}

// Ports and flags; false when the transport header does not fit in the IP packet.
bool parse_transport(std::span<const std::uint8_t> frame, ParsedFrame& parsed) {
    if (parsed.is_fragment) return true;  // no transport header to read reliably
    const std::size_t ip_end = parsed.ip_offset + parsed.ip_packet_bytes;
    const std::uint8_t* l4 = frame.data() + parsed.l4_offset;
    const std::size_t l4_bytes = ip_end - parsed.l4_offset;
    switch (parsed.ip_protocol) {
    case kIpProtoTcp:
        if (l4_bytes < kTcpMinHeaderBytes) return false;
        parsed.tcp_flags = l4[13];
        break;
    case kIpProtoUdp:
        if (l4_bytes < kUdpHeaderBytes) return false;
        break;
    case kIpProtoIcmp:
    case kIpProtoIcmpv6:
        if (l4_bytes < 4) return false;
        parsed.icmp_type = l4[0];
        return true;
    default:
        return true;
    }
    parsed.source.port = read_be16(l4);
    parsed.destination.port = read_be16(l4 + 2);
    return true;
}

}  // namespace

IpAddress gateway_v6() {
    std::uint8_t raw[16] = {0xfe, 0xc0};
    raw[15] = 2;
    return IpAddress::from_v6_bytes(raw);
}

IpAddress nameserver_v6() {
    std::uint8_t raw[16] = {0xfe, 0xc0};
    raw[15] = 3;
    return IpAddress::from_v6_bytes(raw);
}

bool is_in_guest_network(const IpAddress& address) {
    const IpAddress plain = address.unmapped();
    if (plain.is_v4()) return std::equal(kGuestNetworkPrefixV4, kGuestNetworkPrefixV4 + 3, plain.bytes.begin());
    static constexpr std::uint8_t kPrefix[8] = {0xfe, 0xc0, 0, 0, 0, 0, 0, 0};  // fec0::/64
    return std::equal(kPrefix, kPrefix + 8, plain.bytes.begin());
}

std::optional<ParsedFrame> parse_ethernet_frame(std::span<const std::uint8_t> frame) {
    if (frame.size() < kEthernetHeaderBytes) return std::nullopt;
    ParsedFrame parsed;
    std::memcpy(parsed.destination_mac.data(), frame.data(), 6);
    std::memcpy(parsed.source_mac.data(), frame.data() + 6, 6);
    parsed.ether_type = read_be16(frame.data() + 12);
    parsed.ip_offset = kEthernetHeaderBytes;
    if (parsed.ether_type == kEtherTypeIpv4) {
        if (!parse_ipv4(frame, parsed)) return std::nullopt;
    } else if (parsed.ether_type == kEtherTypeIpv6) {
        if (!parse_ipv6(frame, parsed)) return std::nullopt;
    } else {
        return parsed;
    }
    parsed.is_ip = true;
    if (!parse_transport(frame, parsed)) return std::nullopt;
    return parsed;
}

}  // namespace askfirst::netstack
