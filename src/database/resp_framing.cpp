// src/database/resp_framing.cpp — RESP commands and replies, read
// incrementally (see the header for the sources and why by hand).
#include "src/database/resp_framing.h"

#include <algorithm>
#include <optional>

namespace askfirst::database::resp {

namespace {

// Redis's string2ll: an optional '-', digits, no leading zero, no '+' or spaces.
std::optional<std::int64_t> strict_integer(std::string_view text) {
    bool negative = false;
    if (!text.empty() && text[0] == '-') {
        negative = true;
        text.remove_prefix(1);
    }
    if (text.empty() || text.size() > 18 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
    std::int64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + (c - '0');
    }
    return negative ? -value : value;
}

// The separators of sdssplitargs (isspace in the C locale).
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// A server reply line is at most this long here (error and simple-string lines are short).
constexpr std::size_t kMaxReplyLineBytes = 64 * 1024;

}  // namespace

namespace {

enum class Skipped { command, need_more, too_long, invalid };

// Moves `at` past the empty commands the server skips before the first one:
// whitespace-only inline lines and arrays whose count is 0 or negative.
// `command`: a command starts at `at`.
Skipped skip_empty_commands(std::string_view bytes, std::size_t& at) {
    while (at < bytes.size()) {
        if (at > kMaxEmptyCommandBytes) return Skipped::too_long;
        if (bytes[at] == '*') {
            const std::size_t cr = bytes.find('\r', at + 1);
            if (cr == std::string_view::npos)
                return bytes.size() - at > kMaxHeaderLineBytes ? Skipped::invalid : Skipped::need_more;
            if (cr - at > kMaxHeaderLineBytes) return Skipped::invalid;
            const auto count = strict_integer(bytes.substr(at + 1, cr - at - 1));
            if (!count) return Skipped::invalid;  // the server refuses it and closes
            if (*count > 0) return Skipped::command;
            if (cr + 1 >= bytes.size()) return Skipped::need_more;
            at = cr + 2;  // '\r' and the byte after it, whatever it is
            continue;
        }
        std::size_t end = at;
        while (end < bytes.size() && bytes[end] != '\n' && is_space(bytes[end])) ++end;
        if (end == bytes.size()) return end > kMaxEmptyCommandBytes ? Skipped::too_long : Skipped::need_more;
        if (bytes[end] != '\n') return Skipped::command;
        at = end + 1;  // a blank line: no arguments, no reply
    }
    return at > kMaxEmptyCommandBytes ? Skipped::too_long : Skipped::need_more;
}

}  // namespace

Detection detect_command_array(std::string_view first_bytes) {
    std::size_t at = 0;
    switch (skip_empty_commands(first_bytes, at)) {
    case Skipped::need_more: return Detection::need_more;
    case Skipped::too_long: return Detection::redis;
    case Skipped::invalid: return Detection::not_redis;
    case Skipped::command: break;
    }
    if (first_bytes[at] != '*') return Detection::not_redis;
    const std::size_t cr = first_bytes.find('\r', at + 1);  // skip_empty_commands read a positive count
    if (first_bytes.size() < cr + 3) return Detection::need_more;
    return first_bytes[cr + 2] == '$' ? Detection::redis : Detection::not_redis;
}

Detection detect_inline_command(std::string_view first_bytes, bool (*is_command)(std::string_view lower_word, bool whole)) {
    std::size_t at = 0;
    switch (skip_empty_commands(first_bytes, at)) {
    case Skipped::need_more: return Detection::need_more;
    case Skipped::too_long: return Detection::redis;
    case Skipped::invalid: return Detection::not_redis;
    case Skipped::command: break;
    }
    if (first_bytes[at] == '*') return Detection::not_redis;  // an array: detect_command_array's
    while (is_space(first_bytes[at])) ++at;  // the line holds a word before its '\n'
    // sdssplitargs ends an unquoted word at these; a quote anywhere in it starts quoting.
    std::string word;
    for (; at < first_bytes.size(); ++at) {
        const char c = first_bytes[at];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0') break;
        if (c == '"' || c == '\'') return Detection::redis;
        if (word.size() == kMaxCommandNameBytes) return Detection::not_redis;
        word += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        if (!is_command(word, false)) return Detection::not_redis;
    }
    if (at == first_bytes.size()) return Detection::need_more;
    return is_command(word, true) ? Detection::redis : Detection::not_redis;
}

// ---- commands ----

void RespCommandReader::reset() {
    phase_ = Phase::start;
    line_.clear();
    arguments_.clear();
    arguments_left_ = bulk_left_ = 0;
    bulk_end_left_ = kept_ = 0;
    complete_ = true;
    inline_ = inline_quoted_ = false;
}

RespCommandReader::Step RespCommandReader::fail(std::string why) {
    error_ = std::move(why);
    return Step::invalid;
}

bool RespCommandReader::take_line(std::string_view input, std::size_t& offset, char terminator) {
    const std::size_t end = input.find(terminator, offset);
    const std::size_t stop = end == std::string_view::npos ? input.size() : end;
    line_.append(input.substr(offset, stop - offset));
    offset = end == std::string_view::npos ? input.size() : end + 1;
    return end != std::string_view::npos;
}

// Keeps argument bytes within the budget; past it the argument is cut.
void RespCommandReader::keep(std::string_view bytes) {
    const std::size_t room = budget_ > kept_ ? budget_ - kept_ : 0;
    if (bytes.size() > room) complete_ = false;
    arguments_.back().append(bytes.substr(0, room));
    kept_ += std::min(room, bytes.size());
}

void RespCommandReader::split_inline() {
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    // The server splits the line as a C string (sdssplitargs): it ends at the first NUL.
    line_.resize(std::min(line_.size(), line_.find('\0')));
    inline_quoted_ = line_.find_first_of("\"'") != std::string::npos;
    std::size_t at = 0;
    while (at < line_.size()) {
        while (at < line_.size() && is_space(line_[at])) ++at;
        const std::size_t start = at;
        while (at < line_.size() && !is_space(line_[at])) ++at;
        if (at > start) {
            arguments_.emplace_back();
            keep(std::string_view(line_).substr(start, at - start));
        }
    }
}

RespCommandReader::Step RespCommandReader::read(std::string_view input, std::size_t& offset) {
    while (offset < input.size()) {
        switch (phase_) {
        case Phase::start:
            line_.clear();
            inline_ = input[offset] != '*';
            if (inline_) {
                phase_ = Phase::inline_line;
            } else {
                phase_ = Phase::array_header;
                ++offset;
            }
            break;
        case Phase::inline_line:
            if (!take_line(input, offset, '\n')) {
                if (line_.size() > kMaxInlineBytes) return fail("an inline command longer than 64 KiB");
                return Step::need_more;
            }
            if (line_.size() > kMaxInlineBytes) return fail("an inline command longer than 64 KiB");
            split_inline();
            phase_ = Phase::start;
            return Step::command_end;
        case Phase::array_header:
        case Phase::bulk_header: {
            const bool array = phase_ == Phase::array_header;
            if (!take_line(input, offset, '\r')) {
                if (line_.size() > kMaxHeaderLineBytes) return fail("a header line too long");
                return Step::need_more;
            }
            if (!array && (line_.empty() || line_[0] != '$')) return fail("expected '$' before an argument");
            const auto value = strict_integer(std::string_view(line_).substr(array ? 0 : 1));
            if (!value) return fail("an invalid length");
            if (array && *value > kMaxArrayCount) return fail("an invalid argument count");
            if (!array && (*value < 0 || *value > kMaxBulkBytes)) return fail("an invalid argument length");
            if (array) arguments_left_ = *value;
            else bulk_left_ = *value;
            line_.clear();
            phase_ = array ? Phase::array_header_end : Phase::bulk_header_end;
            break;
        }
        case Phase::array_header_end:
            ++offset;  // the byte after '\r', as the server skips it
            if (arguments_left_ <= 0) {  // "*0" or "*-1": an empty command the server ignores
                phase_ = Phase::start;
                return Step::command_end;
            }
            phase_ = Phase::bulk_header;
            break;
        case Phase::bulk_header_end:
            ++offset;
            arguments_.emplace_back();
            phase_ = Phase::bulk_body;
            break;
        case Phase::bulk_body: {
            const std::size_t n =
                static_cast<std::size_t>(std::min<std::int64_t>(bulk_left_, static_cast<std::int64_t>(input.size() - offset)));
            keep(input.substr(offset, n));
            offset += n;
            bulk_left_ -= static_cast<std::int64_t>(n);
            if (bulk_left_ == 0) {
                phase_ = Phase::bulk_end;
                bulk_end_left_ = 2;  // CRLF, skipped unchecked as the server does
            }
            break;
        }
        case Phase::bulk_end: {
            const std::size_t n = std::min(bulk_end_left_, input.size() - offset);
            offset += n;
            bulk_end_left_ -= n;
            if (bulk_end_left_ > 0) break;
            if (--arguments_left_ == 0) {
                phase_ = Phase::start;
                return Step::command_end;
            }
            phase_ = Phase::bulk_header;
            break;
        }
        }
    }
    // A bulk body of zero bytes ends without input.
    if (phase_ == Phase::bulk_body && bulk_left_ == 0) {
        phase_ = Phase::bulk_end;
        bulk_end_left_ = 2;
    }
    return Step::need_more;
}

// ---- replies ----

bool RespReplyScanner::element_done() {
    phase_ = Phase::type;
    while (true) {
        if (pending_.empty()) {
            if (top_out_of_band_) {  // a push: not the reply to a command
                top_out_of_band_ = false;
                return false;
            }
            return true;
        }
        if (--pending_.back() > 0) return false;
        const bool out_of_band = out_of_band_.back();
        pending_.pop_back();
        out_of_band_.pop_back();
        if (out_of_band && !pending_.empty()) return false;  // an attribute: the value it annotates follows
        if (out_of_band && !top_out_of_band_) return false;  // a top-level attribute
    }
}

RespReplyScanner::Step RespReplyScanner::on_line() {
    const char type = type_;
    phase_ = Phase::type;
    if (std::string_view("+-:,#_(").find(type) != std::string_view::npos)
        return element_done() ? Step::reply_end : Step::need_more;
    const auto value = strict_integer(line_);
    if (!value) return Step::invalid;
    if (type == '$' || type == '!' || type == '=') {
        if (*value < 0) return element_done() ? Step::reply_end : Step::need_more;
        bulk_left_ = *value;
        phase_ = Phase::bulk_body;
        return Step::need_more;
    }
    if (std::string_view("*~>%|").find(type) == std::string_view::npos) return Step::invalid;
    const std::int64_t elements = (type == '%' || type == '|') ? *value * 2 : *value;
    const bool out_of_band = type == '|' || (type == '>' && pending_.empty());
    if (type == '>' && pending_.empty()) top_out_of_band_ = true;
    if (elements <= 0) {
        if (type == '|') return Step::need_more;  // an empty attribute annotates the next value
        return element_done() ? Step::reply_end : Step::need_more;
    }
    if (pending_.size() >= kMaxReplyDepth) return Step::invalid;
    pending_.push_back(elements);
    out_of_band_.push_back(out_of_band);
    return Step::need_more;
}

RespReplyScanner::Step RespReplyScanner::read(std::string_view input, std::size_t& offset) {
    while (offset < input.size()) {
        switch (phase_) {
        case Phase::type:
            type_ = input[offset++];
            line_.clear();
            phase_ = Phase::line;
            break;
        case Phase::line: {
            const std::size_t end = input.find('\n', offset);
            const std::size_t stop = end == std::string_view::npos ? input.size() : end;
            line_.append(input.substr(offset, stop - offset));
            offset = end == std::string_view::npos ? input.size() : end + 1;
            if (line_.size() > kMaxReplyLineBytes) return Step::invalid;
            if (end == std::string_view::npos) return Step::need_more;
            if (!line_.empty() && line_.back() == '\r') line_.pop_back();
            const Step step = on_line();
            if (step != Step::need_more) return step;
            break;
        }
        case Phase::bulk_body: {
            const std::size_t n =
                static_cast<std::size_t>(std::min<std::int64_t>(bulk_left_, static_cast<std::int64_t>(input.size() - offset)));
            offset += n;
            bulk_left_ -= static_cast<std::int64_t>(n);
            if (bulk_left_ == 0) {
                phase_ = Phase::bulk_end;
                bulk_end_left_ = 2;
            }
            break;
        }
        case Phase::bulk_end: {
            const std::size_t n = std::min(bulk_end_left_, input.size() - offset);
            offset += n;
            bulk_end_left_ -= n;
            if (bulk_end_left_ == 0 && element_done()) return Step::reply_end;
            break;
        }
        }
    }
    if (phase_ == Phase::bulk_body && bulk_left_ == 0) {
        phase_ = Phase::bulk_end;
        bulk_end_left_ = 2;
    }
    return Step::need_more;
}

}  // namespace askfirst::database::resp
