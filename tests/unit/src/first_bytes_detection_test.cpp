// tests/unit/src/first_bytes_detection_test.cpp — the detector table
// (src/first_bytes_detection.h): each row is fed byte by byte, as the
// slowest guest would send it; every prefix before the deciding byte must
// say need_more, and every longer prefix the row's verdict (the name of the
// detector that matched, or "opaque").
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "src/database/resp_framing.h"
#include "src/first_bytes_detection.h"

using namespace askfirst;

namespace {

std::string verdict_of(std::span<const std::uint8_t> stream) {
    const Detection detection = detect_first_bytes(stream);
    switch (detection.outcome) {
    case Detection::Outcome::need_more: return "need_more";
    case Detection::Outcome::opaque: return "opaque";
    case Detection::Outcome::matched: return std::string(detection.detector->name);
    }
    return "?";
}

std::vector<std::uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

struct DetectionRow {
    const char* name;
    std::vector<std::uint8_t> stream;
    std::string verdict;
    std::size_t deciding_length;  // the shortest prefix that gives the verdict
};

std::vector<DetectionRow> detection_rows() {
    const std::vector<std::uint8_t> client_hello = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03};
    const std::string preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    return {
        {"TLS ClientHello record is known at its sixth byte", client_hello, "tls", 6},
        // A TLS record's first four bytes read as a MongoDB length that fits
        // (little-endian, under 48 MB): its 16th byte (no MongoDB opcode) decides.
        {"TLS record that is not a ClientHello is opaque",
         {0x16, 0x03, 0x03, 0x00, 0x10, 0x02, 0x00, 0x00, 0x0c, 0x03, 0x03, 0x5f, 0x1a, 0x2b, 0x3c, 0x4d}, "opaque", 16},
        {"TLS alert record is opaque at its sixteenth byte",
         {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28, 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28, 0x00, 0x00}, "opaque", 16},
        {"record version 3.9 is opaque at its fourth byte (no MongoDB length either)", {0x16, 0x03, 0x09, 0x03, 0x10, 0x01},
         "opaque", 4},
        {"GET request line with CRLF is http1", bytes_of("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), "http1", 16},
        {"POST with an absolute target is http1", bytes_of("POST http://a.example/x HTTP/1.0\r\n"), "http1", 34},
        {"HTTP/2 preface is prior knowledge", bytes_of(preface), "http2_prior_knowledge", 24},
        {"SSH banner is opaque, not a request line", bytes_of("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"), "opaque", 31},
        // What a lenient server (nginx) still acts on goes to the strict HTTP
        // session, which refuses the ambiguity with a 400, instead of an unread
        // splice that block-destructive passed as a "tcp" write.
        {"HTTP/3.0 after a method goes to the HTTP session", bytes_of("GET / HTTP/3.0\r\n"), "http1_lenient", 12},
        {"HTTP/3.0 after no registered method is opaque", bytes_of("FETCH / HTTP/3.0\r\n"), "opaque", 14},
        {"lower-case http version goes to the HTTP session", bytes_of("GET / http/1.1\r\n"), "http1_lenient", 7},
        {"bare LF after version goes to the HTTP session", bytes_of("DELETE /i HTTP/1.1\n"), "http1_lenient", 19},
        {"two spaces go to the HTTP session", bytes_of("GET  / HTTP/1.1\r\n"), "http1_lenient", 5},
        {"leading empty lines before a request go to the HTTP session",
         bytes_of("\r\n\r\n\nDELETE /index HTTP/1.1\r\n"), "http1_lenient", 12},
        {"a tab after a registered method goes to the HTTP session", bytes_of("DELETE\t/x HTTP/1.1\r\n"), "http1_lenient", 7},
        {"obs-text in the target goes to the HTTP session", bytes_of("DELETE /\xc3\xadndex HTTP/1.1\r\n"), "http1_lenient", 9},
        {"an upper-case word that is no method (IRC) is opaque", bytes_of("NICK agent\r\n"), "opaque", 11},
        {"a lower-case method on a strict request line is http1", bytes_of("get / HTTP/1.1\r\n"), "http1", 16},
        {"binary bytes no startup-packet or MongoDB length fits are opaque", {0x00, 0x01, 0x02, 0x03}, "opaque", 4},
        {"binary bytes are opaque once their MongoDB length does not fit", {0x01, 0x00, 0x02, 0x7f}, "opaque", 4},
        {"postgres SSLRequest is postgres at its eighth byte", {0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f},
         "postgres", 8},
        {"redis command array is redis at its bulk marker", bytes_of("*1\r\n$4\r\nPING\r\n"), "redis", 5},
        // What a Redis server executes, however it starts, is read as Redis:
        // each of these was an opaque "tcp" write that block-destructive passed.
        {"blank inline lines before a command array are redis", bytes_of("\r\n \t\r\n*1\r\n$8\r\nFLUSHALL\r\n"),
         "redis", 11},
        {"empty arrays before a command array are redis", bytes_of("*0\r\n*-1\r\n*1\r\n$8\r\nFLUSHALL\r\n"), "redis", 14},
        {"any byte after a count's CR (the server skips it) is redis", bytes_of("*1\rX$8\r\nFLUSHALL\r\n"), "redis", 5},
        {"an inline command is redis at the end of its first word", bytes_of("FLUSHALL\r\n"), "redis_inline", 9},
        {"an inline command in lower case after blank lines is redis", bytes_of("\n\nflushdb async\n"), "redis_inline", 10},
        {"a quote in an inline command's first word is redis", bytes_of("FLUSH\"ALL\"\r\n"), "redis_inline", 6},
        {"a Redis command that is also a method stays HTTP's", bytes_of("UNLINK /x HTTP/1.1\r\n"), "http1", 20},
        {"an inline GET goes to the HTTP session that refuses it", bytes_of("GET key\r\n"), "http1_lenient", 8},
        // A limit: a first line Redis refuses, then a command, is still opaque
        // (only a profile `databases` entry makes such an endpoint read).
        {"a first word no Redis command starts with is opaque", bytes_of("zzz\r\nFLUSHALL\r\n"), "opaque", 4},
        // pymongo's hello: length 0x3c, requestID 7, responseTo 0, opcode 2013, flags 0, section kind 0
        {"mongodb OP_MSG is mongodb at its first section kind",
         {0x3c, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0xdd, 0x07, 0, 0, 0, 0, 0, 0, 0x00, 0x27, 0, 0, 0}, "mongodb", 21},
        {"mongodb OP_QUERY on admin.$cmd is mongodb at its opcode",
         {0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0xd4, 0x07, 0, 0, 0, 0, 0, 0, 'a', 'd', 'm', 'i', 'n', '.', '$', 'c', 'm',
          'd', 0x00, 0, 0, 0, 0},
         "mongodb", 16},
        {"OP_REPLY, a server's opcode, is no client's first message",
         {0x3c, 0, 0, 0, 7, 0, 0, 0, 9, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x00}, "opaque", 16},
    };
}

}  // namespace

TEST_CASE("detection decides at the deciding byte and never before, byte by byte") {
    for (const auto& row : detection_rows()) {
        const std::string name = row.name;
        CAPTURE(name);
        for (std::size_t length = 0; length <= row.stream.size(); ++length) {
            CAPTURE(length);
            const auto verdict = verdict_of(std::span(row.stream).first(length));
            if (length < row.deciding_length) CHECK(verdict == "need_more");
            else CHECK(verdict == row.verdict);
        }
    }
}

TEST_CASE("an empty stream needs more bytes") {
    CHECK(verdict_of({}) == "need_more");
}

TEST_CASE("a request line longer than the bound is opaque, not waited for forever") {
    std::string line = "FETCH /" + std::string(tls::kMaxRequestLineBytes, 'a');
    const auto stream = bytes_of(line);
    CHECK(verdict_of(std::span(stream).first(tls::kMaxRequestLineBytes - 1)) == "need_more");
    CHECK(verdict_of(stream) == "opaque");
    // Empty lines alone are bounded too: past the bound they are Redis's
    // (the server skips them all, a command may follow them unread otherwise).
    const auto empty_lines = bytes_of(std::string(database::resp::kMaxEmptyCommandBytes + 1, '\n'));
    CHECK(verdict_of(std::span(empty_lines).first(database::resp::kMaxEmptyCommandBytes)) == "need_more");
    CHECK(verdict_of(empty_lines) == "redis");
    // After a registered method the HTTP session takes it: its own head bound refuses it.
    CHECK(verdict_of(bytes_of("GET /" + std::string(tls::kMaxRequestLineBytes, 'a'))) == "http1_lenient");
}

TEST_CASE("every detector row has a name of its own and a way to recognise its protocol") {
    std::vector<std::string> names;
    for (const auto& detector : first_bytes_detectors()) {
        CHECK_FALSE(detector.name.empty());
        CHECK(static_cast<bool>(detector.fits));
        for (const auto& seen : names) CHECK(seen != detector.name);
        names.emplace_back(detector.name);
    }
    CHECK(tls::kServerSpeaksFirstTimeout.count() > 0);
}

TEST_CASE("a matched plaintext protocol brings its session; TLS brings the session for its plaintext") {
    const std::string get = "GET / HTTP/1.1\r\n";
    const Detection http1 = detect_first_bytes(std::span(reinterpret_cast<const std::uint8_t*>(get.data()), get.size()));
    REQUIRE(http1.outcome == Detection::Outcome::matched);
    REQUIRE(static_cast<bool>(http1.detector->make_session));
    CHECK(http1.detector->make_session(SessionContext{"", 1024}) != nullptr);
    CHECK(session_inside_tls(SessionContext{"a.test", 1024}) != nullptr);
}
