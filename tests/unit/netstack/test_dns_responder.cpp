// Unit tests for netstack/dns_responder.h: what the virtual nameserver
// answers, driven on a real libuv loop. Host lookups are injected as a table
// (no query ever leaves the machine), except one A lookup of "localhost",
// which the host's /etc/hosts answers.
#include <doctest.h>
#include <uv.h>

#include <map>
#include <optional>

#include "netstack/dns_message.h"
#include "netstack/dns_responder.h"
#include "tests/unit/netstack/dns_test_messages.h"

using namespace askfirst::netstack;
using namespace askfirst::netstack::dns;

namespace {

struct FakeHostAnswer {
    int status;
    std::vector<IpAddress> addresses;
};

struct ResponderRig {
    uv_loop_t loop{};
    std::map<std::string, FakeHostAnswer> host_answers;  // "name/4" or "name/6"
    std::vector<std::string> looked_up;
    std::vector<std::pair<std::string, IpAddress>> observed;
    std::optional<DnsResponder> responder;

    explicit ResponderRig(DnsResponder::HostsTable hosts, bool real_host_lookup = false) {
        uv_loop_init(&loop);
        DnsResponder::HostLookup fake = [this](const std::string& name, IpAddress::Family family,
                                               DnsResponder::LookupDone done) {
            const std::string key = name + (family == IpAddress::Family::v4 ? "/4" : "/6");
            looked_up.push_back(key);
            const auto found = host_answers.find(key);
            if (found == host_answers.end())
                done(UV_EAI_NONAME, {});
            else
                done(found->second.status, found->second.addresses);
        };
        responder.emplace(&loop, std::move(hosts), real_host_lookup ? DnsResponder::HostLookup{} : fake);
        responder->set_answer_observer([this](std::string_view name, const IpAddress& address) {
            observed.emplace_back(std::string(name), address);
        });
    }
    ~ResponderRig() {
        responder.reset();
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
    }

    // Sends one query and runs the loop until it is answered (or not).
    std::optional<dns_test::Response> ask(const dns_test::QuerySpec& spec, bool* delivered_synchronously = nullptr) {
        std::optional<std::vector<std::uint8_t>> reply;
        const bool accepted = responder->handle_query(dns_test::query(spec), [&](std::vector<std::uint8_t> bytes) {
            reply = std::move(bytes);
        });
        if (delivered_synchronously) *delivered_synchronously = reply.has_value();
        if (!accepted) return std::nullopt;
        uv_run(&loop, UV_RUN_DEFAULT);
        REQUIRE(reply);
        return dns_test::read_response(*reply);
    }
};

std::vector<IpAddress> addresses_of(const dns_test::Response& response) {
    std::vector<IpAddress> out;
    for (const auto& record : response.answers)
        if (auto address = dns_test::record_address(record)) out.push_back(*address);
    return out;
}

const IpAddress kWeb4 = IpAddress::v4(127, 0, 0, 1);
const IpAddress kWeb6 = *IpAddress::parse("::1");

}  // namespace

TEST_CASE("a dns.hosts name is answered from the table, case-insensitively, never from the host") {
    ResponderRig rig({{"web.test", {kWeb4, kWeb6}}});
    const auto a = rig.ask({.name = "WEB.test", .type = 1});
    REQUIRE(a);
    CHECK(a->code == dns_test::rcode(ResponseCode::no_error));
    CHECK(addresses_of(*a) == std::vector<IpAddress>{kWeb4});
    const auto aaaa = rig.ask({.name = "web.test", .type = 28});
    REQUIRE(aaaa);
    CHECK(addresses_of(*aaaa) == std::vector<IpAddress>{kWeb6});
    CHECK(rig.looked_up.empty());
}

TEST_CASE("a dns.hosts name without an address of the asked family gets NOERROR and no answer") {
    ResponderRig rig({{"v4only.test", {kWeb4}}});
    const auto aaaa = rig.ask({.name = "v4only.test", .type = 28});
    REQUIRE(aaaa);
    CHECK(aaaa->code == dns_test::rcode(ResponseCode::no_error));
    CHECK(aaaa->answers.empty());
    CHECK(rig.looked_up.empty());
}

TEST_CASE("other names are looked up on the host and its outcome passed through") {
    ResponderRig rig({});
    rig.host_answers["found.test/4"] = {0, {IpAddress::v4(192, 0, 2, 10), IpAddress::v4(192, 0, 2, 11)}};
    rig.host_answers["found.test/6"] = {UV_EAI_NODATA, {}};
    rig.host_answers["broken.test/4"] = {UV_EAI_AGAIN, {}};
    rig.host_answers["failing.test/4"] = {UV_EAI_FAIL, {}};

    const auto found = rig.ask({.name = "Found.Test", .type = 1});
    REQUIRE(found);
    CHECK(found->code == dns_test::rcode(ResponseCode::no_error));
    CHECK(addresses_of(*found).size() == 2);
    CHECK(found->answers.at(0).ttl == DnsResponder::kResolvedTtlSeconds);

    const auto nodata = rig.ask({.name = "found.test", .type = 28});
    CHECK(nodata->code == dns_test::rcode(ResponseCode::no_error));
    CHECK(nodata->answers.empty());
    CHECK(rig.ask({.name = "missing.test"})->code == dns_test::rcode(ResponseCode::name_error));
    CHECK(rig.ask({.name = "broken.test"})->code == dns_test::rcode(ResponseCode::server_failure));
    CHECK(rig.ask({.name = "failing.test"})->code == dns_test::rcode(ResponseCode::server_failure));
    CHECK(rig.looked_up == std::vector<std::string>{"found.test/4", "found.test/6", "missing.test/4",
                                                    "broken.test/4", "failing.test/4"});
}

