// classifiers/json_body.h — an owning handle for a cJSON tree and the few
// lookups the forge classifiers make on JSON bodies (GraphQL envelopes,
// Kubernetes DeleteOptions, git-lfs batch requests, GitHub PATCH bodies).
// cJSON (Debian libcjson) does the parsing; this only adds RAII and
// string_view-friendly accessors.
#pragma once

#include <cjson/cJSON.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace askfirst::classifiers {

struct CjsonDeleter {
    void operator()(cJSON* node) const { cJSON_Delete(node); }
};
using JsonTree = std::unique_ptr<cJSON, CjsonDeleter>;

// nullptr when the text is not exactly one JSON value (surrounding
// whitespace allowed). Trailing bytes are refused: servers differ on whether
// they read or reject a second value, so the proxy must not guess.
inline JsonTree parse_json(std::string_view text) {
    if (text.empty()) return JsonTree{};
    const char* end = nullptr;
    JsonTree tree(cJSON_ParseWithLengthOpts(text.data(), text.size(), &end, false));
    if (!tree || end == nullptr) return JsonTree{};
    for (std::size_t rest = static_cast<std::size_t>(end - text.data()); rest < text.size(); ++rest) {
        char c = text[rest];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return JsonTree{};
    }
    return tree;
}

inline const cJSON* json_member(const cJSON* object, const char* name) {
    if (object == nullptr || !cJSON_IsObject(object)) return nullptr;
    return cJSON_GetObjectItemCaseSensitive(object, name);
}

inline std::optional<std::string> json_string(const cJSON* object, const char* name) {
    const cJSON* member = json_member(object, name);
    if (member == nullptr || !cJSON_IsString(member) || member->valuestring == nullptr) return std::nullopt;
    return std::string(member->valuestring);
}

inline bool json_is_true(const cJSON* object, const char* name) {
    return cJSON_IsTrue(json_member(object, name));
}

// Every member named `name`, in order. JSON allows duplicate keys and servers
// disagree on which one wins (the first, the last, or an error), so a key that
// changes the label must be judged over all of its occurrences.
// Keys are compared ignoring ASCII case, because some decoders do (Go's
// encoding/json matches "QUERY" to a field named Query).
inline std::vector<const cJSON*> json_members(const cJSON* object, const char* name) {
    auto same = [](std::string_view a, std::string_view b) {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i) {
            char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
            char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
            if (x != y) return false;
        }
        return true;
    };
    std::vector<const cJSON*> members;
    if (object == nullptr || !cJSON_IsObject(object)) return members;
    for (const cJSON* child = object->child; child != nullptr; child = child->next)
        if (child->string != nullptr && same(child->string, name)) members.push_back(child);
    return members;
}

// True when `name` occurs at least once and every occurrence satisfies `test`.
template <typename Test>
bool json_every_member(const cJSON* object, const char* name, Test test) {
    std::vector<const cJSON*> members = json_members(object, name);
    if (members.empty()) return false;
    for (const cJSON* member : members)
        if (!test(member)) return false;
    return true;
}

// A flag that makes a request harmless (a dry run) holds only when the
// server reads it set, whichever way its decoder matches keys: the key is
// present in its exact case (case-sensitive decoders: the Kubernetes
// apiserver's sigs.k8s.io/json, Jackson, protobuf JSON, drop "DryRun" as an
// unknown field), and every member named so in any case satisfies `test`
// (Go's encoding/json takes the last case-insensitive match).
template <typename Test>
bool json_flag_set_for_any_decoder(const cJSON* object, const char* name, Test test) {
    return json_member(object, name) != nullptr && json_every_member(object, name, test);
}

}  // namespace askfirst::classifiers
