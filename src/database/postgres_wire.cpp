// src/database/postgres_wire.cpp — PostgreSQL protocol 3.0 framing helpers
// (see the header for the source and why by hand).
#include "src/database/postgres_wire.h"

#include <algorithm>

namespace askfirst::database::pg {

std::uint32_t read_uint32(std::string_view four_bytes) {
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < 4; ++i) value = value << 8 | static_cast<std::uint8_t>(four_bytes[i]);
    return value;
}

void append_uint32(std::string& out, std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
}

StartupDetection detect_startup_packet(std::string_view first_bytes) {
    // The length is at most kMaxStartupPacketBytes (10000 = 0x00002710): bytes 0 and 1 are 0, byte 2 at most 0x27.
    for (std::size_t i = 0; i < std::min<std::size_t>(first_bytes.size(), 3); ++i)
        if (static_cast<std::uint8_t>(first_bytes[i]) > (i < 2 ? 0 : 0x27)) return StartupDetection::not_postgres;
    if (first_bytes.size() < 8) return StartupDetection::need_more;
    const std::uint32_t length = read_uint32(first_bytes);
    const std::uint32_t code = read_uint32(first_bytes.substr(4));
    if (length < 8 || length > kMaxStartupPacketBytes) return StartupDetection::not_postgres;
    const bool request = code == kSslRequestCode || code == kGssEncRequestCode || code == kCancelRequestCode;
    if (request) return length == (code == kCancelRequestCode ? 16u : 8u) ? StartupDetection::postgres
                                                                          : StartupDetection::not_postgres;
    // A StartupMessage: version 3.x, then NUL-terminated name/value pairs (at least "user").
    return code >> 16 == 3 && length > 8 ? StartupDetection::postgres : StartupDetection::not_postgres;
}

std::optional<std::string_view> read_cstring(std::string_view body, std::size_t& offset) {
    if (offset > body.size()) return std::nullopt;
    const std::size_t end = body.find('\0', offset);
    if (end == std::string_view::npos) return std::nullopt;
    std::string_view text = body.substr(offset, end - offset);
    offset = end + 1;
    return text;
}

std::string typed_message(char type, std::string_view body) {
    std::string out(1, type);
    append_uint32(out, static_cast<std::uint32_t>(body.size() + 4));
    out.append(body);
    return out;
}

namespace {

void append_field(std::string& body, char code, std::string_view value) {
    body.push_back(code);
    // A NUL inside a field would end it early on the client: cut there.
    body.append(value.substr(0, value.find('\0')));
    body.push_back('\0');
}

std::string notice_body(std::string_view severity, std::string_view sqlstate, std::string_view message,
                        std::string_view hint) {
    std::string body;
    append_field(body, 'S', severity);
    append_field(body, 'V', severity);  // the non-localized severity (protocol 3.0, PostgreSQL 9.6+)
    append_field(body, 'C', sqlstate);
    append_field(body, 'M', message);
    if (!hint.empty()) append_field(body, 'H', hint);
    body.push_back('\0');
    return body;
}

}  // namespace

std::string error_response(std::string_view sqlstate, std::string_view message, std::string_view hint) {
    return typed_message('E', notice_body("ERROR", sqlstate, message, hint));
}

std::string fatal_response(std::string_view sqlstate, std::string_view message) {
    return typed_message('E', notice_body("FATAL", sqlstate, message, ""));
}

}  // namespace askfirst::database::pg
