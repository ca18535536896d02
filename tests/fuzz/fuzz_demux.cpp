// tests/fuzz/fuzz_demux.cpp — libFuzzer target for the frame demux: any bytes
// a guest (or a broken QEMU) can put on the wire. Checks that parsing never
// reads outside the frame (ASan), that every offset it reports lies inside
// the frame, and that the route is consistent with what was parsed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "netstack/demux.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace askfirst::netstack;
    static const std::vector<IpEndpoint> allowed = {*IpEndpoint::parse("192.0.2.50:51820"),
                                                    *IpEndpoint::parse("[2001:db8::50]:4500")};
    const std::span<const std::uint8_t> frame(data, size);
    const DemuxDecision decision = demux_frame(frame, DemuxPolicy{allowed});
    if (!decision.frame) {
        if (decision.route != DemuxRoute::dropped) std::abort();
        return 0;
    }
    const ParsedFrame& parsed = *decision.frame;
    if (parsed.is_ip) {
        if (parsed.ip_offset + parsed.ip_packet_bytes > size) std::abort();
        if (parsed.l4_offset > parsed.ip_offset + parsed.ip_packet_bytes) std::abort();
    }
    switch (decision.route) {
    case DemuxRoute::lwip_tcp:
        if (!parsed.is_ip || parsed.ip_protocol != kIpProtoTcp || parsed.is_fragment) std::abort();
        break;
    case DemuxRoute::dns_query:
    case DemuxRoute::udp_allowed:
    case DemuxRoute::udp_dropped:
        if (!parsed.is_ip || parsed.ip_protocol != kIpProtoUdp) std::abort();
        break;
    default:
        break;
    }
    (void)demux_route_name(decision.route);
    return 0;
}
