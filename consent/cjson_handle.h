// consent/cjson_handle.h — RAII for cJSON values and their printed text: the
// one place askfirst's C++ code owns a cJSON tree (conventions.md: every C
// handle has one owner). Used by the control protocol, the consent service,
// the daemon's status view and the consent CLI.
#pragma once

#include <cjson/cJSON.h>

#include <memory>
#include <string>

namespace askfirst::consent {

struct JsonDeleter {
    void operator()(cJSON* json) const { cJSON_Delete(json); }
};
using JsonPtr = std::unique_ptr<cJSON, JsonDeleter>;

// The value as one line of JSON; "null" if cJSON cannot print it (out of memory).
inline std::string print_json(const cJSON* json) {
    std::unique_ptr<char, decltype(&cJSON_free)> text(cJSON_PrintUnformatted(json), cJSON_free);
    return text ? std::string(text.get()) : std::string("null");
}

}  // namespace askfirst::consent
