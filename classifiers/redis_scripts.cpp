// classifiers/redis_scripts.cpp — EVAL, EVALSHA and FCALL (§19: "EVAL: scan
// the script for redis.call('FLUSHALL'|…) to escalate").
//
// A script can do anything, so these are writes. EVAL carries its Lua text:
// every string literal in it that names a destructive command (with the next
// literal as the subcommand of a container such as SCRIPT FLUSH) makes the
// call destructive. Literals rather than `redis.call(` sites are scanned so
// that `local c = 'FLUSHALL'; redis.call(c)` counts too; Lua's escapes are
// decoded, literals joined by `..` are read joined, and EVAL's KEYS/ARGV
// values count as literals. Each call is then judged with its arguments
// (redis_script_calls.h: EXPIRE k 0 deletes). EVALSHA and FCALL name code we
// cannot see: writes, flagged; that code is judged where it is stored
// (SCRIPT LOAD, FUNCTION LOAD, and EVAL, which caches it: destructive when it
// may call a destructive command with the arguments a later caller gives).
#include <algorithm>
#include <cctype>
#include <charconv>

#include "classifiers/redis_commands.h"
#include "classifiers/redis_script_calls.h"

namespace askfirst::classifiers::redis {

// Lua long bracket `[[ ... ]]`, `[==[ ... ]==]` starting at `open`.
bool read_lua_long_string(std::string_view text, std::size_t& pos, std::string& out) {
    std::size_t level = 0;
    std::size_t i = pos + 1;
    while (i < text.size() && text[i] == '=') ++level, ++i;
    if (i >= text.size() || text[i] != '[') return false;
    const std::string close = "]" + std::string(level, '=') + "]";
    const std::size_t end = text.find(close, i + 1);
    if (end == std::string_view::npos) return false;
    out.assign(text.substr(i + 1, end - i - 1));
    pos = end + close.size();
    return true;
}

// A quoted literal with Lua 5.1's escapes decoded (Redis runs Lua 5.1):
// `\ddd` is the byte of up to three decimal digits ("\070LUSHALL" is
// "FLUSHALL"), the letter escapes are control characters, and any other
// escaped character stands for itself.
void read_lua_quoted(std::string_view text, std::size_t& pos, std::string& out) {
    const char quote = text[pos++];
    while (pos < text.size() && text[pos] != quote) {
        if (text[pos] != '\\' || pos + 1 >= text.size()) {
            out += text[pos++];
            continue;
        }
        ++pos;
        const char escaped = text[pos];
        if (std::isdigit(static_cast<unsigned char>(escaped))) {
            int value = 0;
            for (int digits = 0; digits < 3 && pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]));
                 ++digits)
                value = value * 10 + (text[pos++] - '0');
            out += static_cast<char>(value & 0xff);
            continue;
        }
        static constexpr std::string_view kLetters = "abfnrtv";
        static constexpr std::string_view kControls = "\a\b\f\n\r\t\v";
        const std::size_t letter = kLetters.find(escaped);
        out += letter == std::string_view::npos ? escaped : kControls[letter];
        ++pos;
    }
    ++pos;
}

bool looks_like_redis_command(std::string_view word) {
    if (word.empty() || word.size() > 32) return false;
    for (char c : word)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
    return true;
}

