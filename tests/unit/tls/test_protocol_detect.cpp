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
        {"GET request line with CRLF is http1", bytes_of("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), DetectedProtocol::http1, 16},
        {"POST with an absolute target is http1", bytes_of("POST http://a.example/x HTTP/1.0\r\n"), DetectedProtocol::http1, 34},
        {"HTTP/2 preface is prior knowledge", bytes_of(preface), DetectedProtocol::http2_prior_knowledge, 24},
        {"SSH banner is opaque, not a request line", bytes_of("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"), DetectedProtocol::opaque, 31},
        {"HTTP/3.0 version is opaque", bytes_of("GET / HTTP/3.0\r\n"), DetectedProtocol::opaque, 12},
        {"lower-case http version is opaque", bytes_of("GET / http/1.1\r\n"), DetectedProtocol::opaque, 7},
        {"bare LF after version is opaque", bytes_of("GET / HTTP/1.1\n"), DetectedProtocol::opaque, 15},
        {"request line with two spaces is opaque", bytes_of("GET  / HTTP/1.1\r\n"), DetectedProtocol::opaque, 5},
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
    std::string line = "GET /" + std::string(kMaxRequestLineBytes, 'a');
    const auto stream = bytes_of(line);
    CHECK(detect_protocol(std::span(stream).first(kMaxRequestLineBytes - 1)) == DetectedProtocol::need_more);
    CHECK(detect_protocol(stream) == DetectedProtocol::opaque);
}

TEST_CASE("protocol names are distinct for the log") {
    CHECK(std::string(protocol_name(DetectedProtocol::tls_client_hello)) == "tls_client_hello");
    CHECK(std::string(protocol_name(DetectedProtocol::opaque)) == "opaque");
    CHECK(kServerSpeaksFirstTimeout.count() > 0);
}
