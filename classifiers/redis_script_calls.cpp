// classifiers/redis_script_calls.cpp — each call of a Redis Lua script judged
// with its arguments (see redis_script_calls.h for why).
//
// Theory of operation: the script is cut into Lua tokens (strings decoded as
// redis_scripts.cpp reads them, comments dropped), brackets are matched once,
// and every call `f(a, b, ...)` whose first argument reads as a command name
// is handed to classify_redis_command with its arguments. An argument is read
// when it is a constant: a string, a Lua number (passed as Lua prints it),
// KEYS[n]/ARGV[n] of an EVAL, tonumber/tostring/parentheses of one of those,
// unpack(ARGV), or a local assigned exactly once from one of those. Anything
// else (arithmetic, a table, a function's parameter) is unknown and takes
// each of the probe values below in turn: if any choice deletes, the script
// may. A call to redis.call/redis.pcall (or an alias of them) whose command
// cannot be read makes the script destructive, as does any use of `redis`
// that could hide a call (redis.call passed as a value, _G, loadstring).
//
// Lua is tokenized by hand: Debian's liblua5.1 compiles a chunk without
// running it (luaL_loadbuffer), but gives back bytecode, not the call sites
// and argument texts this needs, and would add a Lua runtime to askfirstd.
//
// Limits: a call with more than kMaxUnknownArguments unknown arguments is
// judged destructive rather than tried 2^n times; locals resolve through at
// most kMaxResolveDepth assignments. Linear in the script's size (brackets
// are matched once, each call's top-level tokens are visited once).
#include "classifiers/redis_script_calls.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <utility>

namespace askfirst::classifiers::redis {

namespace {

// Values an unknown argument is tried with: "0" is a TTL that deletes and an
// absolute time in the past; "PXAT" is the option that makes the next value
// an absolute time (SET, GETEX, HGETEX, HSETEX).
constexpr std::string_view kProbeValues[] = {"0", "PXAT"};
constexpr std::size_t kMaxUnknownArguments = 8;
// Classifications one script may cost in all (a script of many calls with
// unknown arguments would otherwise cost 2^8 each on the loop); past it the
// script is judged destructive.
constexpr std::size_t kMaxProbesPerScript = 16384;
constexpr int kMaxResolveDepth = 8;
// An unread tail (`f(a, g())`, `...`) may add values: this many are tried
// (an option and its value).
constexpr std::size_t kUnknownTailArguments = 2;

enum class TokenKind { string, number, name, symbol };

struct LuaToken {
    TokenKind kind;
    std::string_view raw;  // as written (names, numbers, symbols)
    std::string text;      // decoded (strings)
};

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::size_t skip_comment(std::string_view code, std::size_t pos) {
    pos += 2;  // "--"
    std::string ignored;
    if (pos < code.size() && code[pos] == '[' && read_lua_long_string(code, pos, ignored)) return pos;
    const std::size_t newline = code.find('\n', pos);
    return newline == std::string_view::npos ? code.size() : newline + 1;
}

std::size_t number_end(std::string_view code, std::size_t pos) {
    const bool hex = code.substr(pos, 2) == "0x" || code.substr(pos, 2) == "0X";
    std::size_t end = pos;
    while (end < code.size()) {
        const char c = code[end];
        const bool exponent_sign = (c == '+' || c == '-') && !hex && (code[end - 1] == 'e' || code[end - 1] == 'E');
        if (!is_name_char(c) && c != '.' && !exponent_sign) break;
        ++end;
    }
    return end;
}

std::vector<LuaToken> tokenize(std::string_view code) {
    std::vector<LuaToken> tokens;
    std::size_t pos = 0;
    while (pos < code.size()) {
        const char c = code[pos];
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++pos;
        } else if (code.substr(pos, 2) == "--") {
            pos = skip_comment(code, pos);
        } else if (c == '\'' || c == '"') {
            LuaToken token{TokenKind::string, {}, {}};
            read_lua_quoted(code, pos, token.text);
            tokens.push_back(std::move(token));
        } else if (LuaToken token{TokenKind::string, {}, {}}; c == '[' && read_lua_long_string(code, pos, token.text)) {
            tokens.push_back(std::move(token));
        } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                   (c == '.' && pos + 1 < code.size() && std::isdigit(static_cast<unsigned char>(code[pos + 1])))) {
            const std::size_t end = number_end(code, pos);
            tokens.push_back({TokenKind::number, code.substr(pos, end - pos), {}});
            pos = end;
        } else if (is_name_start(c)) {
            std::size_t end = pos;
            while (end < code.size() && is_name_char(code[end])) ++end;
            tokens.push_back({TokenKind::name, code.substr(pos, end - pos), {}});
            pos = end;
        } else {
            std::size_t length = 1;
            for (std::string_view symbol : {"...", "..", "==", "~=", "<=", ">="})
                if (code.substr(pos, symbol.size()) == symbol) {
                    length = symbol.size();
                    break;
                }
            tokens.push_back({TokenKind::symbol, code.substr(pos, length), {}});
            pos += length;
        }
    }
    return tokens;
}

