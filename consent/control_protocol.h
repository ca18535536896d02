// consent/control_protocol.h — the control socket's wire format, sans-io.
//
// The control socket ($XDG_RUNTIME_DIR/askfirst/NAME.sock, 0600, peer uid
// checked) speaks JSON lines; consent/PROTOCOL.md is the reference. This file
// turns bytes into commands and values into reply/event lines. It does no
// I/O and knows nothing of the broker's internals: the daemon's control shell
// (src/) feeds it bytes, executes the commands and writes the lines back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace askfirst::consent {

inline constexpr int kControlProtocolVersion = 1;
// A command line longer than this is refused (and skipped up to its newline):
// the longest legitimate command (an answer) is well under 1 KiB.
inline constexpr std::size_t kMaxControlLineBytes = 64 * 1024;

enum class ControlCommandKind : std::uint8_t {
    hello, status, subscribe, answer, grants, revoke, set_mode, audit_tail,
};
std::string_view control_command_name(ControlCommandKind kind);

struct ControlCommand {
    ControlCommandKind kind = ControlCommandKind::status;
    std::optional<std::int64_t> request_id;  // echoed as "re" in the reply
    std::uint64_t target_id = 0;             // answer: question id; revoke: grant id
    std::string answer;                      // answer: once | 15m | session | deny
    std::string provider;                    // set-mode
    std::string mode;                        // set-mode
    int client_version = 0;                  // hello
    std::size_t lines = 20;                  // audit-tail: how many recent lines
};

struct ControlError {
    std::optional<std::int64_t> request_id;
    std::string message;  // says what was wrong and what to send instead
};

using ParsedControlLine = std::variant<ControlCommand, ControlError>;

// Parses one line (without its '\n').
ParsedControlLine parse_control_line(std::string_view line);

// Splits a byte stream into lines with a bound; an over-long line yields one
// ControlError and is skipped up to its newline.
class ControlLineReader {
public:
    // Appends bytes; returns every complete line parsed, in order.
    std::vector<ParsedControlLine> feed(std::string_view bytes);

private:
    std::string partial_;
    bool skipping_overlong_ = false;
};

// ---- replies and events (each returns one line, '\n' included) ----

std::string encode_error_reply(const ControlError& error);
// `body_json` is a JSON object text whose members are merged into the reply,
// e.g. R"({"grants":[...]})"; empty for a bare {"ok":true}.
std::string encode_ok_reply(std::optional<std::int64_t> request_id, std::string_view body_json = {});

// Events to subscribers (PROTOCOL.md, "events").
// {"event":"question","question":{...}}: `question_json` is the question's JSON object text.
std::string encode_question_event(std::string_view question_json);
// {"event":"withdrawn","question":7}: the request that asked went away.
std::string encode_withdrawn_event(std::uint64_t question);
// {"event":"resolved","question":7,"allowed":false,"decided_by":"user","answer":"deny"};
// `answer` is the person's word when a person answered, null otherwise.
std::string encode_resolved_event(std::uint64_t question, bool allowed, std::string_view decided_by,
                                  std::optional<std::string_view> answer);

}  // namespace askfirst::consent
