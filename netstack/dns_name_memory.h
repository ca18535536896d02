// netstack/dns_name_memory.h — which name the guest resolved to an address, so
// a flow to that address can be told "the guest meant api.github.com"
// (FlowInfo::dns_name). Filled from the DNS responder's answers. Bounded: the
// oldest answers are forgotten first.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <string>
#include <string_view>

#include "netstack/ip_endpoint.h"

namespace askfirst::netstack {

class DnsNameMemory {
public:
    // 4096 answers: a busy agent session resolves a few hundred names; an
    // entry is ~100 bytes, so the map stays under half a MiB.
    static constexpr std::size_t kMaxRememberedAddresses = 4096;

    void remember(std::string_view name, const IpAddress& address);
    // The most recent name answered with `address`; empty if none is known.
    std::string name_for(const IpAddress& address) const;
    std::size_t size() const { return names_.size(); }

private:
    std::map<IpAddress, std::string> names_;
    std::deque<IpAddress> order_;  // insertion order, for eviction
};

}  // namespace askfirst::netstack
