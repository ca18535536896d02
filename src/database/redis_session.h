// src/database/redis_session.h — the sans-io Redis session of one flow:
// every command the guest sends (each one of a pipeline, each one queued in
// MULTI) is handed out to be judged before a byte of it reaches the server,
// and a refused one is answered `-NOPERM askfirst refused ...` in its place,
// so redis-cli and the client libraries print askfirst's sentence and the
// connection stays usable. A FlowSession (src/flow_session.h) made by the
// "redis" and "redis_inline" rows of the first-bytes detector table
// (resp::detect_command_array, resp::detect_inline_command).
//
// ## What is decided, and how a refusal keeps the replies in order
//
// - Each command (a RESP array, or an inline line) is decided on its
//   arguments: DecideStatement with provider "redis" and `texts` = the
//   arguments (classifiers/redis_commands.h judges them: EVAL/FCALL scripts
//   as the worst they can do). An inline line with quotes (the server splits
//   it with its own quoting rules) and a command larger than the inspection
//   limit are judged the worst they could be. Empty commands ("*0", a blank
//   line) get no reply from the server and are relayed undecided.
// - A refused command never reaches the server. In its place the server gets
//   a command that does not exist (kFailingCommand): it answers with an error,
//   and inside MULTI that error makes EXEC fail (EXECABORT), as Redis does
//   for any command refused while queued. The session counts the server's
//   replies (resp::RespReplyScanner) and writes askfirst's -NOPERM in place
//   of that error, so every reply reaches the guest in command order.
// - After SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, MONITOR or CLIENT REPLY the
//   replies can no longer be counted (messages arrive unasked, or replies
//   are switched off): from then on a refused command gets its -NOPERM and
//   the connection ends.
//
// ## Limits
//
// Arguments are kept up to max_inspect_bytes per command; a longer command is
// decided on what was read, as the worst it could be, and its rest relayed
// only after a pass. While a command is held, up to kMaxHeldGuestBytes of
// later guest bytes are kept, then wants_guest_bytes() turns false.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "src/database/postgres_session.h"  // kDefaultMaxInspectBytes, kMaxHeldGuestBytes
#include "src/database/resp_framing.h"
#include "src/flow_session.h"

namespace askfirst::database {

// A command no Redis has: the server refuses it with an error (unknown command).
inline constexpr std::string_view kFailingCommand = "*1\r\n$16\r\nASKFIRST.REFUSED\r\n";

struct RedisSessionConfig {
    std::size_t max_inspect_bytes = kDefaultMaxInspectBytes;
};

class RedisSession final : public FlowSession {
public:
    explicit RedisSession(RedisSessionConfig config = {});

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

private:
    // Where the guest's current command is.
    enum class CommandPhase { reading, held, rest_forwarded, rest_dropped };

    void parse_guest();
    void on_command_read(bool whole);
    void note_uncountable_replies(const std::vector<std::string>& arguments);
    void parse_upstream();
    void emit_to_guest(std::string_view bytes);
    void emit_to_upstream(std::string_view bytes);
    void close_flow(const std::string& reason);

    RedisSessionConfig config_;
    resp::RespCommandReader reader_;
    resp::RespReplyScanner replies_;
    CommandPhase phase_ = CommandPhase::reading;
    std::string guest_in_;
    std::size_t guest_offset_ = 0;
    std::string held_;                 // the current command's bytes until its verdict
    RequestId held_id_ = 0;
    std::vector<std::string> held_arguments_;
    bool held_whole_ = true;           // false: the command's rest is still to be read
    // One entry per reply the server owes: empty, its own; else askfirst's in its place.
    std::deque<std::string> owed_;
    bool reply_being_replaced_ = false;
    bool replies_uncountable_ = false;
    RequestId next_id_ = 1;
    bool closed_ = false;
    std::vector<SessionOutput> outputs_;
};

}  // namespace askfirst::database
