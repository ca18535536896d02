// src/database/postgres_session.cpp — the PostgreSQL session: the guest's
// messages framed and judged, the server's relayed with refused errors
// replaced (see the header for the rules).
#include "src/database/postgres_session.h"

#include <algorithm>

#include "src/database/postgres_wire.h"

namespace askfirst::database {

namespace {

std::string ascii_lowered(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// The messages whose bodies the session reads (55.7): Query, Parse, Bind,
// Execute, Close, FunctionCall. Every other message is relayed as it streams.
bool is_inspected(char type) {
    return type == 'Q' || type == 'P' || type == 'B' || type == 'E' || type == 'C' || type == 'F';
}

// Messages the server answers with exactly one ReadyForQuery: Query, Sync, FunctionCall.
bool ends_unit(char type) { return type == 'Q' || type == 'S' || type == 'F'; }

std::string ssl_request() {
    std::string packet;
    pg::append_uint32(packet, 8);
    pg::append_uint32(packet, pg::kSslRequestCode);
    return packet;
}

// A statement or portal name in a Parse, Bind or Close: whole; or, in a
// message cut at the inspection limit, the part the server keys it by
// (pg::kMaxNameBytes), or when even that is cut, a name no real one equals
// (names hold no NUL), whose texts are then unknown. nullopt: the server
// cannot read it either.
std::optional<std::string> name_in(std::string_view body, std::size_t& offset, bool complete) {
    if (const auto name = pg::read_cstring(body, offset)) return std::string(*name);
    if (complete) return std::nullopt;
    const std::string_view rest = body.substr(std::min(offset, body.size()));
    offset = body.size();
    if (rest.size() >= pg::kMaxNameBytes) return std::string(rest.substr(0, pg::kMaxNameBytes));
    return std::string(1, '\0') + "name cut at the inspection limit";
}

// A ReadyForQuery body is one byte; anything longer is not a server we can follow.
constexpr std::size_t kMaxReadyForQueryBody = 1;

}  // namespace

PostgresSession::PostgresSession(PostgresSessionConfig config) : config_(config) {}

std::vector<SessionOutput> PostgresSession::take_outputs() {
    std::vector<SessionOutput> taken = std::move(outputs_);
    outputs_.clear();
    return taken;
}

bool PostgresSession::wants_guest_bytes() const {
    if (closed_) return false;
    if (!holding_) return true;
    return guest_in_.size() - guest_offset_ < kMaxHeldGuestBytes;
}

// ---- guest side ----

void PostgresSession::on_guest_bytes(std::string_view bytes) {
    if (closed_ || guest_eof_) return;
    guest_in_.append(bytes);
    parse_guest();
}

void PostgresSession::on_guest_eof() {
    if (closed_) return;
    guest_eof_ = true;
    if (holding_) {
        holding_ = false;
        emit(CancelDecision{held_.id});
    }
    emit(CloseFlow{"the guest closed its connection"});
    closed_ = true;
}

void PostgresSession::parse_guest() {
    if (upstream_phase_ == UpstreamPhase::awaiting_ssl_answer && guest_in_.size() > guest_offset_) {
        // CVE-2021-23222: bytes sent before the TLS answer, meant to be read as if inside TLS
        close_flow(pg::kProtocolViolation, "askfirst refused bytes sent after SSLRequest before TLS began");
        return;
    }
    while (!closed_ && !holding_) {
        if (guest_rest_ > 0) {
            const std::size_t available = guest_in_.size() - guest_offset_;
            if (available == 0) break;
            const std::size_t n = std::min(available, guest_rest_);
            if (guest_rest_mode_ == RestOfMessage::forward)
                emit_to_upstream(std::string_view(guest_in_).substr(guest_offset_, n));
            guest_offset_ += n;
            guest_rest_ -= n;
            continue;
        }
        const bool progressed = guest_phase_ == GuestPhase::startup ? parse_startup_packet()
                                : guest_phase_ == GuestPhase::typed ? parse_typed_message()
                                                                    : false;
        if (!progressed) break;
    }
    if (guest_offset_ > 0) {
        guest_in_.erase(0, guest_offset_);
        guest_offset_ = 0;
    }
}

bool PostgresSession::parse_startup_packet() {
    const std::string_view available = std::string_view(guest_in_).substr(guest_offset_);
    if (available.size() < 8) return false;
    const std::uint32_t length = pg::read_uint32(available);
    if (length < 8 || length > pg::kMaxStartupPacketBytes) {
        close_flow(pg::kProtocolViolation, "askfirst refused a PostgreSQL startup packet of " +
                                               std::to_string(length) + " bytes");
        return false;
    }
    if (available.size() < length) return false;
    const std::string packet(available.substr(0, length));
    const std::uint32_t code = pg::read_uint32(available.substr(4));
    const bool request = code == pg::kSslRequestCode || code == pg::kGssEncRequestCode || code == pg::kCancelRequestCode;
    if (request && length != (code == pg::kCancelRequestCode ? 16u : 8u)) {  // as detection demands
        close_flow(pg::kProtocolViolation, "askfirst refused a startup request of an unexpected length");
        return false;
    }
    guest_offset_ += length;
    if (code == pg::kSslRequestCode) {
        if (guest_asked_tls_) {
            close_flow(pg::kProtocolViolation, "askfirst refused a second SSLRequest on one connection");
            return false;
        }
        if (guest_in_.size() > guest_offset_) {  // CVE-2021-23222: bytes meant to be read as if inside TLS
            close_flow(pg::kProtocolViolation, "askfirst refused bytes sent after SSLRequest before TLS began");
            return false;
        }
        // The server is asked first, and its answer ('S' or 'N') is the guest's: askfirst
        // neither downgrades a TLS server nor claims TLS a server does not offer.
        guest_asked_tls_ = true;
        upstream_phase_ = UpstreamPhase::awaiting_ssl_answer;
        emit(SendToUpstream{ssl_request()});
        return true;
    }
    if (code == pg::kGssEncRequestCode) {
        emit_to_guest("N");  // libpq then tries SSL or plaintext
        return true;
    }
    if (code == pg::kCancelRequestCode || code >> 16 == 3) {
        if (code != pg::kCancelRequestCode) remember_startup(packet);
        startup_packet_ = packet;
        guest_phase_ = GuestPhase::typed;
        units_sent_ = 1;  // the server ends authentication with a ReadyForQuery
        start_upstream();
        return true;
    }
    close_flow(pg::kProtocolViolation, "askfirst supports PostgreSQL protocol 3 only (startup code " +
                                           std::to_string(code) + ")");
    return false;
}

// user and database from the StartupMessage's name/value pairs (the database defaults to the user).
void PostgresSession::remember_startup(std::string_view packet) {
    const std::string_view pairs = packet.substr(8);
    std::size_t offset = 0;
    while (offset < pairs.size()) {
        const auto name = pg::read_cstring(pairs, offset);
        if (!name || name->empty()) break;
        const auto value = pg::read_cstring(pairs, offset);
        if (!value) break;
        if (*name == "user") user_ = std::string(*value);
        if (*name == "database") database_ = std::string(*value);
        if (*name == "replication" && *value != "false" && *value != "off" && *value != "no" && *value != "0")
            replication_ = true;
    }
    if (database_.empty()) database_ = user_;
}

bool PostgresSession::parse_typed_message() {
    const std::string_view available = std::string_view(guest_in_).substr(guest_offset_);
    if (available.size() < pg::kTypedHeaderBytes) return false;
    const char type = available[0];
    const std::uint32_t length = pg::read_uint32(available.substr(1));
    if (length < 4 || length > pg::kMaxMessageLength) {
        close_flow(pg::kProtocolViolation, "askfirst refused a PostgreSQL message with length " +
                                               std::to_string(length));
        return false;
    }
    const std::size_t body_length = length - 4;
    if (skipping_to_sync_ && type != 'S') {  // after a refused Execute, as the server would skip them
        guest_offset_ += pg::kTypedHeaderBytes;
        guest_rest_ = body_length;
        guest_rest_mode_ = RestOfMessage::drop;
        return true;
    }
    if (!is_inspected(type)) {
        if (type == 'S') skipping_to_sync_ = false;
        if (ends_unit(type)) ++units_sent_;
        emit_to_upstream(available.substr(0, pg::kTypedHeaderBytes));
        guest_offset_ += pg::kTypedHeaderBytes;
        guest_rest_ = body_length;
        guest_rest_mode_ = RestOfMessage::forward;
        return true;
    }
    const std::size_t head_length = std::min(body_length, config_.max_inspect_bytes);
    if (available.size() < pg::kTypedHeaderBytes + head_length) return false;
    const std::string message(available.substr(0, pg::kTypedHeaderBytes + head_length));
    guest_offset_ += message.size();
    on_typed_message(type, message, body_length - head_length);
    return true;
}

void PostgresSession::on_typed_message(char type, std::string_view message, std::size_t remaining) {
    const std::string_view body = message.substr(pg::kTypedHeaderBytes);
    const bool complete = remaining == 0;
    DatabaseStatement decide = replication_ ? replication_statement() : DatabaseStatement{};
    decide.provider = "postgres";
    decide.database = database_;
    decide.user = user_;
    switch (type) {
    case 'Q': {
        const std::string_view sql = body.substr(0, body.find('\0'));
        PreparedTexts texts = texts_for_sql(sql, complete);
        decide.message = "Query";
        decide.texts = std::move(texts.texts);
        decide.complete = texts.complete && !replication_;
        if (decide.why_incomplete.empty()) decide.why_incomplete = std::move(texts.why_incomplete);
        return hold_for_decision(type, message, remaining, std::move(decide));
    }
    case 'E': {
        std::size_t offset = 0;
        const auto portal = pg::read_cstring(body, offset);
        const auto found = portal ? names_.portal(*portal, units_sent_) : std::nullopt;
        decide.message = "Execute";
        if (!found) {
            decide.complete = false;
            decide.why_incomplete = "an Execute of a portal askfirst did not see bound";
        } else {
            decide.texts = found->texts;
            decide.complete = found->complete && !replication_;
            decide.why_incomplete = found->why_incomplete;
        }
        return hold_for_decision(type, message, remaining, std::move(decide));
    }
    case 'F': {
        decide.message = "FunctionCall";
        decide.complete = false;
        const std::uint32_t oid = body.size() >= 4 ? pg::read_uint32(body) : 0;
        decide.why_incomplete = "a FunctionCall (function OID " + std::to_string(oid) + ") can run any function";
        return hold_for_decision(type, message, remaining, std::move(decide));
    }
    case 'P': on_parse(body, complete); break;
    case 'B': on_bind(body, complete); break;
    case 'C': on_close(body, complete); break;
    default: break;
    }
    relay_guest_message(type, message, remaining);
}

// A replication connection's Query runs replication commands (DROP_REPLICATION_SLOT,
// BASE_BACKUP, ...) that no SQL classifier reads: each is judged the worst it could be.
DatabaseStatement PostgresSession::replication_statement() {
    DatabaseStatement statement;
    statement.complete = false;
    statement.why_incomplete = "a replication connection, whose commands askfirst does not read";
    return statement;
}

void PostgresSession::relay_guest_message(char type, std::string_view message, std::size_t remaining) {
    if (ends_unit(type)) ++units_sent_;
    emit_to_upstream(message);
    guest_rest_ = remaining;
    guest_rest_mode_ = RestOfMessage::forward;
}

void PostgresSession::hold_for_decision(char type, std::string_view message, std::size_t remaining,
                                        DatabaseStatement statement) {
    holding_ = true;
    held_ = HeldStatement{next_id_++, std::string(message), remaining, type};
    emit(DecideStatement{held_.id, std::move(statement)});
}

// The texts a SQL string is judged by: itself, and when it runs EXECUTE,
// every named statement it could mean (the protocol's, by name; SQL
// PREPARE's cannot be known, so their use is judged the worst).
PostgresSession::PreparedTexts PostgresSession::texts_for_sql(std::string_view sql, bool complete) {
    PreparedTexts result{{std::string(sql)}, complete, complete ? "" : "a statement longer than the inspection limit"};
    const std::string lowered = ascii_lowered(sql);
    if (lowered.find("prepare") != std::string::npos) names_.sql_prepare_seen();
    if (lowered.find("execute") == std::string::npos) return result;
    const PreparedTexts named = names_.every_named_statement();
    result.texts.insert(result.texts.end(), named.texts.begin(), named.texts.end());
    if (!named.complete) result.complete = false;
    if (names_.sql_prepare_was_seen()) {
        result.complete = false;
        result.why_incomplete = "an EXECUTE of a statement prepared by SQL PREPARE, which askfirst cannot follow";
    }
    return result;
}

// Parse, Bind and Close change the server's names only once it confirms them
// (postgres_prepared_names.h); each is recorded in the unit it is sent in,
// every one the server may confirm, even one read only in part.
void PostgresSession::on_parse(std::string_view body, bool complete) {
    std::size_t offset = 0;
    const auto name = name_in(body, offset, complete);
    if (!name) return;  // the server cannot read it either: it refuses it
    const auto text = complete ? pg::read_cstring(body, offset) : std::optional(body.substr(offset));
    if (!text) return;
    names_.parsed(units_sent_, *name, texts_for_sql(*text, complete));
}

void PostgresSession::on_bind(std::string_view body, bool complete) {
    std::size_t offset = 0;
    const auto portal = name_in(body, offset, complete);
    const auto statement = portal ? name_in(body, offset, complete) : std::nullopt;
    if (!portal || !statement) return;
    names_.bound(units_sent_, *portal, *statement);
}

void PostgresSession::on_close(std::string_view body, bool complete) {
    if (body.empty()) return;
    std::size_t offset = 1;
    const auto name = name_in(body, offset, complete);
    if (!name) return;
    if (body[0] == 'S') names_.closed_statement(units_sent_, *name);
    if (body[0] == 'P') names_.closed_portal(units_sent_, *name);
}

void PostgresSession::on_verdict(RequestId id, const Verdict& verdict) {
    if (verdict.pass) pass(id);
    else refuse(id, verdict.reason, verdict.how_to_allow);
}

void PostgresSession::pass(StatementId id) {
    if (!holding_ || held_.id != id || closed_) return;
    holding_ = false;
    relay_guest_message(held_.type, held_.bytes, held_.remaining);
    held_ = {};
    parse_guest();
}

void PostgresSession::refuse(StatementId id, std::string_view message, std::string_view hint) {
    if (!holding_ || held_.id != id || closed_) return;
    holding_ = false;
    replacements_.push_back({units_sent_, pg::error_response(pg::kInsufficientPrivilege, message, hint)});
    const std::string failing(pg::kFailingStatement);
    if (held_.type == 'E') {
        // Parse of the unnamed statement: name "", the text, no parameter types.
        emit_to_upstream(pg::typed_message('P', std::string(1, '\0') + failing + std::string(1, '\0') +
                                                    std::string(2, '\0')));
        skipping_to_sync_ = true;
    } else {
        emit_to_upstream(pg::typed_message('Q', failing + std::string(1, '\0')));
        ++units_sent_;
    }
    guest_rest_ = held_.remaining;
    guest_rest_mode_ = RestOfMessage::drop;
    held_ = {};
    parse_guest();
}

// ---- upstream side ----

void PostgresSession::start_upstream() {
    // The guest's startup arrives as TLS plaintext: its TLS is open, the upstream's may start.
    if (tls_agreed_) emit(StartUpstreamTls{});
    upstream_phase_ = UpstreamPhase::typed;
    emit_to_upstream(startup_packet_);
}

void PostgresSession::on_upstream_bytes(std::string_view bytes) {
    if (closed_) return;
    upstream_in_.append(bytes);
    parse_upstream();
}

void PostgresSession::on_upstream_eof() {
    if (closed_) return;
    if (holding_) emit(CancelDecision{held_.id});
    holding_ = false;
    emit(CloseFlow{"the server closed its connection"});
    closed_ = true;
}

void PostgresSession::on_upstream_failed(std::string_view reason) {
    if (closed_) return;
    close_flow("08006", "askfirst could not reach the PostgreSQL server: " + std::string(reason));
}

void PostgresSession::parse_upstream() {
    std::size_t offset = 0;
    while (!closed_) {
        const std::string_view available = std::string_view(upstream_in_).substr(offset);
        if (upstream_phase_ == UpstreamPhase::awaiting_ssl_answer) {
            if (available.empty()) break;
            if (available[0] != 'S' && available[0] != 'N') {
                close_flow(pg::kProtocolViolation, "the server answered SSLRequest with neither 'S' nor 'N'");
                break;
            }
            if (available.size() > 1) {  // CVE-2021-23214: bytes meant to be read as if inside TLS
                close_flow(pg::kProtocolViolation, "the server sent bytes after its answer to SSLRequest");
                break;
            }
            offset += 1;
            upstream_phase_ = UpstreamPhase::idle;  // the startup follows, from the guest
            emit_to_guest(available.substr(0, 1));
            if (available[0] == 'S') {
                emit(StartGuestTls{});
                tls_agreed_ = true;  // the upstream's TLS starts with the startup, once the guest's is open
            }
            continue;
        }
        if (upstream_phase_ != UpstreamPhase::typed) {
            // Nothing is owed before the startup: after 'S', bytes that are not TLS (CVE-2021-23214).
            if (!available.empty())
                close_flow(pg::kProtocolViolation, "the server sent bytes before the startup message");
            break;
        }
        if (upstream_rest_ > 0) {
            if (available.empty()) break;
            const std::size_t n = std::min(available.size(), upstream_rest_);
            if (!upstream_rest_dropped_) emit_to_guest(available.substr(0, n));
            offset += n;
            upstream_rest_ -= n;
            continue;
        }
        if (available.size() < pg::kTypedHeaderBytes) break;
        const char type = available[0];
        const std::uint32_t length = pg::read_uint32(available.substr(1));
        if (length < 4 || length > pg::kMaxMessageLength) {
            close_flow(pg::kProtocolViolation, "the server sent a message askfirst cannot frame");
            break;
        }
        const std::size_t body_length = length - 4;
        if (type == 'Z') {
            if (body_length > kMaxReadyForQueryBody) {
                close_flow(pg::kProtocolViolation, "the server sent a malformed ReadyForQuery");
                break;
            }
            if (available.size() < pg::kTypedHeaderBytes + body_length) break;
            emit_to_guest(available.substr(0, pg::kTypedHeaderBytes + body_length));
            offset += pg::kTypedHeaderBytes + body_length;
            ++units_answered_;
            while (!replacements_.empty() && replacements_.front().unit < units_answered_) replacements_.pop_front();
            names_.units_ended(units_answered_);
            continue;
        }
        upstream_rest_dropped_ = false;
        if ((type == '1' || type == '2' || type == '3') && !names_.server_confirmed()) {
            close_flow(pg::kProtocolViolation, "the server confirmed a Parse, Bind or Close that askfirst did not send");
            break;
        }
        if (type == 'E' && !replacements_.empty() && replacements_.front().unit == units_answered_) {
            emit_to_guest(replacements_.front().error);
            replacements_.pop_front();
            upstream_rest_dropped_ = true;
        } else {
            emit_to_guest(available.substr(0, pg::kTypedHeaderBytes));
        }
        offset += pg::kTypedHeaderBytes;
        upstream_rest_ = body_length;
    }
    upstream_in_.erase(0, offset);
}

// ---- outputs ----

void PostgresSession::emit_to_guest(std::string_view bytes) { append_send<SendToGuest>(outputs_, bytes); }

void PostgresSession::emit_to_upstream(std::string_view bytes) { append_send<SendToUpstream>(outputs_, bytes); }

void PostgresSession::emit(SessionOutput output) { outputs_.push_back(std::move(output)); }

void PostgresSession::close_flow(std::string_view sqlstate, const std::string& reason) {
    emit_to_guest(pg::fatal_response(sqlstate, reason));
    if (holding_) emit(CancelDecision{held_.id});
    holding_ = false;
    emit(CloseFlow{reason});
    closed_ = true;
}

}  // namespace askfirst::database