namespace {

// Joined literals longer than this name no command (looks_like_redis_command
// takes at most 32 characters); the bound keeps a long chain of `..` linear.
constexpr std::size_t kLongestJoinedName = 64;

// Every string literal, and each literal joined to the ones after it by
// Lua's `..` ('FLUSH' .. 'ALL' is read as 'FLUSHALL' too).
std::vector<std::string> lua_string_literals(std::string_view script) {
    std::vector<std::string> literals;
    std::size_t pos = 0;
    std::string joined;
    bool joining = false;  // the last literal is followed by `..` so far
    while (pos < script.size()) {
        const char c = script[pos];
        std::string literal;
        bool read = false;
        if (c == '\'' || c == '"') {
            read_lua_quoted(script, pos, literal);
            read = true;
        } else if (c == '[' && read_lua_long_string(script, pos, literal)) {
            read = true;
        } else if (c == '.' && pos + 1 < script.size() && script[pos + 1] == '.' && !joined.empty()) {
            joining = true;
            pos += 2;
            continue;
        } else {
            if (!std::isspace(static_cast<unsigned char>(c))) {
                joined.clear();
                joining = false;
            }
            ++pos;
            continue;
        }
        if (!read) continue;
        if (joining && joined.size() + literal.size() <= kLongestJoinedName) {
            joined += literal;
            literals.push_back(joined);
        } else {
            joined = literal;
        }
        joining = false;
        literals.push_back(std::move(literal));
    }
    return literals;
}

// Escalates `out` when a literal of `code` (or one of `extra`, the values a
// script is given) names a destructive command, or when one of its calls
// deletes with the arguments it passes (redis_script_calls.h).
void scan_lua(std::string_view code, const std::vector<std::string>& extra,
              const std::optional<ScriptParameters>& parameters, RedisVerdict& out,
              bool* command_from_caller = nullptr) {
    std::vector<std::string> literals = lua_string_literals(code);
    literals.insert(literals.end(), extra.begin(), extra.end());
    for (std::size_t i = 0; i < literals.size(); ++i) {
        if (!looks_like_redis_command(literals[i])) continue;
        std::vector<std::string> called = {literals[i]};
        if (i + 1 < literals.size() && looks_like_redis_command(literals[i + 1])) called.push_back(literals[i + 1]);
        const RedisVerdict inner = classify_redis_command(called);
        if (inner.tier == Tier::destructive) {
            out.tier = Tier::destructive;
            out.flags.push_back("script-calls:" + inner.operation);
        }
    }
    judge_script_calls(code, parameters, out, command_from_caller);
}

// EVAL script numkeys key... arg...: what KEYS and ARGV hold while it runs
// (nothing is known when numkeys is not a count of the arguments given).
std::optional<ScriptParameters> eval_parameters(const std::vector<std::string>& args) {
    if (args.size() < 3) return std::nullopt;
    std::size_t key_count = 0;
    const auto [end, error] = std::from_chars(args[2].data(), args[2].data() + args[2].size(), key_count);
    if (error != std::errc() || end != args[2].data() + args[2].size() || key_count > args.size() - 3)
        return std::nullopt;
    ScriptParameters parameters;
    parameters.keys.assign(args.begin() + 3, args.begin() + 3 + static_cast<std::ptrdiff_t>(key_count));
    parameters.argv.assign(args.begin() + 3 + static_cast<std::ptrdiff_t>(key_count), args.end());
    return parameters;
}

}  // namespace

RedisVerdict classify_script_command(const std::string& key, const std::vector<std::string>& args,
                                     std::string operation) {
    RedisVerdict out;
    out.tier = Tier::write;
    out.operation = std::move(operation);
    if (key != "eval") {
        out.flags.push_back(key == "fcall" ? "function-body-not-visible" : "script-body-not-visible");
        return out;
    }
    if (args.size() < 2) return out;
    // KEYS and ARGV are the script's too: redis.call(ARGV[1]) calls what they name.
    // EVAL also caches its script: EVALSHA runs it later with other KEYS and
    // ARGV, unseen. Code whose command comes from them is a gadget for any
    // command (EVAL "redis.call(ARGV[1], KEYS[1])" 1 k get, then EVALSHA with
    // del), so it is judged as the stored code it becomes.
    bool command_from_caller = false;
    scan_lua(args[1], std::vector<std::string>(args.begin() + 2, args.end()), eval_parameters(args), out,
             &command_from_caller);
    if (command_from_caller) {
        out.tier = Tier::destructive;
        out.flags.push_back("cached-script-runs-any-command");
    }
    return out;
}

// SCRIPT LOAD (run later by EVALSHA) and FUNCTION LOAD (by FCALL) store Lua
// whose callers askfirst cannot see into: code that calls a destructive
// command makes the load destructive, as SQL's CREATE FUNCTION is. (Both
// were writes, and the FLUSHALL their EVALSHA/FCALL ran passed.)
void judge_stored_lua(const std::string& key, const std::vector<std::string>& args, RedisVerdict& out) {
    if (key != "script|load" && key != "function|load") return;
    for (std::size_t i = 2; i < args.size(); ++i) scan_lua(args[i], {}, std::nullopt, out);  // FUNCTION LOAD [REPLACE] code
    if (out.tier == Tier::destructive) out.flags.push_back("stored-script-deletes");
}

}  // namespace askfirst::classifiers::redis
