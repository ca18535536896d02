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

Status expect_string(const cJSON& value, const KeyPath& path, std::string_view what) {
    if (cJSON_IsString(&value) && value.valuestring != nullptr) return ok_status();
    return Status::failure(path.text() + ": must be a string (" + std::string(what) + ")");
}

Status expect_object(const cJSON& value, const KeyPath& path, std::string_view what) {
    if (cJSON_IsObject(&value)) return ok_status();
    return Status::failure(path.text() + ": must be an object (" + std::string(what) + ")");
}

Status expect_array(const cJSON& value, const KeyPath& path, std::string_view what) {
    if (cJSON_IsArray(&value)) return ok_status();
    return Status::failure(path.text() + ": must be a list (" + std::string(what) + ")");
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

Result<Endpoint> parse_endpoint_text(std::string_view text, const KeyPath& path, std::string_view role,
                                     EndpointRule rule) {
    const std::string named = path.text() + ": " + std::string(role) + quoted(text);
    const auto endpoint = Endpoint::parse(text);
    if (!endpoint) return Result<Endpoint>::failure(named + " is not an ip:port " + std::string(kEndpointForms));
    if (!check_endpoint_rule(*endpoint, rule))
        return Result<Endpoint>::failure(named + " " + std::string(endpoint_rule_advice(rule)));
    return Result<Endpoint>::success(*endpoint);
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

Result<std::string> profile_name(const cJSON& value, const KeyPath& path) {
    if (auto is_string = expect_string(value, path, "the profile's name"); !is_string)
        return Result<std::string>::failure(is_string.error());
    const std::string_view name = value.valuestring;
    if (name.size() > kMaxProfileNameLength || !is_identifier(name))
        return Result<std::string>::failure(path.text() + ": " + quoted(name) +
                                            " must be 1 to 64 letters, digits, '_' or '-'");
    return Result<std::string>::success(std::string(name));
}

Result<std::map<std::string, std::string>> modes(const cJSON& value, const KeyPath& path) {
    using Modes = Result<std::map<std::string, std::string>>;
    if (auto is_object = expect_object(value, path, "provider → mode, e.g. {\"default\": \"prompt-writes\"}");
        !is_object)
        return Modes::failure(is_object.error());
    std::map<std::string, std::string> by_provider;
    for (const cJSON* entry = value.child; entry != nullptr; entry = entry->next) {
        const std::string provider = entry->string;
        const KeyPath entry_path = path.child(provider);
        if (by_provider.count(provider) != 0) return Modes::failure(entry_path.text() + ": duplicate key");
        if (!is_identifier(provider))
            return Modes::failure(entry_path.text() + ": a provider name is letters, digits, '_' or '-'");
        auto mode = one_of(*entry, entry_path, kConsentModeNames);
        if (!mode) return Modes::failure(mode.error());
        by_provider[provider] = mode.take();
    }
    return Modes::success(std::move(by_provider));
}

namespace {

// One dns.hosts entry: an address or a non-empty list of them.
Result<std::vector<IpAddress>> host_addresses(const cJSON& entry, const KeyPath& entry_path) {
    using Addresses = Result<std::vector<IpAddress>>;
    std::vector<const cJSON*> items;
    if (cJSON_IsArray(&entry)) {
        for (const cJSON* item = entry.child; item != nullptr; item = item->next) items.push_back(item);
        if (items.empty()) return Addresses::failure(entry_path.text() + ": the list of addresses is empty");
    } else {
        items.push_back(&entry);
    }
    std::vector<IpAddress> addresses;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const KeyPath item_path = cJSON_IsArray(&entry) ? entry_path.index(i) : entry_path;
        if (auto is_string = expect_string(*items[i], item_path, "an IPv4 or IPv6 address"); !is_string)
            return Addresses::failure(is_string.error());
        const auto address = IpAddress::parse(items[i]->valuestring);
        if (!address)
            return Addresses::failure(item_path.text() + ": " + quoted(items[i]->valuestring) +
                                      " is not an IPv4 or IPv6 address (e.g. \"198.51.100.7\" or \"2001:db8::7\")");
        addresses.push_back(*address);
    }
    return Addresses::success(std::move(addresses));
}

}  // namespace

Result<std::map<std::string, std::vector<IpAddress>>> dns_hosts(const cJSON& value, const KeyPath& path) {
    using Hosts = Result<std::map<std::string, std::vector<IpAddress>>>;
    if (auto is_object = expect_object(value, path, "name → address or list of addresses"); !is_object)
        return Hosts::failure(is_object.error());
    std::map<std::string, std::vector<IpAddress>> hosts;
    for (const cJSON* entry = value.child; entry != nullptr; entry = entry->next) {
        const KeyPath entry_path = path.child(entry->string);
        if (!is_valid_host_name(entry->string))
            return Hosts::failure(entry_path.text() +
                                  ": not a valid host name (letters, digits, '-', '_'; labels of 1-63)");
        const std::string name = canonical_host_name(entry->string);
        if (hosts.count(name) != 0)
            return Hosts::failure(entry_path.text() + ": listed twice (names are compared case-insensitively)");
        auto addresses = host_addresses(*entry, entry_path);
        if (!addresses) return Hosts::failure(addresses.error());
        hosts[name] = addresses.take();
    }
    return Hosts::success(std::move(hosts));
}

Result<std::map<Endpoint, Endpoint>> endpoint_map(const cJSON& value, const KeyPath& path, EndpointRule key_rule,
                                                  EndpointRule value_rule) {
    using Map = Result<std::map<Endpoint, Endpoint>>;
    if (auto is_object = expect_object(value, path, "\"ip:port\" → \"ip:port\""); !is_object)
        return Map::failure(is_object.error());
    std::map<Endpoint, Endpoint> map;
    for (const cJSON* entry = value.child; entry != nullptr; entry = entry->next) {
        const KeyPath entry_path = path.child(entry->string);
        const auto from = parse_endpoint_text(entry->string, entry_path, "the key ", key_rule);
        if (!from) return Map::failure(from.error());
        if (map.count(*from) != 0) return Map::failure(entry_path.text() + ": listed twice");
        if (auto is_string = expect_string(*entry, entry_path, "an ip:port"); !is_string)
            return Map::failure(is_string.error());
        const auto to = parse_endpoint_text(entry->valuestring, entry_path, "", value_rule);
        if (!to) return Map::failure(to.error());
        map[*from] = *to;
    }
    return Map::success(std::move(map));
}

Result<std::vector<Endpoint>> endpoint_list(const cJSON& value, const KeyPath& path) {
    using List = Result<std::vector<Endpoint>>;
    if (auto is_array = expect_array(value, path, "of \"ip:port\""); !is_array) return List::failure(is_array.error());
    std::vector<Endpoint> endpoints;
    std::size_t position = 0;
    for (const cJSON* item = value.child; item != nullptr; item = item->next, ++position) {
        const KeyPath item_path = path.index(position);
        if (auto is_string = expect_string(*item, item_path, "an ip:port"); !is_string)
            return List::failure(is_string.error());
        const auto endpoint = parse_endpoint_text(item->valuestring, item_path, "", EndpointRule::any);
        if (!endpoint) return List::failure(endpoint.error());
        endpoints.push_back(*endpoint);
    }
    return List::success(std::move(endpoints));
}

Result<std::vector<std::string>> string_list(const cJSON& value, const KeyPath& path, StringRule rule) {
    using List = Result<std::vector<std::string>>;
    const std::string_view what = rule == StringRule::file_path ? "of file paths" : "of host patterns";
    if (auto is_array = expect_array(value, path, what); !is_array) return List::failure(is_array.error());
    std::vector<std::string> strings;
    std::size_t position = 0;
    for (const cJSON* item = value.child; item != nullptr; item = item->next, ++position) {
        const KeyPath item_path = path.index(position);
        if (auto is_string = expect_string(*item, item_path, what); !is_string) return List::failure(is_string.error());
        const std::string_view text = item->valuestring;
        const bool valid = rule == StringRule::file_path ? !text.empty() : is_valid_host_pattern(text);
        if (!valid)
            return List::failure(item_path.text() + ": " + quoted(text) +
                                 (rule == StringRule::file_path
                                      ? " is not a file path"
                                      : " is not a host pattern (\"host.example\" or \"*.example\")"));
        strings.emplace_back(text);
    }
    return List::success(std::move(strings));
}

Result<std::uint64_t> bounded_integer(const cJSON& value, const KeyPath& path, std::uint64_t minimum,
                                      std::uint64_t maximum) {
    const std::string range = std::to_string(minimum) + ".." + std::to_string(maximum);
    if (!cJSON_IsNumber(&value) || std::floor(value.valuedouble) != value.valuedouble ||
        value.valuedouble < static_cast<double>(minimum) || value.valuedouble > static_cast<double>(maximum))
        return Result<std::uint64_t>::failure(path.text() + ": must be a whole number in " + range);
    return Result<std::uint64_t>::success(static_cast<std::uint64_t>(value.valuedouble));
}

Result<bool> boolean(const cJSON& value, const KeyPath& path) {
    if (!cJSON_IsBool(&value)) return Result<bool>::failure(path.text() + ": must be true or false");
    return Result<bool>::success(cJSON_IsTrue(&value));
}

Result<std::string> one_of(const cJSON& value, const KeyPath& path, std::span<const std::string_view> choices) {
    if (cJSON_IsString(&value) && value.valuestring != nullptr) {
        for (const auto choice : choices)
            if (choice == value.valuestring) return Result<std::string>::success(std::string(choice));
    }
    std::string listing;
    for (const auto choice : choices) listing += (listing.empty() ? "" : ", ") + quoted(choice);
    return Result<std::string>::failure(path.text() + ": must be one of " + listing);
}

}  // namespace askfirst::profile_values
