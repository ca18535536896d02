// tls/client_hello.cpp — record reassembly and the ClientHello body walk
// (RFC 8446 §4.1.2 and §4.2, RFC 6066 §3 SNI, RFC 7301 ALPN). Every length
// is checked against what encloses it; anything left over is an error.
#include "tls/client_hello.h"
#include "tls/record_format.h"

#include "src/base/result.h"

#include <algorithm>
#include <string_view>

namespace askfirst::tls {
namespace {

constexpr std::size_t kHandshakeHeaderBytes = 4;
constexpr std::uint8_t kClientHelloType = 1;
constexpr std::uint16_t kExtServerName = 0, kExtAlpn = 16, kExtSupportedVersions = 43;
constexpr std::size_t kMaxHostNameBytes = 253;  // RFC 1035 §2.3.4, without the trailing dot

// A bounds-checked cursor over one length-delimited part of the message.
class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
    bool empty() const { return position_ == bytes_.size(); }
    std::size_t left() const { return bytes_.size() - position_; }
    bool read_u8(std::uint8_t& out) {
        if (left() < 1) return false;
        out = bytes_[position_++];
        return true;
    }
    bool read_u16(std::uint16_t& out) {
        if (left() < 2) return false;
        out = static_cast<std::uint16_t>(bytes_[position_] << 8 | bytes_[position_ + 1]);
        position_ += 2;
        return true;
    }
    bool read_bytes(std::size_t n, std::span<const std::uint8_t>& out) {
        if (left() < n) return false;
        out = bytes_.subspan(position_, n);
        position_ += n;
        return true;
    }
    // A vector<...> with a 1- or 2-byte length prefix.
    bool read_prefixed(std::size_t prefix_bytes, std::span<const std::uint8_t>& out) {
        std::size_t length = 0;
        if (prefix_bytes == 1) {
            std::uint8_t n = 0;
            if (!read_u8(n)) return false;
            length = n;
        } else {
            std::uint16_t n = 0;
            if (!read_u16(n)) return false;
            length = n;
        }
        return read_bytes(length, out);
    }

private:
    std::span<const std::uint8_t> bytes_;
    std::size_t position_ = 0;
};

ClientHelloParse invalid(std::string why) {
    ClientHelloParse parse;
    parse.status = ClientHelloStatus::invalid;
    parse.error = "malformed TLS ClientHello: " + std::move(why);
    return parse;
}

// RFC 952/1123 host names (letters, digits, hyphen, dot) plus '_' which real
// names carry (DKIM-style labels, some internal hosts); ':' for an IPv6
// literal some old clients send although RFC 6066 forbids it.
bool is_acceptable_host_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxHostNameBytes) return false;
    if (name.front() == '.' || name.back() == '.' || name.find("..") != std::string_view::npos) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == ':';
    });
}

std::string lower_case(std::span<const std::uint8_t> bytes) {
    std::string out(bytes.begin(), bytes.end());
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

Status parse_server_name(std::span<const std::uint8_t> body, ClientHello& hello) {
    Reader outer(body);
    std::span<const std::uint8_t> list;
    if (!outer.read_prefixed(2, list) || !outer.empty() || list.empty()) return Status::failure("bad server_name list length");
    Reader entries(list);
    while (!entries.empty()) {
        std::uint8_t name_type = 0;
        std::span<const std::uint8_t> name;
        if (!entries.read_u8(name_type) || !entries.read_prefixed(2, name)) return Status::failure("truncated server_name entry");
        if (name_type != 0) continue;  // RFC 6066: unknown name types are skipped
        if (!hello.server_name.empty()) return Status::failure("two host_name entries in server_name");
        hello.server_name = lower_case(name);
        if (!is_acceptable_host_name(hello.server_name)) return Status::failure("server_name is not a host name");
    }
    if (hello.server_name.empty()) return Status::failure("server_name without a host_name");
    return ok_status();
}

Status parse_alpn(std::span<const std::uint8_t> body, ClientHello& hello) {
    Reader outer(body);
    std::span<const std::uint8_t> list;
    if (!outer.read_prefixed(2, list) || !outer.empty() || list.empty()) return Status::failure("bad ALPN list length");
    Reader entries(list);
    while (!entries.empty()) {
        std::span<const std::uint8_t> protocol;
        if (!entries.read_prefixed(1, protocol) || protocol.empty()) return Status::failure("empty or truncated ALPN protocol");
        hello.alpn_protocols.emplace_back(protocol.begin(), protocol.end());
    }
    return ok_status();
}

Status parse_supported_versions(std::span<const std::uint8_t> body, ClientHello& hello) {
    Reader outer(body);
    std::span<const std::uint8_t> list;
    if (!outer.read_prefixed(1, list) || !outer.empty() || list.size() < 2 || list.size() % 2 != 0)
        return Status::failure("bad supported_versions length");
    Reader versions(list);
    std::uint16_t version = 0;
    while (versions.read_u16(version)) hello.supported_versions.push_back(version);
    return ok_status();
}

Status parse_extensions(std::span<const std::uint8_t> block, ClientHello& hello) {
    Reader extensions(block);
    std::vector<std::uint16_t> seen;
    while (!extensions.empty()) {
        std::uint16_t type = 0;
        std::span<const std::uint8_t> body;
        if (!extensions.read_u16(type) || !extensions.read_prefixed(2, body)) return Status::failure("truncated extension");
        // RFC 8446 §4.2: no extension type twice.
        if (std::find(seen.begin(), seen.end(), type) != seen.end()) return Status::failure("extension " + std::to_string(type) + " appears twice");
        seen.push_back(type);
        Status parsed = ok_status();
        if (type == kExtServerName) parsed = parse_server_name(body, hello);
        else if (type == kExtAlpn) parsed = parse_alpn(body, hello);
        else if (type == kExtSupportedVersions) parsed = parse_supported_versions(body, hello);
        if (!parsed) return parsed;
    }
    return ok_status();
}

Status parse_body(std::span<const std::uint8_t> body, ClientHello& hello) {
    Reader reader(body);
    std::span<const std::uint8_t> random, session_id, cipher_suites, compression, extensions;
    if (!reader.read_u16(hello.legacy_version) || !reader.read_bytes(32, random)) return Status::failure("truncated version or random");
    if ((hello.legacy_version >> 8) != 3) return Status::failure("legacy_version is not 3.x");
    if (!reader.read_prefixed(1, session_id) || session_id.size() > 32) return Status::failure("bad legacy_session_id");
    if (!reader.read_prefixed(2, cipher_suites) || cipher_suites.empty() || cipher_suites.size() % 2 != 0)
        return Status::failure("bad cipher_suites");
    if (!reader.read_prefixed(1, compression) || compression.empty()) return Status::failure("bad compression_methods");
    if (reader.empty()) return ok_status();  // TLS 1.2 allows a ClientHello without extensions
    if (!reader.read_prefixed(2, extensions) || !reader.empty()) return Status::failure("extensions length does not match the message");
    return parse_extensions(extensions, hello);
}

}  // namespace

