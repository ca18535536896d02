// tests/unit/netstack/test_frames.h — crafts the guest frames the netstack
// unit tests feed (TCP segments, UDP datagrams, ARP, ICMP) and reads back the
// TCP segments lwIP sends. Checksums are real, so lwIP accepts them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "netstack/ethernet_frame.h"
#include "netstack/ip_endpoint.h"

namespace askfirst::netstack::test {

inline constexpr MacAddress kGuestMac = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
inline constexpr std::uint8_t kSyn = 0x02, kFin = 0x01, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

struct TcpSegmentSpec {
    TcpSegmentSpec(IpEndpoint source_, IpEndpoint destination_, std::uint32_t seq_, std::uint32_t ack_,
                   std::uint8_t flags_, std::uint16_t window_ = 0xffff, std::vector<std::uint8_t> payload_ = {})
        : source(source_), destination(destination_), seq(seq_), ack(ack_), flags(flags_), window(window_),
          payload(std::move(payload_)) {}
    IpEndpoint source;
    IpEndpoint destination;
    std::uint32_t seq = 0;
    std::uint32_t ack = 0;
    std::uint8_t flags = 0;
    std::uint16_t window = 0xffff;
    std::vector<std::uint8_t> payload;
    std::vector<std::uint8_t> options;  // raw TCP options, padded here to 4-byte words
};

std::vector<std::uint8_t> tcp_frame(const TcpSegmentSpec& spec);
std::vector<std::uint8_t> udp_frame(const IpEndpoint& source, const IpEndpoint& destination,
                                    std::vector<std::uint8_t> payload = {});
std::vector<std::uint8_t> arp_request_frame();
std::vector<std::uint8_t> icmp_frame(bool v6, std::uint8_t type);

// A TCP segment as lwIP sent it to the guest.
struct SeenSegment {
    MacAddress destination_mac{};
    MacAddress source_mac{};
    IpEndpoint source;
    IpEndpoint destination;
    std::uint32_t seq = 0;
    std::uint32_t ack = 0;
    std::uint8_t flags = 0;
    std::uint16_t window = 0;  // the field as sent (unscaled)
    std::vector<std::uint8_t> payload;
    bool checksum_ok = false;
};
std::optional<SeenSegment> read_tcp_frame(std::span<const std::uint8_t> frame);

IpEndpoint endpoint(std::string_view text);  // "1.2.3.4:5" or "[::1]:5"; aborts the test if bad

}  // namespace askfirst::netstack::test
