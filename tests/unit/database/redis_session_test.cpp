// tests/unit/database/redis_session_test.cpp — RESP framing (table rows) and
// the sans-io Redis session as a playbook: commands in, what reaches the
// server and the guest, in order, out.
#include <doctest.h>

#include <cctype>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "classifiers/redis_commands.h"
#include "src/database/redis_script_cache.h"
#include "src/database/redis_session.h"
#include "src/database/resp_framing.h"

using namespace askfirst;
using namespace askfirst::database;

namespace {

std::string command(std::vector<std::string> arguments) {
    std::string out = "*" + std::to_string(arguments.size()) + "\r\n";
    for (const auto& argument : arguments) out += "$" + std::to_string(argument.size()) + "\r\n" + argument + "\r\n";
    return out;
}

struct Book {
    explicit Book(RedisSessionConfig config = {}) : session(config) {}
    RedisSession session;
    std::string upstream_bytes;
    std::string guest_bytes;
    std::vector<DecideStatement> decisions;
    std::vector<std::string> events;
    int upstream_writes = 0;  // SendToUpstream outputs: one write each

    void collect() {
        for (auto& output : session.take_outputs()) {
            if (auto* up = std::get_if<SendToUpstream>(&output)) {
                upstream_bytes += up->bytes;
                ++upstream_writes;
            }
            else if (auto* down = std::get_if<SendToGuest>(&output)) guest_bytes += down->bytes;
            else if (auto* decide = std::get_if<DecideStatement>(&output)) decisions.push_back(*decide);
            else if (auto* cancel = std::get_if<CancelDecision>(&output)) events.push_back("cancel " + std::to_string(cancel->id));
            else if (std::holds_alternative<CloseFlow>(output)) events.push_back("close");
            else events.push_back("other");
        }
    }
    void guest(std::string_view bytes) { session.on_guest_bytes(bytes); collect(); }
    void server(std::string_view bytes) { session.on_upstream_bytes(bytes); collect(); }
    void pass_last() { session.pass(decisions.back().id); collect(); }
    void pass(std::size_t index) { session.pass(decisions.at(index).id); collect(); }
    void refuse(std::size_t index) { session.refuse(decisions.at(index).id, "askfirst refused FLUSHALL", "ask"); collect(); }
    void refuse_last() { session.refuse(decisions.back().id, "askfirst refused FLUSHALL", "ask"); collect(); }
    std::string take_upstream() { return std::exchange(upstream_bytes, {}); }
    std::string take_guest() { return std::exchange(guest_bytes, {}); }
};

const std::string kRefusal = "-NOPERM askfirst refused FLUSHALL (ask)\r\n";
const std::string kUnknown = "-ERR unknown command 'ASKFIRST.REFUSED', with args beginning with: \r\n";

}  // namespace

TEST_CASE("detection: a RESP command array by its first bytes") {
    struct Row { const char* name; std::string bytes; resp::Detection expected; };
    const Row rows[] = {
        {"PING as redis-cli sends it", command({"PING"}), resp::Detection::redis},
        {"a count still being sent", "*12", resp::Detection::need_more},
        {"inline command", "PING\r\n", resp::Detection::not_redis},
        {"HTTP", "GET / HTTP/1.1\r\n", resp::Detection::not_redis},
        {"star without a count", "*\r\n$", resp::Detection::not_redis},
        {"count then no bulk", "*1\r\n:", resp::Detection::not_redis},
    };
    for (const auto& row : rows) {
        CAPTURE(row.name);
        CHECK(resp::detect_command_array(row.bytes) == row.expected);
    }
}

