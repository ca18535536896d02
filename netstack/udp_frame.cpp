// netstack/udp_frame.cpp — the frame builder of netstack/udp_frame.h.
#include "netstack/udp_frame.h"

#include <cstring>

namespace askfirst::netstack {
namespace {

constexpr std::size_t kIpv4HeaderBytes = 20;
constexpr std::size_t kIpv6HeaderBytes = 40;
constexpr std::size_t kUdpHeaderBytes = 8;
constexpr std::uint8_t kDefaultHopLimit = 64;  // RFC 1700's recommended TTL

void write_ipv4_header(std::uint8_t* ip, const IpEndpoint& source, const IpEndpoint& destination,
                       std::size_t total_bytes) {
    ip[0] = 0x45;  // version 4, 5 words
    write_be16(ip + 2, static_cast<std::uint16_t>(total_bytes));
    write_be16(ip + 6, 0x4000);  // don't fragment
    ip[8] = kDefaultHopLimit;
    ip[9] = kIpProtoUdp;
    std::memcpy(ip + 12, source.address.bytes.data(), 4);
    std::memcpy(ip + 16, destination.address.bytes.data(), 4);
    write_be16(ip + 10, checksum_fold(checksum_add(0, {ip, kIpv4HeaderBytes})));
}

void write_ipv6_header(std::uint8_t* ip, const IpEndpoint& source, const IpEndpoint& destination,
                       std::size_t payload_bytes) {
    ip[0] = 0x60;
    write_be16(ip + 4, static_cast<std::uint16_t>(payload_bytes));
    ip[6] = kIpProtoUdp;
    ip[7] = kDefaultHopLimit;
    std::memcpy(ip + 8, source.address.bytes.data(), 16);
    std::memcpy(ip + 24, destination.address.bytes.data(), 16);
}

}  // namespace

std::vector<std::uint8_t> build_udp_frame(const MacAddress& guest_mac, const IpEndpoint& source,
                                          const IpEndpoint& destination, std::span<const std::uint8_t> payload) {
    const bool v4 = source.address.is_v4();
    if (v4 != destination.address.is_v4()) return {};
    const std::size_t ip_header = v4 ? kIpv4HeaderBytes : kIpv6HeaderBytes;
    const std::size_t udp_bytes = kUdpHeaderBytes + payload.size();
    const std::size_t frame_bytes = kEthernetHeaderBytes + ip_header + udp_bytes;
    if (frame_bytes > kMaxFrameBytes) return {};
    std::vector<std::uint8_t> frame(frame_bytes, 0);
    std::memcpy(frame.data(), guest_mac.data(), 6);
    std::memcpy(frame.data() + 6, kGatewayMac.data(), 6);
    write_be16(frame.data() + 12, v4 ? kEtherTypeIpv4 : kEtherTypeIpv6);
    std::uint8_t* ip = frame.data() + kEthernetHeaderBytes;
    if (v4) write_ipv4_header(ip, source, destination, ip_header + udp_bytes);
    else write_ipv6_header(ip, source, destination, udp_bytes);
    std::uint8_t* udp = ip + ip_header;
    write_be16(udp, source.port);
    write_be16(udp + 2, destination.port);
    write_be16(udp + 4, static_cast<std::uint16_t>(udp_bytes));
    if (!payload.empty()) std::memcpy(udp + kUdpHeaderBytes, payload.data(), payload.size());
    std::uint32_t sum = pseudo_header_sum(source.address, destination.address, kIpProtoUdp, udp_bytes);
    std::uint16_t checksum = checksum_fold(checksum_add(sum, {udp, udp_bytes}));
    if (checksum == 0) checksum = 0xffff;  // RFC 768: 0 means "no checksum"
    write_be16(udp + 6, checksum);
    return frame;
}

}  // namespace askfirst::netstack
