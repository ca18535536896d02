// Unit tests for the `redis` provider (classifiers/redis*.cpp: Upstash REST
// shapes, the §19 policy over COMMAND metadata, EVAL scans) and the
// `mongodb` provider (classifiers/mongodb.cpp: Data API actions, $out and
// $merge, Admin API methods, restore onto the source cluster).
#include <doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "classifiers/redis_commands.h"
#include "classifiers/registry.h"

using namespace askfirst::classifiers;

namespace {

struct HttpCase {
    const char* behaviour;
    std::string provider, method, host, path;
    std::string body;
    Tier tier;
    std::string operation;  // exact ("" = not checked)
    std::string flag = {};
};

void check_cases(const std::vector<HttpCase>& cases) {
    for (const HttpCase& c : cases) {
        INFO(std::string(c.behaviour));
        HttpRequest request;
        request.method = c.method;
        request.host = c.host;
        request.path = c.path;
        request.body = c.body;
        const Classification got = classify(request);
        CHECK(got.provider == c.provider);
        CHECK(tier_name(got.tier) == tier_name(c.tier));
        if (!c.operation.empty()) CHECK(got.operation == c.operation);
        if (!c.flag.empty()) CHECK(std::count(got.flags.begin(), got.flags.end(), c.flag) == 1);
    }
}

const std::string kUpstash = "us1-merry-cat-32748.upstash.io";

struct CommandCase {
    const char* behaviour;
    std::vector<std::string> args;
    Tier tier;
    std::string operation;
    std::string flag = {};
};

}  // namespace