// A Lua number as Redis receives it: Lua 5.1 prints numbers with "%.14g".
std::optional<std::string> lua_number_text(std::string_view raw, bool negative) {
    const std::string text(raw);
    char* end = nullptr;
    const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
    double value = hex ? static_cast<double>(std::strtoull(text.c_str() + 2, &end, 16)) : std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size()) return std::nullopt;
    if (negative) value = -value;
    char printed[64];
    std::snprintf(printed, sizeof printed, "%.14g", value);
    return std::string(printed);
}

// A decimal integer as tonumber() keeps it (anything else: not read).
bool is_plain_integer(const std::string& text) {
    std::size_t i = !text.empty() && text[0] == '-' ? 1 : 0;
    if (i >= text.size()) return false;
    for (; i < text.size(); ++i)
        if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    return true;
}

class ScriptCalls {
public:
    ScriptCalls(std::string_view code, const std::optional<ScriptParameters>& parameters)
        : tokens_(tokenize(code)), parameters_(&parameters) {
        match_brackets();
        find_assignments();
    }

    void judge(RedisVerdict& out) {
        if (hides_calls()) {
            escalate(out, "script-command-not-visible");
            return;
        }
        for (std::size_t i = 1; i < tokens_.size(); ++i)
            if (is_symbol(i, "(") && is_callee_end(i - 1)) judge_call(i, out);
    }

    // Would a redis.call's command be unreadable without the KEYS and ARGV given?
    bool command_comes_from_caller() {
        static const std::optional<ScriptParameters> kUnknown;
        const std::optional<ScriptParameters>* given = std::exchange(parameters_, &kUnknown);
        bool from_caller = false;
        for (std::size_t i = 1; i < tokens_.size() && !from_caller; ++i) {
            if (!is_symbol(i, "(") || !is_callee_end(i - 1) || !calls_redis(i)) continue;
            const auto ranges = argument_ranges(i);
            if (ranges.empty()) continue;
            const Values name = read_argument(ranges[0].first, ranges[0].second);
            from_caller = !name || name->empty() || !looks_like_redis_command(name->front());
        }
        parameters_ = given;
        return from_caller;
    }

private:
    // Values of an argument: one, several (unpack), or nullopt when not read.
    using Values = std::optional<std::vector<std::string>>;

    bool is_symbol(std::size_t i, std::string_view symbol) const {
        return i < tokens_.size() && tokens_[i].kind == TokenKind::symbol && tokens_[i].raw == symbol;
    }
    bool is_name(std::size_t i, std::string_view name) const {
        return i < tokens_.size() && tokens_[i].kind == TokenKind::name && tokens_[i].raw == name;
    }
    bool is_callee_end(std::size_t i) const {
        return tokens_[i].kind == TokenKind::name || is_symbol(i, ")") || is_symbol(i, "]");
    }
    bool is_field_name(std::size_t i) const { return i > 0 && (is_symbol(i - 1, ".") || is_symbol(i - 1, ":")); }

    void match_brackets() {
        match_.assign(tokens_.size(), tokens_.size());
        std::vector<std::size_t> open;
        for (std::size_t i = 0; i < tokens_.size(); ++i) {
            if (is_symbol(i, "(") || is_symbol(i, "[") || is_symbol(i, "{")) {
                open.push_back(i);
            } else if ((is_symbol(i, ")") || is_symbol(i, "]") || is_symbol(i, "}")) && !open.empty()) {
                match_[open.back()] = i;
                match_[i] = open.back();
                open.pop_back();
            }
        }
    }