bool ClientHello::offers_alpn(std::string_view protocol) const {
    return std::find(alpn_protocols.begin(), alpn_protocols.end(), protocol) != alpn_protocols.end();
}

std::vector<std::uint8_t> ClientHello::as_single_record() const {
    std::vector<std::uint8_t> record;
    record.reserve(kRecordHeaderBytes + handshake_message.size());
    record.push_back(kHandshakeRecordType);
    record.push_back(static_cast<std::uint8_t>(record_version >> 8));
    record.push_back(static_cast<std::uint8_t>(record_version));
    record.push_back(static_cast<std::uint8_t>(handshake_message.size() >> 8));
    record.push_back(static_cast<std::uint8_t>(handshake_message.size()));
    record.insert(record.end(), handshake_message.begin(), handshake_message.end());
    return record;
}

ClientHelloParse parse_client_hello(std::span<const std::uint8_t> stream) {
    ClientHelloParse parse;
    ClientHello& hello = parse.hello;
    std::size_t position = 0, message_length = 0;
    bool have_length = false;
    // Gather handshake fragments record by record until the message is whole.
    while (!have_length || hello.handshake_message.size() < kHandshakeHeaderBytes + message_length) {
        if (stream.size() - position < kRecordHeaderBytes) return parse;  // incomplete
        const auto header = stream.subspan(position, kRecordHeaderBytes);
        const std::uint16_t version = static_cast<std::uint16_t>(header[1] << 8 | header[2]);
        const std::size_t length = static_cast<std::size_t>(header[3] << 8 | header[4]);
        if (header[0] != kHandshakeRecordType) return invalid("record type " + std::to_string(header[0]) + " before the ClientHello ended");
        if (header[1] != 3 || header[2] > 4) return invalid("record version is not 3.x");
        if (length == 0 || length > kMaxRecordPlaintext) return invalid("record length " + std::to_string(length));
        if (hello.record_count == 0) hello.record_version = version;
        if (stream.size() - position - kRecordHeaderBytes < length) return parse;  // incomplete
        const auto fragment = stream.subspan(position + kRecordHeaderBytes, length);
        position += kRecordHeaderBytes + length;
        ++hello.record_count;
        hello.handshake_message.insert(hello.handshake_message.end(), fragment.begin(), fragment.end());
        if (!have_length && hello.handshake_message.size() >= kHandshakeHeaderBytes) {
            const auto& m = hello.handshake_message;
            if (m[0] != kClientHelloType) return invalid("first handshake message is type " + std::to_string(m[0]) + ", not ClientHello");
            message_length = static_cast<std::size_t>(m[1]) << 16 | static_cast<std::size_t>(m[2]) << 8 | m[3];
            if (message_length + kHandshakeHeaderBytes > kMaxClientHelloBytes)
                return invalid("ClientHello of " + std::to_string(message_length) + " bytes exceeds the 16 KiB limit");
            have_length = true;
        }
    }
    if (hello.handshake_message.size() != kHandshakeHeaderBytes + message_length)
        return invalid("another handshake message shares the ClientHello's record");
    const auto body = std::span<const std::uint8_t>(hello.handshake_message).subspan(kHandshakeHeaderBytes);
    if (Status parsed = parse_body(body, hello); !parsed) return invalid(parsed.error());
    hello.consumed_bytes = position;
    parse.status = ClientHelloStatus::complete;
    return parse;
}

}  // namespace askfirst::tls
