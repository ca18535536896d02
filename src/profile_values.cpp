// src/profile_values.cpp — strict checkers for profile values (see
// profile_values.h). Messages name the key path, what was wrong, and what a
// correct value looks like.
#include "src/profile_values.h"

#include <cJSON.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

namespace askfirst::profile_values {
namespace {

constexpr std::string_view kEndpointForms = "(\"1.2.3.4:443\" or \"[::1]:443\")";
// RFC 1035 2.3.4 (255 wire octets) leaves 253 characters in dotted form.
constexpr std::size_t kMaxHostNameLength = 253;
constexpr std::size_t kMaxLabelLength = 63;
// Profile names appear in socket and log file names: keep them short and plain.
constexpr std::size_t kMaxProfileNameLength = 64;

bool is_identifier(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-';
    });
}

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

bool expect_string(const cJSON& value, const KeyPath& path, std::string_view what, std::string& error) {
    if (cJSON_IsString(&value) && value.valuestring != nullptr) return true;
    error = path.text() + ": must be a string (" + std::string(what) + ")";
    return false;
}

bool expect_object(const cJSON& value, const KeyPath& path, std::string_view what, std::string& error) {
    if (cJSON_IsObject(&value)) return true;
    error = path.text() + ": must be an object (" + std::string(what) + ")";
    return false;
}

bool expect_array(const cJSON& value, const KeyPath& path, std::string_view what, std::string& error) {
    if (cJSON_IsArray(&value)) return true;
    error = path.text() + ": must be a list (" + std::string(what) + ")";
    return false;
}

bool is_loopback(const IpAddress& address) {
    static const IpAddress kLoopback6 = *IpAddress::parse("::1");
    return address.is_v4() ? address.bytes[0] == 127 : address == kLoopback6;
}

bool check_endpoint_rule(const Endpoint& endpoint, EndpointRule rule) {
    static const IpAddress kGateway4 = *IpAddress::parse("10.0.2.2");
    static const IpAddress kGateway6 = *IpAddress::parse("fec0::2");
    switch (rule) {
        case EndpointRule::any: return true;
        case EndpointRule::gateway: return endpoint.address == kGateway4 || endpoint.address == kGateway6;
        case EndpointRule::loopback: return is_loopback(endpoint.address);
    }
    return false;
}

std::string_view endpoint_rule_advice(EndpointRule rule) {
    switch (rule) {
        case EndpointRule::any: return "";
        case EndpointRule::gateway: return "must be the gateway address 10.0.2.2 or [fec0::2] with a port";
        case EndpointRule::loopback:
            return "must be on the host's loopback (127.0.0.0/8 or [::1]); to reach another address use upstream.map";
    }
    return "";
}

bool parse_endpoint_text(std::string_view text, const KeyPath& path, std::string_view role, EndpointRule rule,
                         Endpoint& out, std::string& error) {
    const auto endpoint = Endpoint::parse(text);
    if (!endpoint) {
        error = path.text() + ": " + std::string(role) + quoted(text) + " is not an ip:port " + std::string(kEndpointForms);
        return false;
    }
    if (!check_endpoint_rule(*endpoint, rule)) {
        error = path.text() + ": " + std::string(role) + quoted(text) + " " + std::string(endpoint_rule_advice(rule));
        return false;
    }
    out = *endpoint;
    return true;
}

bool is_valid_host_pattern(std::string_view pattern) {
    if (pattern.substr(0, 2) == "*.") pattern.remove_prefix(2);
    return is_valid_host_name(pattern);
}

}  // namespace

KeyPath KeyPath::child(std::string_view key) const {
    KeyPath next = *this;
    if (!next.text_.empty()) next.text_ += '.';
    next.text_ += is_identifier(key) ? std::string(key) : quoted(key);
    return next;
}

KeyPath KeyPath::index(std::size_t position) const {
    KeyPath next = *this;
    next.text_ += "[" + std::to_string(position) + "]";
    return next;
}