    // Every `name = value` (its value's first token), and the names whose
    // value cannot be known from one assignment: targets of `a, b = ...` or
    // `for a, b in`, function parameters. KEYS or ARGV written to, or used
    // other than indexed (`local t = ARGV`), are no longer the EVAL's.
    void find_assignments() {
        for (std::size_t i = 0; i < tokens_.size(); ++i) {
            const LuaToken& token = tokens_[i];
            if (token.kind == TokenKind::name && !is_field_name(i)) {
                if (is_symbol(i + 1, "=")) assigned_[token.raw].push_back(i + 2);
                if (is_symbol(i + 1, ",")) poison_name_list(i);
                if (token.raw == "function") poison_parameters(i);
                if (token.raw == "KEYS" || token.raw == "ARGV") check_parameter_use(i);
            }
        }
    }

    void poison_name_list(std::size_t first) {
        std::size_t j = first + 1;
        while (is_symbol(j, ",") && j + 1 < tokens_.size() && tokens_[j + 1].kind == TokenKind::name) j += 2;
        if (!is_symbol(j, "=") && !is_name(j, "in")) return;
        for (std::size_t k = first; k < j; k += 2) poisoned_.insert(tokens_[k].raw);
    }

    void poison_parameters(std::size_t function_keyword) {
        std::size_t j = function_keyword + 1;
        while (j < tokens_.size() && (tokens_[j].kind == TokenKind::name || is_symbol(j, ".") || is_symbol(j, ":"))) ++j;
        if (!is_symbol(j, "(")) return;
        for (std::size_t k = j + 1; k < match_[j] && k < tokens_.size(); ++k)
            if (tokens_[k].kind == TokenKind::name) poisoned_.insert(tokens_[k].raw);
    }

    void check_parameter_use(std::size_t i) {
        const bool unpacked = i >= 2 && is_name(i - 2, "unpack") && is_symbol(i - 1, "(") && is_symbol(i + 1, ")");
        const bool counted = i >= 1 && is_symbol(i - 1, "#");
        if (is_symbol(i + 1, "[")) {
            if (!is_symbol(match_[i + 1] + 1, "=")) return;  // read, not written
        } else if (unpacked || counted) {
            return;
        }
        poisoned_.insert(tokens_[i].raw);
    }

    // True when the value starting at `i` ends at `end` (a statement boundary
    // follows: not an operator, an index, a call or a list).
    bool ends_statement(std::size_t end) const {
        if (end >= tokens_.size()) return true;
        if (is_symbol(end, ";")) return true;
        return tokens_[end].kind == TokenKind::name && !is_name(end, "and") && !is_name(end, "or");
    }

    // The value of the only assignment of `name`, or nullopt.
    std::optional<std::size_t> single_assignment(std::string_view name) const {
        if (poisoned_.count(name) != 0) return std::nullopt;
        const auto found = assigned_.find(name);
        if (found == assigned_.end() || found->second.size() != 1) return std::nullopt;
        return found->second.front();
    }

    const std::vector<std::string>* parameter_table(std::string_view name) const {
        if (!*parameters_ || poisoned_.count(name) != 0) return nullptr;
        if (name == "KEYS") return &(*parameters_)->keys;
        if (name == "ARGV") return &(*parameters_)->argv;
        return nullptr;
    }

    // Reads the value starting at `i`; `end` is set past it.
    Values read_term(std::size_t i, std::size_t& end, int depth) const {
        if (i >= tokens_.size() || depth > kMaxResolveDepth) return std::nullopt;
        const LuaToken& token = tokens_[i];
        end = i + 1;
        if (token.kind == TokenKind::string) return std::vector<std::string>{token.text};
        if (token.kind == TokenKind::number) return single(lua_number_text(token.raw, false));
        if (is_symbol(i, "-") && i + 1 < tokens_.size() && tokens_[i + 1].kind == TokenKind::number) {
            end = i + 2;
            return single(lua_number_text(tokens_[i + 1].raw, true));
        }
        if (is_symbol(i, "(")) {
            std::size_t inner_end = 0;
            Values inner = read_term(i + 1, inner_end, depth + 1);
            if (!inner || inner->size() != 1 || inner_end != match_[i]) return std::nullopt;
            end = match_[i] + 1;
            return inner;
        }
        if (token.kind != TokenKind::name) return std::nullopt;
        if (const auto* table = parameter_table(token.raw); table != nullptr && is_symbol(i + 1, "[")) {
            const std::size_t close = match_[i + 1];
            if (close != i + 3 || tokens_[i + 2].kind != TokenKind::number) return std::nullopt;
            const std::size_t index = std::strtoul(std::string(tokens_[i + 2].raw).c_str(), nullptr, 10);
            end = close + 1;
            if (index == 0 || index > table->size()) return std::nullopt;
            return std::vector<std::string>{(*table)[index - 1]};
        }
        if ((token.raw == "tonumber" || token.raw == "tostring" || token.raw == "unpack") && is_symbol(i + 1, "("))
            return read_wrapped(i, end, depth);
        if (is_symbol(i + 1, "(") || is_symbol(i + 1, "[") || is_symbol(i + 1, ".") || is_symbol(i + 1, ":"))
            return std::nullopt;
        const auto value_at = single_assignment(token.raw);
        if (!value_at) return std::nullopt;
        std::size_t value_end = 0;
        Values value = read_term(*value_at, value_end, depth + 1);
        if (!value || !ends_statement(value_end)) return std::nullopt;
        return value;
    }

