// tls/upstream_alpn_memory.cpp — see the header.
#include "tls/upstream_alpn_memory.h"

#include <algorithm>

namespace askfirst::tls {

std::string UpstreamAlpnMemory::key(std::string_view server_name, std::string_view destination_endpoint) {
    std::string joined;
    joined.reserve(server_name.size() + 1 + destination_endpoint.size());
    joined.append(server_name).append("|").append(destination_endpoint);
    return joined;
}

void UpstreamAlpnMemory::remember(const std::string& upstream, std::string_view negotiated_alpn,
                                  Clock::time_point now) {
    if (negotiated_alpn == "h2") {
        answered_http1_at_.erase(upstream);
        return;
    }
    if (capacity_ == 0) return;
    if (!answered_http1_at_.contains(upstream)) make_room(now);
    answered_http1_at_[upstream] = now;
}

bool UpstreamAlpnMemory::speaks_only_http1(const std::string& upstream, Clock::time_point now) const {
    const auto found = answered_http1_at_.find(upstream);
    return found != answered_http1_at_.end() && now - found->second < lifetime_;
}

// Expired entries go first; if none had, the oldest one (a linear scan: the
// table is small and only full when a guest reaches over a thousand upstreams).
void UpstreamAlpnMemory::make_room(Clock::time_point now) {
    if (answered_http1_at_.size() < capacity_) return;
    std::erase_if(answered_http1_at_, [&](const auto& entry) { return now - entry.second >= lifetime_; });
    if (answered_http1_at_.size() < capacity_) return;
    const auto oldest = std::min_element(answered_http1_at_.begin(), answered_http1_at_.end(),
                                         [](const auto& a, const auto& b) { return a.second < b.second; });
    answered_http1_at_.erase(oldest);
}

}  // namespace askfirst::tls
