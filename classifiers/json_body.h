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

namespace askfirst::classifiers {

struct CjsonDeleter {
    void operator()(cJSON* node) const { cJSON_Delete(node); }
};
using JsonTree = std::unique_ptr<cJSON, CjsonDeleter>;

// nullptr when the text is not one JSON value.
inline JsonTree parse_json(std::string_view text) {
    if (text.empty()) return JsonTree{};
    return JsonTree(cJSON_ParseWithLength(text.data(), text.size()));
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

}  // namespace askfirst::classifiers
