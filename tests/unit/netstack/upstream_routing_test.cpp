// tests/unit/netstack/upstream_routing_test.cpp — where a guest flow may
// connect: host_services alone opens the gateway (invariant 3), upstream.map
// reroutes, the guest network and host-local addresses are refused.
#include <doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "netstack/upstream_routing.h"
#include "tests/unit/netstack/test_frames.h"

namespace askfirst::netstack::test {

TEST_CASE("upstream routing follows host_services, upstream.map, then refuses local addresses") {
    UpstreamTables tables;
    tables.host_services[endpoint("10.0.2.2:8080")] = endpoint("127.0.0.1:8080");
    tables.upstream_map[endpoint("198.51.100.7:443")] = endpoint("127.0.0.1:8443");
    tables.upstream_map[endpoint("10.0.2.3:53")] = endpoint("127.0.0.1:5353");
    struct Row {
        const char* behaviour;
        const char* destination;
        std::optional<std::string> upstream;
    };
    const std::vector<Row> rows = {
        {"a listed host service reaches the host", "10.0.2.2:8080", "127.0.0.1:8080"},
        {"an unlisted gateway port is refused", "10.0.2.2:22", std::nullopt},
        {"the IPv6 gateway is refused without host_services", "[fec0::2]:8080", std::nullopt},
        {"upstream.map reroutes a destination", "198.51.100.7:443", "127.0.0.1:8443"},
        {"upstream.map is per port", "198.51.100.7:80", "198.51.100.7:80"},
        {"the nameserver's TCP port goes where upstream.map says", "10.0.2.3:53", "127.0.0.1:5353"},
        {"another guest-network address is refused", "10.0.2.15:80", std::nullopt},
        {"a fec0::/64 address is refused", "[fec0::15]:80", std::nullopt},
        {"loopback is refused", "127.0.0.1:80", std::nullopt},
        {"IPv6 loopback is refused", "[::1]:80", std::nullopt},
        {"IPv4-mapped loopback is refused", "[::ffff:127.0.0.1]:80", std::nullopt},
        {"multicast is refused", "224.0.0.1:80", std::nullopt},
        {"an ordinary IPv4 address is its own upstream", "203.0.113.9:4242", "203.0.113.9:4242"},
        {"an ordinary IPv6 address is its own upstream", "[2001:db8::1]:443", "[2001:db8::1]:443"},
    };
    for (const auto& row : rows) {
        CAPTURE(row.behaviour);
        const auto route = route_upstream(endpoint(row.destination), tables);
        if (row.upstream) {
            REQUIRE(route.upstream.has_value());
            CHECK(route.upstream->to_string() == *row.upstream);
        } else {
            CHECK_FALSE(route.upstream.has_value());
        }
    }
}

}  // namespace askfirst::netstack::test