TEST_CASE("redis: §19 policy over the COMMAND metadata") {
    const std::vector<CommandCase> cases = {
        {"readonly flag reads", {"GET", "k"}, Tier::read, "GET"},
        {"write flag writes", {"set", "k", "v"}, Tier::write, "SET"},
        {"FLUSHALL is destructive", {"FLUSHALL", "ASYNC"}, Tier::destructive, "FLUSHALL", "deletes-all-keys"},
        {"DEL is destructive", {"DEL", "a", "b"}, Tier::destructive, "DEL"},
        {"*REM* removes members", {"ZREMRANGEBYSCORE", "z", "0", "1"}, Tier::destructive, "ZREMRANGEBYSCORE"},
        {"XACKDEL deletes like XDEL", {"XACKDEL", "s", "g", "IDS", "1", "0-1"}, Tier::destructive, "XACKDEL"},
        {"SCRIPT FLUSH (container subcommand)", {"SCRIPT", "FLUSH"}, Tier::destructive, "SCRIPT FLUSH"},
        {"FUNCTION DELETE", {"FUNCTION", "DELETE", "lib"}, Tier::destructive, "FUNCTION DELETE"},
        {"ACL DELUSER", {"ACL", "DELUSER", "bob"}, Tier::destructive, "ACL DELUSER"},
        {"XGROUP DESTROY", {"XGROUP", "DESTROY", "s", "g"}, Tier::destructive, "XGROUP DESTROY"},
        {"REPLICAOF host port discards the dataset", {"REPLICAOF", "10.0.0.1", "6379"}, Tier::destructive, "REPLICAOF"},
        {"REPLICAOF NO ONE keeps the data", {"REPLICAOF", "NO", "ONE"}, Tier::write, "REPLICAOF",
         "promotes-replica-to-master"},
        {"JSON.DEL (module) is destructive", {"JSON.DEL", "doc", "$.a"}, Tier::destructive, "JSON.DEL"},
        {"MIGRATE moves keys away: gone from this server", {"MIGRATE", "10.0.0.9", "6379", "k", "0", "5000"},
         Tier::destructive, "MIGRATE", "migrate-removes-keys-here"},
        {"MIGRATE ... COPY keeps them", {"MIGRATE", "10.0.0.9", "6379", "k", "0", "5000", "AUTH", "COPY", "COPY"},
         Tier::write, "MIGRATE"},
        {"MIGRATE ... KEYS COPY moves a key named COPY", {"MIGRATE", "10.0.0.9", "6379", "", "0", "5000", "KEYS", "COPY"},
         Tier::destructive, "MIGRATE", "migrate-removes-keys-here"},
        {"EXPIRE is a flagged write", {"EXPIRE", "k", "60"}, Tier::write, "EXPIRE", "expire-schedules-deletion"},
        {"EXPIRE 0 deletes now", {"EXPIRE", "k", "0"}, Tier::destructive, "EXPIRE", "non-positive-ttl-deletes-now"},
        {"EXPIREAT in the past deletes now", {"EXPIREAT", "k", "1"}, Tier::destructive, "EXPIREAT", "past-expiry-deletes-now"},
        {"PEXPIREAT in the past deletes now", {"PEXPIREAT", "k", "1000"}, Tier::destructive, "PEXPIREAT",
         "past-expiry-deletes-now"},
        {"EXPIREAT far ahead is a flagged write", {"EXPIREAT", "k", "32503680000"}, Tier::write, "EXPIREAT",
         "expire-schedules-deletion"},
        {"EXPIREAT with a negative time deletes now", {"expireat", "k", "-5"}, Tier::destructive, "EXPIREAT"},
        {"GETEX PXAT in the past deletes now", {"GETEX", "k", "pxat", "1"}, Tier::destructive, "GETEX",
         "past-expiry-deletes-now"},
        {"SET ... EXAT in the past deletes the key it sets", {"SET", "k", "v", "EXAT", "1"}, Tier::destructive, "SET",
         "past-expiry-deletes-now"},
        {"SET ... EX 60 is a write", {"SET", "k", "v", "EX", "60"}, Tier::write, "SET"},
        // Hash field expiration (Redis 7.4+, Upstash): a TTL of 0 or a time in the
        // past deletes the fields now, as EXPIRE 0 deletes the key (these were
        // flagged writes, which block-destructive passes).
        {"HEXPIRE 0 deletes the fields now", {"HEXPIRE", "k", "0", "FIELDS", "1", "f"}, Tier::destructive, "HEXPIRE",
         "field-expiry-deletes-now"},
        {"HPEXPIRE with a negative TTL", {"hpexpire", "k", "-1", "FIELDS", "1", "f"}, Tier::destructive, "HPEXPIRE"},
        {"HEXPIREAT in the past", {"HEXPIREAT", "k", "1", "FIELDS", "1", "f"}, Tier::destructive, "HEXPIREAT"},
        {"HPEXPIREAT in the past", {"HPEXPIREAT", "k", "1000", "FIELDS", "2", "f", "g"}, Tier::destructive,
         "HPEXPIREAT"},
        {"HGETEX PXAT in the past", {"HGETEX", "k", "PXAT", "1", "FIELDS", "1", "f"}, Tier::destructive, "HGETEX"},
        {"HSETEX EXAT in the past", {"HSETEX", "k", "EXAT", "1", "FIELDS", "1", "f", "v"}, Tier::destructive,
         "HSETEX"},
        {"HEXPIRE 60 is a flagged write", {"HEXPIRE", "k", "60", "FIELDS", "1", "f"}, Tier::write, "HEXPIRE",
         "expire-schedules-deletion"},
        {"a field named EXAT after FIELDS is no option", {"HGETEX", "k", "EX", "60", "FIELDS", "2", "EXAT", "1"},
         Tier::write, "HGETEX"},
        {"an EXAT value the server would refuse is not a past time", {"SET", "k", "v", "EXAT", "+1"}, Tier::write, "SET"},
        {"RENAME is a flagged write", {"RENAME", "a", "b"}, Tier::write, "RENAME", "rename-overwrites-destination"},
        // Red team 4: each of these deleted data as a write.
        {"RESTORE REPLACE with an absolute TTL in the past deletes the key",
         {"RESTORE", "k", "1", "payload", "REPLACE", "ABSTTL"}, Tier::destructive, "RESTORE", "past-expiry-deletes-now"},
        {"RESTORE-ASKING likewise", {"RESTORE-ASKING", "k", "1", "payload", "ABSTTL", "REPLACE"}, Tier::destructive,
         "RESTORE-ASKING", "past-expiry-deletes-now"},
        {"RESTORE REPLACE with a relative TTL is a write", {"RESTORE", "k", "1", "payload", "REPLACE"}, Tier::write,
         "RESTORE", "replaces-existing-key"},
        {"RESTORE ABSTTL past without REPLACE deletes nothing (BUSYKEY)", {"RESTORE", "k", "1", "payload", "ABSTTL"},
         Tier::write, "RESTORE"},
        {"XADD MAXLEN trims the stream as XTRIM does", {"XADD", "s", "MAXLEN", "0", "*", "f", "v"}, Tier::destructive,
         "XADD", "trims-stream"},
        {"XADD NOMKSTREAM MINID ~ trims", {"XADD", "s", "NOMKSTREAM", "MINID", "~", "9999999999999", "*", "f", "v"},
         Tier::destructive, "XADD", "trims-stream"},
        {"XADD without a trim option writes", {"XADD", "s", "*", "MAXLEN", "0"}, Tier::write, "XADD"},
        {"DEBUG LOADAOF empties the dataset and loads the AOF", {"DEBUG", "LOADAOF"}, Tier::destructive, "DEBUG",
         "debug-reload-replaces-dataset"},
        {"DEBUG RELOAD NOSAVE loads the last RDB over the dataset", {"DEBUG", "RELOAD", "NOSAVE"}, Tier::destructive,
         "DEBUG", "debug-reload-replaces-dataset"},
        {"DEBUG RELOAD saves first", {"DEBUG", "RELOAD"}, Tier::write, "DEBUG"},
        {"DEBUG RELOAD NOSAVE MERGE keeps the dataset", {"DEBUG", "RELOAD", "NOSAVE", "MERGE"}, Tier::write, "DEBUG"},

        {"admin commands write", {"CONFIG", "SET", "maxmemory", "1"}, Tier::write, "CONFIG SET", "admin-command"},
        {"introspection admin commands read", {"ACL", "USERS"}, Tier::read, "ACL USERS"},
        {"CONFIG GET reads", {"CONFIG", "GET", "*"}, Tier::read, "CONFIG GET"},
        {"connection commands read", {"PING"}, Tier::read, "PING"},
        {"MULTI reads (its commands are judged)", {"MULTI"}, Tier::read, "MULTI"},
        {"PUBLISH sends a message", {"PUBLISH", "c", "m"}, Tier::write, "PUBLISH", "sends-a-message"},
        {"SUBSCRIBE reads", {"SUBSCRIBE", "c"}, Tier::read, "SUBSCRIBE"},
        {"any container's HELP reads", {"MODULE", "HELP"}, Tier::read, "MODULE HELP"},
        {"no readonly flag writes", {"HIMPORT", "DISCARDALL"}, Tier::write, "HIMPORT DISCARDALL", "no-readonly-flag"},
        {"SHUTDOWN NOSAVE is a flagged write", {"SHUTDOWN", "NOSAVE"}, Tier::write, "SHUTDOWN", "nosave-loses-writes"},
        {"an unknown command writes", {"FOO.BAR"}, Tier::write, "FOO.BAR", "unknown-command"},
        {"EVAL calling FLUSHALL is destructive", {"EVAL", "return redis.call('FLUSHALL')", "0"}, Tier::destructive,
         "EVAL", "script-calls:FLUSHALL"},
        {"EVAL with a command in a variable", {"EVAL", "local c = \"DEL\" return redis.call(c, KEYS[1])", "1", "k"},
         Tier::destructive, "EVAL"},
        {"EVAL calling SCRIPT FLUSH", {"EVAL", "redis.call('SCRIPT', 'FLUSH')", "0"}, Tier::destructive, "EVAL"},
        // Red team 2: each of these was a write and its FLUSHALL/DEL ran.
        {"a Lua decimal escape spells the command", {"EVAL", "return redis.call(\"\\070LUSHALL\")", "0"},
         Tier::destructive, "EVAL", "script-calls:FLUSHALL"},
        {"literals joined by ..", {"EVAL", "return redis.call('FLUSH' .. 'ALL')", "0"}, Tier::destructive, "EVAL"},
        {"the command in ARGV", {"EVAL", "return redis.call(ARGV[1], KEYS[1])", "1", "k", "del"}, Tier::destructive,
         "EVAL"},
        {"SCRIPT LOAD of code that flushes (run later by EVALSHA)", {"SCRIPT", "LOAD", "return redis.call('flushall')"},
         Tier::destructive, "SCRIPT LOAD", "stored-script-deletes"},
        {"FUNCTION LOAD of a library that deletes (run later by FCALL)",
         {"FUNCTION", "LOAD", "REPLACE",
          "#!lua name=wipe\nredis.register_function('wipe', function(keys) return redis.call('del', keys[1]) end)"},
         Tier::destructive, "FUNCTION LOAD", "stored-script-deletes"},
        {"FUNCTION LOAD of a library that reads stays a write",
         {"FUNCTION", "LOAD", "#!lua name=look\nredis.register_function('look', function(keys) return redis.call('get', keys[1]) end)"},
         Tier::write, "FUNCTION LOAD"},
        {"a literal joined to a call's result is no command", {"EVAL", "return redis.call('GET', KEYS[1]) .. 'x'", "1", "k"},
         Tier::write, "EVAL"},
        {"EVAL without destructive calls writes", {"EVAL", "return redis.call('GET', KEYS[1])", "1", "k"},
         Tier::write, "EVAL"},
        {"EVAL_RO reads", {"EVAL_RO", "return redis.call('GET', KEYS[1])", "1", "k"}, Tier::read, "EVAL_RO"},
        {"EVALSHA's script is not visible", {"EVALSHA", "abc", "0"}, Tier::write, "EVALSHA", "script-body-not-visible"},
    };
    for (const CommandCase& c : cases) {
        INFO(std::string(c.behaviour));
        const redis::RedisVerdict got = redis::classify_redis_command(c.args);
        CHECK(tier_name(got.tier) == tier_name(c.tier));
        CHECK(got.operation == c.operation);
        if (!c.flag.empty()) CHECK(std::count(got.flags.begin(), got.flags.end(), c.flag) == 1);
    }
}

