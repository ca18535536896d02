// A ClientHello writer for the tls/ unit tests: builds well-formed messages
// from a few fields, and lets a test break one part at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace askfirst::tls::testing {

using Bytes = std::vector<std::uint8_t>;

struct HelloSpec {
    std::optional<std::string> server_name;
    std::vector<std::string> alpn;
    std::vector<std::uint16_t> versions;
    bool with_extensions = true;
    std::vector<std::pair<std::uint16_t, Bytes>> extra_extensions;  // appended raw
    std::size_t session_id_length = 32;
    std::size_t cipher_suite_bytes = 4;
    std::size_t compression_methods = 1;
};

inline void put_u16(Bytes& out, std::size_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}

inline Bytes extension(std::uint16_t type, const Bytes& body) {
    Bytes out;
    put_u16(out, type);
    put_u16(out, body.size());
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

inline Bytes server_name_extension(const std::string& name) {
    Bytes entry{0};
    put_u16(entry, name.size());
    entry.insert(entry.end(), name.begin(), name.end());
    Bytes body;
    put_u16(body, entry.size());
    body.insert(body.end(), entry.begin(), entry.end());
    return extension(0, body);
}

inline Bytes alpn_extension(const std::vector<std::string>& protocols) {
    Bytes list;
    for (const auto& p : protocols) {
        list.push_back(static_cast<std::uint8_t>(p.size()));
        list.insert(list.end(), p.begin(), p.end());
    }
    Bytes body;
    put_u16(body, list.size());
    body.insert(body.end(), list.begin(), list.end());
    return extension(16, body);
}

// The handshake message: type 1, 24-bit length, body.
inline Bytes client_hello_message(const HelloSpec& spec) {
    Bytes body{0x03, 0x03};
    body.insert(body.end(), 32, 0xab);  // random
    body.push_back(static_cast<std::uint8_t>(spec.session_id_length));
    body.insert(body.end(), spec.session_id_length, 0x11);
    put_u16(body, spec.cipher_suite_bytes);
    for (std::size_t i = 0; i < spec.cipher_suite_bytes; ++i) body.push_back(i % 2 == 0 ? 0xc0 : 0x2b);
    body.push_back(static_cast<std::uint8_t>(spec.compression_methods));
    body.insert(body.end(), spec.compression_methods, 0);
    if (spec.with_extensions) {
        Bytes extensions;
        if (spec.server_name) {
            const auto e = server_name_extension(*spec.server_name);
            extensions.insert(extensions.end(), e.begin(), e.end());
        }
        if (!spec.alpn.empty()) {
            const auto e = alpn_extension(spec.alpn);
            extensions.insert(extensions.end(), e.begin(), e.end());
        }
        if (!spec.versions.empty()) {
            Bytes list{static_cast<std::uint8_t>(spec.versions.size() * 2)};
            for (auto v : spec.versions) put_u16(list, v);
            const auto e = extension(43, list);
            extensions.insert(extensions.end(), e.begin(), e.end());
        }
        for (const auto& [type, raw] : spec.extra_extensions) {
            const auto e = extension(type, raw);
            extensions.insert(extensions.end(), e.begin(), e.end());
        }
        put_u16(body, extensions.size());
        body.insert(body.end(), extensions.begin(), extensions.end());
    }
    Bytes message{0x01, static_cast<std::uint8_t>(body.size() >> 16), static_cast<std::uint8_t>(body.size() >> 8),
                  static_cast<std::uint8_t>(body.size())};
    message.insert(message.end(), body.begin(), body.end());
    return message;
}

// The message cut into handshake records of at most `fragment` bytes.
inline Bytes as_records(const Bytes& message, std::size_t fragment = 16384, std::uint16_t version = 0x0301) {
    Bytes out;
    for (std::size_t at = 0; at < message.size(); at += fragment) {
        const std::size_t n = std::min(fragment, message.size() - at);
        out.push_back(22);
        put_u16(out, version);
        put_u16(out, n);
        out.insert(out.end(), message.begin() + static_cast<std::ptrdiff_t>(at), message.begin() + static_cast<std::ptrdiff_t>(at + n));
    }
    return out;
}

inline Bytes client_hello_records(const HelloSpec& spec, std::size_t fragment = 16384) {
    return as_records(client_hello_message(spec), fragment);
}

}  // namespace askfirst::tls::testing
