// tests/unit/netstack/dns_test_messages.h — hand-built DNS wire messages for
// the codec and responder tests (written byte by byte, independently of the
// codec under test, so a codec bug cannot cancel itself out), and a reader
// of the responses askfirst builds, independent of the codec for the same
// reason (askfirst itself never reads a DNS response: it only answers).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "netstack/ip_endpoint.h"

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

struct Question {
    std::string name;                    // dotted, no trailing dot
    std::vector<std::uint8_t> wire_name; // uncompressed labels as read
    unsigned type = 0;
    unsigned klass = 0;
};

struct Record {
    std::string name;
    unsigned type = 0;
    unsigned klass = 0;
    std::uint32_t ttl = 0;
    std::vector<std::uint8_t> rdata;
};

struct Response {
    unsigned id = 0;
    unsigned code = 0;  // RCODE, compare with askfirst::netstack::dns::ResponseCode
    bool truncated = false;
    bool recursion_available = false;
    std::vector<Question> questions;
    std::vector<Record> answers;  // authority and additional records are skipped
};

// Reads a response, or nullopt when it is not one or a read runs past its end.
class ResponseReader {
public:
    explicit ResponseReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

    std::optional<Response> read() {
        Response out;
        unsigned flags = 0, counts[4] = {};
        if (!u16(out.id) || !u16(flags) || !u16(counts[0]) || !u16(counts[1]) || !u16(counts[2]) || !u16(counts[3]))
            return std::nullopt;
        if ((flags & 0x8000) == 0) return std::nullopt;
        out.code = flags & 0x0F;
        out.truncated = (flags & 0x0200) != 0;
        out.recursion_available = (flags & 0x0080) != 0;
        for (unsigned i = 0; i < counts[0]; ++i) {
            Question question;
            if (!name(question.name, question.wire_name) || !u16(question.type) || !u16(question.klass))
                return std::nullopt;
            out.questions.push_back(std::move(question));
        }
        for (unsigned i = 0; i < counts[1] + counts[2] + counts[3]; ++i) {
            Record record;
            std::vector<std::uint8_t> wire;
            unsigned ttl_high = 0, ttl_low = 0, length = 0;
            if (!name(record.name, wire) || !u16(record.type) || !u16(record.klass) || !u16(ttl_high) ||
                !u16(ttl_low) || !u16(length) || offset_ + length > bytes_.size())
                return std::nullopt;
            record.ttl = static_cast<std::uint32_t>(ttl_high << 16 | ttl_low);
            record.rdata.assign(bytes_.begin() + static_cast<std::ptrdiff_t>(offset_),
                                bytes_.begin() + static_cast<std::ptrdiff_t>(offset_ + length));
            offset_ += length;
            if (i < counts[1]) out.answers.push_back(std::move(record));
        }
        return out;
    }

private:
    bool u16(unsigned& out) {
        if (offset_ + 2 > bytes_.size()) return false;
        out = static_cast<unsigned>(bytes_[offset_] << 8 | bytes_[offset_ + 1]);
        offset_ += 2;
        return true;
    }
    // A name, following compression pointers (at most 16 hops).
    bool name(std::string& dotted, std::vector<std::uint8_t>& wire) {
        std::size_t at = offset_, resume = 0;
        for (int hops = 0;;) {
            if (at >= bytes_.size()) return false;
            const unsigned length = bytes_[at];
            if ((length & 0xC0) == 0xC0) {
                if (at + 1 >= bytes_.size() || ++hops > 16) return false;
                if (resume == 0) resume = at + 2;
                at = (length & 0x3F) << 8 | bytes_[at + 1];
                continue;
            }
            wire.push_back(static_cast<std::uint8_t>(length));
            if (length == 0) break;
            if (length > 63 || at + 1 + length > bytes_.size()) return false;
            if (!dotted.empty()) dotted.push_back('.');
            for (std::size_t i = 1; i <= length; ++i) {
                wire.push_back(bytes_[at + i]);
                dotted.push_back(static_cast<char>(bytes_[at + i]));
            }
            at += 1 + length;
        }
        offset_ = resume != 0 ? resume : at + 1;
        return true;
    }

    std::span<const std::uint8_t> bytes_;
    std::size_t offset_ = 0;
};

inline std::optional<Response> read_response(std::span<const std::uint8_t> bytes) {
    return ResponseReader(bytes).read();
}

// The address an A or AAAA record holds; nullopt for other records.
inline std::optional<askfirst::netstack::IpAddress> record_address(const Record& record) {
    using askfirst::netstack::IpAddress;
    if (record.type == 1 && record.rdata.size() == 4) return IpAddress::from_v4_bytes(record.rdata.data());
    if (record.type == 28 && record.rdata.size() == 16) return IpAddress::from_v6_bytes(record.rdata.data());
    return std::nullopt;
}

// An RCODE as the reader gives it, for comparisons with the codec's enum.
template <typename Code>
unsigned rcode(Code code) {
    return static_cast<unsigned>(code);
}

}  // namespace dns_test
