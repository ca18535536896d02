// src/profile_values.h — the value checkers behind the profile's key table
// (src/profile.cpp). Each checks one kind of JSON value strictly and returns
// it, or an error that starts with the key's path.
// Internal to the profile loader; other code uses src/profile.h.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/base/result.h"
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

// Moves a checked value into the field it fills; a failure passes on as it is.
template <typename T, typename Field>
Status store(Result<T> checked, Field& field) {
    if (!checked) return Status::failure(checked.error());
    field = checked.take();
    return ok_status();
}

Result<std::string> profile_name(const cJSON& value, const KeyPath& path);
// provider → mode, "default" included as it is spelled in the profile.
Result<std::map<std::string, std::string>> modes(const cJSON& value, const KeyPath& path);
Result<std::map<std::string, std::vector<IpAddress>>> dns_hosts(const cJSON& value, const KeyPath& path);
Result<std::map<Endpoint, Endpoint>> endpoint_map(const cJSON& value, const KeyPath& path, EndpointRule key_rule,
                                                  EndpointRule value_rule);
Result<std::vector<Endpoint>> endpoint_list(const cJSON& value, const KeyPath& path);
Result<std::vector<std::string>> string_list(const cJSON& value, const KeyPath& path, StringRule rule);
Result<std::uint64_t> bounded_integer(const cJSON& value, const KeyPath& path, std::uint64_t minimum,
                                      std::uint64_t maximum);
Result<bool> boolean(const cJSON& value, const KeyPath& path);
Result<std::string> one_of(const cJSON& value, const KeyPath& path, std::span<const std::string_view> choices);
Result<std::vector<CredentialSpec>> credentials(const cJSON& value, const KeyPath& path);
Result<std::vector<DatabaseEndpoint>> databases(const cJSON& value, const KeyPath& path);

}  // namespace askfirst::profile_values
