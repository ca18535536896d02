// classifiers/redis_scripts.cpp — EVAL, EVALSHA and FCALL (§19: "EVAL: scan
// the script for redis.call('FLUSHALL'|…) to escalate").
//
// A script can do anything, so these are writes. EVAL carries its Lua text:
// every string literal in it that names a destructive command (with the next
// literal as the subcommand of a container such as SCRIPT FLUSH) makes the
// call destructive. Literals rather than `redis.call(` sites are scanned so
// that `local c = 'FLUSHALL'; redis.call(c)` counts too. EVALSHA and FCALL
// name code we cannot see: writes, flagged.
#include <cctype>

#include "classifiers/redis_commands.h"

namespace askfirst::classifiers::redis {
namespace {

// Lua long bracket `[[ ... ]]`, `[==[ ... ]==]` starting at `open`.
bool read_long_string(std::string_view text, std::size_t& pos, std::string& out) {
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

void read_quoted(std::string_view text, std::size_t& pos, std::string& out) {
    const char quote = text[pos++];
    while (pos < text.size() && text[pos] != quote) {
        if (text[pos] == '\\' && pos + 1 < text.size()) ++pos;
        out += text[pos++];
    }
    ++pos;
}

std::vector<std::string> lua_string_literals(std::string_view script) {
    std::vector<std::string> literals;
    std::size_t pos = 0;
    while (pos < script.size()) {
        const char c = script[pos];
        std::string literal;
        if (c == '\'' || c == '"') {
            read_quoted(script, pos, literal);
            literals.push_back(std::move(literal));
        } else if (c == '[' && read_long_string(script, pos, literal)) {
            literals.push_back(std::move(literal));
        } else {
            ++pos;
        }
    }
    return literals;
}

bool looks_like_command(std::string_view word) {
    if (word.empty() || word.size() > 32) return false;
    for (char c : word)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
    return true;
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
    const std::vector<std::string> literals = lua_string_literals(args[1]);
    for (std::size_t i = 0; i < literals.size(); ++i) {
        if (!looks_like_command(literals[i])) continue;
        std::vector<std::string> called = {literals[i]};
        if (i + 1 < literals.size() && looks_like_command(literals[i + 1])) called.push_back(literals[i + 1]);
        const RedisVerdict inner = classify_redis_command(called);
        if (inner.tier == Tier::destructive) {
            out.tier = Tier::destructive;
            out.flags.push_back("script-calls:" + inner.operation);
        }
    }
    return out;
}

}  // namespace askfirst::classifiers::redis
