// src/database/mysql_session.h — the sans-io MySQL/MariaDB session of one
// flow: every command the guest sends after authentication is handed out to
// be judged before a byte of it reaches the server; a refused one is
// answered with an ERR packet (1142, SQLSTATE 42000) in its place, which
// the mysql and mariadb clients print as `ERROR 1142 (42000): askfirst
// refused ...`. A FlowSession (src/flow_session.h) made when the upstream
// speaks first with a MySQL greeting (mysql::detect_greeting): the pipeline's
// "who speaks first" probe.
//
// Source: the MySQL client/server protocol (dev.mysql.com/doc/dev/mysql-server/
// latest/PAGE_PROTOCOL.html: packets, HandshakeV10, HandshakeResponse41,
// COM_QUERY, COM_STMT_PREPARE/EXECUTE, ERR_Packet) and MariaDB's
// (mariadb.com/kb/en/clientserver-protocol). Why by hand: Debian's client
// libraries (libmariadb) speak the protocol as a client; none frames a
// peer's packets passively.
//
// ## What is decided
//
// - COM_QUERY: its SQL (MySQL dialect; several statements: the worst).
// - COM_STMT_PREPARE is relayed and its text remembered under the statement
//   id the server answers with; COM_STMT_EXECUTE (and MariaDB's
//   COM_STMT_BULK_EXECUTE) is decided with that text (an id it did not see
//   prepared: the worst it could be).
// - SQL PREPARE ... FROM 'text' hides its statement in a string: once a
//   query said PREPARE, a query that says EXECUTE is judged the worst.
// - COM_INIT_DB, COM_FIELD_LIST, COM_PING, COM_STATISTICS, COM_QUIT, the
//   statement bookkeeping commands and COM_SET_OPTION/COM_RESET_CONNECTION
//   are relayed; COM_CHANGE_USER is relayed and authentication is followed
//   again (its packets relayed; a command pipelined into it, sequence 0, is
//   judged; an ERR ends it, the server keeping the old user); every other command (COM_PROCESS_KILL, binlog and replication
//   commands, ...) is judged the worst it could be.
// - A refused command never reaches the server. In its place the server
//   gets a query that fails to parse (kFailingQuery); the response to it
//   (found by counting responses: each begins with sequence id 1) is
//   replaced by askfirst's ERR, so answers stay in command order.
//
// ## TLS (CLIENT_SSL)
//
// The greeting keeps CLIENT_SSL when the server offers it: askfirst neither
// downgrades a TLS server nor claims TLS a server lacks. A client that wants
// TLS answers the greeting with an SSLRequest (a HandshakeResponse cut after
// its 32 fixed bytes, CLIENT_SSL set) and starts its TLS handshake without
// waiting for an answer. The session relays the SSLRequest to the server
// (which now waits for a ClientHello) and emits StartGuestTls, giving back
// the bytes read past the SSLRequest (the start of the ClientHello) as its
// read_ahead: the guest's TLS is ours, with a leaf for the host. The full
// HandshakeResponse then arrives through that TLS: the session emits
// StartUpstreamTls (the server verified as for HTTPS, for the ClientHello's
// SNI) and relays it, and everything after is read as in plaintext. The
// scramble in the relayed greeting is the server's, so the client's
// authentication answer is valid for it. A HandshakeResponse that sets
// CLIENT_SSL but is not an SSLRequest, CLIENT_SSL the server did not offer,
// or server bytes between the SSLRequest and TLS (the MySQL form of
// CVE-2021-23214's injection) end the flow.
//
// ## What it changes, and limits
//
// The server greeting loses the compression and query-attribute
// capabilities (askfirst reads uncompressed packets without attributes); a
// client that asks for them anyway ends the flow. A command is inspected up to max_inspect_bytes; a
// longer one (or one split over several packets) is judged the worst it
// could be. While a command is held, up to kMaxHeldGuestBytes of later guest
// bytes are kept, then wants_guest_bytes() turns false.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "src/database/postgres_session.h"  // kDefaultMaxInspectBytes, kMaxHeldGuestBytes
#include "src/flow_session.h"