TEST_CASE("command reader: arrays, inline lines, byte by byte, and what the server would refuse") {
    struct Row { const char* name; std::string bytes; resp::RespCommandReader::Step step; std::vector<std::string> args; };
    const Row rows[] = {
        {"array", command({"SET", "k", "v"}), resp::RespCommandReader::Step::command_end, {"SET", "k", "v"}},
        {"binary argument", command({"SET", "k", std::string("a\r\nb\0c", 6)}), resp::RespCommandReader::Step::command_end,
         {"SET", "k", std::string("a\r\nb\0c", 6)}},
        {"inline", "FLUSHALL  now\r\n", resp::RespCommandReader::Step::command_end, {"FLUSHALL", "now"}},
        {"empty array", "*0\r\n", resp::RespCommandReader::Step::command_end, {}},
        {"inline ends at NUL as the server reads it", std::string("FLUSHALL\0 x\r\n", 13),
         resp::RespCommandReader::Step::command_end, {"FLUSHALL"}},
        {"missing $", "*1\r\n:4\r\nPING\r\n", resp::RespCommandReader::Step::invalid, {}},
        {"plus sign in a length", "*1\r\n$+4\r\nPING\r\n", resp::RespCommandReader::Step::invalid, {}},
        {"negative bulk", "*1\r\n$-1\r\n", resp::RespCommandReader::Step::invalid, {}},
        {"cut short", "*2\r\n$3\r\nDEL\r\n$1\r\n", resp::RespCommandReader::Step::need_more, {"DEL", ""}},
    };
    for (const auto& row : rows) {
        CAPTURE(row.name);
        resp::RespCommandReader whole(1024);
        std::size_t offset = 0;
        CHECK(whole.read(row.bytes, offset) == row.step);
        if (row.step != resp::RespCommandReader::Step::invalid) CHECK(whole.arguments() == row.args);
        if (row.step != resp::RespCommandReader::Step::command_end) continue;
        resp::RespCommandReader bytewise(1024);
        auto last = resp::RespCommandReader::Step::need_more;
        for (char c : row.bytes) {
            std::size_t at = 0;
            last = bytewise.read(std::string_view(&c, 1), at);
        }
        CHECK(last == row.step);
        CHECK(bytewise.arguments() == row.args);
    }
}

TEST_CASE("reply scanner: one reply each, pushes and attributes are not replies") {
    struct Row { const char* name; std::string bytes; int replies; };
    const Row rows[] = {
        {"simple, error, integer", "+OK\r\n-ERR x\r\n:1\r\n", 3},
        {"bulk with CRLF inside", "$4\r\na\r\nb\r\n", 1},
        {"null bulk and array", "$-1\r\n*-1\r\n", 2},
        {"nested arrays", "*2\r\n*1\r\n:1\r\n$1\r\nx\r\n", 1},
        {"RESP3 map", "%1\r\n+k\r\n:2\r\n", 1},
        {"push then reply", ">2\r\n+invalidate\r\n*1\r\n$1\r\nk\r\n+OK\r\n", 1},
        {"attribute then reply", "|1\r\n+ttl\r\n:5\r\n:7\r\n", 1},
        {"empty array", "*0\r\n", 1},
    };
    for (const auto& row : rows) {
        CAPTURE(row.name);
        resp::RespReplyScanner scanner;
        int seen = 0;
        for (char c : row.bytes) {  // byte by byte: the hardest split
            std::size_t at = 0;
            const std::string_view one(&c, 1);
            while (at < 1) {
                const auto step = scanner.read(one, at);
                REQUIRE(step != resp::RespReplyScanner::Step::invalid);
                if (step == resp::RespReplyScanner::Step::reply_end) ++seen;
            }
        }
        CHECK(seen == row.replies);
    }
}

TEST_CASE("a command is held until passed, then sent unchanged; its reply reaches the guest") {
    Book book;
    book.guest(command({"GET", "k"}));
    REQUIRE(book.decisions.size() == 1);
    CHECK(book.decisions[0].statement.provider == "redis");
    CHECK(book.decisions[0].statement.texts == std::vector<std::string>{"GET", "k"});
    CHECK(book.upstream_bytes.empty());
    book.pass_last();
    CHECK(book.take_upstream() == command({"GET", "k"}));
    book.server("$1\r\nv\r\n");
    CHECK(book.take_guest() == "$1\r\nv\r\n");
}

TEST_CASE("a pipeline with FLUSHALL in the middle: each command judged, the refusal takes its reply's place") {
    Book book;
    book.guest(command({"SET", "a", "1"}) + command({"FLUSHALL"}) + command({"GET", "a"}));
    // decided as a batch: three questions at once, nothing sent yet
    REQUIRE(book.decisions.size() == 3);
    CHECK(book.decisions[1].statement.texts == std::vector<std::string>{"FLUSHALL"});
    CHECK(book.upstream_bytes.empty());
    book.pass(2);  // the GET's verdict first: it waits for the two before it
    CHECK(book.upstream_bytes.empty());
    book.pass(0);  // the SET goes; the GET still waits behind the FLUSHALL held for a person
    CHECK(book.take_upstream() == command({"SET", "a", "1"}));
    book.upstream_writes = 0;
    book.refuse(1);  // the FLUSHALL's place goes to a failing command, and the GET after it: one write
    CHECK(book.take_upstream() == std::string(kFailingCommand) + command({"GET", "a"}));
    CHECK(book.upstream_writes == 1);
    book.server("+OK\r\n" + kUnknown + "$1\r\n1\r\n");
    CHECK(book.take_guest() == "+OK\r\n" + kRefusal + "$1\r\n1\r\n");
}

