// src/database/postgres_session.h — the sans-io PostgreSQL session of one
// flow: every statement the guest sends is handed out to be judged before a
// byte of it reaches the server, and a refused one is answered in the
// protocol's own words (ErrorResponse, SQLSTATE 42501) so that psql, libpq
// and the drivers print askfirst's sentence and the connection stays usable.
// It never touches a socket, a clock, a classifier or a mode: bytes and
// verdicts come in, bytes and events go out (like src/http/http_session.h).
//
// ## Wiring it into a flow (for the shell in src/)
//
// A FlowSession (src/flow_session.h) made by the "postgres" row of the
// first-bytes detector table (pg::detect_startup_packet). The pipeline calls
// one method per event and then drains take_outputs():
//
//   guest bytes (plaintext)      -> on_guest_bytes(bytes)
//   guest EOF                    -> on_guest_eof()
//   upstream bytes (plaintext)   -> on_upstream_bytes(bytes)
//   upstream EOF                 -> on_upstream_eof()
//   upstream connect/TLS failed  -> on_upstream_failed(reason)  (a FATAL to the guest)
//   a decision is ready          -> on_verdict(id, verdict): pass(id) | refuse(id, message, hint)
//
// Outputs, in order:
//
//   SendToUpstream    write upstream (through upstream TLS once it started);
//                     the first one opens the upstream connection.
//   SendToGuest       write to the guest (through guest TLS once it started).
//   StartGuestTls     the guest sent SSLRequest and was answered 'S' (in the
//                     SendToGuest just before): its next bytes are a TLS
//                     ClientHello; run the guest handshake with a leaf for the
//                     host and feed the plaintext from then on.
//   StartUpstreamTls  the server had answered 'S', and the guest's startup
//                     arrived through its TLS (so its ClientHello gave the
//                     name to verify): open TLS to the server; the
//                     SendToUpstream after it (the startup) and all later ones
//                     are plaintext for that session.
//   DecideStatement   classify the texts as PostgreSQL (the worst of them),
//                     apply the mode, maybe ask; audit; then pass or refuse.
//   CancelDecision    the guest went away while a statement was decided.
//   CloseFlow         after the bytes already given, close both sides.
//
// Back-pressure: while wants_guest_bytes() is false (a statement is held and
// the guest keeps sending), stop reading from the guest.
//
// ## What is decided, and how a refusal keeps client and server agreeing
//
// - Query ('Q', simple protocol): its whole text (several statements: the
//   worst of them) is decided before it is sent.
// - Parse ('P') is relayed and its text remembered per statement name; Bind
//   ('B') ties a portal to that text; Execute ('E') is decided with it. A
//   named statement Parsed twice keeps both texts (the server keeps the first
//   and refuses the second: we cannot tell which it kept without reading its
//   answers, so the worst is judged). What a name holds changes only when
//   the server confirms the Parse, Bind or Close (ParseComplete, ...): one it
//   skipped after an error changes nothing (postgres_prepared_names.h). Bind of a statement the session did not
//   see Parsed (SQL PREPARE) is judged the worst it could be, and a SQL text
//   that runs EXECUTE is judged with every named statement the session knows.
// - FunctionCall ('F') calls a function by OID: judged the worst it could be.
// - A replication connection (startup parameter "replication") speaks
//   replication commands, not SQL: every one is judged the worst it could be.
// - COPY ... FROM STDIN is decided as its Query; its CopyData then flows.
// - A refused statement is never sent. In its place the server gets a text
//   that fails to parse (pg::kFailingStatement) — a Query for a Query or a
//   FunctionCall, a Parse of the unnamed statement for an Execute — and the
//   server's error for it is replaced by askfirst's ErrorResponse. So the
//   server fails exactly as the client is told: a transaction block becomes
//   failed ('E' in ReadyForQuery, which the server itself sends), an implicit
//   one is rolled back, and after a refused Execute the messages up to Sync
//   are dropped, as the server skips them after an error.
// - Everything else (authentication, Describe, Close, Sync, CopyData, ...)
//   is relayed unchanged; the server's messages are relayed unchanged except
//   the replaced errors. GSSENCRequest is answered 'N' (clients fall back).
// - TLS: a guest SSLRequest is passed to the server, and the server's answer
//   is the guest's: 'S' opens TLS on both sides (StartGuestTls, then
//   StartUpstreamTls: the guest's leaf is ours, the server is verified as for
//   HTTPS); 'N' leaves both in plaintext, and the client decides (sslmode
//   prefer goes on, require gives up). askfirst never downgrades a TLS server
//   nor claims TLS a server lacks. Bytes that follow an SSLRequest before the
//   answer, from either side (CVE-2021-23222/23214 "buffer stuffing"), end the flow.
//
// ## Limits
//
// A message is inspected up to max_inspect_bytes (1 MiB default): a longer
// Query is judged the worst it could be, its rest relayed only after a pass;
// a longer Parse is remembered as cut, and its Execute judged the worst.
// While a statement is held, up to kMaxHeldGuestBytes of later guest bytes
// are kept, then wants_guest_bytes() turns false.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "src/database/postgres_prepared_names.h"
#include "src/flow_session.h"