// Red team 4: a script that gives a key a TTL of 0 (or an absolute expiry in
// the past) deletes it, as the top-level EXPIRE k 0 does; each row below was
// a write. The call's arguments are read (literals, Lua numbers, KEYS/ARGV
// of the EVAL, tonumber/tostring, locals assigned once) and the call judged
// by classify_redis_command; an argument that cannot be read counts as the
// worst value it could take. Stored code (SCRIPT LOAD, FUNCTION LOAD) runs
// later with arguments not seen now: its KEYS/ARGV can be anything.
TEST_CASE("redis: scripts that expire keys now delete them") {
    const std::string library_head = "#!lua name=lib\nredis.register_function('f', function(keys, args) ";
    const std::vector<CommandCase> cases = {
        {"EXPIRE 0 in EVAL", {"EVAL", "return redis.call('expire', KEYS[1], 0)", "1", "k"}, Tier::destructive, "EVAL",
         "script-calls:EXPIRE"},
        {"PEXPIRE 0 with redis.pcall", {"EVAL", "redis.pcall(\"PEXPIRE\", KEYS[1], 0)", "1", "k"}, Tier::destructive,
         "EVAL"},
        {"a negative TTL", {"EVAL", "redis.call('expire', KEYS[1], -1)", "1", "k"}, Tier::destructive, "EVAL"},
        {"a Lua hex number 0", {"EVAL", "redis.call('expire', KEYS[1], 0x0)", "1", "k"}, Tier::destructive, "EVAL"},
        {"the TTL in ARGV", {"EVAL", "redis.call('expire', KEYS[1], ARGV[1])", "1", "k", "0"}, Tier::destructive,
         "EVAL"},
        {"the TTL through tonumber and a local",
         {"EVAL", "local ttl = tonumber(ARGV[1])\nredis.call('expire', KEYS[1], ttl)", "1", "k", "0"},
         Tier::destructive, "EVAL"},
        {"EXPIREAT in the past", {"EVAL", "redis.call('expireat', KEYS[1], 1)", "1", "k"}, Tier::destructive, "EVAL"},
        {"PEXPIREAT in the past", {"EVAL", "redis.call('PEXPIREAT', KEYS[1], '1000')", "1", "k"}, Tier::destructive,
         "EVAL"},
        {"SET PXAT in the past", {"EVAL", "redis.call('set', KEYS[1], 'v', 'PXAT', 1)", "1", "k"}, Tier::destructive,
         "EVAL"},
        {"GETEX EXAT in the past", {"EVAL", "return redis.call('getex', KEYS[1], 'exat', ARGV[1])", "1", "k", "1"},
         Tier::destructive, "EVAL"},
        {"HEXPIRE 0 on hash fields", {"EVAL", "redis.call('hexpire', KEYS[1], 0, 'FIELDS', 1, 'f')", "1", "k"},
         Tier::destructive, "EVAL"},
        {"an alias of redis.call", {"EVAL", "local rcall = redis.call\nrcall('expire', KEYS[1], 0)", "1", "k"},
         Tier::destructive, "EVAL"},
        {"a computed TTL counts as the worst it could be",
         {"EVAL", "redis.call('expire', KEYS[1], ARGV[1] - 60)", "1", "k", "60"}, Tier::destructive, "EVAL"},
        {"a local assigned twice is not read as its first value",
         {"EVAL", "local t = 60\nt = 0\nredis.call('expire', KEYS[1], t)", "1", "k"}, Tier::destructive, "EVAL"},
        {"ARGV changed by the script is not read as sent",
         {"EVAL", "ARGV[1] = 0\nredis.call('expire', KEYS[1], ARGV[1])", "1", "k", "60"}, Tier::destructive, "EVAL"},
        {"options unpacked from ARGV", {"EVAL", "redis.call('set', KEYS[1], 'v', unpack(ARGV))", "1", "k", "PXAT", "1"},
         Tier::destructive, "EVAL"},
        {"SCRIPT LOAD with the TTL from the caller", {"SCRIPT", "LOAD", "redis.call('pexpire', KEYS[1], ARGV[1])"},
         Tier::destructive, "SCRIPT LOAD", "stored-script-deletes"},
        {"FUNCTION LOAD with an expiry time from the caller",
         {"FUNCTION", "LOAD", library_head + "return redis.call('expireat', keys[1], args[1]) end)"},
         Tier::destructive, "FUNCTION LOAD", "stored-script-deletes"},
        // A command askfirst cannot name is the worst it could be (each was a write).
        {"a command spelled by string.char", {"EVAL", "return redis.call(string.char(68, 69, 76), KEYS[1])", "1", "k"},
         Tier::destructive, "EVAL", "script-command-not-visible"},
        {"a command from a string method", {"EVAL", "redis.call(('EXPIRE'):lower(), KEYS[1], 0)", "1", "k"},
         Tier::destructive, "EVAL", "script-command-not-visible"},
        {"redis.call passed to pcall", {"EVAL", "pcall(redis.call, string.char(68, 69, 76), KEYS[1])", "1", "k"},
         Tier::destructive, "EVAL", "script-command-not-visible"},
        {"redis reached through _G", {"EVAL", "_G['re' .. 'dis'].call(string.char(68, 69, 76), KEYS[1])", "1", "k"},
         Tier::destructive, "EVAL", "script-command-not-visible"},
        {"SCRIPT LOAD whose command comes from the caller", {"SCRIPT", "LOAD", "return redis.call(ARGV[1], KEYS[1])"},
         Tier::destructive, "SCRIPT LOAD", "stored-script-deletes"},
        {"EVAL caches code whose command comes from ARGV: EVALSHA reruns it with any",
         {"EVAL", "return redis.call(ARGV[1], KEYS[1])", "1", "k", "get"}, Tier::destructive, "EVAL",
         "cached-script-runs-any-command"},
        {"a parameter shadows a local of the same name",
         {"EVAL", "local ttl = 60\nlocal function f(ttl) redis.call('expire', KEYS[1], ttl) end\nf(0)", "1", "k"},
         Tier::destructive, "EVAL"},
        // What stays a write: a TTL that is positive, an expiry in the future.
        {"EXPIRE 60 is a write", {"EVAL", "return redis.call('expire', KEYS[1], 60)", "1", "k"}, Tier::write, "EVAL"},
        {"a rate limiter with its window in ARGV",
         {"EVAL",
          "local n = redis.call('incr', KEYS[1])\nif n == 1 then redis.call('expire', KEYS[1], tonumber(ARGV[1])) end\n"
          "return n",
          "1", "k", "60"},
         Tier::write, "EVAL"},
        {"SET EX with a caller's TTL cannot delete", {"SCRIPT", "LOAD", "redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[2])"},
         Tier::write, "SCRIPT LOAD"},
        {"SET PXAT in the future", {"EVAL", "redis.call('set', KEYS[1], 'v', 'PXAT', 99999999999999)", "1", "k"},
         Tier::write, "EVAL"},
        {"redis.log and an alias of redis.call that writes",
         {"EVAL", "local rcall = redis.call\nredis.log(redis.LOG_WARNING, 'x')\nreturn rcall('HSET', KEYS[1], 'f', ARGV[1])",
          "1", "k", "v"},
         Tier::write, "EVAL"},
        {"a local named server is no use of the redis object",
         {"EVAL", "local server = ARGV[1]\nreturn redis.call('HGET', KEYS[1], server)", "1", "k", "s1"}, Tier::write,
         "EVAL"},
        {"a string compared with 'set' is no call",
         {"EVAL", "if redis.call('type', KEYS[1]).ok == 'set' then return 1 end", "1", "k"}, Tier::write, "EVAL"},
    };
    for (const CommandCase& c : cases) {
        INFO(std::string(c.behaviour));
        const redis::RedisVerdict got = redis::classify_redis_command(c.args);
        CHECK(tier_name(got.tier) == tier_name(c.tier));
        CHECK(got.operation == c.operation);
        if (!c.flag.empty()) CHECK(std::count(got.flags.begin(), got.flags.end(), c.flag) >= 1);
    }
}

