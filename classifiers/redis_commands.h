// classifiers/redis_commands.h — Redis commands in, tier out
// (classifier-rules.md §19). Used by the Upstash REST provider (redis.cpp);
// a RESP proxy would call the same function.
//
// The label comes from the COMMAND metadata (generated table
// redis_commands.inc: flags `write`, `readonly`, `admin`, ...) plus two
// hand-kept lists with reasons: commands that delete (destructive) and
// introspection/connection commands that carry no `readonly` flag but change
// nothing (read). Scripts (EVAL) are scanned for the commands they call.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "classifiers/classification.h"

namespace askfirst::classifiers::redis {

// Flag bits of redis_commands.inc (names as in Redis COMMAND INFO).
enum RedisFlag : std::uint16_t {
    kRedisWrite = 1 << 0,
    kRedisReadonly = 1 << 1,
    kRedisAdmin = 1 << 2,
    kRedisPubsub = 1 << 3,
    kRedisDenyoom = 1 << 4,
    kRedisBlocking = 1 << 5,
    kRedisScriptRunner = 1 << 6,
    kRedisContainer = 1 << 7,  // has subcommands (ACL, CLIENT, CONFIG, ...)
};

struct RedisCommandInfo {
    std::string_view name;  // lower-case; "container|sub" for subcommands
    std::uint16_t flags;
};

// The metadata row, or nullptr for a command Redis does not list (modules).
const RedisCommandInfo* find_redis_command(std::string_view lower_name);

// Every row of the generated table, sorted by name (for tests that pin a
// rule over every command or subcommand name).
std::span<const RedisCommandInfo> redis_command_table();

struct RedisVerdict {
    Tier tier = Tier::write;
    std::string operation;            // "FLUSHDB", "ACL USERS", "EVAL"
    std::vector<std::string> flags;   // "expire-schedules-deletion", "unknown-command", ...
};

// One command with its arguments (args[0] is the command name, any case).
// A name the table does not list is at least a write, whatever follows it:
// only a container the table knows (ACL, CONFIG, ...) is judged by its
// second word, so `X HELP` or `X GET` with an unknown X is never a read.
RedisVerdict classify_redis_command(const std::vector<std::string>& args);

// A pipeline or MULTI/EXEC transaction: the most severe command.
RedisVerdict classify_redis_commands(const std::vector<std::vector<std::string>>& commands);

}  // namespace askfirst::classifiers::redis
