// src/profile_values.h — the value checkers behind the profile's key table
// (src/profile.cpp). Each checks one kind of JSON value strictly, fills one
// field, and on failure writes an error that starts with the key's path.
// Internal to the profile loader; other code uses src/profile.h.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/profile.h"

struct cJSON;

namespace askfirst::profile_values {

// A key's position in the profile, printed as `upstream.map."1.2.3.4:443"` or
// `credentials[0].hosts[1]`. Segments that are not plain identifiers are quoted.
class KeyPath {
public:
    KeyPath child(std::string_view key) const;
    KeyPath index(std::size_t position) const;
    std::string text() const;  // "(top level)" for the root

private:
    std::string text_;
};

enum class EndpointRule : std::uint8_t {
    any,       // any ip:port
    gateway,   // the guest-visible gateway: 10.0.2.2 or fec0::2
    loopback,  // the host's loopback: 127.0.0.0/8 or ::1
};

enum class StringRule : std::uint8_t {
    file_path,     // non-empty, no NUL
    host_pattern,  // "host.name" or "*.host.name"
};

// Lower-cases a DNS name and drops one trailing dot.
std::string canonical_host_name(std::string_view name);
// A hostname: labels of 1..63 letters, digits, '-' or '_', 253 bytes at most.
bool is_valid_host_name(std::string_view name);

bool profile_name(const cJSON& value, const KeyPath& path, std::string& out, std::string& error);
bool modes(const cJSON& value, const KeyPath& path, std::string& default_mode,
           std::map<std::string, std::string>& provider_modes, std::string& error);
bool dns_hosts(const cJSON& value, const KeyPath& path,
               std::map<std::string, std::vector<IpAddress>>& out, std::string& error);
bool endpoint_map(const cJSON& value, const KeyPath& path, EndpointRule key_rule, EndpointRule value_rule,
                  std::map<Endpoint, Endpoint>& out, std::string& error);
bool endpoint_list(const cJSON& value, const KeyPath& path, std::vector<Endpoint>& out, std::string& error);
bool string_list(const cJSON& value, const KeyPath& path, StringRule rule, std::vector<std::string>& out,
                 std::string& error);
bool bounded_integer(const cJSON& value, const KeyPath& path, std::uint64_t minimum, std::uint64_t maximum,
                     std::uint64_t& out, std::string& error);
bool boolean(const cJSON& value, const KeyPath& path, bool& out, std::string& error);
bool one_of(const cJSON& value, const KeyPath& path, std::span<const std::string_view> choices,
            std::string& out, std::string& error);
bool credentials(const cJSON& value, const KeyPath& path, std::vector<CredentialSpec>& out, std::string& error);
bool databases(const cJSON& value, const KeyPath& path, std::vector<DatabaseEndpoint>& out, std::string& error);

}  // namespace askfirst::profile_values
