// netstack/ip_endpoint.h — an IPv4 or IPv6 address and a TCP/UDP endpoint as
// the data path sees them: parsed out of guest frames by the demux, used as
// flow keys, matched against the profile's "ip:port" strings, and handed to
// libuv as a sockaddr when a flow connects upstream.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace askfirst::netstack {

struct IpAddress {
    enum class Family : std::uint8_t { v4, v6 };
    Family family = Family::v4;
    // v4 uses the first 4 bytes, network order; the rest stay zero.
    std::array<std::uint8_t, 16> bytes{};

    static IpAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d);
    static IpAddress from_v4_bytes(const std::uint8_t* four);
    static IpAddress from_v6_bytes(const std::uint8_t* sixteen);
    // "10.0.2.2" or "fec0::2" (no brackets); nullopt when neither.
    static std::optional<IpAddress> parse(std::string_view text);

    bool is_v4() const { return family == Family::v4; }
    std::string to_string() const;
    // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as its IPv4 address; else itself.
    IpAddress unmapped() const;
    // Loopback, unspecified, multicast or limited broadcast: never a valid
    // upstream for a guest flow (the host must not be reached by accident).
    bool is_host_local_or_special() const;

    auto operator<=>(const IpAddress&) const = default;
};

struct IpEndpoint {
    IpAddress address;
    std::uint16_t port = 0;

    // "1.2.3.4:80" or "[fec0::2]:80"; nullopt when malformed.
    static std::optional<IpEndpoint> parse(std::string_view text);
    std::string to_string() const;
    // Fills a sockaddr_in/sockaddr_in6 for libuv; returns its length.
    socklen_t to_sockaddr(sockaddr_storage& out) const;
    static std::optional<IpEndpoint> from_sockaddr(const sockaddr* address);

    auto operator<=>(const IpEndpoint&) const = default;
};

}  // namespace askfirst::netstack
