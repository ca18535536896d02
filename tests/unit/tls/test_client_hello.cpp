// Tests for tls/client_hello.h: complete, incomplete and invalid are three
// different answers, and the fields come out of every framing the same.
#include <doctest.h>

#include <algorithm>
#include <cstdio>

#include "tests/unit/tls/client_hello_builder.h"
#include "tls/client_hello.h"

using namespace askfirst::tls;
using namespace askfirst::tls::testing;

namespace {

HelloSpec typical_hello() {
    HelloSpec spec;
    spec.server_name = "API.Example.com";
    spec.alpn = {"h2", "http/1.1"};
    spec.versions = {0x0304, 0x0303};
    return spec;
}

}  // namespace

TEST_CASE("a ClientHello in one record gives SNI (lower-cased), ALPN and versions") {
    const auto stream = client_hello_records(typical_hello());
    const auto parse = parse_client_hello(stream);
    REQUIRE(parse.status == ClientHelloStatus::complete);
    CHECK(parse.hello.server_name == "api.example.com");
    CHECK(parse.hello.alpn_protocols == std::vector<std::string>{"h2", "http/1.1"});
    CHECK(parse.hello.supported_versions == std::vector<std::uint16_t>{0x0304, 0x0303});
    CHECK(parse.hello.legacy_version == 0x0303);
    CHECK(parse.hello.record_count == 1);
    CHECK(parse.hello.consumed_bytes == stream.size());
    CHECK(parse.hello.offers_alpn("http/1.1"));
    CHECK_FALSE(parse.hello.offers_alpn("h3"));
}

TEST_CASE("every proper prefix of a ClientHello is incomplete, never invalid") {
    const auto stream = client_hello_records(typical_hello(), 40);  // several records, too
    for (std::size_t length = 0; length < stream.size(); ++length) {
        CAPTURE(length);
        CHECK(parse_client_hello(std::span(stream).first(length)).status == ClientHelloStatus::incomplete);
    }
    CHECK(parse_client_hello(stream).status == ClientHelloStatus::complete);
}

TEST_CASE("a ClientHello split across records parses like one record, and re-frames into one") {
    const auto stream = client_hello_records(typical_hello(), 17);
    const auto split = parse_client_hello(stream);
    REQUIRE(split.status == ClientHelloStatus::complete);
    CHECK(split.hello.record_count > 3);
    CHECK(split.hello.server_name == "api.example.com");
    const auto single = split.hello.as_single_record();
    const auto reparsed = parse_client_hello(single);
    REQUIRE(reparsed.status == ClientHelloStatus::complete);
    CHECK(reparsed.hello.record_count == 1);
    CHECK(reparsed.hello.handshake_message == split.hello.handshake_message);
    CHECK(reparsed.hello.alpn_protocols == split.hello.alpn_protocols);
}

TEST_CASE("bytes after the ClientHello are not consumed") {
    auto stream = client_hello_records(typical_hello());
    const std::size_t hello_size = stream.size();
    stream.insert(stream.end(), {0x17, 0x03, 0x03, 0x00, 0x01, 0x00});
    const auto parse = parse_client_hello(stream);
    REQUIRE(parse.status == ClientHelloStatus::complete);
    CHECK(parse.hello.consumed_bytes == hello_size);
}

TEST_CASE("a ClientHello without SNI or without any extension is complete with empty fields") {
    HelloSpec no_sni;
    no_sni.alpn = {"http/1.1"};
    auto parse = parse_client_hello(client_hello_records(no_sni));
    REQUIRE(parse.status == ClientHelloStatus::complete);
    CHECK(parse.hello.server_name.empty());
    CHECK(parse.hello.alpn_protocols.size() == 1);

    HelloSpec bare;
    bare.with_extensions = false;
    parse = parse_client_hello(client_hello_records(bare));
    REQUIRE(parse.status == ClientHelloStatus::complete);
    CHECK(parse.hello.server_name.empty());
    CHECK(parse.hello.alpn_protocols.empty());
    CHECK(parse.hello.supported_versions.empty());
}