namespace askfirst::database {

using StatementId = RequestId;

// Profile http.max_inspect_bytes' default: statements are inspected as bodies are.
inline constexpr std::size_t kDefaultMaxInspectBytes = 1024 * 1024;
// Guest bytes kept while a statement is held before the shell stops reading
// (as src/http/http_session.h: about 16 lwIP windows).
inline constexpr std::size_t kMaxHeldGuestBytes = 1024 * 1024;

struct PostgresSessionConfig {
    std::size_t max_inspect_bytes = kDefaultMaxInspectBytes;
};

class PostgresSession final : public FlowSession {
public:
    explicit PostgresSession(PostgresSessionConfig config = {});

    void on_guest_bytes(std::string_view bytes) override;
    void on_guest_eof() override;
    void on_upstream_bytes(std::string_view bytes) override;
    void on_upstream_eof() override;
    void on_upstream_failed(std::string_view reason) override;
    // pass, or refuse with the verdict's reason as the message and how_to_allow as the hint.
    void on_verdict(RequestId id, const Verdict& verdict) override;
    void pass(StatementId id);
    // `message` is what psql prints after "ERROR:  "; `hint` after "HINT:  ".
    void refuse(StatementId id, std::string_view message, std::string_view hint);

    std::vector<SessionOutput> take_outputs() override;
    bool wants_guest_bytes() const override;
    bool closed() const override { return closed_; }
    // From the StartupMessage, for the question and the audit line.
    const std::string& database() const { return database_; }
    const std::string& user() const { return user_; }

private:
    enum class GuestPhase { startup, typed, closed };
    enum class UpstreamPhase { idle, awaiting_ssl_answer, typed };
    enum class RestOfMessage { forward, drop, hold };

    struct HeldStatement {
        StatementId id = 0;
        std::string bytes;           // the message as read so far (header included)
        std::size_t remaining = 0;   // body bytes not read yet (a message over the inspection limit)
        char type = 0;
    };
    using PreparedTexts = pg::PreparedTexts;
    // An error of the server to replace with askfirst's: the first
    // ErrorResponse of the unit (the messages up to one ReadyForQuery).
    struct ErrorReplacement {
        std::uint64_t unit = 0;
        std::string error;
    };

    // guest side
    void parse_guest();
    bool parse_startup_packet();
    bool parse_typed_message();
    void on_typed_message(char type, std::string_view head, std::size_t remaining);
    void relay_guest_message(char type, std::string_view head, std::size_t remaining);
    void hold_for_decision(char type, std::string_view head, std::size_t remaining, DatabaseStatement statement);
    void on_parse(std::string_view body, bool complete);
    void on_bind(std::string_view body, bool complete);
    void on_close(std::string_view body, bool complete);
    PreparedTexts texts_for_sql(std::string_view sql, bool complete);
    void remember_startup(std::string_view packet);
    static DatabaseStatement replication_statement();
    // upstream side
    void parse_upstream();
    void start_upstream();
    // both
    void emit_to_guest(std::string_view bytes);
    void emit_to_upstream(std::string_view bytes);
    void emit(SessionOutput output);
    void close_flow(std::string_view sqlstate, const std::string& reason);

    PostgresSessionConfig config_;
    GuestPhase guest_phase_ = GuestPhase::startup;
    UpstreamPhase upstream_phase_ = UpstreamPhase::idle;
    std::string guest_in_;
    std::size_t guest_offset_ = 0;
    std::string upstream_in_;

    // The body bytes of the current guest message still to come, and what
    // to do with them.
    std::size_t guest_rest_ = 0;
    RestOfMessage guest_rest_mode_ = RestOfMessage::forward;
    // The server's message being relayed: bytes still to come, dropped or not.
    std::size_t upstream_rest_ = 0;
    bool upstream_rest_dropped_ = false;

    bool guest_asked_tls_ = false;
    bool tls_agreed_ = false;         // the server said 'S': both sides speak TLS
    std::string startup_packet_;      // the StartupMessage (or CancelRequest) relayed
    std::string database_;
    std::string user_;
    bool replication_ = false;        // startup "replication": its commands are not SQL

    bool holding_ = false;
    HeldStatement held_;
    bool skipping_to_sync_ = false;  // a refused Execute: drop the guest's messages until Sync

    // The server's statements and portals, as far as it confirmed them
    // (postgres_prepared_names.h: a message it skipped changes nothing).
    pg::PreparedNames names_;

    std::uint64_t units_sent_ = 0;    // ReadyForQuery answers the server owes, counted from the startup
    std::uint64_t units_answered_ = 0;
    std::deque<ErrorReplacement> replacements_;

    StatementId next_id_ = 1;
    bool guest_eof_ = false;
    bool closed_ = false;
    std::vector<SessionOutput> outputs_;
};

}  // namespace askfirst::database
