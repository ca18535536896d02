// netstack/dns_message.h — a sans-io DNS message codec (RFC 1035, 3596).
//
// The virtual nameserver (10.0.2.3 / fec0::3) answers the guest itself
// (netstack/dns_responder.h); this file only turns bytes into a DnsQuery and
// answers back into bytes. It never touches a socket.
//
// Written by hand although Debian ships resolver libraries: libresolv's
// ns_parse/res_mkquery build queries and parse *responses*, but offer no
// builder for a server's answer, and c-ares/ldns would add a dependency for
// ~300 lines. Every read is bounds-checked against the message; names follow
// compression pointers (RFC 1035 4.1.4) with a hop limit, so a loop or a
// pointer past the end is a parse failure, never a hang or an overread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "netstack/ip_endpoint.h"

namespace askfirst::netstack::dns {

// RFC 1035 4.2.1: a UDP DNS message without EDNS is at most 512 bytes.
inline constexpr std::size_t kMaxUdpPayloadWithoutEdns = 512;
// RFC 1035 2.3.4: a name is at most 255 octets on the wire, a label 63.
inline constexpr std::size_t kMaxNameWireLength = 255;
inline constexpr std::size_t kMaxLabelLength = 63;
// A legal name has at most 127 labels, so a chain of more compression
// pointers than that can only be a loop.
inline constexpr int kMaxCompressionHops = 127;
// RFC 1035 2.3.4: messages over TCP carry a 2-byte length; nothing is larger.
inline constexpr std::size_t kMaxMessageLength = 65535;
// The UDP payload size we advertise in our OPT record and never exceed: the
// 2020 DNS flag day value, which avoids IP fragmentation on common paths.
inline constexpr std::uint16_t kOurEdnsUdpSize = 1232;

enum class RecordType : std::uint16_t {
    a = 1, ns = 2, cname = 5, soa = 6, ptr = 12, mx = 15, txt = 16,
    aaaa = 28, srv = 33, opt = 41, svcb = 64, https = 65, any = 255,
};
inline constexpr std::uint16_t kClassInternet = 1;

enum class ResponseCode : std::uint8_t {
    no_error = 0, format_error = 1, server_failure = 2, name_error = 3,  // NXDOMAIN
    not_implemented = 4, refused = 5,
};

enum class Opcode : std::uint8_t { query = 0, inverse_query = 1, status = 2, notify = 4, update = 5 };

// The one question of a query, as the guest asked it.
struct DnsQuestion {
    std::string name;        // dotted, as sent (case kept), no trailing dot; "" is the root
    // The name as uncompressed wire labels, exactly as sent (echoed in the
    // answer byte for byte: resolvers using 0x20 case randomisation check it).
    std::vector<std::uint8_t> wire_name;
    // False when a label holds a byte a host name cannot ('.', space,
    // controls): `name` is then not a name any resolver could look up.
    bool name_is_hostname = true;
    std::uint16_t type = 0;  // RecordType value, or any other number
    std::uint16_t klass = kClassInternet;
};

struct DnsQuery {
    std::uint16_t id = 0;
    Opcode opcode = Opcode::query;
    bool recursion_desired = false;
    bool checking_disabled = false;
    DnsQuestion question;
    // EDNS(0) (RFC 6891): the OPT record's advertised UDP payload size, if any.
    std::optional<std::uint16_t> edns_udp_size;
};

enum class QueryParseError : std::uint8_t {
    too_short,        // shorter than a header, or a section runs past the end
    not_a_query,      // QR bit set: a response sent to the server
    bad_question_count,  // QDCOUNT != 1 (RFC 9619: exactly one question)
    bad_name,         // label too long, name too long, pointer loop or out of range, reserved label type
    trailing_garbage,  // bytes after the last record
};
const char* query_parse_error_name(QueryParseError error);

struct QueryParseResult {
    std::optional<DnsQuery> query;
    QueryParseError error = QueryParseError::too_short;  // meaningful when !query
};

// Parses a query as a server receives it. Answer/authority records in a
// query are skipped (bounds-checked); an OPT in the additional section is read.
QueryParseResult parse_query(std::span<const std::uint8_t> message);

// Builds a response to `query`: the question echoed, the given addresses as
// A/AAAA records (each must match the question type; others are skipped),
// RA set, AA clear (we are a forwarder), RD and CD copied. If the query had
// an OPT record, the response has one too (RFC 6891 7) advertising
// kOurEdnsUdpSize. The response never exceeds what the query allows (512, or
// its EDNS size, capped at kOurEdnsUdpSize): answers that would not fit are
// cut and TC is set, so the guest retries over TCP.
std::vector<std::uint8_t> build_response(const DnsQuery& query, ResponseCode code,
                                         std::span<const IpAddress> answers,
                                         std::uint32_t ttl_seconds);

// The largest response `query` accepts over UDP.
std::size_t response_size_limit(const DnsQuery& query);


}  // namespace askfirst::netstack::dns
