// classifiers/redis_commands.cpp — the Redis labeling policy (§19) over the
// generated COMMAND metadata table.
//
// Order of the rules: the destructive list; scripts (EVAL scans its Lua);
// the `write` flag; the `readonly` flag; the read list (introspection and
// connection commands that Redis does not flag readonly); `admin` and
// everything else without `readonly` is a write (fail-closed).
#include "classifiers/redis_commands.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <optional>
#include <span>

namespace askfirst::classifiers::redis {
namespace {

constexpr RedisCommandInfo kRedisCommands[] = {
#include "classifiers/redis_commands.inc"
};

struct Reasoned {
    std::string_view name;
    std::string_view reason;
};

// §19 destructive list, and the commands of the same kind it implies.
constexpr std::array<Reasoned, 35> kDestructive = {{
    {"flushall", "deletes every key in every database"},
    {"flushdb", "deletes every key in the database"},
    {"del", "deletes keys"},
    {"unlink", "deletes keys (asynchronously)"},
    {"getdel", "deletes the key after reading it"},
    {"hgetdel", "deletes hash fields after reading them"},
    {"hdel", "deletes hash fields"},
    {"srem", "removes set members"},
    {"zrem", "removes sorted-set members"},
    {"lrem", "removes list elements"},
    {"zremrangebyrank", "removes a range of sorted-set members"},
    {"zremrangebyscore", "removes a range of sorted-set members"},
    {"zremrangebylex", "removes a range of sorted-set members"},
    {"xdel", "deletes stream entries"},
    {"delex", "deletes the key when its value matches"},
    {"ardel", "deletes array elements"},
    {"ardelrange", "deletes a range of array elements"},
    {"vrem", "removes a vector-set element"},
    {"trimslots", "deletes the keys of the given hash slots"},
    {"xdelex", "deletes stream entries"},
    {"xackdel", "acknowledges and deletes stream entries"},
    {"xtrim", "discards old stream entries"},
    {"ltrim", "discards list elements outside the range"},
    {"script|flush", "deletes every cached Lua script"},
    {"function|flush", "deletes every function library"},
    {"function|delete", "deletes a function library"},
    {"acl|deluser", "deletes ACL users"},
    {"xgroup|destroy", "deletes a consumer group and its pending list"},
    {"xgroup|delconsumer", "deletes a consumer and its pending messages"},
    {"replicaof", "turns the node into a replica: its dataset is discarded"},
    {"slaveof", "turns the node into a replica: its dataset is discarded"},
    {"cluster|reset", "a replica reset becomes an empty master: its dataset is flushed"},
    {"json.del", "deletes a JSON value (RedisJSON)"},
    {"json.forget", "deletes a JSON value (RedisJSON)"},
    {"ft.dropindex", "drops a search index (RediSearch; DD also deletes the documents)"},
}};

// No `readonly` flag, but they only return information or set state of the
// caller's own connection.
constexpr std::array<std::string_view, 81> kRead = {
    "asking", "auth", "discard", "echo", "exec", "hello", "info", "lastsave", "multi", "ping", "quit",
    "readonly", "readwrite", "reset", "role", "select", "time", "unwatch", "watch", "wait", "waitaof",
    "monitor", "pfselftest", "subscribe", "psubscribe", "ssubscribe", "unsubscribe",
    "punsubscribe", "sunsubscribe",
    "acl|cat", "acl|whoami", "acl|genpass", "acl|help", "acl|getuser", "acl|list", "acl|users", "acl|log",
    "acl|dryrun",
    "client|caching", "client|getname", "client|getredir", "client|help", "client|id", "client|info",
    "client|list", "client|no-touch", "client|reply", "client|setinfo", "client|setname",
    "client|tracking", "client|trackinginfo",
    "cluster|countkeysinslot", "cluster|getkeysinslot", "cluster|help", "cluster|info", "cluster|keyslot",
    "cluster|links", "cluster|myid", "cluster|myshardid", "cluster|nodes", "cluster|shards",
    "cluster|slot-stats", "cluster|slots", "cluster|count-failure-reports", "cluster|replicas",
    "cluster|slaves",
    "config|get", "config|help", "latency|doctor", "latency|graph", "latency|help", "latency|histogram",
    "latency|history", "latency|latest", "module|list", "script|exists", "function|dump", "function|list",
    "function|stats", "bless|get", "bless|scan",
};
// Whole families that only inspect.
constexpr std::array<std::string_view, 8> kReadFamilies = {"command", "memory", "object", "pubsub", "xinfo",
                                                           "slowlog", "hotkeys", "backup"};
// Members of those families that do change something.
constexpr std::array<std::string_view, 8> kFamilyWrites = {
    "slowlog|reset", "hotkeys|reset", "hotkeys|start", "hotkeys|stop",
    "backup|abort", "backup|cleanup", "backup|seal", "backup|start"};

// Module commands Redis's COMMAND table does not list (RedisJSON, RediSearch,
// RedisTimeSeries docs): the ones that only read.
constexpr std::array<std::string_view, 14> kModuleReads = {
    "json.get", "json.mget", "json.type", "json.strlen", "json.arrlen", "json.objkeys", "json.objlen",
    "json.resp", "ft.search", "ft.aggregate", "ft.info", "ft._list", "ts.get", "ts.range"};

template <std::size_t N>
bool in(const std::array<std::string_view, N>& table, std::string_view name) {
    return std::find(table.begin(), table.end(), name) != table.end();
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string upper(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

RedisVerdict verdict(Tier tier, std::string operation) {
    RedisVerdict out;
    out.tier = tier;
    out.operation = std::move(operation);
    return out;
}

bool has_word(const std::vector<std::string>& args, std::size_t from, std::string_view upper_word) {
    for (std::size_t i = from; i < args.size(); ++i)
        if (upper(args[i]) == upper_word) return true;
    return false;
}

// MIGRATE's options as the server reads them (after host, port, key,
// db, timeout): COPY keeps the keys here. The names after KEYS are keys,
// never options ("KEYS COPY" migrates a key named COPY); AUTH takes one
// word, AUTH2 two.
bool migrate_copies(const std::vector<std::string>& args) {
    for (std::size_t i = 6; i < args.size(); ++i) {
        const std::string word = upper(args[i]);
        if (word == "COPY") return true;
        if (word == "KEYS") return false;
        if (word == "AUTH") i += 1;
        else if (word == "AUTH2") i += 2;
        else if (word != "REPLACE") return false;
    }
    return false;
}

// A Redis integer argument as the server reads it (string2ll: an optional
// '-', digits, nothing else), or nothing.
std::optional<long long> redis_integer(const std::string& text) {
    long long value = 0;
    const char* end = text.data() + text.size();
    const auto [at, error] = std::from_chars(text.data(), end, value);
    if (error != std::errc() || at != end || text.empty()) return std::nullopt;
    return value;
}

// An absolute expiry (EXPIREAT/PEXPIREAT, or SET/GETEX's EXAT/PXAT option)
// at or before now deletes the key at once, as EXPIRE 0 does. The one rule
// here that reads the clock: a timestamp in the future is a scheduled
// deletion (a flagged write), one in the past is a deletion now.
bool absolute_expiry_is_past(const std::string& key, const std::vector<std::string>& args) {
    using namespace std::chrono;
    const auto now_ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    auto past = [&](const std::string& text, bool in_ms) {
        const auto value = redis_integer(text);
        return value && (in_ms ? *value <= now_ms : *value <= now_ms / 1000);
    };
    if (key == "expireat" || key == "pexpireat") return args.size() >= 3 && past(args[2], key == "pexpireat");
    if (key != "set" && key != "getex") return false;
    for (std::size_t i = 2; i + 1 < args.size(); ++i) {
        const std::string option = upper(args[i]);
        if ((option == "EXAT" || option == "PXAT") && past(args[i + 1], option == "PXAT")) return true;
    }
    return false;
}

// RESTORE key ttl payload REPLACE ABSTTL with a time already past: Redis
// finds the value expired, deletes the key it was to replace (propagated as
// DEL) and restores nothing (cluster.c restoreCommand). Without REPLACE an
// existing key is refused (BUSYKEY); a relative TTL is never past.
bool restore_deletes_now(const std::string& key, const std::vector<std::string>& args) {
    if ((key != "restore" && key != "restore-asking") || args.size() < 4) return false;
    if (!has_word(args, 4, "REPLACE") || !has_word(args, 4, "ABSTTL")) return false;
    using namespace std::chrono;
    const auto now_ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    const auto ttl = redis_integer(args[2]);
    return ttl && *ttl > 0 && *ttl <= now_ms;  // 0: no expiry
}

// XADD key [NOMKSTREAM] [KEEPREF|DELREF|ACKED] [MAXLEN|MINID ...] id ...:
// a trim option before the ID discards entries as XTRIM does.
bool xadd_trims(const std::string& key, const std::vector<std::string>& args) {
    if (key != "xadd") return false;
    for (std::size_t i = 2; i < args.size(); ++i) {
        const std::string word = upper(args[i]);
        if (word == "MAXLEN" || word == "MINID") return true;
        if (word != "NOMKSTREAM" && word != "KEEPREF" && word != "DELREF" && word != "ACKED") return false;
    }
    return false;
}

// DEBUG LOADAOF empties the dataset and loads the AOF (whatever it holds, if
// AOF is off); DEBUG RELOAD NOSAVE empties it and loads the last RDB, losing
// what was written since, unless MERGE or NOFLUSH keep it (debug.c).
bool debug_replaces_dataset(const std::string& key, const std::vector<std::string>& args) {
    if (key != "debug" || args.size() < 2) return false;
    const std::string sub = upper(args[1]);
    if (sub == "LOADAOF") return true;
    return sub == "RELOAD" && has_word(args, 2, "NOSAVE") && !has_word(args, 2, "MERGE") && !has_word(args, 2, "NOFLUSH");
}

// Hash field expiration (Redis 7.4+, Upstash): a relative TTL of 0 or less
// (HEXPIRE/HPEXPIRE, HGETEX/HSETEX EX/PX) or an absolute one at or before
// now (HEXPIREAT/HPEXPIREAT, HGETEX/HSETEX EXAT/PXAT) deletes the fields at
// once, as EXPIRE 0 and EXPIREAT in the past delete the key. HGETEX/HSETEX
// options come before FIELDS (what follows are field names and values).
bool hash_field_expiry_deletes_now(const std::string& key, const std::vector<std::string>& args) {
    using namespace std::chrono;
    const auto now_ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    auto at_or_before_now = [&](const std::string& text, bool in_ms) {
        const auto value = redis_integer(text);
        return value && (in_ms ? *value <= now_ms : *value <= now_ms / 1000);
    };
    auto not_positive = [](const std::string& text) {
        const auto value = redis_integer(text);
        return value && *value <= 0;
    };
    if (key == "hexpire" || key == "hpexpire") return args.size() >= 3 && not_positive(args[2]);
    if (key == "hexpireat" || key == "hpexpireat") return args.size() >= 3 && at_or_before_now(args[2], key == "hpexpireat");
    if (key != "hgetex" && key != "hsetex") return false;
    for (std::size_t i = 2; i + 1 < args.size(); ++i) {
        const std::string option = upper(args[i]);
        if (option == "FIELDS") break;
        if ((option == "EX" || option == "PX") && not_positive(args[i + 1])) return true;
        if ((option == "EXAT" || option == "PXAT") && at_or_before_now(args[i + 1], option == "PXAT")) return true;
    }
    return false;
}

// EXPIRE key 0 (or a negative TTL) deletes the key at once.
bool ttl_is_not_positive(const std::string& key, const std::vector<std::string>& args) {
    if ((key != "expire" && key != "pexpire") || args.size() < 3 || args[2].empty()) return false;
    const std::string& ttl = args[2];
    return ttl == "0" || (ttl[0] == '-' && ttl.size() > 1 && std::isdigit(static_cast<unsigned char>(ttl[1])));
}

// MIGRATE moves its keys to another server and deletes them here, unless COPY.
bool migrate_removes_keys(const std::string& key, const std::vector<std::string>& args) {
    return key == "migrate" && !migrate_copies(args);
}

bool function_restore_flushes(const std::string& key, const std::vector<std::string>& args) {
    return key == "function|restore" && has_word(args, 3, "FLUSH");
}

// Arguments that make a command destructive, each with the flag that says why.
struct DeletingArguments {
    bool (*deletes)(const std::string& key, const std::vector<std::string>& args);
    const char* flag;
};
constexpr DeletingArguments kDeletingArguments[] = {
    {ttl_is_not_positive, "non-positive-ttl-deletes-now"},
    {absolute_expiry_is_past, "past-expiry-deletes-now"},
    {restore_deletes_now, "past-expiry-deletes-now"},
    {xadd_trims, "trims-stream"},
    {debug_replaces_dataset, "debug-reload-replaces-dataset"},
    {hash_field_expiry_deletes_now, "field-expiry-deletes-now"},
    {migrate_removes_keys, "migrate-removes-keys-here"},
    {function_restore_flushes, "flush-policy-deletes-libraries"},
};

// Content rules on top of the name: REPLICAOF NO ONE keeps the data, the
// rows above delete, EXPIRE/RENAME are flagged writes.
void apply_argument_rules(const std::string& key, const std::vector<std::string>& args, RedisVerdict& out) {
    if ((key == "replicaof" || key == "slaveof") && args.size() >= 3 && upper(args[1]) == "NO" &&
        upper(args[2]) == "ONE") {
        out.tier = Tier::write;
        out.flags.push_back("promotes-replica-to-master");
    }
    for (const DeletingArguments& rule : kDeletingArguments) {
        if (!rule.deletes(key, args)) continue;
        out.tier = Tier::destructive;
        out.flags.push_back(rule.flag);
    }
    if (key == "acl|log" && has_word(args, 2, "RESET")) out.tier = Tier::write;
    if (key.find("expire") != std::string::npos && out.tier == Tier::write) out.flags.push_back("expire-schedules-deletion");
    if (key == "rename") out.flags.push_back("rename-overwrites-destination");
    if ((key == "restore" || key == "copy" || key == "migrate") && has_word(args, 1, "REPLACE"))
        out.flags.push_back("replaces-existing-key");
    if (key == "shutdown" && has_word(args, 1, "NOSAVE")) out.flags.push_back("nosave-loses-writes");
    if (key == "flushall" || key == "flushdb") out.flags.push_back("deletes-all-keys");
}

// The table key for a command: "acl|users" for container commands.
std::string command_key(const std::vector<std::string>& args, std::string& operation) {
    std::string key = lower(args[0]);
    operation = upper(args[0]);
    const RedisCommandInfo* info = find_redis_command(key);
    if (info != nullptr && (info->flags & kRedisContainer) && args.size() > 1) {
        key += "|" + lower(args[1]);
        operation += " " + upper(args[1]);
    }
    return key;
}

RedisVerdict unknown_command(std::string operation) {
    RedisVerdict unknown = verdict(Tier::write, std::move(operation));
    unknown.flags.push_back("unknown-command");
    return unknown;
}

RedisVerdict classify_by_metadata(const std::string& key, std::string operation) {
    const RedisCommandInfo* info = find_redis_command(key);
    if (info == nullptr) {
        if (in(kModuleReads, key)) return verdict(Tier::read, std::move(operation));
        return unknown_command(std::move(operation));
    }
    const std::string family = key.substr(0, key.find('|'));
    if (info->flags & kRedisWrite) return verdict(Tier::write, std::move(operation));
    if (info->flags & kRedisReadonly) return verdict(Tier::read, std::move(operation));
    const bool help = key.ends_with("|help");  // every container's HELP lists its subcommands
    if (help || in(kRead, key) || (in(kReadFamilies, family) && !in(kFamilyWrites, key)))
        return verdict(Tier::read, std::move(operation));
    RedisVerdict other = verdict(Tier::write, std::move(operation));
    if (info->flags & kRedisAdmin) other.flags.push_back("admin-command");
    else if (info->flags & kRedisPubsub) other.flags.push_back("sends-a-message");
    else other.flags.push_back("no-readonly-flag");
    return other;
}

}  // namespace

const RedisCommandInfo* find_redis_command(std::string_view lower_name) {
    const auto* end = std::end(kRedisCommands);
    const auto* found = std::lower_bound(std::begin(kRedisCommands), end, lower_name,
                                         [](const RedisCommandInfo& row, std::string_view name) { return row.name < name; });
    return found != end && found->name == lower_name ? found : nullptr;
}

std::span<const RedisCommandInfo> redis_command_table() { return kRedisCommands; }

RedisVerdict classify_script_command(const std::string& key, const std::vector<std::string>& args,
                                     std::string operation);
void judge_stored_lua(const std::string& key, const std::vector<std::string>& args, RedisVerdict& out);

RedisVerdict classify_redis_command(const std::vector<std::string>& args) {
    if (args.empty()) {
        RedisVerdict empty = verdict(Tier::write, "empty command");
        empty.flags.push_back("unknown-command");
        return empty;
    }
    // "acl|users" is the table's spelling of a subcommand, never a name a
    // client sends: Redis refuses it, and it must not reach a table row.
    if (args[0].find('|') != std::string::npos) return unknown_command(upper(args[0]));
    std::string operation;
    const std::string key = command_key(args, operation);
    RedisVerdict out;
    const auto destructive = std::find_if(kDestructive.begin(), kDestructive.end(),
                                          [&](const Reasoned& entry) { return entry.name == key; });
    if (destructive != kDestructive.end()) {
        out = verdict(Tier::destructive, operation);
        out.flags.push_back(std::string(destructive->reason));
    } else if (key == "eval" || key == "evalsha" || key == "fcall") {
        out = classify_script_command(key, args, operation);
    } else {
        out = classify_by_metadata(key, operation);
    }
    apply_argument_rules(key, args, out);
    judge_stored_lua(key, args, out);
    return out;
}

RedisVerdict classify_redis_commands(const std::vector<std::vector<std::string>>& commands) {
    if (commands.empty()) return verdict(Tier::read, "empty pipeline");
    RedisVerdict worst;
    bool first = true;
    std::vector<std::string> flags;
    for (const auto& command : commands) {
        RedisVerdict one = classify_redis_command(command);
        flags.insert(flags.end(), one.flags.begin(), one.flags.end());
        if (first || one.tier > worst.tier) worst = std::move(one);
        first = false;
    }
    std::sort(flags.begin(), flags.end());
    flags.erase(std::unique(flags.begin(), flags.end()), flags.end());
    worst.flags = std::move(flags);
    return worst;
}

}  // namespace askfirst::classifiers::redis