    static Values single(std::optional<std::string> text) {
        if (!text) return std::nullopt;
        return std::vector<std::string>{std::move(*text)};
    }

    // tonumber(x), tostring(x), unpack(KEYS|ARGV).
    Values read_wrapped(std::size_t i, std::size_t& end, int depth) const {
        const std::size_t close = match_[i + 1];
        end = close + 1;
        if (tokens_[i].raw == "unpack") {
            const auto* table = close == i + 3 ? parameter_table(tokens_[i + 2].raw) : nullptr;
            if (table == nullptr) return std::nullopt;
            return *table;
        }
        std::size_t inner_end = 0;
        Values inner = read_term(i + 2, inner_end, depth + 1);
        if (!inner || inner->size() != 1 || inner_end != close) return std::nullopt;
        if (tokens_[i].raw == "tonumber" && !is_plain_integer(inner->front())) return std::nullopt;
        return inner;
    }

    // A whole argument [from, to): its values when it is one readable term.
    Values read_argument(std::size_t from, std::size_t to) const {
        std::size_t end = 0;
        Values values = read_term(from, end, 0);
        if (!values || end != to) return std::nullopt;
        return values;
    }

    // The top-level arguments of the call opened at `open`, as token ranges.
    std::vector<std::pair<std::size_t, std::size_t>> argument_ranges(std::size_t open) const {
        std::vector<std::pair<std::size_t, std::size_t>> ranges;
        const std::size_t close = match_[open];
        std::size_t start = open + 1;
        for (std::size_t i = start; i < close && i < tokens_.size(); ++i) {
            if (is_symbol(i, ",")) {
                ranges.emplace_back(start, i);
                start = i + 1;
            } else if (match_[i] > i && match_[i] < close) {
                i = match_[i];  // skip a nested bracket
            }
        }
        if (start < std::min(close, tokens_.size())) ranges.emplace_back(start, std::min(close, tokens_.size()));
        return ranges;
    }

    // `redis.call(` / `redis.pcall(` (or `server.`), or an alias of them.
    bool calls_redis(std::size_t open) const {
        if (open >= 3 && is_redis_call_path(open - 3)) return true;
        return tokens_[open - 1].kind == TokenKind::name && !is_field_name(open - 1) &&
               is_redis_alias(tokens_[open - 1].raw, 0);
    }

    bool is_redis_call_path(std::size_t i) const {
        return (is_name(i, "redis") || is_name(i, "server")) && !is_field_name(i) && is_symbol(i + 1, ".") &&
               (is_name(i + 2, "call") || is_name(i + 2, "pcall"));
    }

    bool is_redis_alias(std::string_view name, int depth) const {
        const auto value_at = single_assignment(name);
        if (!value_at || *value_at >= tokens_.size() || depth > kMaxResolveDepth) return false;
        if (is_redis_call_path(*value_at)) return ends_statement(*value_at + 3);
        return tokens_[*value_at].kind == TokenKind::name && ends_statement(*value_at + 1) &&
               is_redis_alias(tokens_[*value_at].raw, depth + 1);
    }

    // A use of redis that the call analysis could not follow.
    bool hides_calls() const {
        static const std::set<std::string_view> kReachAnything = {"_G", "getfenv", "setfenv", "rawget", "loadstring",
                                                                  "load", "debug"};
        for (std::size_t i = 0; i < tokens_.size(); ++i) {
            if (tokens_[i].kind != TokenKind::name || is_field_name(i)) continue;
            if (kReachAnything.count(tokens_[i].raw) != 0) return true;
            // Valkey names the object `server` too; a local of that name
            // (`local server = ARGV[1]`) is no use of it.
            const bool valkey_object = tokens_[i].raw == "server" && is_symbol(i + 1, ".");
            if (tokens_[i].raw == "redis" || valkey_object) {
                if (!is_symbol(i + 1, ".") || i + 2 >= tokens_.size() || tokens_[i + 2].kind != TokenKind::name)
                    return true;
                if (is_redis_call_path(i) && !is_symbol(i + 3, "(") && !is_alias_value(i, 3)) return true;
            } else if (is_redis_alias(tokens_[i].raw, 0) && !is_symbol(i + 1, "(") && !is_symbol(i + 1, "=") &&
                       !is_alias_value(i, 1)) {
                return true;
            }
        }
        return false;
    }

