// src/database/redis_session.cpp — the Redis session: commands framed and
// judged one at a time, replies counted so that a refusal takes its place
// (see the header for the rules).
#include "src/database/redis_session.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>

namespace askfirst::database {

namespace {

std::string lowered(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// A RESP simple error is one line: no CR or LF inside.
std::string error_line(std::string_view code, std::string_view text) {
    std::string line = std::string(code) + " " + std::string(text);
    for (char& c : line)
        if (c == '\r' || c == '\n') c = ' ';
    return "-" + line + "\r\n";
}

}  // namespace

RedisSession::RedisSession(RedisSessionConfig config) : config_(config), reader_(config.max_inspect_bytes) {}

std::vector<SessionOutput> RedisSession::take_outputs() {
    std::vector<SessionOutput> taken = std::move(outputs_);
    outputs_.clear();
    return taken;
}

bool RedisSession::wants_guest_bytes() const {
    if (closed_) return false;
    return queue_.empty() || guest_in_.size() - guest_offset_ < kMaxHeldGuestBytes;
}

// ---- guest side ----

void RedisSession::on_guest_bytes(std::string_view bytes) {
    if (closed_) return;
    guest_in_.append(bytes);
    parse_guest();
}

void RedisSession::on_guest_eof() {
    if (closed_) return;
    cancel_pending();
    outputs_.push_back(CloseFlow{"the guest closed its connection"});
    closed_ = true;
}

// No further command is read while the last one read waits for its verdict
// with its rest unread, or while the batch is at its bounds.
bool RedisSession::reading_paused() const {
    if (queue_.empty()) return false;
    return !queue_.back().whole || queue_.size() >= kMaxCommandsInFlight || queued_bytes_ >= kMaxHeldGuestBytes;
}

void RedisSession::parse_guest() {
    while (!closed_ && !reading_paused() && guest_offset_ < guest_in_.size()) {
        const std::size_t start = guest_offset_;
        const auto step = reader_.read(guest_in_, guest_offset_);
        const std::string_view consumed = std::string_view(guest_in_).substr(start, guest_offset_ - start);
        if (step == resp::RespCommandReader::Step::invalid) {
            close_flow("askfirst refused a command it cannot frame: " + reader_.error());
            break;
        }
        if (phase_ == CommandPhase::rest_forwarded || phase_ == CommandPhase::rest_dropped) {
            if (phase_ == CommandPhase::rest_forwarded) emit_to_upstream(consumed);
            if (step == resp::RespCommandReader::Step::command_end) {
                reader_.reset();
                phase_ = CommandPhase::reading;
            }
            continue;
        }
        reading_.append(consumed);
        if (step == resp::RespCommandReader::Step::command_end) on_command_read(true);
        else if (reading_.size() >= config_.max_inspect_bytes) on_command_read(false);
    }
    if (guest_offset_ > 0) {
        guest_in_.erase(0, guest_offset_);
        guest_offset_ = 0;
    }
}

// A whole command, or the start of one over the inspection limit: queued and
// handed out to be decided now.
void RedisSession::on_command_read(bool whole) {
    QueuedCommand queued;
    queued.bytes = std::exchange(reading_, {});
    queued.arguments = reader_.arguments();
    queued.whole = whole;
    queued_bytes_ += queued.bytes.size();
    if (whole && queued.arguments.empty()) {  // the server ignores it and owes no reply
        reader_.reset();
        queued.verdict = CommandVerdict::passed;
        queue_.push_back(std::move(queued));
        return release_decided();
    }
    DatabaseStatement statement;
    statement.provider = "redis";
    statement.message = reader_.inline_command() ? "inline command" : "command";
    statement.texts = queued.arguments;
    statement.complete = whole && reader_.arguments_complete() && !reader_.inline_quoted();
    if (!statement.complete)
        statement.why_incomplete = reader_.inline_quoted() ? "an inline command with quotes, split by the server's own rules"
                                                           : "a command longer than the inspection limit";
    if (statement.complete) judge_with_script_body(statement);
    queued.id = next_id_++;
    if (whole) reader_.reset();  // else the reader keeps its place: the rest follows the verdict
    outputs_.push_back(DecideStatement{queued.id, std::move(statement)});
    queue_.push_back(std::move(queued));
}

// Remembers the script an EVAL or SCRIPT LOAD carries (before its verdict:
// a SHA names one text, so a refused script's entry is only never used), and
// hands an EVALSHA of a known script out as the EVAL of its body.
void RedisSession::judge_with_script_body(DatabaseStatement& statement) const {
    std::vector<std::string>& args = statement.texts;
    if (config_.scripts == nullptr || args.size() < 2) return;
    auto lowered = [](std::string text) {
        for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return text;
    };
    const std::string name = lowered(args[0]);
    if (name == "eval" || name == "eval_ro") config_.scripts->remember(args[1]);
    if (name == "script" && lowered(args[1]) == "load" && args.size() >= 3) config_.scripts->remember(args[2]);
    if (name != "evalsha" && name != "evalsha_ro") return;
    if (std::optional<std::string> body = config_.scripts->body_of(args[1])) {
        args[0] = name == "evalsha" ? "EVAL" : "EVAL_RO";
        args[1] = std::move(*body);
    } else if (config_.scripts->overflowed()) {
        statement.complete = false;
        statement.why_incomplete = "an EVALSHA of a script askfirst could no longer keep";
    }
}

void RedisSession::on_verdict(RequestId id, const Verdict& verdict) {
    if (verdict.pass) pass(id);
    else refuse(id, verdict.reason, verdict.how_to_allow);
}

void RedisSession::pass(RequestId id) { on_decided(id, CommandVerdict::passed, {}); }

void RedisSession::refuse(RequestId id, std::string_view message, std::string_view hint) {
    std::string text(message);
    if (!hint.empty()) text += " (" + std::string(hint) + ")";
    on_decided(id, CommandVerdict::refused, error_line("NOPERM", text));
}

void RedisSession::on_decided(RequestId id, CommandVerdict verdict, std::string refusal) {
    if (closed_ || id == 0) return;
    for (auto& queued : queue_) {
        if (queued.id != id || queued.verdict != CommandVerdict::pending) continue;
        queued.verdict = verdict;
        queued.refusal = std::move(refusal);
        release_decided();
        return parse_guest();
    }
}

// The decided commands at the head of the queue go, in order: a passed one
// to the server, a refused one as kFailingCommand with its -NOPERM owed in
// place of the server's error. The first command still pending stops it.
void RedisSession::release_decided() {
    while (!closed_ && !queue_.empty() && queue_.front().verdict != CommandVerdict::pending) {
        QueuedCommand released = std::move(queue_.front());
        queue_.pop_front();
        queued_bytes_ -= released.bytes.size();
        if (released.verdict == CommandVerdict::passed) {
            emit_to_upstream(released.bytes);
            if (released.id == 0) continue;  // an empty command: no reply
            owed_.emplace_back();
            note_uncountable_replies(released.arguments);
            if (!released.whole) phase_ = CommandPhase::rest_forwarded;
            continue;
        }
        if (replies_uncountable_) {  // its place among the replies cannot be known: say it and end
            emit_to_guest(released.refusal);
            cancel_pending();
            outputs_.push_back(CloseFlow{"a refused command after the replies became uncountable"});
            closed_ = true;
            return;
        }
        emit_to_upstream(kFailingCommand);
        owed_.push_back(std::move(released.refusal));
        if (!released.whole) phase_ = CommandPhase::rest_dropped;
    }
}

// The guest or the server went away (or the flow ends): open questions are withdrawn.
void RedisSession::cancel_pending() {
    for (const auto& queued : queue_)
        if (queued.id != 0 && queued.verdict == CommandVerdict::pending) outputs_.push_back(CancelDecision{queued.id});
    queue_.clear();
    queued_bytes_ = 0;
}

// Commands after which replies no longer follow commands one for one.
void RedisSession::note_uncountable_replies(const std::vector<std::string>& arguments) {
    if (arguments.empty()) return;
    const std::string name = lowered(arguments[0]);
    if (name == "subscribe" || name == "psubscribe" || name == "ssubscribe" || name == "monitor" ||
        (name == "client" && arguments.size() > 1 && lowered(arguments[1]) == "reply"))
        replies_uncountable_ = true;
}

// ---- server side ----

void RedisSession::on_upstream_bytes(std::string_view bytes) {
    if (closed_) return;
    if (replies_uncountable_ && owed_.empty()) return emit_to_guest(bytes);
    std::size_t offset = 0;
    while (offset < bytes.size() && !closed_) {
        const std::size_t start = offset;
        const auto step = replies_.read(bytes, offset);
        const std::string_view segment = bytes.substr(start, offset - start);
        if (step == resp::RespReplyScanner::Step::invalid) {
            close_flow("the server sent a reply askfirst cannot frame");
            return;
        }
        const bool replaced = !owed_.empty() && !owed_.front().empty();
        if (!replaced) emit_to_guest(segment);
        if (step != resp::RespReplyScanner::Step::reply_end) continue;
        if (owed_.empty()) continue;  // unasked (after the replies became uncountable)
        if (replaced) emit_to_guest(owed_.front());
        owed_.pop_front();
        if (replies_uncountable_ && owed_.empty()) {
            emit_to_guest(bytes.substr(offset));
            return;
        }
    }
}

void RedisSession::on_upstream_eof() {
    if (closed_) return;
    cancel_pending();
    outputs_.push_back(CloseFlow{"the server closed its connection"});
    closed_ = true;
}

void RedisSession::on_upstream_failed(std::string_view reason) {
    if (closed_) return;
    close_flow("askfirst could not reach the Redis server: " + std::string(reason));
}

// ---- outputs ----

void RedisSession::emit_to_guest(std::string_view bytes) { append_send<SendToGuest>(outputs_, bytes); }

void RedisSession::emit_to_upstream(std::string_view bytes) { append_send<SendToUpstream>(outputs_, bytes); }

void RedisSession::close_flow(const std::string& reason) {
    emit_to_guest(error_line("ERR", reason));
    cancel_pending();
    outputs_.push_back(CloseFlow{reason});
    closed_ = true;
}

}  // namespace askfirst::database
