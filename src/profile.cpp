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
// and `dns.hosts`, whose entries merge (an entry here wins), and `databases`,
// whose entries are added to the base's.
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

using profile_values::store;

using LeafParser = Status (*)(const cJSON& value, const KeyPath& path, Profile& profile);

struct ProfileKey {
    std::string_view path;  // dotted path from the top of the profile
    LeafParser parse;
};

Status parse_name_key(const cJSON& value, const KeyPath& path, Profile& profile) {
    return store(profile_values::profile_name(value, path), profile.name);
}
// Entries merge over the base's: "default" is the default mode, the others are providers.
Status parse_modes_key(const cJSON& value, const KeyPath& path, Profile& profile) {
    auto listed = profile_values::modes(value, path);
    if (!listed) return Status::failure(listed.error());
    for (auto& [provider, mode] : *listed)
        (provider == "default" ? profile.default_mode : profile.provider_modes[provider]) = std::move(mode);
    return ok_status();
}
Status parse_dns_hosts_key(const cJSON& value, const KeyPath& path, Profile& profile) {
    auto listed = profile_values::dns_hosts(value, path);  // checked on its own, then merged over the base's
    if (!listed) return Status::failure(listed.error());
    for (auto& [name, addresses] : *listed) profile.dns_hosts[name] = std::move(addresses);
    return ok_status();
}
// A base's "extends" was applied before the walk (parse_profile_text); here it is only type-checked.
Status parse_extends_key(const cJSON& value, const KeyPath& path, Profile&) {
    if (cJSON_IsString(&value) && value.valuestring[0] != '\0') return ok_status();
    return Status::failure(path.text() + ": must be a profile name (e.g. \"agent\") or a file path");
}
Status parse_upstream_map_key(const cJSON& value, const KeyPath& path, Profile& profile) {
    return store(profile_values::endpoint_map(value, path, profile_values::EndpointRule::any,
                                              profile_values::EndpointRule::any),
                 profile.upstream_map);
}
Status parse_host_services_key(const cJSON& value, const KeyPath& path, Profile& profile) {
    return store(profile_values::endpoint_map(value, path, profile_values::EndpointRule::gateway,
                                              profile_values::EndpointRule::loopback),
                 profile.host_services);
}
Status parse_udp_allow_key(const cJSON& value, const KeyPath& path, Profile& profile) {
    return store(profile_values::endpoint_list(value, path), profile.udp_allow);
}
Status parse_tls_extra_ca_key(const cJSON& value, const KeyPath& path, Profile& profile) {
    return store(profile_values::string_list(value, path, profile_values::StringRule::file_path), profile.tls_extra_ca);
}
Status parse_tls_passthrough_key(const cJSON& value, const KeyPath& path, Profile& profile) {
    return store(profile_values::string_list(value, path, profile_values::StringRule::host_pattern),
                 profile.tls_passthrough);
}
Status parse_tls_learn_passthrough_key(const cJSON& value, const KeyPath& path, Profile& profile) {
    return store(profile_values::boolean(value, path), profile.tls_learn_passthrough);
}
Status parse_max_inspect_key(const cJSON& value, const KeyPath& path, Profile& profile) {
    // 256 MiB: a held body lives in askfirstd's memory; more is a typo, not a policy.
    return store(profile_values::bounded_integer(value, path, 0, 256ull << 20), profile.http_max_inspect_bytes);
}
// A number of seconds in minimum..maximum, stored in a 32-bit field.
Status store_seconds(const cJSON& value, const KeyPath& path, std::uint64_t minimum, std::uint64_t maximum,
                     std::uint32_t& field) {
    const auto seconds = profile_values::bounded_integer(value, path, minimum, maximum);
    if (!seconds) return Status::failure(seconds.error());
    field = static_cast<std::uint32_t>(*seconds);
    return ok_status();
}
Status parse_consent_timeout_key(const cJSON& value, const KeyPath& path, Profile& profile) {
    // 1 s .. 1 day: a question nobody can answer in a day is answered "no".
    return store_seconds(value, path, 1, 86400, profile.consent_timeout_s);
}
Status parse_consent_no_ui_key(const cJSON& value, const KeyPath& path, Profile& profile) {
    static constexpr std::string_view kChoices[] = {"deny", "allow"};
    return store(profile_values::one_of(value, path, kChoices), profile.consent_no_ui);
}
Status parse_consent_listener_grace_key(const cJSON& value, const KeyPath& path, Profile& profile) {
    // 0 (answer by no_ui at once) .. 10 min: a longer wait holds an agent that nobody watches.
    return store_seconds(value, path, 0, 600, profile.consent_listener_grace_s);
}
Status parse_credentials_key(const cJSON& value, const KeyPath& path, Profile& profile) {
    return store(profile_values::credentials(value, path), profile.credentials);
}
// Appended to the base's list (each file's own list is checked for duplicates).
Status parse_databases_key(const cJSON& value, const KeyPath& path, Profile& profile) {
    auto listed = profile_values::databases(value, path);
    if (!listed) return Status::failure(listed.error());
    for (auto& endpoint : *listed) profile.databases.push_back(std::move(endpoint));
    return ok_status();
}
Status parse_unissued_credentials_key(const cJSON& value, const KeyPath& path, Profile& profile) {
    return store(profile_values::one_of(value, path, kUnissuedCredentialChoices), profile.unissued_credentials);
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
    {"unissued_credentials", parse_unissued_credentials_key},
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

Status walk_section(const cJSON& object, const KeyPath& path, std::string_view dotted, Profile& profile) {
    if (!cJSON_IsObject(&object)) return Status::failure(path.text() + ": must be an object");
    std::set<std::string> seen;
    for (const cJSON* child = object.child; child != nullptr; child = child->next) {
        const std::string key = child->string;
        const KeyPath child_path = path.child(key);
        if (!seen.insert(key).second) return Status::failure(child_path.text() + ": duplicate key");
        const std::string child_dotted = dotted.empty() ? key : std::string(dotted) + "." + key;
        Status walked = ok_status();
        if (const ProfileKey* leaf = find_leaf(child_dotted))
            walked = leaf->parse(*child, child_path, profile);
        else if (is_section(child_dotted))
            walked = walk_section(*child, child_path, child_dotted, profile);
        else
            walked = Status::failure(child_path.text() + ": unknown key (known: " + known_keys_below(dotted) + ")");
        if (!walked) return walked;
    }
    return ok_status();
}

struct CjsonDeleter {
    void operator()(cJSON* json) const { cJSON_Delete(json); }
};

}  // namespace

