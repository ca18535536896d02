// netstack/upstream_routing.cpp — the four rules of netstack/upstream_routing.h.
#include "netstack/upstream_routing.h"

#include "netstack/ethernet_frame.h"

namespace askfirst::netstack {

UpstreamRoute route_upstream(const IpEndpoint& original_destination, const UpstreamTables& tables) {
    const IpEndpoint destination{original_destination.address.unmapped(), original_destination.port};
    const bool is_gateway = destination.address == kGatewayV4 || destination.address == gateway_v6();
    if (is_gateway) {
        const auto service = tables.host_services.find(destination);
        if (service != tables.host_services.end()) return {service->second, "host_services"};
        return {std::nullopt, "gateway port not listed in host_services"};
    }
    const auto mapped = tables.upstream_map.find(destination);
    if (mapped != tables.upstream_map.end()) return {mapped->second, "upstream.map"};
    if (is_in_guest_network(destination.address)) return {std::nullopt, "address inside the guest network"};
    if (destination.address.is_host_local_or_special())
        return {std::nullopt, "loopback, unspecified, multicast or broadcast destination"};
    return {destination, "original destination"};
}

}  // namespace askfirst::netstack
