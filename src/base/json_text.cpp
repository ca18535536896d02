// src/base/json_text.cpp — JSON string escaping with UTF-8 validation.
#include "src/base/json_text.h"

#include <cstdio>

namespace askfirst {

namespace {

// Length of the valid UTF-8 sequence starting at text[i], or 0 if invalid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char lead = byte(i);
    std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0;
    if (length == 0 || lead > 0xF4 || i + length > text.size()) return 0;
    for (std::size_t k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
    }
    unsigned char second = byte(i + 1);
    if (lead == 0xE0 && second < 0xA0) return 0;  // overlong
    if (lead == 0xED && second > 0x9F) return 0;  // surrogate
    if (lead == 0xF0 && second < 0x90) return 0;  // overlong
    if (lead == 0xF4 && second > 0x8F) return 0;  // above U+10FFFF
    return length;
}

void append_escaped_ascii(std::string& out, char c) {
    switch (c) {
        case '"': out += "\\\""; return;
        case '\\': out += "\\\\"; return;
        case '\n': out += "\\n"; return;
        case '\r': out += "\\r"; return;
        case '\t': out += "\\t"; return;
        default: break;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        char buffer[8];
        std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
        out += buffer;
        return;
    }
    out += c;
}

bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\' || c >= 0x7f; }

}  // namespace

std::string json_string(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    out += '"';
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t run = i;  // copy plain ASCII in one append (the common case)
        while (run < text.size() && !needs_escape(static_cast<unsigned char>(text[run]))) ++run;
        out.append(text.substr(i, run - i));
        i = run;
        if (i >= text.size()) break;
        if (static_cast<unsigned char>(text[i]) < 0x80) {
            append_escaped_ascii(out, text[i]);
            ++i;
            continue;
        }
        std::size_t length = utf8_sequence_length(text, i);
        if (length == 0) {
            out += "\\ufffd";
            ++i;
        } else {
            out.append(text.substr(i, length));
            i += length;
        }
    }
    out += '"';
    return out;
}

void JsonObjectText::key(std::string_view name) {
    if (text_.size() > 1) text_ += ',';
    text_ += json_string(name);
    text_ += ':';
}

JsonObjectText& JsonObjectText::add(std::string_view name, std::string_view value) {
    key(name);
    text_ += json_string(value);
    return *this;
}

JsonObjectText& JsonObjectText::add(std::string_view name, std::int64_t value) {
    key(name);
    text_ += std::to_string(value);
    return *this;
}

JsonObjectText& JsonObjectText::add(std::string_view name, bool value) {
    key(name);
    text_ += value ? "true" : "false";
    return *this;
}

JsonObjectText& JsonObjectText::add_raw(std::string_view name, std::string_view json) {
    key(name);
    text_ += json;
    return *this;
}

}  // namespace askfirst
