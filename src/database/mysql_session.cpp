// src/database/mysql_session.cpp — the MySQL/MariaDB session: the greeting's
// capabilities narrowed, authentication relayed, then commands framed and
// judged one at a time, responses counted (see the header for the rules).
#include "src/database/mysql_session.h"

#include <algorithm>

namespace askfirst::database {

namespace mysql {

namespace {

std::uint32_t little_endian(std::string_view bytes) {
    std::uint32_t value = 0;
    for (std::size_t i = bytes.size(); i > 0; --i) value = value << 8 | static_cast<std::uint8_t>(bytes[i - 1]);
    return value;
}

void append_little_endian(std::string& out, std::uint32_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

}  // namespace

Detection detect_greeting(std::string_view first_bytes) {
    if (first_bytes.size() < 5) return Detection::need_more;
    const std::uint32_t length = little_endian(first_bytes.substr(0, 3));
    // HandshakeV10: sequence 0, protocol version 10, then a NUL-terminated server version.
    if (first_bytes[3] != 0 || first_bytes[4] != 10 || length < 32 || length > 1024) return Detection::not_mysql;
    return Detection::mysql;
}

std::string error_packet(std::uint8_t sequence, std::uint16_t code, std::string_view sqlstate, std::string_view message) {
    std::string payload(1, '\xff');
    append_little_endian(payload, code, 2);
    payload += '#';
    payload += sqlstate.substr(0, 5);
    payload += message.substr(0, 4000);
    std::string packet;
    append_little_endian(packet, static_cast<std::uint32_t>(payload.size()), 3);
    packet.push_back(static_cast<char>(sequence));
    return packet + payload;
}

}  // namespace mysql

namespace {

using mysql::kMaxPayload;

// Commands relayed undecided (they read, or keep the connection's own state).
bool relayed_undecided(std::uint8_t command) {
    switch (command) {
    case 0x01:  // COM_QUIT
    case 0x02:  // COM_INIT_DB
    case 0x04:  // COM_FIELD_LIST
    case 0x09:  // COM_STATISTICS
    case 0x0e:  // COM_PING
    case 0x18:  // COM_STMT_SEND_LONG_DATA
    case 0x19:  // COM_STMT_CLOSE
    case 0x1a:  // COM_STMT_RESET
    case 0x1b:  // COM_SET_OPTION
    case 0x1f:  // COM_RESET_CONNECTION
        return true;
    default:
        return false;
    }
}

// Commands the server answers with nothing.
bool has_no_response(std::uint8_t command) { return command == 0x01 || command == 0x18 || command == 0x19; }

std::string failing_query_packet() {
    std::string payload = "\x03" + std::string(mysql::kFailingQuery);
    std::string packet;
    for (int i = 0; i < 3; ++i) packet.push_back(static_cast<char>((payload.size() >> (8 * i)) & 0xff));
    packet.push_back('\0');
    return packet + payload;
}

std::string ascii_lowered(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::uint32_t read_le(std::string_view bytes) {
    std::uint32_t value = 0;
    for (std::size_t i = bytes.size(); i > 0; --i) value = value << 8 | static_cast<std::uint8_t>(bytes[i - 1]);
    return value;
}

}  // namespace

MysqlSession::MysqlSession(MysqlSessionConfig config) : config_(config) {}

std::vector<SessionOutput> MysqlSession::take_outputs() {
    std::vector<SessionOutput> taken = std::move(outputs_);
    outputs_.clear();
    return taken;
}

bool MysqlSession::wants_guest_bytes() const {
    if (closed_) return false;
    return !holding_ || guest_in_.size() < kMaxHeldGuestBytes;
}

bool MysqlSession::read_packet(std::string_view input, Packet& packet) {
    if (input.size() < 4) return false;
    packet.length = read_le(input.substr(0, 3));
    packet.sequence = static_cast<std::uint8_t>(input[3]);
    if (input.size() < 4 + packet.length) return false;
    packet.wire_size = 4 + packet.length;
    packet.payload = input.substr(4, packet.length);
    return true;
}

// ---- guest side ----

void MysqlSession::on_guest_bytes(std::string_view bytes) {
    if (closed_) return;
    guest_in_.append(bytes);
    parse_guest();
}

void MysqlSession::on_guest_eof() {
    if (closed_) return;
    if (holding_) outputs_.push_back(CancelDecision{held_id_});
    outputs_.push_back(CloseFlow{"the guest closed its connection"});
    closed_ = true;
}

void MysqlSession::parse_guest() {
    std::size_t offset = 0;
    Packet packet;
    while (!closed_ && !holding_ && read_packet(std::string_view(guest_in_).substr(offset), packet)) {
        const std::string wire = guest_in_.substr(offset, packet.wire_size);
        offset += packet.wire_size;
        Packet own = packet;
        own.payload = std::string_view(wire).substr(4);
        on_guest_packet(own, wire);
        if (phase_ == Phase::tls_handshake_response && !guest_asked_tls_) {
            // The SSLRequest was just read: what follows it is the guest's ClientHello, not packets.
            guest_asked_tls_ = true;
            outputs_.push_back(StartGuestTls{guest_in_.substr(offset)});
            guest_in_.clear();
            return;
        }
    }
    guest_in_.erase(0, offset);
}

void MysqlSession::on_guest_packet(const Packet& packet, std::string_view wire) {
    switch (phase_) {
    case Phase::greeting:
        return close_flow("the client spoke before the server's greeting");
    case Phase::handshake_response:
    case Phase::tls_handshake_response:
        return on_handshake_response(packet, wire);
    case Phase::authenticating:
        // Authentication's own packets continue a sequence; one at 0 is a
        // command the server runs once authenticated (pipelined behind the
        // handshake or a COM_CHANGE_USER): judged like any other.
        if (packet.sequence == 0) return on_command(packet, wire);
        return emit_to_upstream(wire);
    case Phase::commands:
        if (packet.sequence != 0) {  // a command's continuation, or LOAD DATA LOCAL contents
            if (owed_.empty() || owed_.back().replacement.empty()) emit_to_upstream(wire);
            return;
        }
        return on_command(packet, wire);
    }
}

// HandshakeResponse41 (user and database read), or the SSLRequest before it.
void MysqlSession::on_handshake_response(const Packet& packet, std::string_view wire) {
    if (packet.payload.size() < mysql::kSslRequestLength) return close_flow("a handshake response too short to read");
    const std::uint32_t capabilities = read_le(packet.payload.substr(0, 4));
    if (capabilities & (mysql::kClientCompress | mysql::kClientZstdCompression | mysql::kClientQueryAttributes))
        return close_flow("the client asked for a capability askfirst removed from the greeting");
    const bool in_tls = phase_ == Phase::tls_handshake_response;
    if ((capabilities & mysql::kClientSsl) == 0 && in_tls)
        return close_flow("the client dropped CLIENT_SSL inside the TLS it asked for");
    if ((capabilities & mysql::kClientSsl) != 0 && !in_tls) {
        if (!server_offers_tls_) return close_flow("the client asked for TLS the server did not offer");
        if (packet.payload.size() != mysql::kSslRequestLength)
            return close_flow("the client set CLIENT_SSL but sent its credentials in plaintext");
        return on_ssl_request(wire);
    }
    const std::string_view rest = packet.payload.substr(mysql::kSslRequestLength);
    user_ = std::string(rest.substr(0, rest.find('\0')));
    // Through the guest's TLS (its ClientHello named the server): the upstream's TLS starts before this goes.
    if (in_tls) outputs_.push_back(StartUpstreamTls{});
    phase_ = Phase::authenticating;
    emit_to_upstream(wire);
}

// The server waits for a ClientHello after the SSLRequest; the guest sends
// one at once (parse_guest hands what follows to StartGuestTls).
void MysqlSession::on_ssl_request(std::string_view wire) {
    emit_to_upstream(wire);
    phase_ = Phase::tls_handshake_response;
}

void MysqlSession::on_command(const Packet& packet, std::string_view wire) {
    if (packet.payload.empty()) {  // the server runs it as COM_SLEEP and answers "Unknown command"
        owed_.push_back({});
        return emit_to_upstream(wire);
    }
    const auto command = static_cast<std::uint8_t>(packet.payload[0]);
    const bool whole = packet.length < kMaxPayload && packet.payload.size() <= config_.max_inspect_bytes;
    const std::string_view argument = packet.payload.substr(1, std::min(packet.payload.size(), config_.max_inspect_bytes));
    if (command == 0x02) database_ = std::string(argument);
    if (relayed_undecided(command)) {
        if (!has_no_response(command)) owed_.push_back({});
        if (command == 0x19) statements_.erase(packet.payload.size() >= 5 ? read_le(packet.payload.substr(1, 4)) : 0);
        return emit_to_upstream(wire);
    }
    if (command == 0x16) {  // COM_STMT_PREPARE: relayed; its text is remembered with the id the server gives
        owed_.push_back({"", true, whole ? std::string(argument) : std::string()});
        return emit_to_upstream(wire);
    }
    if (command == 0x11) {  // COM_CHANGE_USER: authentication again
        phase_ = Phase::authenticating;
        return emit_to_upstream(wire);
    }
    DatabaseStatement statement;
    statement.provider = "mysql";
    statement.database = database_;
    statement.user = user_;
    statement.complete = whole;
    statement.why_incomplete = whole ? "" : "a command longer than the inspection limit";
    if (command == 0x03) {
        statement.message = "COM_QUERY";
        statement.texts = {std::string(argument)};
        // SQL PREPARE ... FROM 'text' hides its statement in a string; its EXECUTE is judged the worst.
        const std::string lowered = ascii_lowered(argument);
        if (lowered.find("prepare") != std::string::npos) sql_prepare_seen_ = true;
        if (sql_prepare_seen_ && lowered.find("execute") != std::string::npos) {
            statement.complete = false;
            statement.why_incomplete = "an EXECUTE of a statement prepared by SQL PREPARE, which askfirst cannot follow";
        }
    } else if (command == 0x17 || command == 0xfa) {
        statement.message = command == 0x17 ? "COM_STMT_EXECUTE" : "COM_STMT_BULK_EXECUTE";
        const auto found = packet.payload.size() >= 5 ? statements_.find(read_le(packet.payload.substr(1, 4)))
                                                      : statements_.end();
        if (found == statements_.end() || found->second.empty()) {
            statement.complete = false;
            statement.why_incomplete = "an execute of a statement askfirst did not see prepared";
        } else {
            statement.texts = {found->second};
        }
    } else {
        statement.message = "command 0x" + std::string(1, "0123456789abcdef"[command >> 4]) +
                            std::string(1, "0123456789abcdef"[command & 15]);
        statement.complete = false;
        statement.why_incomplete = "a command askfirst does not read";
    }
    hold(wire, std::move(statement));
}

void MysqlSession::hold(std::string_view wire, DatabaseStatement statement) {
    holding_ = true;
    held_ = std::string(wire);
    held_id_ = next_id_++;
    outputs_.push_back(DecideStatement{held_id_, std::move(statement)});
}

void MysqlSession::on_verdict(RequestId id, const Verdict& verdict) {
    if (verdict.pass) pass(id);
    else refuse(id, verdict.reason, verdict.how_to_allow);
}

void MysqlSession::pass(RequestId id) {
    if (closed_ || !holding_ || id != held_id_) return;
    holding_ = false;
    owed_.push_back({});
    emit_to_upstream(held_);
    held_.clear();
    parse_guest();
}

void MysqlSession::refuse(RequestId id, std::string_view message, std::string_view hint) {
    if (closed_ || !holding_ || id != held_id_) return;
    holding_ = false;
    std::string text(message);
    if (!hint.empty()) text += " (" + std::string(hint) + ")";
    owed_.push_back({mysql::error_packet(1, mysql::kAccessDenied, "42000", text), false, {}});
    emit_to_upstream(failing_query_packet());
    held_.clear();
    parse_guest();
}

// ---- server side ----

void MysqlSession::on_upstream_bytes(std::string_view bytes) {
    if (closed_) return;
    upstream_in_.append(bytes);
    parse_upstream();
}

void MysqlSession::parse_upstream() {
    std::size_t offset = 0;
    Packet packet;
    while (!closed_ && read_packet(std::string_view(upstream_in_).substr(offset), packet)) {
        const std::string_view wire = std::string_view(upstream_in_).substr(offset, packet.wire_size);
        on_server_packet(packet, wire);
        offset += packet.wire_size;
    }
    upstream_in_.erase(0, offset);
}

void MysqlSession::on_server_packet(const Packet& packet, std::string_view wire) {
    const std::uint8_t first = packet.payload.empty() ? 0 : static_cast<std::uint8_t>(packet.payload[0]);
    switch (phase_) {
    case Phase::greeting: {
        // HandshakeV10: version string, thread id, 8 bytes of scramble, a filler, then the low capability bytes.
        std::string greeting(wire);
        const std::size_t version_end = greeting.find('\0', 5);
        const std::size_t low_caps = version_end == std::string::npos ? std::string::npos : version_end + 1 + 4 + 8 + 1;
        if (first != 10 || low_caps == std::string::npos || low_caps + 2 > greeting.size())
            return close_flow("a server greeting askfirst cannot read");
        greeting[low_caps] = static_cast<char>(greeting[low_caps] & ~(mysql::kClientCompress & 0xff));
        server_offers_tls_ = (static_cast<std::uint8_t>(greeting[low_caps + 1]) & (mysql::kClientSsl >> 8)) != 0;
        const std::size_t high_caps = low_caps + 2 + 1 + 2;  // after the character set and the status flags
        if (high_caps + 2 <= greeting.size()) {
            const std::uint32_t removed = (mysql::kClientZstdCompression | mysql::kClientQueryAttributes) >> 16;
            greeting[high_caps + 1] = static_cast<char>(greeting[high_caps + 1] & ~(removed >> 8));
        }
        phase_ = Phase::handshake_response;
        return emit_to_guest(greeting);
    }
    case Phase::handshake_response:
        return emit_to_guest(wire);
    case Phase::tls_handshake_response:  // the server must wait for TLS: bytes now would be read as if inside it
        return close_flow("the server sent bytes after the SSLRequest before TLS began");
    case Phase::authenticating:
        // OK: authenticated. ERR: a refused COM_CHANGE_USER keeps the
        // connection and its previous user (MariaDB, MySQL), so commands
        // follow; after a refused first login the server closes.
        if (first == 0x00 || first == 0xff) phase_ = Phase::commands;
        return emit_to_guest(wire);
    case Phase::commands:
        break;
    }
    // A response of 256 packets or more wraps its sequence id past 0, and the
    // 1 after it looks like the next response beginning: from then on which
    // answer belongs to which prepare is not known, so no statement id is
    // trusted with a text again (each execute is judged the worst it could be).
    if (packet.sequence == 0) {
        statement_ids_untrusted_ = true;
        statements_.clear();
    }
    if (packet.sequence == 1) {  // a response begins: the one owed first
        replacing_ = false;
        if (!owed_.empty()) {
            OwedResponse owed = std::move(owed_.front());
            owed_.pop_front();
            if (!owed.replacement.empty()) {
                emit_to_guest(owed.replacement);
                replacing_ = true;
                return;
            }
            if (owed.prepare && first == 0x00 && packet.payload.size() >= 5 && !statement_ids_untrusted_)
                statements_[read_le(packet.payload.substr(1, 4))] = owed.prepared_text;
        }
    }
    if (!replacing_) emit_to_guest(wire);
}

void MysqlSession::on_upstream_eof() {
    if (closed_) return;
    if (holding_) outputs_.push_back(CancelDecision{held_id_});
    outputs_.push_back(CloseFlow{"the server closed its connection"});
    closed_ = true;
}

void MysqlSession::on_upstream_failed(std::string_view reason) {
    if (closed_) return;
    close_flow("askfirst could not reach the MySQL server: " + std::string(reason));
}

// ---- outputs ----

void MysqlSession::emit_to_guest(std::string_view bytes) { append_send<SendToGuest>(outputs_, bytes); }

void MysqlSession::emit_to_upstream(std::string_view bytes) { append_send<SendToUpstream>(outputs_, bytes); }

void MysqlSession::close_flow(const std::string& reason) {
    // The sequence id the client expects next: after a command, after its handshake response (the
    // SSLRequest took one more), or before it.
    const std::uint8_t sequence = phase_ == Phase::commands ? 1 : guest_asked_tls_ ? 3 : 2;
    emit_to_guest(mysql::error_packet(sequence, 2013, "HY000", reason));
    if (holding_) outputs_.push_back(CancelDecision{held_id_});
    holding_ = false;
    outputs_.push_back(CloseFlow{reason});
    closed_ = true;
}

}  // namespace askfirst::database