TEST_CASE("redis: the generated command table is sorted and complete") {
    REQUIRE(redis::find_redis_command("get") != nullptr);
    CHECK((redis::find_redis_command("get")->flags & redis::kRedisReadonly) != 0);
    CHECK((redis::find_redis_command("acl")->flags & redis::kRedisContainer) != 0);
    CHECK(redis::find_redis_command("acl|users") != nullptr);
    CHECK(redis::find_redis_command("zunionstore") != nullptr);
    CHECK(redis::find_redis_command("no-such-command") == nullptr);
}

// Invariant 6, the class of case (issue 12): a held-back set found commands
// missing from the table judged read from their second word (`X HELP`,
// `X GET`). A name the table does not list is at least a write whatever
// follows it: every subcommand word of the table (HELP, GET, LIST, INFO, ...)
// and the read words of the verb lexicon after unknown first words, through
// classify_redis_command and every Upstash carrier (JSON body, path, GET path,
// pipeline, transaction).
TEST_CASE("redis: a command not in the table is at least a write, whatever its second word") {
    std::vector<std::string> second_words = {"HELP", "GET", "LIST", "INFO", "USERS", "WHOAMI", "DOCTOR", "READONLY"};
    for (const redis::RedisCommandInfo& row : redis::redis_command_table()) {
        const std::size_t bar = row.name.find('|');
        if (bar != std::string_view::npos) second_words.emplace_back(row.name.substr(bar + 1));
    }
    const std::vector<std::string> unknown_names = {"X", "x", "FOO.BAR", "JSON.DEBUG", "CMS.INFO", "ACL|USERS",
                                                    "config|get", "XINFOS", "GETX", "CLIENTS"};
    for (const std::string& name : unknown_names) {
        if (name.find('|') == std::string::npos) REQUIRE(redis::find_redis_command(name) == nullptr);
        for (const std::string& second : second_words) {
            INFO(std::string(name + " " + second));
            const redis::RedisVerdict got = redis::classify_redis_command({name, second, "k"});
            REQUIRE(got.tier >= Tier::write);
            CHECK(std::count(got.flags.begin(), got.flags.end(), "unknown-command") == 1);
        }
    }
    for (const std::string& second : {std::string("HELP"), std::string("GET"), std::string("LIST")}) {
        for (const std::string& name : unknown_names) {
            const std::string json = "[\"" + name + "\",\"" + second + "\"]";
            HttpRequest request;
            request.host = kUpstash;
            const std::vector<std::pair<std::string, std::string>> carriers = {
                {"POST /", json}, {"GET /" + name + "/" + second, ""}, {"POST /" + name + "/" + second, ""},
                {"POST /pipeline", "[[\"GET\",\"a\"]," + json + "]"}, {"POST /multi-exec", "[" + json + "]"}};
            for (const auto& carrier : carriers) {
                // Named copies: clang 14 lets no lambda (INFO's) capture a structured binding.
                const std::string& target = carrier.first;
                const std::string& body = carrier.second;
                INFO(std::string(target + " " + body));
                request.method = target.substr(0, target.find(' '));
                request.path = target.substr(target.find(' ') + 1);
                request.body = body;
                const Classification got = classify(request);
                CHECK(got.provider == "redis");
                CHECK(got.tier >= Tier::write);
            }
        }
    }
}

