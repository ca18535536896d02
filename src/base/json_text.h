// src/base/json_text.h — writing one flat JSON object as text: the audit log's
// lines (consent/) and the bodies of the refusals askfirstd sends to the
// guest (src/http/). In src/base/, below both, so neither layer includes the
// other for it.
//
// Hand-written rather than cJSON because every string we write may carry
// bytes from the guest (paths, hosts): cJSON copies bytes >= 0x80 verbatim,
// so a path that is not UTF-8 would make an invalid JSON line. Here each
// string is escaped, and bytes that are not valid UTF-8 become U+FFFD.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace askfirst {

// `text` as a JSON string literal, quotes included.
std::string json_string(std::string_view text);

// {"a":"x","n":1}: keys in the order added; keys are our own constants.
class JsonObjectText {
public:
    JsonObjectText& add(std::string_view key, std::string_view value);
    JsonObjectText& add(std::string_view key, const char* value) { return add(key, std::string_view(value)); }
    JsonObjectText& add(std::string_view key, std::int64_t value);
    JsonObjectText& add(std::string_view key, bool value);
    // Inserts already-formed JSON (e.g. an array built by the caller).
    JsonObjectText& add_raw(std::string_view key, std::string_view json);
    std::string finish() const { return text_ + "}"; }

private:
    void key(std::string_view name);
    std::string text_ = "{";
};

}  // namespace askfirst