namespace askfirst::database {

namespace mysql {

// Capability flags (the protocol's CLIENT_*).
inline constexpr std::uint32_t kClientConnectWithDb = 0x00000008;
inline constexpr std::uint32_t kClientCompress = 0x00000020;
inline constexpr std::uint32_t kClientSsl = 0x00000800;
inline constexpr std::uint32_t kClientZstdCompression = 1u << 26;
inline constexpr std::uint32_t kClientQueryAttributes = 1u << 27;
// An SSLRequest: HandshakeResponse41's fixed part only (capabilities, max packet, charset, filler).
inline constexpr std::size_t kSslRequestLength = 32;
// A payload of this length continues in the next packet.
inline constexpr std::size_t kMaxPayload = 0xffffff;
// A query that no MySQL or MariaDB parses (error 1064 at its first word).
inline constexpr std::string_view kFailingQuery = "askfirst refused this statement";
// ER_TABLEACCESS_DENIED_ERROR: what a refused command gets.
inline constexpr std::uint16_t kAccessDenied = 1142;

// Do the upstream's first bytes open a MySQL connection (a HandshakeV10 packet)?
enum class Detection { need_more, mysql, not_mysql };
Detection detect_greeting(std::string_view first_bytes);

// An ERR packet with this sequence id, code, SQLSTATE and message.
std::string error_packet(std::uint8_t sequence, std::uint16_t code, std::string_view sqlstate, std::string_view message);

}  // namespace mysql

struct MysqlSessionConfig {
    std::size_t max_inspect_bytes = kDefaultMaxInspectBytes;
};

class MysqlSession final : public FlowSession {
public:
    explicit MysqlSession(MysqlSessionConfig config = {});

    void on_guest_bytes(std::string_view bytes) override;
    void on_guest_eof() override;
    void on_upstream_bytes(std::string_view bytes) override;
    void on_upstream_eof() override;
    void on_upstream_failed(std::string_view reason) override;
    void on_verdict(RequestId id, const Verdict& verdict) override;
    void pass(RequestId id);
    void refuse(RequestId id, std::string_view message, std::string_view hint);

    std::vector<SessionOutput> take_outputs() override;
    bool wants_guest_bytes() const override;
    bool closed() const override { return closed_; }
    const std::string& database() const { return database_; }

private:
    // tls_handshake_response: the SSLRequest went on; the full response comes through the guest's TLS.
    enum class Phase { greeting, handshake_response, tls_handshake_response, authenticating, commands };
    // One response the server owes, in command order.
    struct OwedResponse {
        std::string replacement;     // non-empty: askfirst's ERR in place of the server's response
        bool prepare = false;        // a COM_STMT_PREPARE: its first packet names the statement id
        std::string prepared_text;
    };
    struct Packet {
        std::uint8_t sequence = 0;
        std::string_view payload;    // up to the inspection limit
        std::size_t length = 0;      // the payload's real length
        std::size_t wire_size = 0;   // header + payload
    };

    static bool read_packet(std::string_view input, Packet& packet);
    void parse_guest();
    void on_guest_packet(const Packet& packet, std::string_view wire);
    void on_command(const Packet& packet, std::string_view wire);
    void on_handshake_response(const Packet& packet, std::string_view wire);
    void on_ssl_request(std::string_view wire);
    void hold(std::string_view wire, DatabaseStatement statement);
    void parse_upstream();
    void on_server_packet(const Packet& packet, std::string_view wire);
    void emit_to_guest(std::string_view bytes);
    void emit_to_upstream(std::string_view bytes);
    void close_flow(const std::string& reason);

    MysqlSessionConfig config_;
    Phase phase_ = Phase::greeting;
    std::string guest_in_;
    std::string upstream_in_;
    std::string held_;              // the held command's packet
    RequestId held_id_ = 0;
    bool holding_ = false;
    std::deque<OwedResponse> owed_;
    bool replacing_ = false;        // dropping the server's response being replaced
    std::map<std::uint32_t, std::string> statements_;
    bool sql_prepare_seen_ = false;  // a query said PREPARE: a later EXECUTE is judged the worst
    bool statement_ids_untrusted_ = false;  // a response wrapped its sequence id: answers may be misattributed
    std::string database_;
    std::string user_;
    bool server_offers_tls_ = false;   // the greeting had CLIENT_SSL
    bool guest_asked_tls_ = false;     // an SSLRequest was read: the rest of the guest's bytes go to its TLS
    RequestId next_id_ = 1;
    bool closed_ = false;
    std::vector<SessionOutput> outputs_;
};

}  // namespace askfirst::database
