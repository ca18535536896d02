// tests/unit/src/http/http_session_flow_test.cpp — the HTTP session's behaviour on
// well-formed traffic: holding until decided, byte-for-byte forwarding,
// pipelining with answers in order, 100-continue, chunked bodies, the
// inspection limit, upgrades, what upstream responses end where, and the
// caller-relayed response body (no copy through the outputs).
#include <doctest.h>

#include "tests/unit/src/session_playbook.h"

using namespace askfirst::http;
using namespace askfirst::http::testing;

namespace {

const std::string kGetRead = "GET /read HTTP/1.1\r\nHost: a.test\r\n\r\n";
const std::string kDeleteDeny = "DELETE /deny/db HTTP/1.1\r\nHost: a.test\r\nContent-Length: 5\r\n\r\nhello";
const std::string kGetRead2 = "GET /read/2 HTTP/1.1\r\nHost: a.test\r\n\r\n";
const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

}  // namespace

TEST_CASE("a request is held with its bytes until passed, then forwarded unchanged") {
    Playbook book({}, AutoAnswer::none);
    std::string raw = "PUT /write/x?a=1 HTTP/1.1\r\nHost: a.test\r\nContent-Length: 4\r\nX-Odd:   spaced  \r\n\r\nbody";
    book.guest(raw);
    REQUIRE(book.unanswered.size() == 1);
    CHECK(book.to_upstream().empty());
    const auto& request = book.decisions[0].request;
    CHECK(request.method == "PUT");
    CHECK(request.path == "/write/x");
    CHECK(request.query == "a=1");
    CHECK(request.headers.size() == 3);
    CHECK(request.headers[2].value == "spaced");
    CHECK_FALSE(request.body_complete);  // a body it has but was not asked to inspect
    book.pass(book.unanswered[0]);
    CHECK(book.to_upstream() == raw);
}

TEST_CASE("a late verdict (consent) still forwards every byte, and holding applies back-pressure") {
    Playbook book({}, AutoAnswer::none);
    std::string head = "POST /write HTTP/1.1\r\nHost: a.test\r\nContent-Length: " + std::to_string(2 * kMaxHeldGuestBytes) + "\r\n\r\n";
    book.guest(head);
    CHECK(book.session.wants_guest_bytes());
    std::string chunk(64 * 1024, 'x');
    std::size_t sent = 0;
    while (book.session.wants_guest_bytes() && sent < 2 * kMaxHeldGuestBytes) {
        book.guest(chunk);
        sent += chunk.size();
    }
    CHECK_FALSE(book.session.wants_guest_bytes());
    CHECK(sent < 2 * kMaxHeldGuestBytes);
    CHECK(book.to_upstream().empty());
    book.pass(book.unanswered.at(0));
    CHECK(book.session.wants_guest_bytes());
    CHECK(book.to_upstream().size() == head.size() + sent);
}

TEST_CASE("pipelined: request 2 refused waits for response 1; the connection stays usable") {
    for (bool bytewise : {false, true}) {
        CAPTURE(bytewise);
        Playbook book;
        std::string pipeline = kGetRead + kDeleteDeny + kGetRead2;
        if (bytewise) book.guest_bytewise(pipeline); else book.guest(pipeline);
        // Request 1 and 3 went upstream, request 2 (and its body) did not.
        CHECK(book.to_upstream() == kGetRead + kGetRead2);
        CHECK(book.to_guest().empty());  // the 403 waits for response 1
        REQUIRE(book.decisions.size() == 3);
        CHECK(book.decisions[1].request.method == "DELETE");
        if (bytewise) book.upstream_bytewise(kOk); else book.upstream(kOk);
        std::string guest = book.to_guest();
        CHECK(guest.rfind(kOk, 0) == 0);
        CHECK(status_of_response(guest, 1) == 403);
        CHECK(guest.find("Connection: close") == std::string::npos);
        book.upstream(kOk);
        CHECK(guest.size() < book.to_guest().size());
        CHECK(book.to_guest().substr(book.to_guest().size() - kOk.size()) == kOk);
        CHECK_FALSE(book.closed());
    }
}

