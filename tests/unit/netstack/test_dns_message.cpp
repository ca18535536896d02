// Unit tests for netstack/dns_message.h: query parsing (what is dropped and
// why), name compression and its bounds, and the responses we build.
#include <doctest.h>

#include "netstack/dns_message.h"
#include "tests/unit/netstack/dns_test_messages.h"

using namespace askfirst::netstack;
using namespace askfirst::netstack::dns;

namespace {

std::vector<std::uint8_t> header(unsigned id, unsigned flags, unsigned qd, unsigned an, unsigned ns, unsigned ar) {
    std::vector<std::uint8_t> out;
    for (unsigned value : {id, flags, qd, an, ns, ar}) dns_test::put16(out, value);
    return out;
}

void append(std::vector<std::uint8_t>& out, std::initializer_list<unsigned> bytes) {
    for (unsigned byte : bytes) out.push_back(static_cast<std::uint8_t>(byte));
}

}  // namespace

TEST_CASE("a plain A query is parsed with its id, flags and question") {
    const auto parsed = parse_query(dns_test::query({.id = 0xBEEF, .name = "Api.Example.Test"}));
    REQUIRE(parsed.query);
    CHECK(parsed.query->id == 0xBEEF);
    CHECK(parsed.query->recursion_desired);
    CHECK(parsed.query->question.name == "Api.Example.Test");
    CHECK(parsed.query->question.type == 1);
    CHECK(parsed.query->question.name_is_hostname);
    CHECK_FALSE(parsed.query->edns_udp_size);
}

TEST_CASE("an EDNS OPT record's UDP size is read") {
    const auto parsed = parse_query(dns_test::query({.edns_size = 4096}));
    REQUIRE(parsed.query);
    CHECK(parsed.query->edns_udp_size == 4096);
}

struct DroppedQuery {
    const char* name;
    std::vector<std::uint8_t> message;
    QueryParseError error;
};

TEST_CASE("malformed queries are refused with the reason") {
    auto with_question = [](std::vector<std::uint8_t> message, std::initializer_list<unsigned> name_bytes) {
        append(message, name_bytes);
        append(message, {0, 1, 0, 1});
        return message;
    };
    std::vector<std::uint8_t> long_name;
    for (int i = 0; i < 5; ++i) {
        long_name.push_back(63);
        long_name.insert(long_name.end(), 63, 'a');
    }
    long_name.push_back(0);
    auto too_long = header(1, 0, 1, 0, 0, 0);
    too_long.insert(too_long.end(), long_name.begin(), long_name.end());
    append(too_long, {0, 1, 0, 1});
    auto with_garbage = dns_test::query({});
    with_garbage.push_back(0);
    const auto whole_query = dns_test::query({});
    // Built by copying (not resize()): GCC 12's -Wstringop-overflow misfires on resize under ASan.
    const std::vector<std::uint8_t> truncated_question(whole_query.begin(), whole_query.end() - 2);

    const DroppedQuery rows[] = {
        {"shorter than a header", {0x12, 0x34, 0x01}, QueryParseError::too_short},
        {"a response (QR set)", dns_test::query({.flags = 0x8100}), QueryParseError::not_a_query},
        {"no question", header(1, 0, 0, 0, 0, 0), QueryParseError::bad_question_count},
        {"two questions", with_question(with_question(header(1, 0, 2, 0, 0, 0), {1, 'a', 0}), {1, 'b', 0}),
         QueryParseError::bad_question_count},
        {"compression pointer to itself", with_question(header(1, 0, 1, 0, 0, 0), {0xC0, 12}), QueryParseError::bad_name},
        {"compression pointer past the end", with_question(header(1, 0, 1, 0, 0, 0), {0xC1, 0}), QueryParseError::bad_name},
        {"label running past the end", with_question(header(1, 0, 1, 0, 0, 0), {40, 'a'}), QueryParseError::bad_name},
        {"extended label type 0x40", with_question(header(1, 0, 1, 0, 0, 0), {0x41, 'a', 0}), QueryParseError::bad_name},
        {"name over 255 octets", too_long, QueryParseError::bad_name},
        {"bytes after the last record", with_garbage, QueryParseError::trailing_garbage},
        {"question without its type and class", truncated_question, QueryParseError::too_short},
        {"an answer record count with no record", [] {
             auto m = dns_test::query({});
             m[7] = 1;
             return m;
         }(), QueryParseError::too_short},
    };
    for (const auto& row : rows) {
        CAPTURE(std::string(row.name));
        const auto parsed = parse_query(row.message);
        CHECK_FALSE(parsed.query);
        CHECK(std::string(query_parse_error_name(parsed.error)) == query_parse_error_name(row.error));
    }
}

