// tests/unit/netstack/dns_test_messages.h — hand-built DNS wire messages for
// the codec and responder tests (written byte by byte, independently of the
// codec under test, so a codec bug cannot cancel itself out).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dns_test {

inline void put16(std::vector<std::uint8_t>& out, unsigned value) {
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value));
}

// "a.b" → 1 'a' 1 'b' 0
inline std::vector<std::uint8_t> wire_name(std::string_view dotted) {
    std::vector<std::uint8_t> out;
    while (!dotted.empty()) {
        const auto dot = dotted.find('.');
        const auto label = dotted.substr(0, dot);
        out.push_back(static_cast<std::uint8_t>(label.size()));
        out.insert(out.end(), label.begin(), label.end());
        dotted = dot == std::string_view::npos ? std::string_view{} : dotted.substr(dot + 1);
    }
    out.push_back(0);
    return out;
}

struct QuerySpec {
    unsigned id = 0x1234;
    unsigned flags = 0x0100;  // RD
    std::string name = "example.test";
    unsigned type = 1;
    unsigned klass = 1;
    int edns_size = -1;       // >= 0: append an OPT record with this UDP size
};

inline std::vector<std::uint8_t> query(const QuerySpec& spec) {
    std::vector<std::uint8_t> out;
    put16(out, spec.id);
    put16(out, spec.flags);
    put16(out, 1);
    put16(out, 0);
    put16(out, 0);
    put16(out, spec.edns_size >= 0 ? 1 : 0);
    const auto name = wire_name(spec.name);
    out.insert(out.end(), name.begin(), name.end());
    put16(out, spec.type);
    put16(out, spec.klass);
    if (spec.edns_size >= 0) {
        out.push_back(0);
        put16(out, 41);
        put16(out, static_cast<unsigned>(spec.edns_size));
        put16(out, 0);
        put16(out, 0);
        put16(out, 0);
    }
    return out;
}

}  // namespace dns_test
