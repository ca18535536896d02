// src/flow_destination.cpp — the destination's names (see the header).
#include "src/flow_destination.h"

#include "classifiers/host_claims.h"
#include "tls/upstream_alpn_memory.h"

namespace askfirst {

std::string destination_host(const netstack::FlowInfo& info, std::string_view sni) {
    if (!sni.empty()) return std::string(sni);
    return !info.dns_name.empty() ? info.dns_name : info.original_destination.address.to_string();
}

std::string destination_host_port(const netstack::FlowInfo& info, std::string_view sni) {
    return destination_host(info, sni) + ":" + std::to_string(info.original_destination.port);
}

std::string upstream_alpn_key(const netstack::FlowInfo& info, std::string_view sni) {
    const std::string host = sni.empty() ? info.original_destination.address.to_string() : std::string(sni);
    return tls::UpstreamAlpnMemory::key(host, info.original_destination.to_string());
}

std::string provider_claiming_destination(const netstack::FlowInfo& info, std::string_view sni) {
    for (const std::string_view name : {sni, std::string_view(info.dns_name)}) {
        const std::string_view provider = classifiers::provider_claiming_host(name);
        if (!provider.empty()) return std::string(provider);
    }
    return {};
}

ExpectedDatabase expected_database(const netstack::FlowInfo& info, const std::vector<DatabaseEndpoint>& databases) {
    const std::string address = info.original_destination.address.to_string();
    const std::uint16_t port = info.original_destination.port;
    for (const auto& listed : databases)
        if (listed.port == port && (listed.host == info.dns_name || listed.host == address)) return {listed.protocol, true};
    if (port == kRedisPort) return {"redis", false};
    if (port == kMysqlPort) return {"mysql", false};
    return {};
}

http::FlowFacts flow_facts(std::string_view vm_name, const netstack::FlowInfo& info, std::string_view sni) {
    return {std::string(vm_name), info.guest.to_string(), info.original_destination.to_string(), std::string(sni)};
}

}  // namespace askfirst
