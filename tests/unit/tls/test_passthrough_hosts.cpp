// Tests for tls/passthrough_hosts.h: the tls.passthrough pattern grammar.
#include <doctest.h>

#include "tls/passthrough_hosts.h"

using namespace askfirst::tls;

TEST_CASE("passthrough patterns match exact names and any depth below a wildcard") {
    auto hosts = PassthroughHosts::from_patterns({"*.pinned.example", "api.bank.example"});
    REQUIRE(hosts.ok());
    struct Row { const char* host; bool passes; };
    const Row rows[] = {
        {"a.pinned.example", true},
        {"a.b.pinned.example", true},
        {"A.PINNED.Example.", true},
        {"pinned.example", false},
        {"xpinned.example", false},
        {"api.bank.example", true},
        {"API.BANK.EXAMPLE", true},
        {"www.api.bank.example", false},
        {"bank.example", false},
        {"", false},
    };
    for (const auto& row : rows) {
        const std::string host = row.host;
        CAPTURE(host);
        CHECK(hosts.value().matches(row.host) == row.passes);
    }
}

TEST_CASE("bad passthrough patterns stop the profile with the pattern named") {
    for (const char* pattern : {"*", "*.com", "a*.example.com", "*.*.example.com", "bad host.example", "", ".example.com", "example..com"}) {
        const std::string text = pattern;
        CAPTURE(text);
        auto hosts = PassthroughHosts::from_patterns({pattern});
        CHECK_FALSE(hosts.ok());
        CHECK(hosts.error().find("\"" + text + "\"") != std::string::npos);
    }
}

TEST_CASE("hosts learned at run time are matched, once, and bounded") {
    auto hosts = PassthroughHosts::from_patterns({}).take();
    CHECK_FALSE(hosts.matches("pinned.example"));
    CHECK(hosts.add_exact_host("Pinned.Example"));
    CHECK(hosts.matches("pinned.example"));
    CHECK_FALSE(hosts.add_exact_host("pinned.example"));
    for (std::size_t i = 1; i < PassthroughHosts::kMaxLearnedHosts; ++i) CHECK(hosts.add_exact_host("h" + std::to_string(i) + ".example"));
    CHECK_FALSE(hosts.add_exact_host("one-too-many.example"));
    CHECK_FALSE(hosts.matches("one-too-many.example"));
}