namespace {

// How many profiles an "extends" chain may stack: a built-in, a team's, a
// user's and a project's fit; more is a loop.
constexpr int kMaxExtendsDepth = 8;

Result<Profile> load_profile_at_depth(const std::string& reference, const std::string& relative_to, int depth);

std::string directory_of(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash == 0 ? 1 : slash);
}

using CjsonTree = std::unique_ptr<cJSON, CjsonDeleter>;

// The JSON tree of `json_text`, or where it stops being JSON.
Result<CjsonTree> parse_json(std::string_view json_text) {
    if (json_text.find('\0') != std::string_view::npos)
        return Result<CjsonTree>::failure("not valid JSON (it contains a NUL byte)");
    // cJSON's "nothing after the value" check wants to see the terminating NUL
    // inside the length it is given, so parse a NUL-terminated copy.
    const std::string terminated(json_text);
    const char* parse_end = nullptr;
    CjsonTree root(cJSON_ParseWithLengthOpts(terminated.c_str(), terminated.size() + 1, &parse_end, true));
    if (root) return Result<CjsonTree>::success(std::move(root));
    const std::size_t offset = parse_end != nullptr ? static_cast<std::size_t>(parse_end - terminated.c_str()) : 0;
    return Result<CjsonTree>::failure("not valid JSON (near byte " + std::to_string(offset) + ")");
}

// The profile `root` extends, loaded from `base_directory`; the defaults if it extends none.
Result<Profile> load_base_profile(const cJSON& root, const std::string& base_directory, int depth) {
    const cJSON* extends = cJSON_IsObject(&root) ? cJSON_GetObjectItemCaseSensitive(&root, "extends") : nullptr;
    if (extends == nullptr || !cJSON_IsString(extends) || extends->valuestring[0] == '\0')
        return Result<Profile>::success(Profile{});
    if (depth >= kMaxExtendsDepth)
        return Result<Profile>::failure("extends: more than " + std::to_string(kMaxExtendsDepth) +
                                        " profiles deep (does a profile extend itself?)");
    auto base = load_profile_at_depth(extends->valuestring, base_directory, depth + 1);
    if (!base) return Result<Profile>::failure("extends: " + base.error());
    return base;
}

// Parses `json_text` over `base_directory`'s "extends" target (if any).
Result<Profile> parse_profile_text(std::string_view json_text, std::string_view source_name,
                                   const std::string& base_directory, int depth) {
    const std::string prefix = std::string(source_name) + ": ";
    auto root = parse_json(json_text);
    if (!root) return Result<Profile>::failure(prefix + root.error());
    auto profile = load_base_profile(**root, base_directory, depth);
    if (!profile) return Result<Profile>::failure(prefix + profile.error());
    if (auto walked = walk_section(**root, KeyPath{}, "", *profile); !walked)
        return Result<Profile>::failure(prefix + walked.error());
    return profile;
}

Result<Profile> load_profile_at_depth(const std::string& reference, const std::string& relative_to, int depth) {
    const auto path = resolve_profile_reference(reference, relative_to);
    if (!path) return Result<Profile>::failure(path.error());
    std::ifstream file(*path, std::ios::binary);
    if (!file) return Result<Profile>::failure(*path + ": cannot read the profile (check the path and its permissions)");
    std::ostringstream contents;
    contents << file.rdbuf();
    return parse_profile_text(contents.str(), *path, directory_of(*path), depth);
}

}  // namespace

Result<Profile> parse_profile(std::string_view json_text, std::string_view source_name) {
    return parse_profile_text(json_text, source_name, "", 0);
}

Result<Profile> load_profile_file(const std::string& path) { return load_profile_at_depth(path, "", 0); }

}  // namespace askfirst