namespace {

struct InvalidRow {
    const char* name;
    Bytes stream;
};

Bytes with_byte(Bytes bytes, std::size_t at, std::uint8_t value) {
    bytes.at(at) = value;
    return bytes;
}

std::vector<InvalidRow> invalid_rows() {
    const auto good = client_hello_records(typical_hello());
    HelloSpec duplicated = typical_hello();
    duplicated.extra_extensions = {{16, {0x00, 0x03, 0x02, 'h', '2'}}};
    HelloSpec bad_sni = typical_hello();
    bad_sni.server_name = "bad name.example";
    HelloSpec trailing_dot = typical_hello();
    trailing_dot.server_name = "example.com.";
    HelloSpec empty_alpn;
    empty_alpn.extra_extensions = {{16, {0x00, 0x01, 0x00}}};
    HelloSpec bad_versions;
    bad_versions.extra_extensions = {{43, {0x03, 0x03, 0x04, 0x03}}};
    HelloSpec odd_suites;
    odd_suites.cipher_suite_bytes = 3;
    HelloSpec no_compression;
    no_compression.compression_methods = 0;
    HelloSpec long_session_id;
    long_session_id.session_id_length = 33;
    HelloSpec huge;
    huge.extra_extensions = {{21, Bytes(16400, 0)}};  // padding beyond the 16 KiB bound
    Bytes trailing_message = client_hello_message(typical_hello());
    trailing_message.push_back(0);  // one byte more than the extensions block says
    trailing_message[3] = static_cast<std::uint8_t>(trailing_message[3] + 1);
    Bytes two_messages = client_hello_message(typical_hello());
    const Bytes second = client_hello_message(typical_hello());
    two_messages.insert(two_messages.end(), second.begin(), second.end());
    return {
        {"application data record first", with_byte(good, 0, 23)},
        {"record version 4.x", with_byte(good, 1, 4)},
        {"zero-length record", {22, 3, 1, 0, 0}},
        {"record longer than 2^14", {22, 3, 1, 0x40, 0x01}},
        {"ServerHello instead of ClientHello", with_byte(good, 5, 2)},
        {"legacy_version 2.0", with_byte(good, 9, 2)},
        {"the same extension twice", client_hello_records(duplicated)},
        {"SNI with a space", client_hello_records(bad_sni)},
        {"SNI with a trailing dot", client_hello_records(trailing_dot)},
        {"an empty ALPN protocol", client_hello_records(empty_alpn)},
        {"supported_versions list length off by one", client_hello_records(bad_versions)},
        {"odd cipher_suites length", client_hello_records(odd_suites)},
        {"no compression method", client_hello_records(no_compression)},
        {"session id of 33 bytes", client_hello_records(long_session_id)},
        {"ClientHello over 16 KiB", client_hello_records(huge)},
        {"a byte after the extensions", as_records(trailing_message)},
        {"two handshake messages in the record", as_records(two_messages)},
    };
}

}  // namespace

TEST_CASE("malformed ClientHellos are invalid with a reason") {
    for (const auto& row : invalid_rows()) {
        const std::string name = row.name;
        CAPTURE(name);
        const auto parse = parse_client_hello(row.stream);
        CHECK(parse.status == ClientHelloStatus::invalid);
        CHECK(parse.error.find("malformed TLS ClientHello") == 0);
    }
}

TEST_CASE("every single-byte corruption of a ClientHello is answered without a crash, and some are caught") {
    const auto good = client_hello_records(typical_hello());
    std::size_t invalid = 0;
    for (std::size_t at = 0; at < good.size(); ++at) {
        for (std::uint8_t value : {std::uint8_t{0x00}, std::uint8_t{0xff}}) {
            const auto parse = parse_client_hello(with_byte(good, at, value));
            if (parse.status == ClientHelloStatus::invalid) ++invalid;
        }
    }
    CHECK(invalid > good.size() / 4);
}

namespace {

Bytes corpus_file(const std::string& name) {
    const std::string path = std::string(ASKFIRST_CLIENT_HELLO_CORPUS) + "/" + name;
    std::FILE* file = std::fopen(path.c_str(), "rb");
    REQUIRE_MESSAGE(file != nullptr, path);
    Bytes bytes;
    std::uint8_t chunk[4096];
    for (std::size_t n; (n = std::fread(chunk, 1, sizeof chunk, file)) > 0;) bytes.insert(bytes.end(), chunk, chunk + n);
    std::fclose(file);
    return bytes;
}

}  // namespace

TEST_CASE("ClientHellos captured from real clients (openssl, curl, python) parse with their SNI and ALPN") {
    struct Row { const char* file; const char* sni; bool offers_h2; };
    const Row rows[] = {
        {"openssl_sni_alpn_h2_http11", "api.example.com", true},
        {"openssl_no_sni", "", false},
        {"curl_sni", "curl.example.com", true},
        {"python_sni", "py.example.org", false},
        {"split_records_of_64", "api.example.com", true},
    };
    for (const auto& row : rows) {
        const std::string file = row.file;
        CAPTURE(file);
        const auto parse = parse_client_hello(corpus_file(row.file));
        REQUIRE(parse.status == ClientHelloStatus::complete);
        CHECK(parse.hello.server_name == row.sni);
        CHECK(parse.hello.offers_alpn("h2") == row.offers_h2);
        // All of them offer TLS 1.3 next to 1.2; askfirst answers with 1.2.
        CHECK(std::find(parse.hello.supported_versions.begin(), parse.hello.supported_versions.end(), 0x0304) !=
              parse.hello.supported_versions.end());
    }
    CHECK(parse_client_hello(corpus_file("truncated_hello")).status == ClientHelloStatus::incomplete);
}
