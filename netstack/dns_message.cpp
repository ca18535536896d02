// netstack/dns_message.cpp — the DNS codec (see dns_message.h for why it is
// hand-written). A MessageReader walks a message with every read checked
// against its end; names are decoded with compression pointers followed up
// to kMaxCompressionHops, their total wire length kept under 255.
#include "netstack/dns_message.h"

#include <algorithm>
#include <cctype>

namespace askfirst::netstack::dns {
namespace {

constexpr std::size_t kHeaderLength = 12;
constexpr std::uint16_t kFlagResponse = 0x8000;
constexpr std::uint16_t kFlagTruncated = 0x0200;
constexpr std::uint16_t kFlagRecursionDesired = 0x0100;
constexpr std::uint16_t kFlagRecursionAvailable = 0x0080;
constexpr std::uint16_t kFlagCheckingDisabled = 0x0010;
constexpr std::uint8_t kPointerTag = 0xC0;
// A record's fixed part after its name: type, class, TTL, RDLENGTH.
constexpr std::size_t kRecordFixedLength = 10;
// An OPT record: root name (1), type, class, TTL, RDLENGTH = 0.
constexpr std::size_t kOptRecordLength = 11;
// Compression pointer to the question name, which always starts at offset 12.
constexpr std::uint8_t kPointerToQuestion[2] = {0xC0, 0x0C};

class MessageReader {
public:
    explicit MessageReader(std::span<const std::uint8_t> message) : message_(message) {}

    bool read_u16(std::uint16_t& out) {
        if (remaining() < 2) return false;
        out = static_cast<std::uint16_t>(message_[offset_] << 8 | message_[offset_ + 1]);
        offset_ += 2;
        return true;
    }
    bool read_u32(std::uint32_t& out) {
        std::uint16_t high = 0, low = 0;
        if (!read_u16(high) || !read_u16(low)) return false;
        out = static_cast<std::uint32_t>(high) << 16 | low;
        return true;
    }
    bool read_bytes(std::size_t count, std::vector<std::uint8_t>& out) {
        if (remaining() < count) return false;
        out.assign(message_.begin() + static_cast<std::ptrdiff_t>(offset_),
                   message_.begin() + static_cast<std::ptrdiff_t>(offset_ + count));
        offset_ += count;
        return true;
    }
    bool skip(std::size_t count) {
        if (remaining() < count) return false;
        offset_ += count;
        return true;
    }
    // Reads a possibly compressed name; leaves the reader after its in-place part.
    bool read_name(DnsQuestion& out);
    std::size_t remaining() const { return message_.size() - offset_; }

private:
    std::span<const std::uint8_t> message_;
    std::size_t offset_ = 0;
};

bool is_hostname_byte(std::uint8_t byte) {
    return std::isalnum(byte) || byte == '-' || byte == '_';
}

bool MessageReader::read_name(DnsQuestion& out) {
    out.name.clear();
    out.wire_name.clear();
    out.name_is_hostname = true;
    std::size_t position = offset_;
    std::size_t resume_at = 0;  // where the reader continues once a pointer was taken
    int hops = 0;
    while (true) {
        if (position >= message_.size()) return false;
        const std::uint8_t length = message_[position];
        if ((length & kPointerTag) == kPointerTag) {
            if (position + 1 >= message_.size() || ++hops > kMaxCompressionHops) return false;
            if (resume_at == 0) resume_at = position + 2;
            position = static_cast<std::size_t>(length & 0x3F) << 8 | message_[position + 1];
            continue;
        }
        if ((length & kPointerTag) != 0) return false;  // 0x40/0x80: obsolete extended label types
        if (out.wire_name.size() + 1 + length > kMaxNameWireLength) return false;
        out.wire_name.push_back(length);
        if (length == 0) break;
        if (position + 1 + length > message_.size()) return false;
        if (!out.name.empty()) out.name.push_back('.');
        for (std::size_t i = 1; i <= length; ++i) {
            const std::uint8_t byte = message_[position + i];
            out.wire_name.push_back(byte);
            out.name.push_back(static_cast<char>(byte));
            if (!is_hostname_byte(byte)) out.name_is_hostname = false;
        }
        position += 1 + length;
    }
    offset_ = resume_at != 0 ? resume_at : position + 1;
    return true;
}

// Skips one resource record; reports its type and class (OPT carries the UDP size in the class).
bool skip_record(MessageReader& reader, std::uint16_t& type, std::uint16_t& klass, bool& root_name) {
    DnsQuestion name;
    std::uint32_t ttl = 0;
    std::uint16_t rdlength = 0;
    if (!reader.read_name(name) || !reader.read_u16(type) || !reader.read_u16(klass) || !reader.read_u32(ttl) ||
        !reader.read_u16(rdlength))
        return false;
    root_name = name.wire_name.size() == 1;
    return reader.skip(rdlength);
}

void append_u16(std::vector<std::uint8_t>& out, std::uint16_t value) {
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value));
}

void append_u32(std::vector<std::uint8_t>& out, std::uint32_t value) {
    append_u16(out, static_cast<std::uint16_t>(value >> 16));
    append_u16(out, static_cast<std::uint16_t>(value));
}

}  // namespace

