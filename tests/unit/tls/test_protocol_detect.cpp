// Tests for tls/protocol_detect.h: each row is fed byte by byte, as the
// slowest guest would send it; every prefix before the deciding byte must
// say need_more, and every longer prefix the row's verdict.
#include <doctest.h>

#include <string>
#include <vector>

#include "tls/protocol_detect.h"

using namespace askfirst::tls;

namespace {

std::vector<std::uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

struct DetectionRow {
    const char* name;
    std::vector<std::uint8_t> stream;
    DetectedProtocol verdict;
    std::size_t deciding_length;  // the shortest prefix that gives the verdict
};

std::vector<DetectionRow> detection_rows() {
    const std::vector<std::uint8_t> client_hello = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03};
    const std::string preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    return {
        {"TLS ClientHello record is known at its sixth byte", client_hello, DetectedProtocol::tls_client_hello, 6},
        {"TLS record that is not a ClientHello is opaque", {0x16, 0x03, 0x03, 0x00, 0x10, 0x02, 0x00}, DetectedProtocol::opaque, 6},
        {"TLS alert record is opaque at its first byte", {0x15, 0x03, 0x03, 0x00, 0x02}, DetectedProtocol::opaque, 1},
        {"record version 3.9 is opaque", {0x16, 0x03, 0x09, 0x00, 0x10, 0x01}, DetectedProtocol::opaque, 3},
        {"GET request line with CRLF is http1", bytes_of("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), DetectedProtocol::http1, 4},
        {"POST with an absolute target is http1", bytes_of("POST http://a.example/x HTTP/1.0\r\n"), DetectedProtocol::http1, 5},
        {"HTTP/2 preface is prior knowledge", bytes_of(preface), DetectedProtocol::http2_prior_knowledge, 24},
        {"SSH banner is opaque, not a request line", bytes_of("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"), DetectedProtocol::opaque, 31},
        {"HTTP/3.0 version after a method is http1 (refused there)", bytes_of("GET / HTTP/3.0\r\n"), DetectedProtocol::http1, 4},
        {"HTTP/3.0 version after an unregistered method is opaque", bytes_of("FETCH / HTTP/3.0\r\n"), DetectedProtocol::opaque, 14},
        // What a lenient server (nginx) still acts on goes to the strict HTTP
        // session, which refuses the ambiguity with a 400, instead of an unread
        // splice that block-destructive passed as a "tcp" write.
        {"lower-case http version is http1 (refused there)", bytes_of("GET / http/1.1\r\n"), DetectedProtocol::http1, 4},
        {"bare LF after version is http1 (refused there)", bytes_of("DELETE /i HTTP/1.1\n"), DetectedProtocol::http1, 7},
        {"request line with two spaces is http1 (refused there)", bytes_of("GET  / HTTP/1.1\r\n"), DetectedProtocol::http1, 4},
        {"leading empty lines before a request are http1", bytes_of("\r\n\r\n\nDELETE /index HTTP/1.1\r\n"), DetectedProtocol::http1, 12},
        {"a tab after a registered method is http1", bytes_of("DELETE\t/x HTTP/1.1\r\n"), DetectedProtocol::http1, 7},
        {"obs-text in the target is http1", bytes_of("DELETE /\xc3\xadndex HTTP/1.1\r\n"), DetectedProtocol::http1, 7},
        {"an upper-case word that is no method (IRC) is opaque", bytes_of("NICK agent\r\n"), DetectedProtocol::opaque, 11},
        {"a lower-case method on a strict request line is http1", bytes_of("get / HTTP/1.1\r\n"), DetectedProtocol::http1, 16},
        {"binary first byte is opaque at once", {0x00, 0x01, 0x02}, DetectedProtocol::opaque, 1},
        {"postgres startup message is opaque", {0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f}, DetectedProtocol::opaque, 1},
    };
}

}  // namespace

TEST_CASE("detection decides at the deciding byte and never before, byte by byte") {
    for (const auto& row : detection_rows()) {
        const std::string name = row.name;
        CAPTURE(name);
        for (std::size_t length = 0; length <= row.stream.size(); ++length) {
            CAPTURE(length);
            const auto verdict = detect_protocol(std::span(row.stream).first(length));
            if (length < row.deciding_length) CHECK(verdict == DetectedProtocol::need_more);
            else CHECK(verdict == row.verdict);
        }
    }
}

TEST_CASE("an empty stream needs more bytes") {
    CHECK(detect_protocol({}) == DetectedProtocol::need_more);
}

TEST_CASE("a request line longer than the bound is opaque, not waited for forever") {
    std::string line = "FETCH /" + std::string(kMaxRequestLineBytes, 'a');
    const auto stream = bytes_of(line);
    CHECK(detect_protocol(std::span(stream).first(kMaxRequestLineBytes - 1)) == DetectedProtocol::need_more);
    CHECK(detect_protocol(stream) == DetectedProtocol::opaque);
    // Empty lines alone are bounded the same way.
    const auto empty_lines = bytes_of(std::string(kMaxRequestLineBytes, '\n'));
    CHECK(detect_protocol(std::span(empty_lines).first(kMaxRequestLineBytes - 1)) == DetectedProtocol::need_more);
    CHECK(detect_protocol(empty_lines) == DetectedProtocol::opaque);
    // After a registered method the HTTP session takes it: its own head bound refuses it.
    CHECK(detect_protocol(bytes_of("GET /" + std::string(kMaxRequestLineBytes, 'a'))) == DetectedProtocol::http1);
}

TEST_CASE("protocol names are distinct for the log") {
    CHECK(std::string(protocol_name(DetectedProtocol::tls_client_hello)) == "tls_client_hello");
    CHECK(std::string(protocol_name(DetectedProtocol::opaque)) == "opaque");
    CHECK(kServerSpeaksFirstTimeout.count() > 0);
}
