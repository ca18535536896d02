// netstack/ip_address.h — IPv4/IPv6 addresses and ip:port endpoints as plain
// values, with strict parsing and canonical printing.
//
// Shared by every layer that names a destination: the profile (dns.hosts,
// upstream.map, host_services, udp.allow), the DNS responder (answers), the
// flow table (the original destination of a guest flow) and the relay (what
// it dials). Parsing uses inet_pton, so it accepts exactly what the C library
// accepts and nothing else (no hostnames, no zone ids, no "1.2.3" shorthands).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct sockaddr;
struct sockaddr_storage;

namespace askfirst::netstack {

enum class IpFamily : std::uint8_t { v4 = 4, v6 = 6 };

// An IPv4 address occupies bytes[0..3]; the rest are zero. Network byte order.
struct IpAddress {
    IpFamily family = IpFamily::v4;
    std::array<std::uint8_t, 16> bytes{};

    static IpAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d);
    static IpAddress v4_from_bytes(const std::uint8_t* four_bytes);
    static IpAddress v6_from_bytes(const std::uint8_t* sixteen_bytes);
    // "10.0.2.2", "::1", "fec0::3". Brackets are not accepted here.
    static std::optional<IpAddress> parse(std::string_view text);

    std::size_t size() const { return family == IpFamily::v4 ? 4 : 16; }
    bool is_v4() const { return family == IpFamily::v4; }
    bool is_loopback() const;           // 127.0.0.0/8 or ::1
    std::string to_string() const;      // canonical inet_ntop form

    auto operator<=>(const IpAddress&) const = default;
};

struct Endpoint {
    IpAddress address;
    std::uint16_t port = 0;

    // "1.2.3.4:443" or "[::1]:443". Port 1..65535; port 0 is refused.
    static std::optional<Endpoint> parse(std::string_view text);
    std::string to_string() const;      // same forms as parse() accepts

    // For libuv / sockets: fills a sockaddr_in or sockaddr_in6; returns its length.
    unsigned to_sockaddr(sockaddr_storage& out) const;
    static std::optional<Endpoint> from_sockaddr(const sockaddr* address);

    auto operator<=>(const Endpoint&) const = default;
};

}  // namespace askfirst::netstack
