// netstack/ip_endpoint.cpp — parsing, printing and classifying the addresses
// in netstack/ip_endpoint.h (inet_pton/inet_ntop do the text work).
#include "netstack/ip_endpoint.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace askfirst::netstack {

IpAddress IpAddress::v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    const std::uint8_t four[4] = {a, b, c, d};
    return from_v4_bytes(four);
}

IpAddress IpAddress::from_v4_bytes(const std::uint8_t* four) {
    IpAddress address;
    address.family = Family::v4;
    std::memcpy(address.bytes.data(), four, 4);
    return address;
}

IpAddress IpAddress::from_v6_bytes(const std::uint8_t* sixteen) {
    IpAddress address;
    address.family = Family::v6;
    std::memcpy(address.bytes.data(), sixteen, 16);
    return address;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    char buffer[INET6_ADDRSTRLEN + 1];
    if (text.empty() || text.size() >= sizeof buffer) return std::nullopt;
    std::memcpy(buffer, text.data(), text.size());
    buffer[text.size()] = '\0';
    std::uint8_t raw[16];
    if (inet_pton(AF_INET, buffer, raw) == 1) return from_v4_bytes(raw);
    if (inet_pton(AF_INET6, buffer, raw) == 1) return from_v6_bytes(raw);
    return std::nullopt;
}

std::string IpAddress::to_string() const {
    char buffer[INET6_ADDRSTRLEN];
    inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes.data(), buffer, sizeof buffer);
    return buffer;
}

IpAddress IpAddress::unmapped() const {
    static constexpr std::uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!is_v4() && std::memcmp(bytes.data(), kMappedPrefix, 12) == 0)
        return from_v4_bytes(bytes.data() + 12);
    return *this;
}

bool IpAddress::is_host_local_or_special() const {
    const IpAddress plain = unmapped();
    const auto& b = plain.bytes;
    if (plain.is_v4()) {
        const bool loopback = b[0] == 127;
        const bool this_network = b[0] == 0;
        const bool multicast_or_reserved = b[0] >= 224;  // 224/4 multicast, 240/4, 255.255.255.255
        return loopback || this_network || multicast_or_reserved;
    }
    static constexpr std::array<std::uint8_t, 16> kZero{};
    std::array<std::uint8_t, 16> loopback{};
    loopback[15] = 1;
    return b == kZero || b == loopback || b[0] == 0xff;
}

std::optional<IpEndpoint> IpEndpoint::parse(std::string_view text) {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon + 1 >= text.size()) return std::nullopt;
    std::string_view host = text.substr(0, colon);
    const std::string_view port_text = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
        if (host.find(':') == std::string_view::npos) return std::nullopt;
    } else if (host.find(':') != std::string_view::npos) {
        return std::nullopt;  // an IPv6 address needs brackets before ":port"
    }
    unsigned port = 0;
    const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc{} || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
        return std::nullopt;
    const auto address = IpAddress::parse(host);
    if (!address) return std::nullopt;
    return IpEndpoint{*address, static_cast<std::uint16_t>(port)};
}

std::string IpEndpoint::to_string() const {
    if (address.is_v4()) return address.to_string() + ":" + std::to_string(port);
    return "[" + address.to_string() + "]:" + std::to_string(port);
}

socklen_t IpEndpoint::to_sockaddr(sockaddr_storage& out) const {
    std::memset(&out, 0, sizeof out);
    if (address.is_v4()) {
        auto* v4 = reinterpret_cast<sockaddr_in*>(&out);
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        std::memcpy(&v4->sin_addr, address.bytes.data(), 4);
        return sizeof *v4;
    }
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&out);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    std::memcpy(&v6->sin6_addr, address.bytes.data(), 16);
    return sizeof *v6;
}

std::optional<IpEndpoint> IpEndpoint::from_sockaddr(const sockaddr* address) {
    if (address == nullptr) return std::nullopt;
    if (address->sa_family == AF_INET) {
        const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
        return IpEndpoint{IpAddress::from_v4_bytes(reinterpret_cast<const std::uint8_t*>(&v4->sin_addr)),
                          ntohs(v4->sin_port)};
    }
    if (address->sa_family == AF_INET6) {
        const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
        return IpEndpoint{IpAddress::from_v6_bytes(reinterpret_cast<const std::uint8_t*>(&v6->sin6_addr)),
                          ntohs(v6->sin6_port)};
    }
    return std::nullopt;
}

}  // namespace askfirst::netstack
