// src/database/resp_framing.h — Redis's RESP framing as askfirst reads it,
// both ways, incrementally (bytes may stop anywhere):
//
// - RespCommandReader: one client command, an array of bulk strings
//   (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) or an inline command (`PING\r\n`),
//   its arguments collected up to a byte budget.
// - RespReplyScanner: where each top-level server reply ends (RESP2 and
//   RESP3: aggregates nested, `>` pushes and `|` attributes not counted as
//   replies), so a refused command's reply can be put in its place.
//
// Source: the Redis serialization protocol specification (redis.io/docs/
// reference/protocol-spec, RESP2 and RESP3) and Redis 7's networking.c
// (processInlineBuffer, processMultibulkBuffer: its limits). Why by hand:
// Debian's hiredis is a client (it writes commands and parses replies into
// its own objects, with no resumable reader of commands), and askfirst must
// read exactly what the server will execute, no more, no less.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace askfirst::database::resp {

// Redis's own limits (networking.c): an inline command line of 64 KiB
// (PROTO_INLINE_MAX_SIZE); a multibulk count of 1024*1024*1024 and a bulk of
// proto-max-bulk-len (512 MB default).
inline constexpr std::size_t kMaxInlineBytes = 64 * 1024;
inline constexpr std::int64_t kMaxArrayCount = 1024 * 1024 * 1024;
inline constexpr std::int64_t kMaxBulkBytes = 512LL * 1024 * 1024;
// A header line ("*3", "$12"): a sign, 19 digits, CRLF, with room to spare.
inline constexpr std::size_t kMaxHeaderLineBytes = 32;
// Reply nesting askfirst follows (RESP3 aggregates in aggregates); deeper ends the flow.
inline constexpr std::size_t kMaxReplyDepth = 128;

// A flow's first bytes as a Redis server reads them (networking.c,
// processInputBuffer): the empty commands it skips first (blank inline
// lines, "*0" and "*-1" arrays), then one of
// - a command array: '*', a count, '\r' and any byte (the server skips the
//   one after '\r'), then '$' (detect_command_array);
// - an inline line (detect_inline_command), Redis when its first word is a
//   command the caller knows or holds a quote (the server's split of a
//   quoted line is not ours to guess). is_command gets the word lower-cased,
//   whole or (whole false) as far as it came: may a command start so? A word
//   no command starts with decides at once.
// More than kMaxEmptyCommandBytes of empty commands is Redis too: the server
// skips them all, and a guest must not be able to hide the command after
// them beyond the detector's bound (it would be relayed unread).
enum class Detection { need_more, redis, not_redis };
inline constexpr std::size_t kMaxEmptyCommandBytes = 8 * 1024;
// Longer than any command name Redis has ("georadiusbymember_ro" is 20).
inline constexpr std::size_t kMaxCommandNameBytes = 32;
Detection detect_command_array(std::string_view first_bytes);
Detection detect_inline_command(std::string_view first_bytes, bool (*is_command)(std::string_view lower_word, bool whole));

class RespCommandReader {
public:
    enum class Step { need_more, command_end, invalid };

    explicit RespCommandReader(std::size_t argument_budget) : budget_(argument_budget) {}

    // Reads from `input` at `offset` until the command ends or the input
    // does; `offset` moves past what was read.
    Step read(std::string_view input, std::size_t& offset);
    // Ready for the next command (arguments cleared).
    void reset();

    const std::vector<std::string>& arguments() const { return arguments_; }
    // False when an argument was cut at the budget (or not kept at all).
    bool arguments_complete() const { return complete_; }
    bool inline_command() const { return inline_; }
    // An inline line with quotes: the server splits it with its own rules
    // (sdssplitargs); askfirst judges such a line the worst it could be.
    bool inline_quoted() const { return inline_quoted_; }
    const std::string& error() const { return error_; }

private:
    // After a header's '\r' the server skips one byte, whatever it is (networking.c).
    enum class Phase { start, array_header, array_header_end, bulk_header, bulk_header_end, bulk_body, bulk_end,
                       inline_line };

    Step fail(std::string why);
    // Appends to line_ up to `terminator` (consumed); false when the input ended first.
    bool take_line(std::string_view input, std::size_t& offset, char terminator);
    void keep(std::string_view bytes);
    void split_inline();

    std::size_t budget_;
    Phase phase_ = Phase::start;
    std::string line_;
    std::int64_t arguments_left_ = 0;
    std::int64_t bulk_left_ = 0;
    std::size_t bulk_end_left_ = 0;
    std::size_t kept_ = 0;
    std::vector<std::string> arguments_;
    bool complete_ = true;
    bool inline_ = false;
    bool inline_quoted_ = false;
    std::string error_;
};

class RespReplyScanner {
public:
    enum class Step { need_more, reply_end, invalid };

    // Reads from `input` at `offset` until a top-level reply ends (a push or
    // an attribute alone does not) or the input does.
    Step read(std::string_view input, std::size_t& offset);

private:
    enum class Phase { type, line, bulk_body, bulk_end };

    // An element ended: true when that completed a top-level reply.
    bool element_done();
    Step on_line();

    Phase phase_ = Phase::type;
    char type_ = 0;
    std::string line_;
    std::int64_t bulk_left_ = 0;
    std::size_t bulk_end_left_ = 0;
    // Elements still owed by each open aggregate, innermost last; a flag per
    // level whether it is a push or attribute (not a reply of its own).
    std::vector<std::int64_t> pending_;
    std::vector<bool> out_of_band_;
    bool top_out_of_band_ = false;
};

}  // namespace askfirst::database::resp