TEST_CASE("query types other than A and AAAA get NOTIMP without a lookup") {
    ResponderRig rig({{"web.test", {kWeb4}}});
    for (const unsigned type : {15u, 16u, 33u, 65u, 12u, 255u}) {
        CAPTURE(type);
        const auto response = rig.ask({.name = "web.test", .type = type});
        REQUIRE(response);
        CHECK(response->code == dns_test::rcode(ResponseCode::not_implemented));
    }
    CHECK(rig.looked_up.empty());
}

TEST_CASE("a non-QUERY opcode and a non-IN class get NOTIMP") {
    ResponderRig rig({{"web.test", {kWeb4}}});
    CHECK(rig.ask({.flags = 0x2100, .name = "web.test"})->code == dns_test::rcode(ResponseCode::not_implemented));  // opcode 4, NOTIFY
    CHECK(rig.ask({.name = "web.test", .klass = 3})->code == dns_test::rcode(ResponseCode::not_implemented));        // CHAOS
}

TEST_CASE("names no resolver could look up are NXDOMAIN without a lookup") {
    ResponderRig rig({});
    CHECK(rig.ask({.name = "192.0.2.1"})->code == dns_test::rcode(ResponseCode::name_error));
    CHECK(rig.ask({.name = "a b.test"})->code == dns_test::rcode(ResponseCode::name_error));
    CHECK(rig.looked_up.empty());
}

TEST_CASE("a malformed query is dropped: handle_query says so and never replies") {
    ResponderRig rig({});
    bool replied = false;
    const std::uint8_t garbage[] = {0x12, 0x34, 0x81, 0x80, 0, 1};
    CHECK_FALSE(rig.responder->handle_query(garbage, [&](std::vector<std::uint8_t>) { replied = true; }));
    uv_run(&rig.loop, UV_RUN_DEFAULT);
    CHECK_FALSE(replied);
}

TEST_CASE("a reply is never delivered from inside handle_query") {
    ResponderRig rig({{"web.test", {kWeb4}}});
    rig.host_answers["sync.test/4"] = {0, {kWeb4}};  // the fake lookup answers synchronously
    bool synchronous = true;
    REQUIRE(rig.ask({.name = "web.test"}, &synchronous));
    CHECK_FALSE(synchronous);
    REQUIRE(rig.ask({.name = "sync.test"}, &synchronous));
    CHECK_FALSE(synchronous);
}

TEST_CASE("the answer observer learns name → address for table and host answers") {
    ResponderRig rig({{"web.test", {kWeb4}}});
    rig.host_answers["host.test/4"] = {0, {IpAddress::v4(192, 0, 2, 7)}};
    rig.ask({.name = "web.test"});
    rig.ask({.name = "HOST.test"});
    REQUIRE(rig.observed.size() == 2);
    CHECK(rig.observed[0] == std::make_pair(std::string("web.test"), kWeb4));
    CHECK(rig.observed[1] == std::make_pair(std::string("host.test"), IpAddress::v4(192, 0, 2, 7)));
}

TEST_CASE("lookups beyond the pending bound are dropped") {
    ResponderRig rig({});
    std::vector<DnsResponder::LookupDone> parked;
    rig.responder.emplace(&rig.loop, DnsResponder::HostsTable{},
                          [&](const std::string&, IpAddress::Family, DnsResponder::LookupDone done) {
                              parked.push_back(std::move(done));
                          });
    int replies = 0;
    for (std::size_t i = 0; i < DnsResponder::kMaxPendingLookups; ++i)
        CHECK(rig.responder->handle_query(dns_test::query({.name = "slow.test"}), [&](auto) { ++replies; }));
    CHECK_FALSE(rig.responder->handle_query(dns_test::query({.name = "slow.test"}), [&](auto) { ++replies; }));
    CHECK(rig.responder->pending_lookups() == DnsResponder::kMaxPendingLookups);
    for (auto& done : parked) done(0, {kWeb4});
    uv_run(&rig.loop, UV_RUN_DEFAULT);
    CHECK(replies == static_cast<int>(DnsResponder::kMaxPendingLookups));
    CHECK(rig.responder->pending_lookups() == 0);
}

TEST_CASE("a lookup finishing after the responder is destroyed is dropped quietly") {
    ResponderRig rig({});
    DnsResponder::LookupDone parked;
    rig.responder.emplace(&rig.loop, DnsResponder::HostsTable{},
                          [&](const std::string&, IpAddress::Family, DnsResponder::LookupDone done) {
                              parked = std::move(done);
                          });
    bool replied = false;
    REQUIRE(rig.responder->handle_query(dns_test::query({.name = "late.test"}), [&](auto) { replied = true; }));
    rig.responder.reset();
    parked(0, {kWeb4});
    uv_run(&rig.loop, UV_RUN_DEFAULT);
    CHECK_FALSE(replied);
}

TEST_CASE("the default host lookup resolves localhost from the host's /etc/hosts") {
    ResponderRig rig({}, /*real_host_lookup=*/true);
    const auto response = rig.ask({.name = "localhost", .type = 1});
    REQUIRE(response);
    CHECK(response->code == dns_test::rcode(ResponseCode::no_error));
    CHECK(addresses_of(*response) == std::vector<IpAddress>{kWeb4});
}
