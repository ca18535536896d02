// src/profile_credentials.cpp — the profile's `credentials` list (a later
// issue injects them; this issue only validates their shape so a profile
// written for that issue loads now). Each entry is an object whose keys are
// rows of kCredentialKeys; `source` holds exactly one of command/env/file.
#include <cJSON.h>

#include <set>

#include "src/profile_values.h"

namespace askfirst::profile_values {
namespace {

using CredentialField = bool (*)(const cJSON& value, const KeyPath& path, CredentialSpec& out, std::string& error);

struct CredentialKey {
    std::string_view name;
    bool required;
    CredentialField parse;
};

bool plain_string(const cJSON& value, const KeyPath& path, std::string& out, std::string& error) {
    if (!cJSON_IsString(&value) || value.valuestring == nullptr || value.valuestring[0] == '\0') {
        error = path.text() + ": must be a non-empty string";
        return false;
    }
    out = value.valuestring;
    return true;
}

bool parse_source(const cJSON& value, const KeyPath& path, CredentialSource& out, std::string& error) {
    if (!cJSON_IsObject(&value)) {
        error = path.text() + ": must be an object with one of \"command\", \"env\" or \"file\"";
        return false;
    }
    int count = 0;
    for (const cJSON* entry = value.child; entry != nullptr; entry = entry->next, ++count) {
        const std::string_view key = entry->string;
        const KeyPath entry_path = path.child(key);
        std::optional<std::string>* slot = key == "command" ? &out.command
                                         : key == "env"     ? &out.env
                                         : key == "file"    ? &out.file
                                                            : nullptr;
        if (slot == nullptr) {
            error = entry_path.text() + ": unknown key (known: command, env, file)";
            return false;
        }
        std::string text;
        if (!plain_string(*entry, entry_path, text, error)) return false;
        *slot = text;
    }
    if (count != 1) {
        error = path.text() + ": must hold exactly one of \"command\", \"env\" or \"file\"";
        return false;
    }
    return true;
}

constexpr CredentialKey kCredentialKeys[] = {
    {"name", true, [](const cJSON& v, const KeyPath& p, CredentialSpec& o, std::string& e) {
         return plain_string(v, p, o.name, e);
     }},
    {"kind", true, [](const cJSON& v, const KeyPath& p, CredentialSpec& o, std::string& e) {
         return plain_string(v, p, o.kind, e);
     }},
    {"hosts", true, [](const cJSON& v, const KeyPath& p, CredentialSpec& o, std::string& e) {
         if (!string_list(v, p, StringRule::host_pattern, o.hosts, e)) return false;
         if (!o.hosts.empty()) return true;
         e = p.text() + ": must list at least one host pattern";
         return false;
     }},
    {"stub", false, [](const cJSON& v, const KeyPath& p, CredentialSpec& o, std::string& e) {
         return plain_string(v, p, o.stub, e);
     }},
    {"source", true, [](const cJSON& v, const KeyPath& p, CredentialSpec& o, std::string& e) {
         return parse_source(v, p, o.source, e);
     }},
};

bool parse_one_credential(const cJSON& value, const KeyPath& path, CredentialSpec& out, std::string& error) {
    if (!cJSON_IsObject(&value)) {
        error = path.text() + ": must be an object (name, kind, hosts, stub, source)";
        return false;
    }
    std::set<std::string_view> seen;
    for (const cJSON* entry = value.child; entry != nullptr; entry = entry->next) {
        const KeyPath entry_path = path.child(entry->string);
        const CredentialKey* row = nullptr;
        for (const auto& key : kCredentialKeys)
            if (key.name == entry->string) row = &key;
        if (row == nullptr) {
            error = entry_path.text() + ": unknown key (known: name, kind, hosts, stub, source)";
            return false;
        }
        if (!seen.insert(row->name).second) {
            error = entry_path.text() + ": duplicate key";
            return false;
        }
        if (!row->parse(*entry, entry_path, out, error)) return false;
    }
    for (const auto& key : kCredentialKeys) {
        if (key.required && seen.count(key.name) == 0) {
            error = path.text() + ": missing \"" + std::string(key.name) + "\"";
            return false;
        }
    }
    return true;
}

}  // namespace

bool credentials(const cJSON& value, const KeyPath& path, std::vector<CredentialSpec>& out, std::string& error) {
    if (!cJSON_IsArray(&value)) {
        error = path.text() + ": must be a list of credential objects";
        return false;
    }
    std::set<std::string> names;
    std::size_t position = 0;
    for (const cJSON* item = value.child; item != nullptr; item = item->next, ++position) {
        CredentialSpec spec;
        if (!parse_one_credential(*item, path.index(position), spec, error)) return false;
        if (!names.insert(spec.name).second) {
            error = path.index(position).text() + ".name: \"" + spec.name + "\" is used twice";
            return false;
        }
        out.push_back(std::move(spec));
    }
    return true;
}

}  // namespace askfirst::profile_values
