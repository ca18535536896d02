// netstack/virtio_net_header.cpp — the header codec and checksum rules of
// netstack/virtio_net_header.h.
#include "netstack/virtio_net_header.h"

#include <cstring>

#include "netstack/ethernet_frame.h"
#include "netstack/internet_checksum.h"

namespace askfirst::netstack {
namespace {

constexpr std::size_t kIpv6HeaderBytes = 40;
constexpr std::size_t kTcpHeaderBytes = 20;
constexpr std::uint16_t kTcpChecksumOffset = 16;

}  // namespace

void write_virtio_net_header(const VirtioNetHeader& header, std::uint8_t* out) {
    out[0] = header.flags;
    out[1] = header.gso_type;
    std::memcpy(out + 2, &header.header_length, 2);
    std::memcpy(out + 4, &header.gso_size, 2);
    std::memcpy(out + 6, &header.checksum_start, 2);
    std::memcpy(out + 8, &header.checksum_offset, 2);
}

VirtioNetHeader read_virtio_net_header(const std::uint8_t* in) {
    VirtioNetHeader header;
    header.flags = in[0];
    header.gso_type = in[1];
    std::memcpy(&header.header_length, in + 2, 2);
    std::memcpy(&header.gso_size, in + 4, 2);
    std::memcpy(&header.checksum_start, in + 6, 2);
    std::memcpy(&header.checksum_offset, in + 8, 2);
    return header;
}

std::optional<PartialChecksum> partial_checksum_for(std::span<const std::uint8_t> frame) {
    if (frame.size() < kEthernetHeaderBytes + kIpv6HeaderBytes) return std::nullopt;
    const std::uint16_t ether_type = read_be16(frame.data() + 12);
    const std::uint8_t* ip = frame.data() + kEthernetHeaderBytes;
    const std::size_t ip_bytes = frame.size() - kEthernetHeaderBytes;
    std::size_t ip_header = 0;
    IpAddress source, destination;
    if (ether_type == kEtherTypeIpv4) {
        ip_header = static_cast<std::size_t>(ip[0] & 0x0f) * 4;
        if ((ip[0] >> 4) != 4 || ip[9] != kIpProtoTcp || ip_header < 20 || read_be16(ip + 2) != ip_bytes) return std::nullopt;
        if ((read_be16(ip + 6) & 0x3fff) != 0) return std::nullopt;  // a fragment: its checksum spans others
        source = IpAddress::from_v4_bytes(ip + 12);
        destination = IpAddress::from_v4_bytes(ip + 16);
    } else if (ether_type == kEtherTypeIpv6) {
        ip_header = kIpv6HeaderBytes;
        if ((ip[0] >> 4) != 6 || ip[6] != kIpProtoTcp || read_be16(ip + 4) + kIpv6HeaderBytes != ip_bytes)
            return std::nullopt;
        source = IpAddress::from_v6_bytes(ip + 8);
        destination = IpAddress::from_v6_bytes(ip + 24);
    } else {
        return std::nullopt;
    }
    if (ip_bytes < ip_header + kTcpHeaderBytes) return std::nullopt;
    PartialChecksum partial;
    partial.header.flags = kVirtioNeedsChecksum;
    partial.header.checksum_start = static_cast<std::uint16_t>(kEthernetHeaderBytes + ip_header);
    partial.header.checksum_offset = kTcpChecksumOffset;
    partial.field_offset = kEthernetHeaderBytes + ip_header + kTcpChecksumOffset;
    // The pseudo-header sum, folded but not inverted: what the completer adds the segment to.
    const std::uint32_t sum = pseudo_header_sum(source, destination, kIpProtoTcp, ip_bytes - ip_header);
    write_be16(partial.field, static_cast<std::uint16_t>(~checksum_fold(sum)));
    return partial;
}

bool complete_partial_checksum(const VirtioNetHeader& header, std::span<std::uint8_t> frame) {
    if (header.gso_type != kVirtioGsoNone) return false;
    if ((header.flags & kVirtioNeedsChecksum) == 0) return true;
    const std::size_t start = header.checksum_start;
    const std::size_t field = start + header.checksum_offset;
    if (start >= frame.size() || field + 2 > frame.size()) return false;
    write_be16(frame.data() + field, checksum_fold(checksum_add(0, frame.subspan(start))));
    return true;
}

}  // namespace askfirst::netstack