std::string KeyPath::text() const { return text_.empty() ? "(top level)" : text_; }

std::string canonical_host_name(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    return lower;
}

bool is_valid_host_name(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    if (name.empty() || name.size() > kMaxHostNameLength) return false;
    std::size_t label_start = 0;
    for (std::size_t i = 0; i <= name.size(); ++i) {
        if (i == name.size() || name[i] == '.') {
            const std::size_t length = i - label_start;
            if (length == 0 || length > kMaxLabelLength) return false;
            label_start = i + 1;
            continue;
        }
        const auto c = static_cast<unsigned char>(name[i]);
        if (!std::isalnum(c) && c != '-' && c != '_') return false;
    }
    return true;
}

bool profile_name(const cJSON& value, const KeyPath& path, std::string& out, std::string& error) {
    if (!expect_string(value, path, "the profile's name", error)) return false;
    const std::string_view name = value.valuestring;
    if (name.size() > kMaxProfileNameLength || !is_identifier(name)) {
        error = path.text() + ": " + quoted(name) + " must be 1 to 64 letters, digits, '_' or '-'";
        return false;
    }
    out = name;
    return true;
}

bool modes(const cJSON& value, const KeyPath& path, std::string& default_mode,
           std::map<std::string, std::string>& provider_modes, std::string& error) {
    if (!expect_object(value, path, "provider → mode, e.g. {\"default\": \"prompt-writes\"}", error)) return false;
    std::set<std::string> seen;
    for (const cJSON* entry = value.child; entry != nullptr; entry = entry->next) {
        const std::string provider = entry->string;
        const KeyPath entry_path = path.child(provider);
        if (!seen.insert(provider).second) {
            error = entry_path.text() + ": duplicate key";
            return false;
        }
        if (!is_identifier(provider)) {
            error = entry_path.text() + ": a provider name is letters, digits, '_' or '-'";
            return false;
        }
        std::string mode;
        if (!one_of(*entry, entry_path, kConsentModeNames, mode, error)) return false;
        if (provider == "default")
            default_mode = mode;
        else
            provider_modes[provider] = mode;
    }
    return true;
}

bool dns_hosts(const cJSON& value, const KeyPath& path, std::map<std::string, std::vector<IpAddress>>& out,
               std::string& error) {
    if (!expect_object(value, path, "name → address or list of addresses", error)) return false;
    for (const cJSON* entry = value.child; entry != nullptr; entry = entry->next) {
        const KeyPath entry_path = path.child(entry->string);
        if (!is_valid_host_name(entry->string)) {
            error = entry_path.text() + ": not a valid host name (letters, digits, '-', '_'; labels of 1-63)";
            return false;
        }
        const std::string name = canonical_host_name(entry->string);
        if (out.count(name) != 0) {
            error = entry_path.text() + ": listed twice (names are compared case-insensitively)";
            return false;
        }
        std::vector<const cJSON*> items;
        if (cJSON_IsArray(entry)) {
            for (const cJSON* item = entry->child; item != nullptr; item = item->next) items.push_back(item);
            if (items.empty()) {
                error = entry_path.text() + ": the list of addresses is empty";
                return false;
            }
        } else {
            items.push_back(entry);
        }
        std::vector<IpAddress> addresses;
        for (std::size_t i = 0; i < items.size(); ++i) {
            const KeyPath item_path = cJSON_IsArray(entry) ? entry_path.index(i) : entry_path;
            if (!expect_string(*items[i], item_path, "an IPv4 or IPv6 address", error)) return false;
            const auto address = IpAddress::parse(items[i]->valuestring);
            if (!address) {
                error = item_path.text() + ": " + quoted(items[i]->valuestring) +
                        " is not an IPv4 or IPv6 address (e.g. \"198.51.100.7\" or \"2001:db8::7\")";
                return false;
            }
            addresses.push_back(*address);
        }
        out[name] = std::move(addresses);
    }
    return true;
}

