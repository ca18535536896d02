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

using CredentialField = Status (*)(const cJSON& value, const KeyPath& path, CredentialSpec& out);

struct CredentialKey {
    std::string_view name;
    bool required;
    CredentialField parse;
};

constexpr std::string_view kKnownCredentialKeys = "name, kind, header, hosts, stub, source, guest_env";

Result<std::string> plain_string(const cJSON& value, const KeyPath& path) {
    if (!cJSON_IsString(&value) || value.valuestring == nullptr || value.valuestring[0] == '\0')
        return Result<std::string>::failure(path.text() + ": must be a non-empty string");
    return Result<std::string>::success(value.valuestring);
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
Result<std::vector<std::string>> parse_command(const cJSON& value, const KeyPath& path) {
    using Argv = Result<std::vector<std::string>>;
    std::vector<std::string> out;
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
            auto word = plain_string(*item, path.index(position));
            if (!word) return Argv::failure(word.error());
            out.push_back(word.take());
        }
    }
    if (out.empty())
        return Argv::failure(path.text() + ": must be a command as an argv list, e.g. [\"aws\", \"configure\", "
                                           "\"export-credentials\"] (no shell)");
    return Argv::success(std::move(out));
}

// One key of `source`, stored in `out`.
Status parse_source_entry(const cJSON& entry, const KeyPath& entry_path, CredentialSource& out) {
    const std::string_view key = entry.string;
    if (key == "command") return store(parse_command(entry, entry_path), out.command);
    std::optional<std::string>* slot = key == "env"        ? &out.env
                                       : key == "file"     ? &out.file
                                       : key == "key_file" ? &out.key_file
                                                           : nullptr;
    if (slot == nullptr) return Status::failure(entry_path.text() + ": unknown key (known: command, env, file, key_file)");
    auto text = plain_string(entry, entry_path);
    if (!text) return Status::failure(text.error());
    if (key == "env" && !is_token(*text, true))
        return Status::failure(entry_path.text() + ": must be an environment variable name (letters, digits, '_')");
    *slot = text.take();
    return ok_status();
}

Result<CredentialSource> parse_source(const cJSON& value, const KeyPath& path) {
    using Source = Result<CredentialSource>;
    if (!cJSON_IsObject(&value))
        return Source::failure(path.text() + ": must be an object with one of \"command\", \"env\" or \"file\"");
    CredentialSource out;
    int count = 0;
    for (const cJSON* entry = value.child; entry != nullptr; entry = entry->next, ++count) {
        if (auto stored = parse_source_entry(*entry, path.child(entry->string), out); !stored)
            return Source::failure(stored.error());
        if (std::string_view(entry->string) == "key_file") --count;  // it goes with `file`, it is not a source of its own
    }
    if (out.key_file && !out.file)
        return Source::failure(path.child("key_file").text() +
                               ": goes with \"file\" (the client certificate it is the key of)");
    if (count != 1) return Source::failure(path.text() + ": must hold exactly one of \"command\", \"env\" or \"file\"");
    return Source::success(std::move(out));
}

Status parse_header(const cJSON& value, const KeyPath& path, CredentialSpec& out) {
    auto header = plain_string(value, path);
    if (!header) return Status::failure(header.error());
    if (!is_token(*header, false))
        return Status::failure(path.text() + ": must be a header name (RFC 9110 token), e.g. \"x-api-key\"");
    out.header = header.take();
    return ok_status();
}

Status parse_hosts(const cJSON& value, const KeyPath& path, CredentialSpec& out) {
    auto hosts = string_list(value, path, StringRule::host_pattern);
    if (hosts && hosts->empty()) return Status::failure(path.text() + ": must list at least one host pattern");
    return store(std::move(hosts), out.hosts);
}

Status parse_guest_env(const cJSON& value, const KeyPath& path, CredentialSpec& out) {
    if (!cJSON_IsArray(&value)) return Status::failure(path.text() + ": must be a list of environment variable names");
    std::size_t position = 0;
    for (const cJSON* item = value.child; item != nullptr; item = item->next, ++position) {
        auto name = plain_string(*item, path.index(position));
        if (!name) return Status::failure(name.error());
        if (!is_token(*name, true))
            return Status::failure(path.index(position).text() +
                                   ": must be an environment variable name (letters, digits, '_')");
        out.guest_env.push_back(name.take());
    }
    return ok_status();
}

