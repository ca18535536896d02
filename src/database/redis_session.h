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
// - A pipeline is decided as a batch: every whole command already read is
//   handed out at once (up to kMaxCommandsInFlight), each with its own
//   DecideStatement, question and audit line. Verdicts may come in any
//   order, but a command reaches the server only once it and every command
//   before it have their verdicts: a FLUSHALL held for a person in the
//   middle of a pipeline holds the commands after it (judged, not sent),
//   while those before it have gone. The commands released together go in
//   one write (redis-benchmark -P 16 through askfirst made 16 upstream
//   writes and 16 loop turns per batch before).
// - An EVALSHA of a script the guest sent before (EVAL, SCRIPT LOAD, on any
//   flow: redis_script_cache.h) is decided as the EVAL of that script with
//   its arguments, since the body alone tells what the call does.
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
// only after a pass (nothing after it is read before then). Commands waiting
// for verdicts hold at most kMaxCommandsInFlight commands and
// kMaxHeldGuestBytes of their bytes; past either, nothing more is read, and
// with kMaxHeldGuestBytes of unread guest bytes wants_guest_bytes() turns false.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "src/database/postgres_session.h"  // kDefaultMaxInspectBytes, kMaxHeldGuestBytes
#include "src/database/redis_script_cache.h"
#include "src/database/resp_framing.h"
#include "src/flow_session.h"

namespace askfirst::database {

// A command no Redis has: the server refuses it with an error (unknown command).
inline constexpr std::string_view kFailingCommand = "*1\r\n$16\r\nASKFIRST.REFUSED\r\n";
// Commands of a pipeline decided at once: redis-benchmark's -P 16 and
// redis-cli --pipe batches fit many times over; a bound on open tickets and
// audit lines written ahead of the server.
inline constexpr std::size_t kMaxCommandsInFlight = 64;

struct RedisSessionConfig {
    std::size_t max_inspect_bytes = kDefaultMaxInspectBytes;
    // The scripts the guest sent on any flow (askfirstd's one cache); null:
    // none kept, EVALSHA judged without its body.
    RedisScriptCache* scripts = nullptr;
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
    // Where the guest's current command is: being read (its start may be
    // queued, over the inspection limit), or its rest after the verdict.
    enum class CommandPhase { reading, rest_forwarded, rest_dropped };
    enum class CommandVerdict { pending, passed, refused };
    // A command read and handed out to be decided, until it is released to the server.
    struct QueuedCommand {
        RequestId id = 0;               // 0: an empty command, relayed undecided (no reply owed)
        std::string bytes;
        std::vector<std::string> arguments;
        bool whole = true;              // false: its rest is still to be read (the last in the queue)
        CommandVerdict verdict = CommandVerdict::pending;
        std::string refusal;            // the -NOPERM line of a refused command
    };

    void parse_guest();
    bool reading_paused() const;
    void on_command_read(bool whole);
    void on_decided(RequestId id, CommandVerdict verdict, std::string refusal);
    void release_decided();
    void cancel_pending();
    void note_uncountable_replies(const std::vector<std::string>& arguments);
    void judge_with_script_body(DatabaseStatement& statement) const;
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
    std::string reading_;              // the bytes of the command being read
    std::deque<QueuedCommand> queue_;  // decided or being decided, in command order
    std::size_t queued_bytes_ = 0;
    // One entry per reply the server owes: empty, its own; else askfirst's in its place.
    std::deque<std::string> owed_;
    bool reply_being_replaced_ = false;
    bool replies_uncountable_ = false;
    RequestId next_id_ = 1;
    bool closed_ = false;
    std::vector<SessionOutput> outputs_;
};

}  // namespace askfirst::database
