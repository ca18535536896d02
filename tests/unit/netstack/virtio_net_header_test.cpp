// tests/unit/netstack/virtio_net_header_test.cpp — the virtio-net header the
// TAP of `askfirst exec` carries: a TCP segment askfirstd sends is marked
// partial with the pseudo-header sum in its checksum field, and completing
// that (as the kernel would) gives back the segment's real checksum; frames
// that are no TCP stay as they are; a header asking for GSO is refused.
#include <doctest.h>

#include <vector>

#include "netstack/virtio_net_header.h"
#include "tests/unit/netstack/test_frames.h"

namespace askfirst::netstack::test {

TEST_CASE("a TCP segment marked partial and completed again has its original checksum, IPv4 and IPv6") {
    struct Case { const char* name; const char* source; const char* destination; std::size_t ip_header; };
    for (const Case& c : {Case{"IPv4", "198.51.100.7:80", "10.0.2.15:40001", 20},
                          Case{"IPv6", "[2001:db8::7]:443", "[fec0::15]:40002", 40}}) {
        CAPTURE(c.name);
        const std::vector<std::uint8_t> payload(3001, 'p');  // odd: the last word is half a byte pair
        const auto frame = tcp_frame({endpoint(c.source), endpoint(c.destination), 77, 99, kAck | kPsh, 0xffff, payload});
        const auto partial = partial_checksum_for(frame);
        REQUIRE(partial.has_value());
        CHECK(partial->header.flags == kVirtioNeedsChecksum);
        CHECK(partial->header.gso_type == kVirtioGsoNone);
        CHECK(partial->header.checksum_start == kEthernetHeaderBytes + c.ip_header);
        CHECK(partial->header.checksum_offset == 16);
        CHECK(partial->field_offset == kEthernetHeaderBytes + c.ip_header + 16);
        auto sent = frame;
        sent[partial->field_offset] = partial->field[0];
        sent[partial->field_offset + 1] = partial->field[1];
        CHECK(sent != frame);  // the field really carries something else on the wire
        CHECK(complete_partial_checksum(partial->header, sent));
        CHECK(sent == frame);
        CHECK(read_tcp_frame(sent)->checksum_ok);
    }
}

TEST_CASE("frames that are no TCP segment are sent as they are") {
    CHECK_FALSE(partial_checksum_for(udp_frame(endpoint("10.0.2.3:53"), endpoint("10.0.2.15:5353"), {1, 2, 3})).has_value());
    CHECK_FALSE(partial_checksum_for(arp_request_frame()).has_value());
    CHECK_FALSE(partial_checksum_for(icmp_frame(true, 128)).has_value());
    auto truncated = tcp_frame({endpoint("198.51.100.7:80"), endpoint("10.0.2.15:40001"), 1, 1, kAck});
    truncated.resize(truncated.size() - 1);  // the IP length no longer matches the frame
    CHECK_FALSE(partial_checksum_for(truncated).has_value());
}

TEST_CASE("a frame from the TAP: no flags passes unchanged, GSO or a checksum outside the frame is refused") {
    auto frame = tcp_frame({endpoint("10.0.2.15:40001"), endpoint("198.51.100.7:80"), 1, 1, kAck, 0xffff, {'x'}});
    const auto original = frame;
    CHECK(complete_partial_checksum(VirtioNetHeader{}, frame));
    CHECK(frame == original);
    VirtioNetHeader gso;
    gso.gso_type = 1;  // VIRTIO_NET_HDR_GSO_TCPV4: askfirstd never enables it
    CHECK_FALSE(complete_partial_checksum(gso, frame));
    VirtioNetHeader outside;
    outside.flags = kVirtioNeedsChecksum;
    outside.checksum_start = static_cast<std::uint16_t>(frame.size() - 1);
    outside.checksum_offset = 16;
    CHECK_FALSE(complete_partial_checksum(outside, frame));
}

TEST_CASE("the header's ten bytes round-trip") {
    VirtioNetHeader header;
    header.flags = kVirtioNeedsChecksum;
    header.gso_type = 4;
    header.header_length = 0x1234;
    header.gso_size = 1460;
    header.checksum_start = 34;
    header.checksum_offset = 16;
    std::uint8_t bytes[kVirtioNetHeaderBytes] = {};
    write_virtio_net_header(header, bytes);
    const VirtioNetHeader back = read_virtio_net_header(bytes);
    CHECK(back.flags == header.flags);
    CHECK(back.gso_type == header.gso_type);
    CHECK(back.header_length == header.header_length);
    CHECK(back.gso_size == header.gso_size);
    CHECK(back.checksum_start == header.checksum_start);
    CHECK(back.checksum_offset == header.checksum_offset);
}

}  // namespace askfirst::netstack::test