TEST_CASE("a pipeline of reads passed in one turn goes to the server in one write") {
    Book book;
    std::string pipeline;
    for (int i = 0; i < 16; ++i) pipeline += command({"GET", "key:" + std::to_string(i)});
    book.guest(pipeline);
    REQUIRE(book.decisions.size() == 16);
    for (std::size_t i = 0; i < 16; ++i) book.session.pass(book.decisions[i].id);  // one turn of verdicts
    book.collect();
    CHECK(book.take_upstream() == pipeline);
    CHECK(book.upstream_writes == 1);
}

TEST_CASE("a pipeline is decided in batches of kMaxCommandsInFlight; the rest is read as verdicts free room") {
    Book book;
    std::string pipeline;
    for (std::size_t i = 0; i < kMaxCommandsInFlight + 3; ++i) pipeline += command({"GET", "k"});
    book.guest(pipeline);
    REQUIRE(book.decisions.size() == kMaxCommandsInFlight);
    book.pass(0);
    CHECK(book.decisions.size() == kMaxCommandsInFlight + 1);
}

TEST_CASE("the guest leaves while a batch is decided: every open question is withdrawn") {
    Book book;
    book.guest(command({"GET", "a"}) + command({"FLUSHALL"}) + command({"GET", "b"}));
    book.pass(0);
    book.session.on_guest_eof();
    book.collect();
    CHECK(book.events == std::vector<std::string>{"cancel 2", "cancel 3", "close"});
}

TEST_CASE("replies split anywhere are replaced at the right place") {
    Book book;
    book.guest(command({"PING"}));
    book.pass_last();
    book.guest(command({"FLUSHALL"}));
    book.refuse_last();
    const std::string replies = "+PONG\r\n" + kUnknown + ":1\r\n";
    book.guest(command({"DBSIZE"}));
    book.pass_last();
    for (char c : replies) book.server(std::string_view(&c, 1));
    CHECK(book.take_guest() == "+PONG\r\n" + kRefusal + ":1\r\n");
}

TEST_CASE("MULTI: a refused command is replaced by one the server refuses, so EXEC aborts") {
    Book book;
    for (auto args : std::vector<std::vector<std::string>>{{"MULTI"}, {"SET", "a", "1"}}) {
        book.guest(command(args));
        book.pass_last();
    }
    book.guest(command({"FLUSHDB"}));
    book.refuse_last();
    book.guest(command({"EXEC"}));
    book.pass_last();
    CHECK(book.take_upstream() == command({"MULTI"}) + command({"SET", "a", "1"}) + std::string(kFailingCommand) +
                                      command({"EXEC"}));
    book.server("+OK\r\n+QUEUED\r\n" + kUnknown + "-EXECABORT Transaction discarded because of previous errors.\r\n");
    CHECK(book.take_guest() == "+OK\r\n+QUEUED\r\n" + kRefusal +
                                   "-EXECABORT Transaction discarded because of previous errors.\r\n");
}

TEST_CASE("inline commands are judged; quoted ones the worst they could be") {
    Book book;
    book.guest("FLUSHALL\r\n");
    REQUIRE(book.decisions.size() == 1);
    CHECK(book.decisions[0].statement.texts == std::vector<std::string>{"FLUSHALL"});
    CHECK(book.decisions[0].statement.complete);
    book.refuse_last();
    book.guest("SET \"a b\" c\r\n");
    CHECK_FALSE(book.decisions.back().statement.complete);
}

TEST_CASE("a command over the inspection limit is judged the worst; its rest follows a pass, or is dropped") {
    Book book(RedisSessionConfig{32});
    const std::string big = command({"SET", "k", std::string(100, 'v')});
    book.guest(big + command({"GET", "k"}));
    REQUIRE(book.decisions.size() == 2);
    CHECK_FALSE(book.decisions[0].statement.complete);
    CHECK(book.decisions[1].statement.complete);
    book.pass(0);
    CHECK(book.take_upstream() == big);

    Book refused(RedisSessionConfig{32});
    refused.guest(big + command({"GET", "k"}));
    refused.refuse(0);
    CHECK(refused.take_upstream() == kFailingCommand);
    CHECK(refused.decisions.size() == 2);
}

