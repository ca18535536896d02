// src/profile_credentials.cpp — the profile's `credentials` list (issue 13):
// what the credential broker (src/credentials/) keeps on the host and the
// stub the sandbox holds instead. Each entry is an object whose keys are rows
// of kCredentialKeys; `source` holds exactly one of command/env/file (a kube
// client certificate: `file` the certificate, `key_file` its key). Only the
// shape is checked here: whether a source resolves is the broker's startup
// check (a failure there names the entry). A real secret never appears in a
// profile: there is no key that could hold one (`stub` is the placeholder).
#include <cJSON.h>

#include <algorithm>
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

constexpr std::string_view kKnownCredentialKeys = "name, kind, header, hosts, stub, source, guest_env";

bool plain_string(const cJSON& value, const KeyPath& path, std::string& out, std::string& error) {
    if (!cJSON_IsString(&value) || value.valuestring == nullptr || value.valuestring[0] == '\0') {
        error = path.text() + ": must be a non-empty string";
        return false;
    }
    out = value.valuestring;
    return true;
}

// A header name (RFC 9110 token) or an environment variable name: no spaces,
// no separators that would let a value smuggle a second header or assignment.
bool is_token(std::string_view text, bool env_name) {
    if (text.empty()) return false;
    return std::all_of(text.begin(), text.end(), [env_name](char c) {
        const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (env_name) return alnum || c == '_';
        return alnum || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    });
}

// `command`: an argv array of non-empty strings, or one string split at spaces.
bool parse_command(const cJSON& value, const KeyPath& path, std::vector<std::string>& out, std::string& error) {
    if (cJSON_IsString(&value) && value.valuestring != nullptr) {
        const std::string_view text = value.valuestring;
        std::size_t at = 0;
        while (at < text.size()) {
            const std::size_t end = std::min(text.find(' ', at), text.size());
            if (end > at) out.emplace_back(text.substr(at, end - at));
            at = end + 1;
        }
    } else if (cJSON_IsArray(&value)) {
        std::size_t position = 0;
        for (const cJSON* item = value.child; item != nullptr; item = item->next, ++position) {
            std::string word;
            if (!plain_string(*item, path.index(position), word, error)) return false;
            out.push_back(std::move(word));
        }
    }
    if (out.empty()) {
        error = path.text() + ": must be a command as an argv list, e.g. [\"aws\", \"configure\", "
                              "\"export-credentials\"] (no shell)";
        return false;
    }
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
        if (key == "command") {
            std::vector<std::string> argv;
            if (!parse_command(*entry, entry_path, argv, error)) return false;
            out.command = std::move(argv);
            continue;
        }
        std::optional<std::string>* slot = key == "env"        ? &out.env
                                           : key == "file"     ? &out.file
                                           : key == "key_file" ? &out.key_file
                                                               : nullptr;
        if (slot == nullptr) {
            error = entry_path.text() + ": unknown key (known: command, env, file, key_file)";
            return false;
        }
        std::string text;
        if (!plain_string(*entry, entry_path, text, error)) return false;
        if (key == "env" && !is_token(text, true)) {
            error = entry_path.text() + ": must be an environment variable name (letters, digits, '_')";
            return false;
        }
        *slot = text;
        if (key == "key_file") --count;  // it goes with `file`, it is not a source of its own
    }
    if (out.key_file && !out.file) {
        error = path.child("key_file").text() + ": goes with \"file\" (the client certificate it is the key of)";
        return false;
    }
    if (count != 1) {
        error = path.text() + ": must hold exactly one of \"command\", \"env\" or \"file\"";
        return false;
    }
    return true;
}

bool parse_kind(const cJSON& value, const KeyPath& path, CredentialSpec& out, std::string& error) {
    return one_of(value, path, kCredentialKindNames, out.kind, error);
}

bool parse_header(const cJSON& value, const KeyPath& path, CredentialSpec& out, std::string& error) {
    if (!plain_string(value, path, out.header, error)) return false;
    if (is_token(out.header, false)) return true;
    error = path.text() + ": must be a header name (RFC 9110 token), e.g. \"x-api-key\"";
    return false;
}

bool parse_guest_env(const cJSON& value, const KeyPath& path, CredentialSpec& out, std::string& error) {
    if (!cJSON_IsArray(&value)) {
        error = path.text() + ": must be a list of environment variable names";
        return false;
    }
    std::size_t position = 0;
    for (const cJSON* item = value.child; item != nullptr; item = item->next, ++position) {
        std::string name;
        if (!plain_string(*item, path.index(position), name, error)) return false;
        if (!is_token(name, true)) {
            error = path.index(position).text() + ": must be an environment variable name (letters, digits, '_')";
            return false;
        }
        out.guest_env.push_back(std::move(name));
    }
    return true;
}

constexpr CredentialKey kCredentialKeys[] = {
    {"name", true, [](const cJSON& v, const KeyPath& p, CredentialSpec& o, std::string& e) {
         return plain_string(v, p, o.name, e);
     }},
    {"kind", true, parse_kind},
    {"header", false, parse_header},
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
    {"guest_env", false, parse_guest_env},
};

// Rules across keys: `header` belongs to kind "header" and only to it; a
// stub must be long enough that finding it in a request means it was ours.
bool check_entry(const KeyPath& path, const CredentialSpec& spec, std::string& error) {
    if (spec.kind == "header" && spec.header.empty()) {
        error = path.text() + ": kind \"header\" needs \"header\" (the header that carries it, e.g. \"x-api-key\")";
        return false;
    }
    if (spec.kind != "header" && !spec.header.empty()) {
        error = path.child("header").text() + ": only for kind \"header\"";
        return false;
    }
    if (spec.source.key_file && spec.kind != "kube") {
        error = path.child("source").child("key_file").text() + ": only for kind \"kube\" (a client certificate's key)";
        return false;
    }
    if (spec.source.key_file && !spec.stub.empty()) {
        error = path.child("stub").text() + ": not for a client certificate (askfirst mints a stub certificate and key)";
        return false;
    }
    // 8 bytes: a shorter stub could occur in a request by chance and be taken for a leak.
    if (!spec.stub.empty() && spec.stub.size() < 8) {
        error = path.child("stub").text() + ": must be at least 8 characters (or left out: askfirst generates one)";
        return false;
    }
    return true;
}

bool parse_one_credential(const cJSON& value, const KeyPath& path, CredentialSpec& out, std::string& error) {
    if (!cJSON_IsObject(&value)) {
        error = path.text() + ": must be an object (" + std::string(kKnownCredentialKeys) + ")";
        return false;
    }
    std::set<std::string_view> seen;
    for (const cJSON* entry = value.child; entry != nullptr; entry = entry->next) {
        const KeyPath entry_path = path.child(entry->string);
        const CredentialKey* row = nullptr;
        for (const auto& key : kCredentialKeys)
            if (key.name == entry->string) row = &key;
        if (row == nullptr) {
            error = entry_path.text() + ": unknown key (known: " + std::string(kKnownCredentialKeys) + ")";
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
    return check_entry(path, out, error);
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
