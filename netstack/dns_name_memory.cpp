// netstack/dns_name_memory.cpp — the bounded address → name map.
#include "netstack/dns_name_memory.h"

namespace askfirst::netstack {

void DnsNameMemory::remember(std::string_view name, const IpAddress& address) {
    const IpAddress key = address.unmapped();
    auto found = names_.find(key);
    if (found != names_.end()) {
        found->second.assign(name);
        return;
    }
    if (names_.size() >= kMaxRememberedAddresses) {
        names_.erase(order_.front());
        order_.pop_front();
    }
    names_.emplace(key, std::string(name));
    order_.push_back(key);
}

std::string DnsNameMemory::name_for(const IpAddress& address) const {
    const auto found = names_.find(address.unmapped());
    return found == names_.end() ? std::string() : found->second;
}

}  // namespace askfirst::netstack