TEST_CASE("redis: Upstash REST shapes") {
    check_cases({
        {"JSON array body", "redis", "POST", kUpstash, "/", R"(["DEL","session:42"])", Tier::destructive, "DEL"},
        {"command in the path, GET runs it", "redis", "GET", kUpstash, "/del/session%3A42", "", Tier::destructive,
         "DEL"},
        {"path read", "redis", "GET", kUpstash, "/get/k", "", Tier::read, "GET"},
        {"path container subcommand", "redis", "GET", kUpstash, "/acl/users", "", Tier::read, "ACL USERS"},
        {"POST path command with the value in the body", "redis", "POST", kUpstash, "/set/k", "value", Tier::write,
         "SET"},
        {"pipeline takes the most severe", "redis", "POST", kUpstash, "/pipeline", R"([["GET","a"],["UNLINK","b"]])",
         Tier::destructive, "UNLINK"},
        {"transaction takes the most severe", "redis", "POST", kUpstash, "/multi-exec",
         R"([["INCR","counter"],["FLUSHDB"]])", Tier::destructive, "FLUSHDB"},
        {"an unreadable pipeline writes", "redis", "POST", kUpstash, "/pipeline", R"([["GET","a"],{"x":1}])",
         Tier::write, "Redis (unreadable request)"},
        {"numbers are arguments too", "redis", "POST", kUpstash, "/", R"(["EXPIRE","k",0])", Tier::destructive,
         "EXPIRE"},
        {"Redis Cloud API DELETE", "redis", "DELETE", "api.redislabs.com", "/v1/subscriptions/1/databases/2", "",
         Tier::destructive, ""},
    });
    HttpRequest value_upload;
    value_upload.method = "POST";
    value_upload.host = kUpstash;
    value_upload.path = "/set/k";
    CHECK_FALSE(needs_body(value_upload));  // a large value must not make the SET look destructive
    value_upload.path = "/set/k/v/EXAT";  // the body is the absolute expiry, which may be past
    CHECK(needs_body(value_upload));
    value_upload.path = "/pipeline";
    CHECK(needs_body(value_upload));
}

