// netstack/upstream_routing.h — where an accepted guest flow may connect, as a
// pure function of its original destination and the profile's tables:
//   1. the gateway (10.0.2.2 / fec0::2): only a host_services entry, which
//      names the host loopback endpoint (invariant 3);
//   2. an upstream.map entry: its replacement (tests, rerouted services);
//   3. any other address in the guest network (10.0.2.0/24, fec0::/64),
//      loopback, unspecified, multicast or broadcast: refused;
//   4. otherwise: the original destination itself.
#pragma once

#include <map>
#include <optional>
#include <string_view>

#include "netstack/ip_endpoint.h"

namespace askfirst::netstack {

struct UpstreamTables {
    std::map<IpEndpoint, IpEndpoint> upstream_map;   // profile upstream.map
    std::map<IpEndpoint, IpEndpoint> host_services;  // profile host_services
};

struct UpstreamRoute {
    std::optional<IpEndpoint> upstream;  // nullopt: refused (RST to the guest)
    std::string_view reason;             // for the log line
};

UpstreamRoute route_upstream(const IpEndpoint& original_destination, const UpstreamTables& tables);

}  // namespace askfirst::netstack