TEST_CASE("byte-by-byte and in one piece give the same trace") {
    std::string pipeline = kGetRead +
        "POST /inspect/x HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=\"q\"\r\nwxyz\r\n0\r\nX-Trailer: t\r\n\r\n" +
        kDeleteDeny + kGetRead2;
    Playbook whole;
    whole.guest(pipeline);
    whole.upstream(kOk + kOk + kOk);
    Playbook bytewise;
    bytewise.guest_bytewise(pipeline);
    bytewise.upstream_bytewise(kOk + kOk + kOk);
    CHECK(whole.trace() == bytewise.trace());
    CHECK(whole.decisions.size() == 4);
}

TEST_CASE("requests are decided one at a time, in order") {
    Playbook book({}, AutoAnswer::none);
    book.guest(kGetRead + kGetRead2);
    REQUIRE(book.unanswered.size() == 1);  // request 2 is not even parsed yet
    CHECK(book.decisions[0].request.path == "/read");
    book.pass(book.unanswered[0]);
    REQUIRE(book.unanswered.size() == 2);
    CHECK(book.decisions[1].request.path == "/read/2");
    book.pass(book.unanswered[0]);  // a stale id is ignored
    CHECK(book.to_upstream() == kGetRead);
    book.refuse(book.unanswered[1]);
    book.upstream(kOk);
    CHECK(status_of_response(book.to_guest(), 1) == 403);
}

TEST_CASE("Expect: 100-continue: askfirstd answers 100, reads the body, then forwards once passed") {
    Playbook book({}, AutoAnswer::none);
    std::string head = "POST /inspect HTTP/1.1\r\nHost: a.test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";
    book.guest(head);
    CHECK(book.to_guest() == std::string(kContinueResponse));
    CHECK(book.unanswered.empty());  // the classifier needs the body: no decision yet
    book.guest("12345");
    REQUIRE(book.unanswered.size() == 1);
    CHECK(book.decisions[0].request.body == "12345");
    CHECK(book.to_upstream().empty());
    book.pass(book.unanswered[0]);
    CHECK(book.to_upstream() == head + "12345");
    book.upstream("HTTP/1.1 100 Continue\r\n\r\n" + kOk);
    CHECK(book.to_guest() == std::string(kContinueResponse) + kOk);  // the upstream's 100 is dropped
}