constexpr CredentialKey kCredentialKeys[] = {
    {"name", true, [](const cJSON& v, const KeyPath& p, CredentialSpec& o) { return store(plain_string(v, p), o.name); }},
    {"kind", true,
     [](const cJSON& v, const KeyPath& p, CredentialSpec& o) { return store(one_of(v, p, kCredentialKindNames), o.kind); }},
    {"header", false, parse_header},
    {"hosts", true, parse_hosts},
    {"stub", false, [](const cJSON& v, const KeyPath& p, CredentialSpec& o) { return store(plain_string(v, p), o.stub); }},
    {"source", true, [](const cJSON& v, const KeyPath& p, CredentialSpec& o) { return store(parse_source(v, p), o.source); }},
    {"guest_env", false, parse_guest_env},
};

// Rules across keys: `header` belongs to kind "header" and only to it; a
// stub must be long enough that finding it in a request means it was ours.
Status check_entry(const KeyPath& path, const CredentialSpec& spec) {
    if (spec.kind == "header" && spec.header.empty())
        return Status::failure(path.text() +
                               ": kind \"header\" needs \"header\" (the header that carries it, e.g. \"x-api-key\")");
    if (spec.kind != "header" && !spec.header.empty())
        return Status::failure(path.child("header").text() + ": only for kind \"header\"");
    if (spec.source.key_file && spec.kind != "kube")
        return Status::failure(path.child("source").child("key_file").text() +
                               ": only for kind \"kube\" (a client certificate's key)");
    if (spec.source.key_file && !spec.stub.empty())
        return Status::failure(path.child("stub").text() +
                               ": not for a client certificate (askfirst mints a stub certificate and key)");
    // 8 bytes: a shorter stub could occur in a request by chance and be taken for a leak.
    if (!spec.stub.empty() && spec.stub.size() < 8)
        return Status::failure(path.child("stub").text() +
                               ": must be at least 8 characters (or left out: askfirst generates one)");
    return ok_status();
}

const CredentialKey* find_credential_key(std::string_view name) {
    for (const auto& key : kCredentialKeys)
        if (key.name == name) return &key;
    return nullptr;
}

Result<CredentialSpec> parse_one_credential(const cJSON& value, const KeyPath& path) {
    using Spec = Result<CredentialSpec>;
    if (!cJSON_IsObject(&value))
        return Spec::failure(path.text() + ": must be an object (" + std::string(kKnownCredentialKeys) + ")");
    CredentialSpec spec;
    std::set<std::string_view> seen;
    for (const cJSON* entry = value.child; entry != nullptr; entry = entry->next) {
        const KeyPath entry_path = path.child(entry->string);
        const CredentialKey* row = find_credential_key(entry->string);
        if (row == nullptr)
            return Spec::failure(entry_path.text() + ": unknown key (known: " + std::string(kKnownCredentialKeys) + ")");
        if (!seen.insert(row->name).second) return Spec::failure(entry_path.text() + ": duplicate key");
        if (auto stored = row->parse(*entry, entry_path, spec); !stored) return Spec::failure(stored.error());
    }
    for (const auto& key : kCredentialKeys)
        if (key.required && seen.count(key.name) == 0)
            return Spec::failure(path.text() + ": missing \"" + std::string(key.name) + "\"");
    if (auto consistent = check_entry(path, spec); !consistent) return Spec::failure(consistent.error());
    return Spec::success(std::move(spec));
}

}  // namespace

Result<std::vector<CredentialSpec>> credentials(const cJSON& value, const KeyPath& path) {
    using List = Result<std::vector<CredentialSpec>>;
    if (!cJSON_IsArray(&value)) return List::failure(path.text() + ": must be a list of credential objects");
    std::vector<CredentialSpec> specs;
    std::set<std::string> names;
    std::size_t position = 0;
    for (const cJSON* item = value.child; item != nullptr; item = item->next, ++position) {
        auto spec = parse_one_credential(*item, path.index(position));
        if (!spec) return List::failure(spec.error());
        if (!names.insert(spec->name).second)
            return List::failure(path.index(position).text() + ".name: \"" + spec->name + "\" is used twice");
        specs.push_back(spec.take());
    }
    return List::success(std::move(specs));
}

}  // namespace askfirst::profile_values