    // The `length` tokens at `i` are the whole value of a clean alias.
    bool is_alias_value(std::size_t i, std::size_t length) const {
        return i >= 2 && is_symbol(i - 1, "=") && tokens_[i - 2].kind == TokenKind::name &&
               is_redis_alias(tokens_[i - 2].raw, 0) && ends_statement(i + length);
    }

    void judge_call(std::size_t open, RedisVerdict& out) {
        const auto ranges = argument_ranges(open);
        const bool redis_call = calls_redis(open);
        if (ranges.empty()) return;
        const Values name = read_argument(ranges[0].first, ranges[0].second);
        if (!name || name->empty() || !looks_like_redis_command(name->front())) {
            if (redis_call) escalate(out, "script-command-not-visible");
            return;
        }
        std::vector<std::optional<std::string>> arguments;
        for (std::size_t k = 0; k < ranges.size(); ++k) {
            Values values = read_argument(ranges[k].first, ranges[k].second);
            if (values) {
                for (std::string& value : *values) arguments.emplace_back(std::move(value));
                continue;
            }
            arguments.emplace_back(std::nullopt);
            const bool last = k + 1 == ranges.size();
            const std::size_t last_token = ranges[k].second - 1;
            if (last && (is_symbol(last_token, ")") || is_symbol(last_token, "...")))
                arguments.insert(arguments.end(), kUnknownTailArguments, std::nullopt);
        }
        judge_with_probes(arguments, out);
    }

    // Tries every choice of probe values for the unknown arguments.
    void judge_with_probes(const std::vector<std::optional<std::string>>& arguments, RedisVerdict& out) {
        const std::string lowered_name = lower(arguments.front().value_or(""));
        // Scripts cannot call scripts (Redis refuses EVAL & co. inside one).
        if (lowered_name.starts_with("eval") || lowered_name.starts_with("fcall")) return;
        std::vector<std::size_t> unknown;
        for (std::size_t k = 0; k < arguments.size(); ++k)
            if (!arguments[k]) unknown.push_back(k);
        const std::size_t choices = std::size_t{1} << std::min(unknown.size(), kMaxUnknownArguments + 1);
        if (unknown.size() > kMaxUnknownArguments || choices > probes_left_) {
            escalate(out, "script-arguments-not-visible");
            return;
        }
        probes_left_ -= choices;
        std::vector<std::string> call(arguments.size());
        for (std::size_t k = 0; k < arguments.size(); ++k) call[k] = arguments[k].value_or("");
        for (std::size_t choice = 0; choice < choices; ++choice) {
            for (std::size_t u = 0; u < unknown.size(); ++u) call[unknown[u]] = kProbeValues[(choice >> u) & 1];
            const RedisVerdict inner = classify_redis_command(call);
            if (inner.tier == Tier::destructive) {
                escalate(out, "script-calls:" + inner.operation);
                if (!unknown.empty()) out.flags.push_back("script-arguments-not-visible");
                return;
            }
        }
    }

    static std::string lower(std::string text) {
        for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return text;
    }

    static void escalate(RedisVerdict& out, std::string flag) {
        out.tier = Tier::destructive;
        if (std::find(out.flags.begin(), out.flags.end(), flag) == out.flags.end()) out.flags.push_back(std::move(flag));
    }

    std::vector<LuaToken> tokens_;
    const std::optional<ScriptParameters>* parameters_;  // what KEYS and ARGV resolve to
    std::vector<std::size_t> match_;  // the matching bracket's index (tokens_.size(): none)
    std::map<std::string_view, std::vector<std::size_t>> assigned_;
    std::set<std::string_view> poisoned_;
    std::size_t probes_left_ = kMaxProbesPerScript;
};

}  // namespace

void judge_script_calls(std::string_view code, const std::optional<ScriptParameters>& parameters,
                        RedisVerdict& out, bool* command_from_caller) {
    ScriptCalls calls(code, parameters);
    calls.judge(out);
    if (command_from_caller != nullptr) *command_from_caller = calls.command_comes_from_caller();
}

}  // namespace askfirst::classifiers::redis
