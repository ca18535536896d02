// tests/unit/src/git_push_refusal_test.cpp — a refused push is answered as a
// receive-pack report that rejects every ref (src/http/git_push_refusal.h): the
// command list is read from the pkt-lines git sends, and the answer decodes,
// pkt-line by pkt-line and band by band, to what git prints.
#include <doctest.h>

#include <cstdio>

#include "src/http/git_push_refusal.h"

using namespace askfirst::http;
using namespace std::string_literals;  // "...\0..."s keeps the NUL before the capabilities

namespace {

const std::string kOld(40, 'a');
const std::string kNew(40, 'b');

std::string pkt(const std::string& payload) {
    char length[5];
    std::snprintf(length, sizeof length, "%04zx", payload.size() + 4);
    return std::string(length, 4) + payload;
}

// Splits a pkt-line stream into payloads; "FLUSH" for 0000, "BAD" and stop on an error.
std::vector<std::string> pkt_payloads(std::string_view stream) {
    std::vector<std::string> out;
    while (!stream.empty()) {
        if (stream.size() < 4) return out.push_back("BAD"), out;
        const std::size_t length = std::stoul(std::string(stream.substr(0, 4)), nullptr, 16);
        if (length == 0) {
            out.emplace_back("FLUSH");
            stream.remove_prefix(4);
            continue;
        }
        if (length < 4 || length > stream.size()) return out.push_back("BAD"), out;
        out.emplace_back(stream.substr(4, length - 4));
        stream.remove_prefix(length);
    }
    return out;
}

}  // namespace

TEST_CASE("the command list of a push is read up to its flush-pkt") {
    struct Case { const char* name; std::string body; std::vector<std::string> refs; std::vector<std::string> caps; };
    const std::string pack = "PACK\x00\x00\x00\x02"s;
    const Case cases[] = {
        {"one ref with capabilities, then the pack",
         pkt(kOld + " " + kNew + " refs/heads/main\0report-status side-band-64k agent=git/2.39\n"s) + "0000" + pack,
         {"refs/heads/main"}, {"report-status", "side-band-64k", "agent=git/2.39"}},
        {"several refs, a deletion among them",
         pkt(kOld + " " + kNew + " refs/heads/a\0report-status-v2\n"s) + pkt(kOld + " " + std::string(40, '0') +
                                                                              " refs/tags/v1\n") + "0000",
         {"refs/heads/a", "refs/tags/v1"}, {"report-status-v2"}},
        {"shallow lines before the commands", pkt("shallow " + kOld + "\n") + pkt(kOld + " " + kNew + " refs/heads/x\0report-status"s) + "0000",
         {"refs/heads/x"}, {"report-status"}},
        {"cut before the flush-pkt", pkt(kOld + " " + kNew + " refs/heads/main\0report-status\n"s), {}, {}},
        {"a length longer than the body", "00ff" + kOld, {}, {}},
        {"not hex", "zzzz", {}, {}},
        {"a push certificate", pkt("push-cert\0report-status\n"s) + "0000", {}, {}},
        {"no command at all", "0000", {}, {}},
        {"empty", "", {}, {}},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.name));
        auto push = read_push_commands(c.body);
        if (c.refs.empty()) {
            CHECK_FALSE(push.has_value());
            continue;
        }
        REQUIRE(push.has_value());
        CHECK(push->refs == c.refs);
        CHECK(push->capabilities == c.caps);
    }
}

TEST_CASE("the rejection reports unpack ok and ng for each ref, in side-band when asked") {
    const std::string message = "askfirst refused git push (write, provider git, mode block-writes): no.";
    SUBCASE("without side-band: the report itself") {
        LocalResponse r = git_push_rejection(PushCommands{{"refs/heads/main", "refs/heads/dev"}, {"report-status"}},
                                             message);
        CHECK(r.status == 200);
        CHECK(r.content_type == "application/x-git-receive-pack-result");
        CHECK_FALSE(r.final_newline);
        CHECK(pkt_payloads(r.body) == std::vector<std::string>{"unpack ok\n", "ng refs/heads/main " + message + "\n",
                                                                "ng refs/heads/dev " + message + "\n", "FLUSH"});
    }
    SUBCASE("side-band-64k: the message on band 2, the report on band 1") {
        LocalResponse r = git_push_rejection(PushCommands{{"refs/heads/main"}, {"side-band-64k", "report-status"}},
                                             message);
        auto packets = pkt_payloads(r.body);
        REQUIRE(packets.size() == 3);
        CHECK(packets[0] == "\x02" + message + "\n");
        REQUIRE(packets[1].size() > 1);
        CHECK(packets[1][0] == '\x01');
        CHECK(pkt_payloads(packets[1].substr(1)) ==
              std::vector<std::string>{"unpack ok\n", "ng refs/heads/main " + message + "\n", "FLUSH"});
        CHECK(packets[2] == "FLUSH");
    }
    SUBCASE("a message with line breaks stays one report line") {
        LocalResponse r = git_push_rejection(PushCommands{{"refs/heads/main"}, {}}, "a\nb\r\n");
        CHECK(pkt_payloads(r.body)[1] == "ng refs/heads/main a b  \n");
    }
}
