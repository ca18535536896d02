// src/database/postgres_wire.h — the PostgreSQL frontend/backend protocol 3.0
// as far as askfirst needs it: the startup packet codes, message framing, the
// few message bodies the session reads (Query, Parse, Bind, Execute, Close,
// ReadyForQuery) and the two it writes (ErrorResponse, Parse/Query that fail).
//
// Source: PostgreSQL 15 documentation, chapter 55 "Frontend/Backend
// Protocol" (55.7 Message Formats). Why by hand: Debian's libpq is a client
// library (it speaks the protocol, it does not parse a peer's bytes), and no
// Debian package frames the protocol as a passive reader; the framing is five
// bytes (type, length) and a few NUL-terminated strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace askfirst::database::pg {

// Startup packet codes (int32 after the length; 55.7 "StartupMessage",
// "SSLRequest", "GSSENCRequest", "CancelRequest").
inline constexpr std::uint32_t kProtocolVersion3 = 196608;  // 3.0
inline constexpr std::uint32_t kSslRequestCode = 80877103;
inline constexpr std::uint32_t kGssEncRequestCode = 80877104;
inline constexpr std::uint32_t kCancelRequestCode = 80877102;

// The server's own bound on a startup packet (src/backend/postmaster:
// MAX_STARTUP_PACKET_LENGTH 10000).
inline constexpr std::size_t kMaxStartupPacketBytes = 10000;
// A typed message header: one type byte and an int32 length that counts itself.
inline constexpr std::size_t kTypedHeaderBytes = 5;
// The protocol's message length is an int32; PostgreSQL itself refuses
// messages over 1 GB (PQ_LARGE_MESSAGE_LIMIT 0x3fffffff).
inline constexpr std::uint32_t kMaxMessageLength = 0x3fffffff;

// Do a flow's first guest bytes open a PostgreSQL connection? A startup
// packet: a length in [8, kMaxStartupPacketBytes] and one of the codes above
// (protocol major version 3 for a StartupMessage). Eight bytes decide.
enum class StartupDetection { need_more, postgres, not_postgres };
StartupDetection detect_startup_packet(std::string_view first_bytes);

std::uint32_t read_uint32(std::string_view four_bytes);
void append_uint32(std::string& out, std::uint32_t value);

// The next NUL-terminated string of `body` from `offset`; offset moves past
// the NUL. nullopt when no NUL follows (a truncated or malformed body).
std::optional<std::string_view> read_cstring(std::string_view body, std::size_t& offset);

// A typed message: type, int32 length (4 + body), body.
std::string typed_message(char type, std::string_view body);

// ErrorResponse ('E') with severity ERROR, the SQLSTATE, the message and an
// optional hint (55.8 "Error and Notice Message Fields").
std::string error_response(std::string_view sqlstate, std::string_view message, std::string_view hint);
// The same with severity FATAL: the connection ends after it.
std::string fatal_response(std::string_view sqlstate, std::string_view message);

// SQLSTATE 42501 insufficient_privilege: what a refused statement gets.
inline constexpr std::string_view kInsufficientPrivilege = "42501";
// SQLSTATE 08P01 protocol_violation: bytes askfirst will not relay.
inline constexpr std::string_view kProtocolViolation = "08P01";

// A statement text no PostgreSQL can parse (a syntax error at its first
// word) and that names askfirst in the server's log. Sent in place of a
// refused statement so that the server fails exactly as the client is told
// (a transaction block becomes failed, an implicit one is rolled back, the
// extended protocol skips to Sync); its error is replaced by askfirst's.
inline constexpr std::string_view kFailingStatement = "askfirst refused this statement";

}  // namespace askfirst::database::pg
