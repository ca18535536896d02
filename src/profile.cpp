// src/profile.cpp — loads and validates a profile (see profile.h).
//
// Theory: the JSON tree (cJSON) is walked once. Every accepted key is one row
// of kProfileKeys, named by its dotted path; an object whose path is a prefix
// of some row ("dns", "tls", ...) is a section and is walked into. Any other
// key is an error naming its path. A row's parser checks the value's type and
// content and fills one Profile field. The first error stops the load.
//
// "extends" (issue 14): the base profile (a name or a path, src/profile_lookup.h)
// is loaded first, with the same strict rules, and this file's keys are then
// walked over it: a key set here replaces the base's value, except `modes`
// and `dns.hosts`, whose entries merge (an entry here wins). So every map and
// list parser below other than those two starts from empty.
#include "src/profile.h"

#include <cJSON.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "src/profile_lookup.h"
#include "src/profile_values.h"

namespace askfirst {
namespace {

using profile_values::KeyPath;

using LeafParser = bool (*)(const cJSON& value, const KeyPath& path, Profile& profile, std::string& error);

struct ProfileKey {
    std::string_view path;  // dotted path from the top of the profile
    LeafParser parse;
};

bool parse_name_key(const cJSON& value, const KeyPath& path, Profile& profile, std::string& error) {
    return profile_values::profile_name(value, path, profile.name, error);
}
bool parse_modes_key(const cJSON& value, const KeyPath& path, Profile& profile, std::string& error) {
    return profile_values::modes(value, path, profile.default_mode, profile.provider_modes, error);
}
bool parse_dns_hosts_key(const cJSON& value, const KeyPath& path, Profile& profile, std::string& error) {
    std::map<std::string, std::vector<IpAddress>> listed;  // checked on its own, then merged over the base's
    if (!profile_values::dns_hosts(value, path, listed, error)) return false;
    for (auto& [name, addresses] : listed) profile.dns_hosts[name] = std::move(addresses);
    return true;
}
// A base's "extends" was applied before the walk (parse_profile_text); here it is only type-checked.
bool parse_extends_key(const cJSON& value, const KeyPath& path, Profile&, std::string& error) {
    if (cJSON_IsString(&value) && value.valuestring[0] != '\0') return true;
    error = path.text() + ": must be a profile name (e.g. \"agent\") or a file path";
    return false;
}
bool parse_upstream_map_key(const cJSON& value, const KeyPath& path, Profile& profile, std::string& error) {
    profile.upstream_map.clear();
    return profile_values::endpoint_map(value, path, profile_values::EndpointRule::any,
                                        profile_values::EndpointRule::any, profile.upstream_map, error);
}
bool parse_host_services_key(const cJSON& value, const KeyPath& path, Profile& profile, std::string& error) {
    profile.host_services.clear();
    return profile_values::endpoint_map(value, path, profile_values::EndpointRule::gateway,
                                        profile_values::EndpointRule::loopback, profile.host_services, error);
}
bool parse_udp_allow_key(const cJSON& value, const KeyPath& path, Profile& profile, std::string& error) {
    profile.udp_allow.clear();
    return profile_values::endpoint_list(value, path, profile.udp_allow, error);
}
bool parse_tls_extra_ca_key(const cJSON& value, const KeyPath& path, Profile& profile, std::string& error) {
    profile.tls_extra_ca.clear();
    return profile_values::string_list(value, path, profile_values::StringRule::file_path,
                                       profile.tls_extra_ca, error);
}
bool parse_tls_passthrough_key(const cJSON& value, const KeyPath& path, Profile& profile, std::string& error) {
    profile.tls_passthrough.clear();
    return profile_values::string_list(value, path, profile_values::StringRule::host_pattern,
                                       profile.tls_passthrough, error);
}
bool parse_tls_learn_passthrough_key(const cJSON& value, const KeyPath& path, Profile& profile, std::string& error) {
    return profile_values::boolean(value, path, profile.tls_learn_passthrough, error);
}
bool parse_max_inspect_key(const cJSON& value, const KeyPath& path, Profile& profile, std::string& error) {
    // 256 MiB: a held body lives in askfirstd's memory; more is a typo, not a policy.
    return profile_values::bounded_integer(value, path, 0, 256ull << 20, profile.http_max_inspect_bytes, error);
}
bool parse_consent_timeout_key(const cJSON& value, const KeyPath& path, Profile& profile, std::string& error) {
    std::uint64_t seconds = 0;
    // 1 s .. 1 day: a question nobody can answer in a day is answered "no".
    if (!profile_values::bounded_integer(value, path, 1, 86400, seconds, error)) return false;
    profile.consent_timeout_s = static_cast<std::uint32_t>(seconds);
    return true;
}
bool parse_consent_no_ui_key(const cJSON& value, const KeyPath& path, Profile& profile, std::string& error) {
    static constexpr std::string_view kChoices[] = {"deny", "allow"};
    return profile_values::one_of(value, path, kChoices, profile.consent_no_ui, error);
}
bool parse_consent_listener_grace_key(const cJSON& value, const KeyPath& path, Profile& profile, std::string& error) {
    std::uint64_t seconds = 0;
    // 0 (answer by no_ui at once) .. 10 min: a longer wait holds an agent that nobody watches.
    if (!profile_values::bounded_integer(value, path, 0, 600, seconds, error)) return false;
    profile.consent_listener_grace_s = static_cast<std::uint32_t>(seconds);
    return true;
}
bool parse_credentials_key(const cJSON& value, const KeyPath& path, Profile& profile, std::string& error) {
    profile.credentials.clear();
    return profile_values::credentials(value, path, profile.credentials, error);
}

bool parse_databases_key(const cJSON& value, const KeyPath& path, Profile& profile, std::string& error) {
    return profile_values::databases(value, path, profile.databases, error);
}

// Every key a profile may hold. Adding a key: one row here, one field in Profile.
constexpr ProfileKey kProfileKeys[] = {
    {"name", parse_name_key},
    {"extends", parse_extends_key},
    {"modes", parse_modes_key},
    {"dns.hosts", parse_dns_hosts_key},
    {"upstream.map", parse_upstream_map_key},
    {"host_services", parse_host_services_key},
    {"udp.allow", parse_udp_allow_key},
    {"tls.extra_ca", parse_tls_extra_ca_key},
    {"tls.passthrough", parse_tls_passthrough_key},
    {"tls.learn_passthrough", parse_tls_learn_passthrough_key},
    {"http.max_inspect_bytes", parse_max_inspect_key},
    {"consent.timeout_s", parse_consent_timeout_key},
    {"consent.no_ui", parse_consent_no_ui_key},
    {"consent.listener_grace_s", parse_consent_listener_grace_key},
    {"credentials", parse_credentials_key},
    {"databases", parse_databases_key},
};

const ProfileKey* find_leaf(std::string_view dotted) {
    for (const auto& key : kProfileKeys)
        if (key.path == dotted) return &key;
    return nullptr;
}

bool is_section(std::string_view dotted) {
    for (const auto& key : kProfileKeys)
        if (key.path.size() > dotted.size() && key.path.substr(0, dotted.size()) == dotted &&
            key.path[dotted.size()] == '.')
            return true;
    return false;
}

std::string known_keys_below(std::string_view dotted_section) {
    std::string list;
    for (const auto& key : kProfileKeys) {
        if (!dotted_section.empty() && key.path.substr(0, dotted_section.size() + 1) != std::string(dotted_section) + ".")
            continue;
        list += list.empty() ? "" : ", ";
        list += key.path;
    }
    return list;
}

bool walk_section(const cJSON& object, const KeyPath& path, std::string_view dotted, Profile& profile,
                  std::string& error) {
    if (!cJSON_IsObject(&object)) {
        error = path.text() + ": must be an object";
        return false;
    }
    std::set<std::string> seen;
    for (const cJSON* child = object.child; child != nullptr; child = child->next) {
        const std::string key = child->string;
        const KeyPath child_path = path.child(key);
        if (!seen.insert(key).second) {
            error = child_path.text() + ": duplicate key";
            return false;
        }
        const std::string child_dotted = dotted.empty() ? key : std::string(dotted) + "." + key;
        if (const ProfileKey* leaf = find_leaf(child_dotted)) {
            if (!leaf->parse(*child, child_path, profile, error)) return false;
        } else if (is_section(child_dotted)) {
            if (!walk_section(*child, child_path, child_dotted, profile, error)) return false;
        } else {
            error = child_path.text() + ": unknown key (known: " + known_keys_below(dotted) + ")";
            return false;
        }
    }
    return true;
}

struct CjsonDeleter {
    void operator()(cJSON* json) const { cJSON_Delete(json); }
};

}  // namespace

namespace {

// How many profiles an "extends" chain may stack: a built-in, a team's, a
// user's and a project's fit; more is a loop.
constexpr int kMaxExtendsDepth = 8;

std::optional<Profile> load_profile_at_depth(const std::string& reference, const std::string& relative_to, int depth,
                                             std::string& error);

std::string directory_of(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash == 0 ? 1 : slash);
}

// Parses `json_text` over `base_directory`'s "extends" target (if any).
std::optional<Profile> parse_profile_text(std::string_view json_text, std::string_view source_name,
                                          const std::string& base_directory, int depth, std::string& error) {
    const std::string prefix = std::string(source_name) + ": ";
    if (json_text.find('\0') != std::string_view::npos) {
        error = prefix + "not valid JSON (it contains a NUL byte)";
        return std::nullopt;
    }
    // cJSON's "nothing after the value" check wants to see the terminating NUL
    // inside the length it is given, so parse a NUL-terminated copy.
    const std::string terminated(json_text);
    const char* parse_end = nullptr;
    std::unique_ptr<cJSON, CjsonDeleter> root(
        cJSON_ParseWithLengthOpts(terminated.c_str(), terminated.size() + 1, &parse_end, true));
    if (!root) {
        const std::size_t offset = parse_end != nullptr ? static_cast<std::size_t>(parse_end - terminated.c_str()) : 0;
        error = prefix + "not valid JSON (near byte " + std::to_string(offset) + ")";
        return std::nullopt;
    }
    Profile profile;
    const cJSON* extends = cJSON_IsObject(root.get()) ? cJSON_GetObjectItemCaseSensitive(root.get(), "extends") : nullptr;
    if (extends != nullptr && cJSON_IsString(extends) && extends->valuestring[0] != '\0') {
        if (depth >= kMaxExtendsDepth) {
            error = prefix + "extends: more than " + std::to_string(kMaxExtendsDepth) +
                    " profiles deep (does a profile extend itself?)";
            return std::nullopt;
        }
        std::string base_error;
        auto base = load_profile_at_depth(extends->valuestring, base_directory, depth + 1, base_error);
        if (!base) {
            error = prefix + "extends: " + base_error;
            return std::nullopt;
        }
        profile = std::move(*base);
    }
    std::string detail;
    if (!walk_section(*root, KeyPath{}, "", profile, detail)) {
        error = prefix + detail;
        return std::nullopt;
    }
    return profile;
}

std::optional<Profile> load_profile_at_depth(const std::string& reference, const std::string& relative_to, int depth,
                                             std::string& error) {
    const auto path = resolve_profile_reference(reference, relative_to, error);
    if (!path) return std::nullopt;
    std::ifstream file(*path, std::ios::binary);
    if (!file) {
        error = *path + ": cannot read the profile (check the path and its permissions)";
        return std::nullopt;
    }
    std::ostringstream contents;
    contents << file.rdbuf();
    return parse_profile_text(contents.str(), *path, directory_of(*path), depth, error);
}

}  // namespace

std::optional<Profile> parse_profile(std::string_view json_text, std::string_view source_name,
                                     std::string& error) {
    return parse_profile_text(json_text, source_name, "", 0, error);
}

std::optional<Profile> load_profile_file(const std::string& path, std::string& error) {
    return load_profile_at_depth(path, "", 0, error);
}

const std::vector<IpAddress>* Profile::dns_addresses(std::string_view name) const {
    const std::string key = profile_values::canonical_host_name(name);
    const auto found = dns_hosts.find(key);
    return found == dns_hosts.end() ? nullptr : &found->second;
}

Endpoint Profile::upstream_for(const Endpoint& destination) const {
    const auto found = upstream_map.find(destination);
    return found == upstream_map.end() ? destination : found->second;
}

std::optional<Endpoint> Profile::host_service_for(const Endpoint& gateway_destination) const {
    const auto found = host_services.find(gateway_destination);
    if (found == host_services.end()) return std::nullopt;
    return found->second;
}

bool Profile::udp_allowed(const Endpoint& destination) const {
    for (const auto& allowed : udp_allow)
        if (allowed == destination) return true;
    return false;
}

}  // namespace askfirst