TEST_CASE("a compressed question name is followed to its labels") {
    // Question name: label "www" then a pointer to "example.test" stored in
    // an additional record after the question (a forward pointer is legal).
    auto message = header(7, 0x0100, 1, 0, 0, 1);
    const std::size_t question_at = message.size();
    append(message, {3, 'w', 'w', 'w', 0xC0, 0});  // pointer patched below
    append(message, {0, 1, 0, 1});
    const std::size_t target = message.size();
    const auto tail = dns_test::wire_name("example.test");
    message.insert(message.end(), tail.begin(), tail.end());
    append(message, {0, 16, 0, 1, 0, 0, 0, 0, 0, 0});  // TXT, class IN, TTL 0, RDLENGTH 0
    message[question_at + 5] = static_cast<std::uint8_t>(target);
    const auto parsed = parse_query(message);
    REQUIRE_MESSAGE(parsed.query, query_parse_error_name(parsed.error));
    CHECK(parsed.query->question.name == "www.example.test");
    CHECK(parsed.query->question.wire_name == dns_test::wire_name("www.example.test"));
}

TEST_CASE("a label with a dot or a space is parsed but marked as not a host name") {
    const auto parsed = parse_query(dns_test::query({.name = "a b.test"}));
    REQUIRE(parsed.query);
    CHECK_FALSE(parsed.query->question.name_is_hostname);
}

TEST_CASE("an A response echoes the question as sent and carries the answers") {
    const auto query = *parse_query(dns_test::query({.id = 0x4242, .name = "MiXeD.test"})).query;
    const IpAddress answers[] = {IpAddress::v4(192, 0, 2, 1), *IpAddress::parse("2001:db8::1"),
                                 IpAddress::v4(192, 0, 2, 2)};
    const auto bytes = build_response(query, ResponseCode::no_error, answers, 60);
    const auto response = dns_test::read_response(bytes);
    REQUIRE(response);
    CHECK(response->id == 0x4242);
    CHECK(response->code == dns_test::rcode(ResponseCode::no_error));
    CHECK(response->recursion_available);
    CHECK_FALSE(response->truncated);
    REQUIRE(response->questions.size() == 1);
    CHECK(response->questions[0].name == "MiXeD.test");
    REQUIRE(response->answers.size() == 2);  // the IPv6 address does not answer an A question
    CHECK(response->answers[0].name == "MiXeD.test");
    CHECK(response->answers[0].ttl == 60);
    CHECK(dns_test::record_address(response->answers[0]) == IpAddress::v4(192, 0, 2, 1));
    CHECK(dns_test::record_address(response->answers[1]) == IpAddress::v4(192, 0, 2, 2));
    CHECK((bytes[2] & 0x01) == 0x01);  // RD copied
}

TEST_CASE("an AAAA response carries only IPv6 answers") {
    const auto query = *parse_query(dns_test::query({.type = 28})).query;
    const IpAddress answers[] = {IpAddress::v4(192, 0, 2, 1), *IpAddress::parse("::1")};
    const auto response = dns_test::read_response(build_response(query, ResponseCode::no_error, answers, 5));
    REQUIRE(response);
    REQUIRE(response->answers.size() == 1);
    CHECK(dns_test::record_address(response->answers[0]) == *IpAddress::parse("::1"));
}

TEST_CASE("NXDOMAIN, SERVFAIL and NOTIMP responses carry their code and no answer") {
    const auto query = *parse_query(dns_test::query({})).query;
    for (const auto code : {ResponseCode::name_error, ResponseCode::server_failure, ResponseCode::not_implemented}) {
        const auto response = dns_test::read_response(build_response(query, code, {}, 0));
        REQUIRE(response);
        CHECK(response->code == dns_test::rcode(code));
        CHECK(response->answers.empty());
        CHECK(response->questions.size() == 1);
    }
}

TEST_CASE("answers that do not fit 512 bytes are cut and TC is set") {
    const auto query = *parse_query(dns_test::query({.type = 28})).query;
    std::vector<IpAddress> many;
    for (int i = 0; i < 40; ++i) many.push_back(*IpAddress::parse("2001:db8::" + std::to_string(i + 1)));
    const auto bytes = build_response(query, ResponseCode::no_error, many, 5);
    CHECK(bytes.size() <= kMaxUdpPayloadWithoutEdns);
    const auto response = dns_test::read_response(bytes);
    REQUIRE(response);
    CHECK(response->truncated);
    CHECK(response->answers.size() < 40);
    CHECK(response->answers.size() >= 10);
}

TEST_CASE("with EDNS the response has an OPT record and may use up to 1232 bytes") {
    const auto query = *parse_query(dns_test::query({.type = 28, .edns_size = 4096})).query;
    CHECK(response_size_limit(query) == kOurEdnsUdpSize);
    std::vector<IpAddress> many;
    for (int i = 0; i < 40; ++i) many.push_back(*IpAddress::parse("2001:db8::" + std::to_string(i + 1)));
    const auto bytes = build_response(query, ResponseCode::no_error, many, 5);
    CHECK(bytes.size() > kMaxUdpPayloadWithoutEdns);
    CHECK(bytes.size() <= kOurEdnsUdpSize);
    CHECK(bytes[11] == 1);  // ARCOUNT: our OPT
    const auto response = dns_test::read_response(bytes);
    REQUIRE(response);
    CHECK_FALSE(response->truncated);
    CHECK(response->answers.size() == 40);
}

TEST_CASE("an EDNS size below 512 still allows 512") {
    const auto query = *parse_query(dns_test::query({.edns_size = 100})).query;
    CHECK(response_size_limit(query) == kMaxUdpPayloadWithoutEdns);
}
