// netstack/virtio_net_header.h — the virtio-net header a TAP opened with
// IFF_VNET_HDR puts before every frame, both ways (struct virtio_net_hdr of
// linux/virtio_net.h, written out here: that header does not compile as
// C++). `askfirst exec` opens its TAP so; askfirstd finds out with TUNGETIFF
// (netstack/tap_frontend) and otherwise reads and writes bare frames.
//
// askfirstd uses it for one thing: a TCP segment it sends is marked
// "checksum partial" (NEEDS_CSUM, its checksum field holding the
// pseudo-header sum), which the receiving stack accepts without summing the
// segment again — on a bulk download the kernel's check of what lwIP had
// just summed was 5 % of askfirstd's CPU (the TAP write runs the namespace's
// receive path in askfirstd's syscall). A packet the namespace forwards
// further gets its checksum completed by the kernel, as for any virtio guest.
// The kernel sends askfirstd frames without offloads (askfirstd never calls
// TUNSETOFFLOAD); one still marked partial is completed here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace askfirst::netstack {

// Fields in host byte order (a legacy virtio header on a TAP without
// TUNSETVNETBE/LE is host-endian).
struct VirtioNetHeader {
    std::uint8_t flags = 0;
    std::uint8_t gso_type = 0;
    std::uint16_t header_length = 0;
    std::uint16_t gso_size = 0;
    std::uint16_t checksum_start = 0;
    std::uint16_t checksum_offset = 0;
};
inline constexpr std::size_t kVirtioNetHeaderBytes = 10;  // sizeof(struct virtio_net_hdr)
inline constexpr std::uint8_t kVirtioNeedsChecksum = 1;   // VIRTIO_NET_HDR_F_NEEDS_CSUM
inline constexpr std::uint8_t kVirtioGsoNone = 0;         // VIRTIO_NET_HDR_GSO_NONE

void write_virtio_net_header(const VirtioNetHeader& header, std::uint8_t* out);  // kVirtioNetHeaderBytes
VirtioNetHeader read_virtio_net_header(const std::uint8_t* in);

// For a frame askfirstd sends: a TCP segment over IPv4 or IPv6 (no IPv6
// extension headers) gets a NEEDS_CSUM header and the two bytes its checksum
// field must carry instead (the folded pseudo-header sum). Anything else:
// nullopt — sent with a zero header, unchanged.
struct PartialChecksum {
    VirtioNetHeader header;
    std::size_t field_offset = 0;  // of the checksum field in the frame
    std::uint8_t field[2] = {};
};
std::optional<PartialChecksum> partial_checksum_for(std::span<const std::uint8_t> frame);

// For a frame read from the TAP: completes a checksum its header marks as
// partial. False when the header asks for what askfirstd never enabled (GSO)
// or points outside the frame: the caller drops it.
bool complete_partial_checksum(const VirtioNetHeader& header, std::span<std::uint8_t> frame);

}  // namespace askfirst::netstack
