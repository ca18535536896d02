// tests/unit/netstack/test_frames.cpp — the frame crafting of test_frames.h.
#include "tests/unit/netstack/test_frames.h"

#include <cstdlib>
#include <cstring>

#include "netstack/udp_frame.h"

namespace askfirst::netstack::test {
namespace {

void write_be32(std::uint8_t* at, std::uint32_t value) {
    at[0] = static_cast<std::uint8_t>(value >> 24);
    at[1] = static_cast<std::uint8_t>(value >> 16);
    at[2] = static_cast<std::uint8_t>(value >> 8);
    at[3] = static_cast<std::uint8_t>(value);
}

std::uint32_t read_be32(const std::uint8_t* at) {
    return (std::uint32_t{at[0]} << 24) | (std::uint32_t{at[1]} << 16) | (std::uint32_t{at[2]} << 8) | at[3];
}

// Ethernet + IP header for `upper_bytes` of `protocol`; returns the frame and the L4 offset.
std::vector<std::uint8_t> ip_frame(const IpAddress& source, const IpAddress& destination, std::uint8_t protocol,
                                   std::size_t upper_bytes, std::size_t& l4_offset) {
    const bool v4 = source.is_v4();
    const std::size_t ip_header = v4 ? 20 : 40;
    std::vector<std::uint8_t> frame(kEthernetHeaderBytes + ip_header + upper_bytes, 0);
    std::memcpy(frame.data(), kGatewayMac.data(), 6);
    std::memcpy(frame.data() + 6, kGuestMac.data(), 6);
    write_be16(frame.data() + 12, v4 ? kEtherTypeIpv4 : kEtherTypeIpv6);
    std::uint8_t* ip = frame.data() + kEthernetHeaderBytes;
    if (v4) {
        ip[0] = 0x45;
        write_be16(ip + 2, static_cast<std::uint16_t>(ip_header + upper_bytes));
        ip[8] = 64;
        ip[9] = protocol;
        std::memcpy(ip + 12, source.bytes.data(), 4);
        std::memcpy(ip + 16, destination.bytes.data(), 4);
        write_be16(ip + 10, checksum_fold(checksum_add(0, {ip, 20})));
    } else {
        ip[0] = 0x60;
        write_be16(ip + 4, static_cast<std::uint16_t>(upper_bytes));
        ip[6] = protocol;
        ip[7] = 64;
        std::memcpy(ip + 8, source.bytes.data(), 16);
        std::memcpy(ip + 24, destination.bytes.data(), 16);
    }
    l4_offset = kEthernetHeaderBytes + ip_header;
    return frame;
}

}  // namespace

std::vector<std::uint8_t> tcp_frame(const TcpSegmentSpec& spec) {
    const std::size_t options_bytes = (spec.options.size() + 3) / 4 * 4;  // NOP/EOL (0) padded
    const std::size_t header_bytes = 20 + options_bytes;
    const std::size_t tcp_bytes = header_bytes + spec.payload.size();
    std::size_t at = 0;
    auto frame = ip_frame(spec.source.address, spec.destination.address, kIpProtoTcp, tcp_bytes, at);
    std::uint8_t* tcp = frame.data() + at;
    write_be16(tcp, spec.source.port);
    write_be16(tcp + 2, spec.destination.port);
    write_be32(tcp + 4, spec.seq);
    write_be32(tcp + 8, spec.ack);
    tcp[12] = static_cast<std::uint8_t>((header_bytes / 4) << 4);
    tcp[13] = spec.flags;
    write_be16(tcp + 14, spec.window);
    if (!spec.options.empty()) std::memcpy(tcp + 20, spec.options.data(), spec.options.size());
    if (!spec.payload.empty()) std::memcpy(tcp + header_bytes, spec.payload.data(), spec.payload.size());
    const auto sum = pseudo_header_sum(spec.source.address, spec.destination.address, kIpProtoTcp, tcp_bytes);
    write_be16(tcp + 16, checksum_fold(checksum_add(sum, {tcp, tcp_bytes})));
    return frame;
}

std::vector<std::uint8_t> udp_frame(const IpEndpoint& source, const IpEndpoint& destination,
                                    std::vector<std::uint8_t> payload) {
    auto frame = build_udp_frame(kGatewayMac, source, destination, payload);
    std::memcpy(frame.data(), kGatewayMac.data(), 6);
    std::memcpy(frame.data() + 6, kGuestMac.data(), 6);
    return frame;
}

std::vector<std::uint8_t> arp_request_frame() {
    std::vector<std::uint8_t> frame(42, 0);
    std::memset(frame.data(), 0xff, 6);
    std::memcpy(frame.data() + 6, kGuestMac.data(), 6);
    write_be16(frame.data() + 12, kEtherTypeArp);
    return frame;
}

std::vector<std::uint8_t> icmp_frame(bool v6, std::uint8_t type) {
    std::size_t at = 0;
    const IpAddress source = v6 ? *IpAddress::parse("fec0::15") : IpAddress::v4(10, 0, 2, 15);
    const IpAddress destination = v6 ? *IpAddress::parse("fec0::2") : IpAddress::v4(10, 0, 2, 2);
    auto frame = ip_frame(source, destination, v6 ? kIpProtoIcmpv6 : kIpProtoIcmp, 8, at);
    frame[at] = type;
    return frame;
}

std::optional<SeenSegment> read_tcp_frame(std::span<const std::uint8_t> frame) {
    const auto parsed = parse_ethernet_frame(frame);
    if (!parsed || parsed->ip_protocol != kIpProtoTcp) return std::nullopt;
    SeenSegment seen;
    seen.destination_mac = parsed->destination_mac;
    seen.source_mac = parsed->source_mac;
    seen.source = parsed->source;
    seen.destination = parsed->destination;
    const std::uint8_t* tcp = frame.data() + parsed->l4_offset;
    const std::size_t tcp_bytes = parsed->ip_offset + parsed->ip_packet_bytes - parsed->l4_offset;
    seen.seq = read_be32(tcp + 4);
    seen.ack = read_be32(tcp + 8);
    seen.flags = tcp[13];
    seen.window = static_cast<std::uint16_t>((tcp[14] << 8) | tcp[15]);
    const std::size_t header = static_cast<std::size_t>(tcp[12] >> 4) * 4;
    seen.payload.assign(tcp + header, tcp + tcp_bytes);
    const auto sum = pseudo_header_sum(seen.source.address, seen.destination.address, kIpProtoTcp, tcp_bytes);
    seen.checksum_ok = checksum_fold(checksum_add(sum, {tcp, tcp_bytes})) == 0;
    return seen;
}

IpEndpoint endpoint(std::string_view text) {
    const auto parsed = IpEndpoint::parse(text);
    if (!parsed) std::abort();
    return *parsed;
}

}  // namespace askfirst::netstack::test