TEST_CASE("Expect: 100-continue refused: the body is still read and dropped, keep-alive preserved") {
    Playbook book;
    book.guest("POST /deny HTTP/1.1\r\nHost: a.test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    CHECK(status_of_response(book.to_guest()) == 100);
    CHECK(status_of_response(book.to_guest(), 1) == 403);
    book.guest("12345" + kGetRead);
    CHECK(book.to_upstream() == kGetRead);
}

TEST_CASE("chunked body with extensions and trailers: inspected de-chunked, forwarded as sent") {
    std::string raw = "POST /inspect HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "3;name=value\r\nabc\r\n2;flag\r\nde\r\n0\r\nX-Checksum: 1\r\nX-Other: 2\r\n\r\n";
    Playbook book;
    book.guest(raw);
    REQUIRE(book.decisions.size() == 1);
    CHECK(book.decisions[0].request.body == "abcde");
    CHECK(book.decisions[0].request.body_complete);
    CHECK(book.decisions[0].request.headers.size() == 2);  // trailers are not head headers
    CHECK(book.to_upstream() == raw);
}

TEST_CASE("a body over max_inspect_bytes is judged on its beginning, marked incomplete, forwarded whole") {
    Playbook book({.sni = "", .max_inspect_bytes = 10}, AutoAnswer::none);
    std::string raw = "POST /inspect HTTP/1.1\r\nHost: a.test\r\nContent-Length: 25\r\n\r\n0123456789abcdefghijklmno";
    book.guest(raw.substr(0, raw.size() - 10));
    REQUIRE(book.unanswered.size() == 1);
    CHECK(book.decisions[0].request.body == "0123456789");
    CHECK_FALSE(book.decisions[0].request.body_complete);
    book.pass(book.unanswered[0]);
    book.guest(raw.substr(raw.size() - 10));
    CHECK(book.to_upstream() == raw);
}

TEST_CASE("tiny chunks cannot make the inspection hold unbounded raw bytes") {
    Playbook book({.sni = "", .max_inspect_bytes = 1024}, AutoAnswer::none);
    book.guest("POST /inspect HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n");
    std::string tiny = "1;" + std::string(1000, 'e') + "\r\nx\r\n";
    int chunks = 0;
    for (; chunks < 1000 && book.unanswered.empty(); ++chunks) book.guest(tiny);
    REQUIRE(book.unanswered.size() == 1);
    CHECK_FALSE(book.decisions[0].request.body_complete);
    CHECK(book.decisions[0].request.body.size() < 1024);  // judged before the body limit was reached
    CHECK(chunks * tiny.size() <= 1024 * kInspectRawFactor + kMaxRequestHeadBytes + tiny.size());
}

TEST_CASE("Host must agree with the SNI: case and port do not matter") {
    Playbook book({.sni = "API.Example.com"});
    book.guest("GET /read HTTP/1.1\r\nHost: api.example.COM:443\r\n\r\n");
    REQUIRE(book.decisions.size() == 1);
    CHECK(book.decisions[0].request.host == "api.example.com");
    book.guest("GET /read HTTP/1.1\r\nHost: evil.example.com\r\n\r\n");
    book.upstream(kOk);
    CHECK(status_of_response(book.to_guest(), 1) == 421);
    CHECK(book.closed());
}

TEST_CASE("WebSocket upgrade: judged as its request, held frames relayed after 101, then opaque") {
    std::string upgrade = "GET /read/ws HTTP/1.1\r\nHost: a.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    Playbook book;
    book.guest(upgrade + "\x81\x05hello");
    CHECK(book.to_upstream() == upgrade);  // frames wait for the 101
    book.upstream("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x02hi");
    CHECK(book.session.opaque());
    CHECK(book.to_upstream() == upgrade + "\x81\x05hello");
    CHECK(book.to_guest().substr(book.to_guest().size() - 4) == "\x81\x02hi");
    book.guest("GET / HTTP/1.1\r\n\r\n not http any more");
    CHECK(book.to_upstream().substr(upgrade.size() + 7) == "GET / HTTP/1.1\r\n\r\n not http any more");
    book.guest_eof();
    book.upstream_eof();
    auto trace = book.trace();
    CHECK(trace.back() == "close");
}

TEST_CASE("WebSocket upgrade refused upstream (no 101): the connection stays HTTP") {
    std::string upgrade = "GET /read/ws HTTP/1.1\r\nHost: a.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
    Playbook book;
    book.guest(upgrade + kGetRead2);
    CHECK(book.to_upstream() == upgrade);
    book.upstream("HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n");
    CHECK_FALSE(book.session.opaque());
    CHECK(book.to_upstream() == upgrade + kGetRead2);
}

TEST_CASE("WebSocket upgrade refused by askfirstd: 403, and the next request is still HTTP") {
    std::string upgrade = "GET /deny/exec HTTP/1.1\r\nHost: a.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
    Playbook book;
    book.guest(upgrade + kGetRead2);
    CHECK(status_of_response(book.to_guest()) == 403);
    CHECK(book.to_upstream() == kGetRead2);
}

TEST_CASE("response framing: HEAD, 204, 304 and 1xx end at their head; close-delimited ends at EOF") {
    Playbook book;
    book.guest("HEAD /read HTTP/1.1\r\nHost: a.test\r\n\r\n" + kGetRead + kGetRead2 + kGetRead);
    std::string head_response = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
    std::string no_content = "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n";
    std::string early_hints = "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n";
    std::string not_modified = "HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n";
    std::string close_delimited = "HTTP/1.1 200 OK\r\n\r\nuntil the end";
    book.upstream(head_response + no_content + early_hints + not_modified + close_delimited);
    CHECK(book.to_guest() == head_response + no_content + early_hints + not_modified + close_delimited);
    CHECK_FALSE(book.closed());
    book.upstream_eof();
    CHECK(book.closed());
}

TEST_CASE("Connection: close on the request ends the flow after its answer") {
    Playbook book;
    book.guest("GET /read HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n" + kGetRead2);
    CHECK(book.decisions.size() == 1);  // nothing after it is read
    book.upstream(kOk);
    CHECK(book.to_guest() == kOk);
    CHECK(book.closed());
}

TEST_CASE("a refused Connection: close request gets a 403 that says Connection: close") {
    Playbook book;
    book.guest("DELETE /deny HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
    CHECK(status_of_response(book.to_guest()) == 403);
    CHECK(book.to_guest().find("Connection: close\r\n") != std::string::npos);
    CHECK(book.closed());
}

TEST_CASE("the guest leaving while a request is being decided cancels the question") {
    Playbook book({}, AutoAnswer::none);
    book.guest("POST /write HTTP/1.1\r\nHost: a.test\r\nContent-Length: 10\r\n\r\n12345");
    REQUIRE(book.unanswered.size() == 1);
    book.guest_eof();
    auto trace = book.trace();
    REQUIRE(trace.size() >= 2);
    CHECK(trace[trace.size() - 2] == "cancel 1");
    CHECK(trace.back() == "close");
    CHECK(book.to_upstream().empty());
}

TEST_CASE("guest half-close after a complete request: the answer still arrives, then the flow ends") {
    Playbook book;
    book.guest(kGetRead);
    book.guest_eof();
    CHECK_FALSE(book.closed());
    book.upstream(kOk);
    CHECK(book.to_guest() == kOk);
    CHECK(book.closed());
}

TEST_CASE("upstream certificate failure: a 502 whose JSON says why") {
    Playbook book({.sni = "a.test"});
    book.guest(kGetRead);
    book.upstream_failed("certificate for a.test is not trusted: expired");
    std::string guest = book.to_guest();
    CHECK(status_of_response(guest) == 502);
    CHECK(guest.find("askfirst_upstream_failed") != std::string::npos);
    CHECK(guest.find("expired") != std::string::npos);
    CHECK(book.closed());
}

TEST_CASE("upstream closing before it answers: 502") {
    Playbook book;
    book.guest(kGetRead);
    book.upstream_eof();
    CHECK(status_of_response(book.to_guest()) == 502);
    CHECK(book.closed());
}

TEST_CASE("bytes from the upstream that no request asked for end the flow") {
    Playbook book;
    book.upstream("HTTP/1.1 408 Request Timeout\r\n\r\n");
    CHECK(book.to_guest().empty());
    CHECK(book.closed());
}

TEST_CASE("an upstream response with Connection: close ends the flow after it") {
    Playbook book;
    book.guest(kGetRead + kGetRead2);
    book.upstream("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    CHECK(book.to_guest() == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    CHECK(book.closed());
}

TEST_CASE("a 101 to a request that asked for no upgrade is refused with a 502") {
    Playbook book;
    book.guest(kGetRead);
    book.upstream("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    CHECK_FALSE(book.session.opaque());
    CHECK(status_of_response(book.to_guest()) == 502);
    CHECK(book.closed());
}

TEST_CASE("HTTP/1.0 without keep-alive: one request, then the flow ends") {
    Playbook book;
    book.guest("GET /read HTTP/1.0\r\nHost: a.test\r\n\r\n" + kGetRead2);
    CHECK(book.decisions.size() == 1);
    book.upstream("HTTP/1.0 200 OK\r\n\r\nbody until close");
    book.upstream_eof();
    CHECK(book.to_guest() == "HTTP/1.0 200 OK\r\n\r\nbody until close");
    CHECK(book.closed());
}

TEST_CASE("a passed request's body streams upstream as it arrives") {
    Playbook book;
    book.guest("POST /write HTTP/1.1\r\nHost: a.test\r\nContent-Length: 6\r\n\r\nabc");
    CHECK(book.to_upstream().size() == std::string("POST /write HTTP/1.1\r\nHost: a.test\r\nContent-Length: 6\r\n\r\nabc").size());
    book.guest("def" + kGetRead2);
    CHECK(book.to_upstream().find("abcdef" + kGetRead2) != std::string::npos);
}

TEST_CASE("a refusal after upstream certificate failure: later passes get a 502 too") {
    Playbook book({.sni = "a.test", .max_inspect_bytes = kDefaultMaxInspectBytes}, AutoAnswer::none);
    book.upstream_failed("upstream certificate is not valid for a.test");
    book.guest(kGetRead);
    REQUIRE(book.unanswered.size() == 1);
    book.pass(book.unanswered[0]);
    CHECK(book.to_upstream().empty());
    CHECK(status_of_response(book.to_guest()) == 502);
    CHECK(book.closed());
}

TEST_CASE("fed in random-sized pieces, both ways, the session forwards and answers exactly as in one piece") {
    std::string guest;
    std::string upstream;
    const std::string bodies[] = {"", "x", "0123456789", std::string(3000, 'b')};
    for (int i = 0; i < 40; ++i) {
        const std::string& body = bodies[i % 4];
        switch (i % 5) {
            case 0: guest += "GET /read/" + std::to_string(i) + " HTTP/1.1\r\nHost: a.test\r\n\r\n"; break;
            case 1: guest += "POST /inspect/" + std::to_string(i) + " HTTP/1.1\r\nHost: a.test\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + body; break;
            case 2: guest += "DELETE /deny/" + std::to_string(i) + " HTTP/1.1\r\nHost: a.test\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + body; continue;  // refused: no upstream answer
            case 3: guest += "PUT /write/" + std::to_string(i) + " HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n" +
                             (body.empty() ? "" : "a;n=v\r\n" + std::string(10, 'c') + "\r\n") + "0\r\nX-T: 1\r\n\r\n"; break;
            case 4: guest += "HEAD /read/" + std::to_string(i) + " HTTP/1.1\r\nHost: a.test\r\n\r\n"; break;
        }
        if (i % 5 == 4) upstream += "HTTP/1.1 200 OK\r\nContent-Length: 77\r\n\r\n";
        else if (i % 3 == 0) upstream += "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
        else upstream += "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    }
    Playbook whole;
    whole.guest(guest);
    whole.upstream(upstream);
    CHECK(whole.decisions.size() == 40);
    CHECK_FALSE(whole.closed());

    unsigned seed = 12345;
    auto next_size = [&seed] {
        seed = seed * 1103515245u + 12345u;
        return 1 + (seed >> 16) % 700;
    };
    Playbook pieces;
    for (std::size_t at = 0; at < guest.size();) {
        std::size_t n = std::min<std::size_t>(next_size(), guest.size() - at);
        pieces.guest(std::string_view(guest).substr(at, n));
        at += n;
    }
    for (std::size_t at = 0; at < upstream.size();) {
        std::size_t n = std::min<std::size_t>(next_size(), upstream.size() - at);
        pieces.upstream(std::string_view(upstream).substr(at, n));
        at += n;
    }
    CHECK(pieces.to_upstream() == whole.to_upstream());
    CHECK(pieces.to_guest() == whole.to_guest());
    CHECK(pieces.decisions.size() == whole.decisions.size());
}

TEST_CASE("a response body left to the caller is the same guest byte stream, and only whole-body pieces skip the outputs") {
    const std::string body(200000, 'z');
    const std::string guest = kGetRead + kGetRead2;
    const std::string upstream = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body +
                                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    Playbook whole;
    whole.guest(guest);
    whole.upstream(upstream);
    REQUIRE(whole.to_guest() == upstream);

    struct Cut { const char* name; std::size_t piece; };
    for (const Cut cut : {Cut{"64 KiB reads", 65536}, Cut{"odd reads", 4999}, Cut{"one read", upstream.size()}}) {
        CAPTURE(cut.name);
        Playbook relaying;
        relaying.guest(guest);
        for (std::size_t at = 0; at < upstream.size(); at += cut.piece)
            relaying.upstream_relaying(std::string_view(upstream).substr(at, cut.piece));
        CHECK(relaying.to_guest() == whole.to_guest());
        CHECK(relaying.trace() == whole.trace());
        if (cut.piece == upstream.size()) {
            CHECK(relaying.relayed_by_caller == 0);  // the head was in it: the usual way
        } else {
            CHECK(relaying.relayed_by_caller > 0);
            CHECK(relaying.relayed_by_caller < body.size());  // the piece with the body's end took the usual way
        }
    }
}

TEST_CASE("nothing is left to the caller while an output waits or before the response head is out") {
    Playbook book;
    book.guest(kGetRead);
    // The head itself is never relayed by the caller.
    CHECK(book.session.on_upstream_bytes_relayed_by_caller("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n") == 0);
    // Its SendToGuest output is still waiting (not taken): the body must queue behind it.
    CHECK(book.session.on_upstream_bytes_relayed_by_caller("01234") == 0);
    const auto waiting = book.session.take_outputs();
    REQUIRE(waiting.size() == 1);
    CHECK(std::get<SendToGuest>(waiting[0]).bytes == "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234");
    CHECK(book.session.on_upstream_bytes_relayed_by_caller("567") == 3);  // body, nothing waiting
    CHECK(book.session.take_outputs().empty());
}

TEST_CASE("after an interim 1xx, the final response head is still collected and checked, also when the caller relays") {
    // A head longer than kMaxResponseHeadBytes is refused; left to the caller, it would reach the guest.
    const std::string upstream = "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nX-Big: " +
                                 std::string(kMaxResponseHeadBytes + 1024, 'a') + "\r\nContent-Length: 2\r\n\r\nok";
    Playbook whole;
    whole.guest(kGetRead);
    whole.upstream(upstream);
    REQUIRE(whole.closed());
    Playbook relaying;
    relaying.guest(kGetRead);
    for (std::size_t at = 0; at < upstream.size(); at += 65536)
        relaying.upstream_relaying(std::string_view(upstream).substr(at, 65536));
    CHECK(relaying.trace() == whole.trace());
    CHECK(relaying.relayed_by_caller == 0);
}

// Issue 14: a question names its target even when only the body holds it.
TEST_CASE("a write whose head names no target is decided with its body when it fits the inspection limit") {
    struct Row {
        const char* name;
        std::string request;
        std::size_t max_inspect_bytes;
        bool decided_on_head;
        std::string detail;
    };
    const Row rows[] = {
        {"destructive, body fits: read first", "DELETE /untargeted HTTP/1.1\r\nHost: a.test\r\nContent-Length: 6\r\n\r\norders",
         64, false, "DELETE /untargeted orders"},
        {"write, body fits: read first", "POST /untargeted HTTP/1.1\r\nHost: a.test\r\nContent-Length: 6\r\n\r\norders", 64,
         false, "POST /untargeted orders"},
        {"body longer than the limit: on its head", "POST /untargeted HTTP/1.1\r\nHost: a.test\r\nContent-Length: 6\r\n\r\norders",
         4, true, "POST /untargeted"},
        {"chunked (length unknown): on its head",
         "POST /untargeted HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n6\r\norders\r\n0\r\n\r\n", 64, true,
         "POST /untargeted"},
        {"the head names its target: on its head", "POST /write HTTP/1.1\r\nHost: a.test\r\nContent-Length: 6\r\n\r\norders",
         64, true, "POST /write target"},
        {"a read is never held for its body", "GET /untargeted HTTP/1.1\r\nHost: a.test\r\nContent-Length: 6\r\n\r\norders",
         64, true, "GET /untargeted"},
    };
    for (const auto& row : rows) {
        CAPTURE(row.name);
        Playbook book({.sni = "", .max_inspect_bytes = row.max_inspect_bytes}, AutoAnswer::none);
        const std::size_t end_of_head = row.request.find("\r\n\r\n") + 4;
        book.guest(row.request.substr(0, end_of_head));
        CHECK(book.decisions.size() == (row.decided_on_head ? 1u : 0u));
        book.guest(row.request.substr(end_of_head));
        REQUIRE(book.decisions.size() == 1);
        const auto& request = book.decisions[0].request;
        CHECK(askfirst::classifiers::classify(request).detail == row.detail);
        CHECK(request.body_complete == !row.decided_on_head);
        book.pass(book.unanswered[0]);
        CHECK(book.to_upstream() == row.request);
    }
}
