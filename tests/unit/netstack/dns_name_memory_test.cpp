// tests/unit/netstack/dns_name_memory_test.cpp — the address → name map that
// tells a flow which name the guest meant, and its bound.
#include <doctest.h>

#include "netstack/dns_name_memory.h"

namespace askfirst::netstack::test {

TEST_CASE("the latest name answered for an address is remembered") {
    DnsNameMemory memory;
    memory.remember("api.github.com", IpAddress::v4(140, 82, 112, 6));
    CHECK(memory.name_for(IpAddress::v4(140, 82, 112, 6)) == "api.github.com");
    memory.remember("github.com", IpAddress::v4(140, 82, 112, 6));
    CHECK(memory.name_for(IpAddress::v4(140, 82, 112, 6)) == "github.com");
    CHECK(memory.name_for(IpAddress::v4(1, 1, 1, 1)).empty());
    CHECK(memory.name_for(*IpAddress::parse("::ffff:140.82.112.6")) == "github.com");
}

TEST_CASE("the memory forgets the oldest answers beyond its bound") {
    DnsNameMemory memory;
    for (std::size_t i = 0; i < DnsNameMemory::kMaxRememberedAddresses + 10; ++i)
        memory.remember("host" + std::to_string(i), IpAddress::v4(10, static_cast<std::uint8_t>(i >> 16),
                                                                  static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)));
    CHECK(memory.size() == DnsNameMemory::kMaxRememberedAddresses);
    CHECK(memory.name_for(IpAddress::v4(10, 0, 0, 0)).empty());
    CHECK(memory.name_for(IpAddress::v4(10, 0, 16, 9)) == "host4105");
}

}  // namespace askfirst::netstack::test