const char* query_parse_error_name(QueryParseError error) {
    switch (error) {
        case QueryParseError::too_short: return "too-short";
        case QueryParseError::not_a_query: return "not-a-query";
        case QueryParseError::bad_question_count: return "bad-question-count";
        case QueryParseError::bad_name: return "bad-name";
        case QueryParseError::trailing_garbage: return "trailing-garbage";
    }
    return "unknown";
}

QueryParseResult parse_query(std::span<const std::uint8_t> message) {
    QueryParseResult result;
    MessageReader reader(message);
    std::uint16_t id = 0, flags = 0, counts[4] = {};
    if (message.size() > kMaxMessageLength || !reader.read_u16(id) || !reader.read_u16(flags)) return result;
    for (auto& count : counts)
        if (!reader.read_u16(count)) return result;
    if ((flags & kFlagResponse) != 0) return {std::nullopt, QueryParseError::not_a_query};
    if (counts[0] != 1) return {std::nullopt, QueryParseError::bad_question_count};
    DnsQuery query;
    query.id = id;
    query.opcode = static_cast<Opcode>((flags >> 11) & 0x0F);
    query.recursion_desired = (flags & kFlagRecursionDesired) != 0;
    query.checking_disabled = (flags & kFlagCheckingDisabled) != 0;
    if (!reader.read_name(query.question)) return {std::nullopt, QueryParseError::bad_name};
    if (!reader.read_u16(query.question.type) || !reader.read_u16(query.question.klass)) return result;
    const unsigned other_records = counts[1] + counts[2] + counts[3];
    for (unsigned i = 0; i < other_records; ++i) {
        std::uint16_t type = 0, klass = 0;
        bool root_name = false;
        if (!skip_record(reader, type, klass, root_name)) return result;
        const bool additional = i >= static_cast<unsigned>(counts[1] + counts[2]);
        if (additional && type == static_cast<std::uint16_t>(RecordType::opt) && root_name)
            query.edns_udp_size = klass;
    }
    if (reader.remaining() != 0) return {std::nullopt, QueryParseError::trailing_garbage};
    result.query = std::move(query);
    return result;
}

std::size_t response_size_limit(const DnsQuery& query) {
    if (!query.edns_udp_size) return kMaxUdpPayloadWithoutEdns;
    return std::clamp<std::size_t>(*query.edns_udp_size, kMaxUdpPayloadWithoutEdns, kOurEdnsUdpSize);
}

std::vector<std::uint8_t> build_response(const DnsQuery& query, ResponseCode code,
                                         std::span<const IpAddress> answers, std::uint32_t ttl_seconds) {
    const bool want_v4 = query.question.type == static_cast<std::uint16_t>(RecordType::a);
    const bool want_v6 = query.question.type == static_cast<std::uint16_t>(RecordType::aaaa);
    const std::size_t limit = response_size_limit(query) - (query.edns_udp_size ? kOptRecordLength : 0);
    std::vector<std::uint8_t> records;
    std::uint16_t answer_count = 0;
    bool truncated = false;
    const std::size_t fixed = kHeaderLength + query.question.wire_name.size() + 4;
    for (const auto& address : answers) {
        if ((address.is_v4() && !want_v4) || (!address.is_v4() && !want_v6)) continue;
        const std::size_t rdlength = address.is_v4() ? 4 : 16;
        if (fixed + records.size() + 2 + kRecordFixedLength + rdlength > limit) {
            truncated = true;
            break;
        }
        records.insert(records.end(), std::begin(kPointerToQuestion), std::end(kPointerToQuestion));
        append_u16(records, query.question.type);
        append_u16(records, kClassInternet);
        append_u32(records, ttl_seconds);
        append_u16(records, static_cast<std::uint16_t>(rdlength));
        records.insert(records.end(), address.bytes.begin(), address.bytes.begin() + static_cast<std::ptrdiff_t>(rdlength));
        ++answer_count;
    }
    std::uint16_t flags = kFlagResponse | kFlagRecursionAvailable;
    flags |= static_cast<std::uint16_t>((static_cast<unsigned>(query.opcode) & 0x0F) << 11);
    if (query.recursion_desired) flags |= kFlagRecursionDesired;
    if (query.checking_disabled) flags |= kFlagCheckingDisabled;
    if (truncated) flags |= kFlagTruncated;
    flags |= static_cast<std::uint16_t>(code) & 0x0F;
    std::vector<std::uint8_t> out;
    out.reserve(fixed + records.size() + kOptRecordLength);
    append_u16(out, query.id);
    append_u16(out, flags);
    for (const std::uint16_t count : {std::uint16_t{1}, answer_count, std::uint16_t{0},
                                      static_cast<std::uint16_t>(query.edns_udp_size ? 1 : 0)})
        append_u16(out, count);
    out.insert(out.end(), query.question.wire_name.begin(), query.question.wire_name.end());
    append_u16(out, query.question.type);
    append_u16(out, query.question.klass);
    out.insert(out.end(), records.begin(), records.end());
    if (query.edns_udp_size) {
        out.push_back(0);  // root name
        append_u16(out, static_cast<std::uint16_t>(RecordType::opt));
        append_u16(out, kOurEdnsUdpSize);
        append_u32(out, 0);  // extended RCODE 0, version 0, no DO
        append_u16(out, 0);  // no options
    }
    return out;
}

}  // namespace askfirst::netstack::dns