bool endpoint_map(const cJSON& value, const KeyPath& path, EndpointRule key_rule, EndpointRule value_rule,
                  std::map<Endpoint, Endpoint>& out, std::string& error) {
    if (!expect_object(value, path, "\"ip:port\" → \"ip:port\"", error)) return false;
    for (const cJSON* entry = value.child; entry != nullptr; entry = entry->next) {
        const KeyPath entry_path = path.child(entry->string);
        Endpoint from;
        Endpoint to;
        if (!parse_endpoint_text(entry->string, entry_path, "the key ", key_rule, from, error)) return false;
        if (out.count(from) != 0) {
            error = entry_path.text() + ": listed twice";
            return false;
        }
        if (!expect_string(*entry, entry_path, "an ip:port", error)) return false;
        if (!parse_endpoint_text(entry->valuestring, entry_path, "", value_rule, to, error)) return false;
        out[from] = to;
    }
    return true;
}

bool endpoint_list(const cJSON& value, const KeyPath& path, std::vector<Endpoint>& out, std::string& error) {
    if (!expect_array(value, path, "of \"ip:port\"", error)) return false;
    std::size_t position = 0;
    for (const cJSON* item = value.child; item != nullptr; item = item->next, ++position) {
        const KeyPath item_path = path.index(position);
        Endpoint endpoint;
        if (!expect_string(*item, item_path, "an ip:port", error)) return false;
        if (!parse_endpoint_text(item->valuestring, item_path, "", EndpointRule::any, endpoint, error)) return false;
        out.push_back(endpoint);
    }
    return true;
}

bool string_list(const cJSON& value, const KeyPath& path, StringRule rule, std::vector<std::string>& out,
                 std::string& error) {
    const std::string_view what = rule == StringRule::file_path ? "of file paths" : "of host patterns";
    if (!expect_array(value, path, what, error)) return false;
    std::size_t position = 0;
    for (const cJSON* item = value.child; item != nullptr; item = item->next, ++position) {
        const KeyPath item_path = path.index(position);
        if (!expect_string(*item, item_path, what, error)) return false;
        const std::string_view text = item->valuestring;
        const bool valid = rule == StringRule::file_path ? !text.empty() : is_valid_host_pattern(text);
        if (!valid) {
            error = item_path.text() + ": " + quoted(text) +
                    (rule == StringRule::file_path ? " is not a file path" : " is not a host pattern (\"host.example\" or \"*.example\")");
            return false;
        }
        out.emplace_back(text);
    }
    return true;
}

bool bounded_integer(const cJSON& value, const KeyPath& path, std::uint64_t minimum, std::uint64_t maximum,
                     std::uint64_t& out, std::string& error) {
    const std::string range = std::to_string(minimum) + ".." + std::to_string(maximum);
    if (!cJSON_IsNumber(&value) || std::floor(value.valuedouble) != value.valuedouble ||
        value.valuedouble < static_cast<double>(minimum) || value.valuedouble > static_cast<double>(maximum)) {
        error = path.text() + ": must be a whole number in " + range;
        return false;
    }
    out = static_cast<std::uint64_t>(value.valuedouble);
    return true;
}

bool boolean(const cJSON& value, const KeyPath& path, bool& out, std::string& error) {
    if (!cJSON_IsBool(&value)) {
        error = path.text() + ": must be true or false";
        return false;
    }
    out = cJSON_IsTrue(&value);
    return true;
}

bool one_of(const cJSON& value, const KeyPath& path, std::span<const std::string_view> choices,
            std::string& out, std::string& error) {
    std::string listing;
    for (const auto choice : choices) listing += (listing.empty() ? "" : ", ") + quoted(choice);
    if (cJSON_IsString(&value) && value.valuestring != nullptr) {
        for (const auto choice : choices) {
            if (choice == value.valuestring) {
                out = choice;
                return true;
            }
        }
    }
    error = path.text() + ": must be one of " + listing;
    return false;
}

}  // namespace askfirst::profile_values
