// tests/fuzz/fuzz_dns.cpp — libFuzzer target for the DNS codec
// (netstack/dns_message.h): any bytes a guest can send to the virtual
// nameserver. Checks, beyond "no crash, no overread": a query that parses
// yields a response that reads back (with the tests' independent reader)
// with the same id and question name, and that never exceeds the size the
// query allows.
#include <cstdint>
#include <cstdlib>

#include "netstack/dns_message.h"
#include "tests/unit/netstack/dns_test_messages.h"

using namespace askfirst::netstack;
using namespace askfirst::netstack::dns;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> message(data, size);
    const auto parsed = parse_query(message);
    if (!parsed.query) return 0;
    const DnsQuery& query = *parsed.query;
    std::vector<IpAddress> answers;
    for (std::uint8_t i = 0; i < 64; ++i) {
        answers.push_back(IpAddress::v4(192, 0, 2, i));
        auto v6 = *IpAddress::parse("2001:db8::");
        v6.bytes[15] = i;
        answers.push_back(v6);
    }
    const auto bytes = build_response(query, ResponseCode::no_error, answers, 60);
    if (bytes.size() > response_size_limit(query)) std::abort();
    const auto response = dns_test::read_response(bytes);
    if (!response || response->id != query.id || response->questions.size() != 1 ||
        response->questions[0].wire_name != query.question.wire_name)
        std::abort();
    return 0;
}
