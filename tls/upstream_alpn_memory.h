// tls/upstream_alpn_memory.h — which upstreams answered an h2 offer with
// HTTP/1.1, so the next guest flow to them is offered HTTP/1.1 too.
//
// Why: the guest's handshake ends before the upstream's (they run side by
// side), so the guest's ALPN is chosen before askfirstd knows what the
// server speaks. A guest that got h2 while the server speaks only HTTP/1.1
// costs askfirstd a translation (HTTP/2 framing on one leg, HTTP/1.1 parsing
// on the other: ~10 % of its CPU on a TLS download), and is not what the
// guest would have seen talking to the server directly. Remembering the
// answer per upstream makes every flow after the first match the server.
//
// Keyed by the guest's server name and the address it dialed (a server's
// ports may differ). An entry lasts kUpstreamAlpnMemorySeconds, so a server
// that starts speaking h2 is offered it again; at most
// kUpstreamAlpnMemoryEntries are kept (oldest out first). Sans-io: the
// caller passes the time.
//
// Nothing here changes what is judged: both HTTP sessions classify every
// request, and a guest that offers only h2 is still offered h2.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

namespace askfirst::tls {

// Long enough to span an agent's burst of connections to one API, short
// enough that a server's move to h2 is seen within minutes.
constexpr std::chrono::seconds kUpstreamAlpnMemorySeconds{600};
// Distinct upstreams one VM reaches in a session (as kLeafCacheCapacity):
// ~100 bytes each, ~100 KiB at most.
constexpr std::size_t kUpstreamAlpnMemoryEntries = 1024;

class UpstreamAlpnMemory {
public:
    using Clock = std::chrono::steady_clock;

    explicit UpstreamAlpnMemory(std::size_t capacity = kUpstreamAlpnMemoryEntries,
                                std::chrono::seconds lifetime = kUpstreamAlpnMemorySeconds)
        : capacity_(capacity), lifetime_(lifetime) {}

    // The key of one upstream: the guest's server name (or, without SNI, the
    // address) and the endpoint it dialed, "host|ip:port".
    static std::string key(std::string_view server_name, std::string_view destination_endpoint);

    // What the upstream's TLS settled on after askfirstd offered h2 first.
    void remember(const std::string& upstream, std::string_view negotiated_alpn, Clock::time_point now);
    // The upstream answered an h2 offer with anything but h2 within the lifetime.
    bool speaks_only_http1(const std::string& upstream, Clock::time_point now) const;

    std::size_t size() const { return answered_http1_at_.size(); }

private:
    void make_room(Clock::time_point now);

    std::size_t capacity_;
    std::chrono::seconds lifetime_;
    std::unordered_map<std::string, Clock::time_point> answered_http1_at_;
};

}  // namespace askfirst::tls