TEST_CASE("mongodb: Atlas Data API and Administration API") {
    const std::string data = "data.mongodb-api.com";
    const std::string action = "/app/data-abcde/endpoint/data/v1/action/";
    check_cases({
        {"find reads", "mongodb", "POST", data, action + "find", R"({"collection":"c","filter":{}})", Tier::read,
         "data:find"},
        {"deleteMany with an empty filter", "mongodb", "POST", data, action + "deleteMany",
         R"({"collection":"c","filter":{}})", Tier::destructive, "data:deleteMany", "filter-matches-every-document"},
        {"updateOne writes", "mongodb", "POST", data, action + "updateOne", R"({"filter":{"a":1}})", Tier::write,
         "data:updateOne"},
        {"aggregate reads", "mongodb", "POST", data, action + "aggregate", R"({"pipeline":[{"$match":{}}]})",
         Tier::read, "data:aggregate"},
        {"aggregate with $out replaces a collection", "mongodb", "POST", data, action + "aggregate",
         R"({"pipeline":[{"$match":{}},{"$out":"target"}]})", Tier::destructive, "data:aggregate",
         "$out-replaces-collection"},
        {"aggregate with $merge writes", "mongodb", "POST", data, action + "aggregate",
         R"({"pipeline":[{"$merge":{"into":"t"}}]})", Tier::write, "data:aggregate"},
        {"an unknown action writes", "mongodb", "POST", data, action + "dropDatabase", "{}", Tier::write,
         "data:dropDatabase", "unknown-action"},
        {"Admin API GET reads", "mongodb", "GET", "cloud.mongodb.com",
         "/api/atlas/v2/groups/5f1e2d3c4b5a69788796a5b4/clusters", "", Tier::read,
         "GET /api/atlas/v2/groups/{id}/clusters"},
        {"Admin API cluster DELETE", "mongodb", "DELETE", "cloud.mongodb.com",
         "/api/atlas/v2/groups/5f1e2d3c4b5a69788796a5b4/clusters/prod", "", Tier::destructive, ""},
        {"termination protection off is flagged", "mongodb", "PATCH", "cloud.mongodb.com",
         "/api/atlas/v2/groups/5f1e2d3c4b5a69788796a5b4/clusters/prod", R"({"terminationProtectionEnabled":false})",
         Tier::write, "", "termination-protection-off"},
        {"restore onto the source cluster overwrites it", "mongodb", "POST", "cloud.mongodb.com",
         "/api/atlas/v2/groups/5f1e2d3c4b5a69788796a5b4/clusters/prod/backup/restoreJobs",
         R"({"deliveryType":"automated","targetClusterName":"prod"})", Tier::destructive, ""},
        {"restore onto another cluster writes", "mongodb", "POST", "cloud.mongodb.com",
         "/api/atlas/v2/groups/5f1e2d3c4b5a69788796a5b4/clusters/prod/backup/restoreJobs",
         R"({"deliveryType":"automated","targetClusterName":"staging"})", Tier::write, "",
         "restore-overwrites-target-cluster"},
    });
}
