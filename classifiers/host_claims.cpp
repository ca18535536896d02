// classifiers/host_claims.cpp — a provider's claim on a host name (see the header).
#include "classifiers/host_claims.h"

#include "classifiers/registry.h"

namespace askfirst::classifiers {

std::string_view provider_claiming_host(std::string_view host) {
    if (host.empty()) return {};
    HttpRequest probe;
    probe.method = "GET";
    probe.host = std::string(host);
    for (char& c : probe.host) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    probe.path = "/";
    for (const Provider* provider : registered_providers())
        if (provider->matches(probe)) return provider->name;
    return {};
}

}  // namespace askfirst::classifiers
