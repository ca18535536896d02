// classifiers/redis_script_calls.h — the calls a Redis Lua script makes,
// judged with their arguments (§19: "EVAL: scan the script"), for
// redis_scripts.cpp. Internal to the redis classifier.
//
// redis_scripts.cpp's literal scan finds commands that delete by their name
// alone (FLUSHALL, DEL). Some commands delete only with certain arguments:
// EXPIRE k 0, EXPIREAT/PEXPIREAT in the past, SET/GETEX ... EXAT|PXAT <past>,
// HEXPIRE 0. This reads each call's arguments and hands the call to
// classify_redis_command, so the script is judged by the same rules as the
// top-level command (nothing here knows which commands or values delete).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "classifiers/redis_commands.h"

namespace askfirst::classifiers::redis {

// What KEYS and ARGV hold when the script runs: known for an EVAL (its own
// arguments), unknown (nullopt) for stored code run later (SCRIPT LOAD,
// FUNCTION LOAD), whose callers pass anything.
struct ScriptParameters {
    std::vector<std::string> keys;
    std::vector<std::string> argv;
};

// Escalates `out` to destructive (flag "script-calls:<OP>") when a call of
// `code` is destructive with the arguments it passes. An argument that is
// not a constant askfirst can read counts as the worst value it could take;
// a call to redis.call/redis.pcall whose command cannot be read, or a use of
// `redis` that hides its calls (redis.call passed around, _G, loadstring),
// makes the script destructive (flag "script-command-not-visible").
// With `command_from_caller`, also tells whether a redis.call's command
// would be unreadable without these KEYS/ARGV (EVAL caches the script, and
// EVALSHA reruns it with any): one reading of the script for both.
void judge_script_calls(std::string_view code, const std::optional<ScriptParameters>& parameters,
                        RedisVerdict& out, bool* command_from_caller = nullptr);

// Lua 5.1 string literals, shared with redis_scripts.cpp's literal scan: a
// long bracket `[[...]]`/`[==[...]==]` at `pos` (false when there is none),
// and a quoted string at `pos` with its escapes decoded; `pos` moves past it.
bool read_lua_long_string(std::string_view text, std::size_t& pos, std::string& out);
void read_lua_quoted(std::string_view text, std::size_t& pos, std::string& out);
// A word that could name a Redis command (letters, digits, '.', '_', '-').
bool looks_like_redis_command(std::string_view word);

}  // namespace askfirst::classifiers::redis