TEST_CASE("after SUBSCRIBE replies are uncountable: a refusal answers and ends the connection") {
    Book book;
    book.guest(command({"SUBSCRIBE", "news"}));
    book.pass_last();
    book.server("*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n");
    CHECK(book.take_guest().ends_with("$2\r\nhi\r\n"));
    book.guest(command({"FLUSHALL"}));
    book.refuse_last();
    CHECK(book.take_guest() == kRefusal);
    CHECK(book.events.back() == "close");
    CHECK(book.take_upstream() == command({"SUBSCRIBE", "news"}));
}

TEST_CASE("framing the server would refuse ends the flow, and nothing of it is relayed") {
    Book book;
    book.guest("*1\r\n:4\r\nPING\r\n");
    CHECK(book.events.back() == "close");
    CHECK(book.upstream_bytes.empty());
}

// Red team 4: EVAL caches its script, and EVALSHA reran it with other
// arguments unseen: EVAL of `pexpire KEYS[1] ARGV[1]` with 60000 was a write,
// its EVALSHA with 0 deleted the key as a write too. askfirstd keeps every
// script the guest sent (on any flow) and hands an EVALSHA out as the EVAL of
// its body, judged with the arguments it passes now.
TEST_CASE("EVALSHA of a script sent on any flow is decided as the EVAL of its body") {
    const std::string body = "return redis.call('pexpire', KEYS[1], ARGV[1])";
    const std::string sha = RedisScriptCache::sha1_hex(body);
    CHECK(RedisScriptCache::sha1_hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    RedisScriptCache scripts;
    Book first(RedisSessionConfig{kDefaultMaxInspectBytes, &scripts});
    first.guest(command({"EVAL", body, "1", "k", "60000"}));
    REQUIRE(first.decisions.size() == 1);
    CHECK(classifiers::redis::classify_redis_command(first.decisions[0].statement.texts).tier == classifiers::Tier::write);

    Book second(RedisSessionConfig{kDefaultMaxInspectBytes, &scripts});  // another connection
    std::string upper_sha = sha;
    for (char& c : upper_sha) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    second.guest(command({"EVALSHA", upper_sha, "1", "k", "0"}));
    REQUIRE(second.decisions.size() == 1);
    const DatabaseStatement& judged = second.decisions[0].statement;
    CHECK(judged.texts == std::vector<std::string>{"EVAL", body, "1", "k", "0"});
    CHECK(classifiers::redis::classify_redis_command(judged.texts).tier == classifiers::Tier::destructive);
    second.pass_last();
    CHECK(second.take_upstream() == command({"EVALSHA", upper_sha, "1", "k", "0"}));  // the server gets what was sent

    // SCRIPT LOAD is remembered too; an unknown SHA stays an EVALSHA.
    Book third(RedisSessionConfig{kDefaultMaxInspectBytes, &scripts});
    third.guest(command({"SCRIPT", "LOAD", "return redis.call('del', KEYS[1])"}));
    third.guest(command({"EVALSHA", RedisScriptCache::sha1_hex("return redis.call('del', KEYS[1])"), "1", "k"}));
    third.guest(command({"EVALSHA", std::string(40, '0'), "0"}));
    REQUIRE(third.decisions.size() == 3);
    CHECK(third.decisions[1].statement.texts.at(0) == "EVAL");
    CHECK(third.decisions[2].statement.texts.at(0) == "EVALSHA");
    CHECK(third.decisions[2].statement.complete);
}

TEST_CASE("EVALSHA of an unknown script once the script cache is full is judged the worst it could be") {
    RedisScriptCache scripts;
    for (std::size_t i = 0; i <= kMaxRememberedScripts; ++i) scripts.remember("return " + std::to_string(i));
    CHECK(scripts.overflowed());
    Book book(RedisSessionConfig{kDefaultMaxInspectBytes, &scripts});
    book.guest(command({"EVALSHA", RedisScriptCache::sha1_hex("return 99999"), "0"}));
    book.guest(command({"EVALSHA", RedisScriptCache::sha1_hex("return 1"), "0"}));
    REQUIRE(book.decisions.size() == 2);
    CHECK_FALSE(book.decisions[0].statement.complete);
    CHECK(book.decisions[1].statement.complete);
    CHECK(book.decisions[1].statement.texts.at(1) == "return 1");
}
