// tests/unit/database/mongodb_session_test.cpp — MongoDB wire messages
// (detection and decoding as table rows, built with libbson from JSON the way
// pymongo lays them out) and the sans-io MongoDB session as a playbook:
// messages in, what reaches the server and the guest, in order, out.
#include <doctest.h>

#include <bson/bson.h>

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "src/database/mongodb_session.h"
#include "src/database/mongodb_wire.h"

using namespace askfirst;
using namespace askfirst::database;

namespace {

void put_u32(std::string& out, std::uint32_t value) {
    for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
}

std::uint32_t u32_at(std::string_view bytes, std::size_t at) {
    std::uint32_t value = 0;
    for (int i = 3; i >= 0; --i) value = value << 8 | static_cast<unsigned char>(bytes[at + static_cast<std::size_t>(i)]);
    return value;
}

// The BSON bytes of a JSON (canonical or relaxed extended JSON) document.
std::string bson_of(std::string_view json) {
    bson_error_t error;
    bson_t* document = bson_new_from_json(reinterpret_cast<const std::uint8_t*>(json.data()),
                                          static_cast<ssize_t>(json.size()), &error);
    REQUIRE_MESSAGE(document != nullptr, error.message);
    std::string out(reinterpret_cast<const char*>(bson_get_data(document)), document->len);
    bson_destroy(document);
    return out;
}

std::string message(std::int32_t request_id, std::int32_t opcode, const std::string& body, std::int32_t response_to = 0) {
    std::string out;
    put_u32(out, static_cast<std::uint32_t>(16 + body.size()));
    put_u32(out, static_cast<std::uint32_t>(request_id));
    put_u32(out, static_cast<std::uint32_t>(response_to));
    put_u32(out, static_cast<std::uint32_t>(opcode));
    return out + body;
}

struct Sequence {
    std::string identifier;
    std::vector<std::string> documents_json;
};

// An OP_MSG: flags, the body (kind 0), then document sequences (kind 1).
std::string op_msg(std::int32_t request_id, std::string_view body_json, std::vector<Sequence> sequences = {},
                   std::uint32_t flags = 0) {
    std::string body;
    put_u32(body, flags);
    body.push_back('\0');
    body += bson_of(body_json);
    for (const auto& sequence : sequences) {
        std::string documents;
        for (const auto& json : sequence.documents_json) documents += bson_of(json);
        body.push_back('\1');
        put_u32(body, static_cast<std::uint32_t>(4 + sequence.identifier.size() + 1 + documents.size()));
        body += sequence.identifier;
        body.push_back('\0');
        body += documents;
    }
    if (flags & mongo::kChecksumPresent) put_u32(body, 0x12345678);
    return message(request_id, mongo::kOpMsg, body);
}

std::string op_query(std::int32_t request_id, std::string_view ns, std::string_view query_json) {
    std::string body;
    put_u32(body, 0);
    body += ns;
    body.push_back('\0');
    put_u32(body, 0);
    put_u32(body, static_cast<std::uint32_t>(-1));
    body += bson_of(query_json);
    return message(request_id, mongo::kOpQuery, body);
}

// The document of an OP_MSG (kind 0) or OP_REPLY as relaxed JSON.
std::string reply_json(std::string_view reply) {
    const std::size_t at = u32_at(reply, 12) == mongo::kOpMsg ? 21 : 36;
    bson_t document;
    REQUIRE(bson_init_static(&document, reinterpret_cast<const std::uint8_t*>(reply.data() + at), reply.size() - at));
    char* json = bson_as_relaxed_extended_json(&document, nullptr);
    std::string out(json);
    bson_free(json);
    return out;
}

struct Book {
    explicit Book(MongodbSessionConfig config = {}) : session(config) {}
    MongodbSession session;
    std::string upstream_bytes;
    std::string guest_bytes;
    std::vector<DecideStatement> decisions;
    std::vector<std::string> events;

    void collect() {
        for (auto& output : session.take_outputs()) {
            if (auto* up = std::get_if<SendToUpstream>(&output)) upstream_bytes += up->bytes;
            else if (auto* down = std::get_if<SendToGuest>(&output)) guest_bytes += down->bytes;
            else if (auto* decide = std::get_if<DecideStatement>(&output)) decisions.push_back(*decide);
            else if (auto* cancel = std::get_if<CancelDecision>(&output)) events.push_back("cancel " + std::to_string(cancel->id));
            else if (auto* close = std::get_if<CloseFlow>(&output)) events.push_back("close: " + close->reason);
            else events.push_back("other");
        }
    }
    void guest(std::string_view bytes) { session.on_guest_bytes(bytes); collect(); }
    void server(std::string_view bytes) { session.on_upstream_bytes(bytes); collect(); }
    void pass_last() { session.pass(decisions.back().id); collect(); }
    void refuse_last() { session.refuse(decisions.back().id, "askfirst refused drop", "ask"); collect(); }
    std::string take_upstream() { return std::exchange(upstream_bytes, {}); }
    std::string take_guest() { return std::exchange(guest_bytes, {}); }
};

const std::string kHello = R"({"hello": 1, "$db": "admin"})";
const std::string kDrop = R"({"drop": "orders", "$db": "shop"})";
const std::string kFind = R"({"find": "orders", "filter": {"sku": "A-1"}, "$db": "shop"})";

}  // namespace

TEST_CASE("detection: a client's first OP_MSG or OP_QUERY by its header") {
    struct Row { const char* name; std::string bytes; mongo::Detection expected; };
    const std::string hello = op_msg(1, kHello);
    std::string answering = hello;
    answering[8] = 5;  // responseTo, which mongod does not check on a request
    std::string reply_opcode = hello;
    reply_opcode[12] = 1;  // OP_REPLY: a server's, never a client's
    reply_opcode[13] = 0;
    std::string unknown_flags = hello;
    unknown_flags[17] = 0x40;  // flag bit 14: required, and unknown to mongod
    std::string bad_kind = hello;
    bad_kind[20] = 2;
    std::string huge = hello;
    huge[3] = 0x7f;
    const Row rows[] = {
        {"hello as pymongo 4 sends it", hello, mongo::Detection::mongodb},
        {"isMaster on admin.$cmd as pymongo 3 sends it", op_query(1, "admin.$cmd", R"({"isMaster": 1})"), mongo::Detection::mongodb},
        {"a header still arriving", hello.substr(0, 15), mongo::Detection::need_more},
        {"flags not yet seen", hello.substr(0, 19), mongo::Detection::need_more},
        {"an OP_QUERY is known by its opcode", op_query(1, "admin.$cmd", "{}").substr(0, 16), mongo::Detection::mongodb},
        {"a first message with responseTo set is still read", answering, mongo::Detection::mongodb},
        {"a server's opcode", reply_opcode, mongo::Detection::not_mongodb},
        {"three bytes cannot tell (SOCKS5's greeting)", std::string("\x05\x01\x00", 3), mongo::Detection::need_more},
        {"a length beyond 48 MB", std::string("\x05\x01\x00\x05", 4), mongo::Detection::not_mongodb},
        {"unknown OP_MSG flag bits", unknown_flags, mongo::Detection::not_mongodb},
        {"section kind 2 (internal)", bad_kind, mongo::Detection::not_mongodb},
        {"a length over mongod's maxMessageSizeBytes", huge, mongo::Detection::not_mongodb},
        {"OP_COMPRESSED as a first message is read (and judged the worst)",
         message(1, mongo::kOpCompressed, std::string(9, '\0')), mongo::Detection::mongodb},
        {"a legacy OP_DELETE as a first message is read", message(1, mongo::kOpDelete, std::string(9, '\0')),
         mongo::Detection::mongodb},
        {"HTTP", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", mongo::Detection::not_mongodb},
        {"a PostgreSQL SSLRequest", std::string("\0\0\0\x08\x04\xd2\x16\x2f", 8), mongo::Detection::not_mongodb},
    };
    for (const auto& row : rows) {
        CAPTURE(row.name);
        CHECK(mongo::detect_first_message(row.bytes) == row.expected);
    }
}

TEST_CASE("decoding: the command as JSON, with document sequences folded in") {
    struct Row {
        const char* name;
        std::string bytes;
        bool decoded;
        std::string message;
        std::string database;
        std::vector<std::string> json_contains;
        mongo::ReplyShape reply = mongo::ReplyShape::op_msg;
    };
    std::string truncated_body = op_msg(1, kFind);
    truncated_body[21] = 0x7f;  // the body document claims more bytes than the message has
    std::string two_bodies = op_msg(1, kFind);
    two_bodies += std::string("\0", 1) + bson_of(kDrop);
    two_bodies[0] = static_cast<char>(two_bodies.size());
    const Row rows[] = {
        {"find with its filter", op_msg(3, kFind), true, "OP_MSG", "shop", {R"("find" : "orders")", R"("sku" : "A-1")"}},
        {"insert with its documents as a kind-1 sequence",
         op_msg(4, R"({"insert": "orders", "ordered": true, "$db": "shop"})",
                {{"documents", {R"({"_id": 1, "sku": "B-2"})", R"({"_id": 2})"}}}),
         true, "OP_MSG", "shop", {R"("documents" : [ { "_id" : 1, "sku" : "B-2" }, { "_id" : 2 } ])"}},
        {"a checksum after the sections", op_msg(5, kDrop, {}, mongo::kChecksumPresent), true, "OP_MSG", "shop",
         {R"("drop" : "orders")"}},
        {"moreToCome expects no reply", op_msg(6, kDrop, {}, mongo::kMoreToCome), true, "OP_MSG", "shop",
         {R"("drop")"}, mongo::ReplyShape::none},
        {"isMaster over OP_QUERY is answered with OP_REPLY", op_query(7, "admin.$cmd", R"({"isMaster": 1, "client": {}})"),
         true, "OP_QUERY", "admin", {R"("isMaster" : 1)"}, mongo::ReplyShape::op_reply},
        {"a command wrapped in $query", op_query(8, "shop.$cmd", R"({"$query": {"drop": "orders"}, "$readPreference": {}})"),
         true, "OP_QUERY", "shop", {R"({ "drop" : "orders" })"}, mongo::ReplyShape::op_reply},
        {"a $query wrapper after another field is not guessed at",
         op_query(14, "shop.$cmd", R"({"$readPreference": {}, "$query": {"drop": "orders"}})"), false, "OP_QUERY", "", {},
         mongo::ReplyShape::op_reply},
        {"a legacy OP_QUERY find on a collection", op_query(9, "shop.orders", R"({"sku": "A-1"})"), true, "OP_QUERY",
         "shop", {R"("find" : "orders")", R"("filter" : { "sku" : "A-1" })"}, mongo::ReplyShape::op_reply},
        {"OP_COMPRESSED is not read", message(10, mongo::kOpCompressed, std::string("\xdd\x07\0\0", 4) + std::string(5, '\0')),
         false, "OP_COMPRESSED", "", {}},
        {"a legacy OP_DELETE is not read and has no reply", message(11, mongo::kOpDelete, std::string(12, '\0')), false,
         "OP_DELETE", "", {}, mongo::ReplyShape::none},
        {"a body that claims more than the message holds", truncated_body, false, "OP_MSG", "", {}},
        {"two body sections", two_bodies, false, "OP_MSG", "", {}},
        {"a command without $db", op_msg(12, R"({"drop": "orders"})"), false, "OP_MSG", "", {}},
        {"a string that is not UTF-8",
         op_msg(13, R"({"drop": "orders", "$db": "shop", "comment": "x"})").replace(
             op_msg(13, R"({"drop": "orders", "$db": "shop", "comment": "x"})").size() - 3, 1, "\xff"),
         false, "OP_MSG", "", {}},
    };
    for (const auto& row : rows) {
        CAPTURE(row.name);
        const auto command = mongo::decode_client_message(row.bytes);
        CAPTURE(command.why_not);
        CHECK(command.decoded == row.decoded);
        CHECK(command.message == row.message);
        CHECK(command.reply == row.reply);
        if (!row.decoded) {
            CHECK_FALSE(command.why_not.empty());
            continue;
        }
        CHECK(command.database == row.database);
        for (const auto& part : row.json_contains) {
            CAPTURE(command.command_json);
            CHECK(command.command_json.find(part) != std::string::npos);
        }
    }
}

TEST_CASE("a handshake's compression offer is removed: the server agrees to none, the driver never compresses") {
    struct Row { const char* name; std::string message; std::string expected_rewrite; };
    const Row rows[] = {
        {"OP_MSG hello with a checksum",
         op_msg(30, R"({"hello": 1, "compression": ["zlib", "zstd"], "client": {"a": 1}, "$db": "admin"})", {},
                mongo::kChecksumPresent),
         op_msg(30, R"({"hello": 1, "client": {"a": 1}, "$db": "admin"})")},
        {"OP_QUERY isMaster (pymongo 3)", op_query(31, "admin.$cmd", R"({"isMaster": 1, "compression": ["zlib"]})"),
         op_query(31, "admin.$cmd", R"({"isMaster": 1})")},
        {"a hello without an offer is sent as it came", op_msg(32, kHello), ""},
        {"a find that happens to have a compression field is not a handshake",
         op_msg(33, R"({"find": "orders", "compression": 1, "$db": "shop"})"), ""},
    };
    for (const auto& row : rows) {
        CAPTURE(row.name);
        const auto command = mongo::decode_client_message(row.message);
        REQUIRE(command.decoded);
        CHECK(command.rewritten_message == row.expected_rewrite);
        if (!row.expected_rewrite.empty()) CHECK(command.command_json.find("compression") == std::string::npos);
    }
    Book book;
    book.guest(rows[0].message);
    book.pass_last();
    CHECK(book.take_upstream() == rows[0].expected_rewrite);
}

TEST_CASE("refusal replies: an error document with code 13 on the request's id") {
    const std::string msg = mongo::refusal_reply(mongo::ReplyShape::op_msg, 77, 42, "askfirst refused drop");
    CHECK(u32_at(msg, 0) == msg.size());
    CHECK(u32_at(msg, 8) == 42);
    CHECK(u32_at(msg, 12) == mongo::kOpMsg);
    CHECK(reply_json(msg) == R"({ "ok" : 0.0, "errmsg" : "askfirst refused drop", "code" : 13, "codeName" : "Unauthorized" })");
    const std::string reply = mongo::refusal_reply(mongo::ReplyShape::op_reply, 78, 43, "no");
    CHECK(u32_at(reply, 8) == 43);
    CHECK(u32_at(reply, 12) == mongo::kOpReply);
    CHECK(u32_at(reply, 32) == 1);  // numberReturned
    CHECK(reply_json(reply).find(R"("code" : 13)") != std::string::npos);
    CHECK(mongo::refusal_reply(mongo::ReplyShape::none, 1, 2, "x").empty());
}

TEST_CASE("session: a passed command reaches the server whole, its reply the guest") {
    Book book;
    const std::string hello = op_msg(1, kHello);
    book.guest(hello.substr(0, 10));
    CHECK(book.decisions.empty());
    book.guest(hello.substr(10));
    REQUIRE(book.decisions.size() == 1);
    const auto& statement = book.decisions[0].statement;
    CHECK(statement.provider == "mongodb");
    CHECK(statement.database == "admin");
    CHECK(statement.message == "OP_MSG");
    REQUIRE(statement.texts.size() == 1);
    CHECK(statement.texts[0].find(R"("hello" : 1)") != std::string::npos);
    CHECK(book.take_upstream().empty());  // nothing before the verdict
    book.pass_last();
    CHECK(book.take_upstream() == hello);
    const std::string reply = message(900, mongo::kOpMsg, std::string(5, '\0') + bson_of(R"({"ok": 1})"), 1);
    book.server(reply);
    CHECK(book.take_guest() == reply);
}

TEST_CASE("session: a refused drop never reaches the server; the guest gets code 13 on its request id and goes on") {
    Book book;
    book.guest(op_msg(21, kDrop) + op_msg(22, kFind));
    REQUIRE(book.decisions.size() == 1);  // the find waits behind the held drop
    book.refuse_last();
    CHECK(book.take_upstream().empty());
    const std::string refusal = book.take_guest();
    CHECK(u32_at(refusal, 8) == 21);
    CHECK(reply_json(refusal).find(R"j("errmsg" : "askfirst refused drop (ask)", "code" : 13)j") != std::string::npos);
    REQUIRE(book.decisions.size() == 2);  // then the find is decided
    CHECK(book.decisions[1].statement.texts[0].find(R"("find" : "orders")") != std::string::npos);
    book.pass_last();
    CHECK(book.take_upstream() == op_msg(22, kFind));
}

TEST_CASE("session: a refused OP_QUERY command is answered with an OP_REPLY, as the legacy driver reads it") {
    Book book;
    book.guest(op_query(31, "shop.$cmd", R"({"dropDatabase": 1})"));
    REQUIRE(book.decisions.size() == 1);
    CHECK(book.decisions[0].statement.message == "OP_QUERY");
    CHECK(book.decisions[0].statement.database == "shop");
    book.refuse_last();
    CHECK(book.take_upstream().empty());
    const std::string reply = book.take_guest();
    CHECK(u32_at(reply, 8) == 31);
    CHECK(u32_at(reply, 12) == mongo::kOpReply);
    CHECK(reply_json(reply).find(R"("code" : 13)") != std::string::npos);
}

TEST_CASE("session: a refusal waits for the boundary of a server reply in progress") {
    Book book;
    book.guest(op_msg(1, kFind));
    book.pass_last();
    book.take_upstream();
    // An exhaust stream: the server's reply arrives in pieces while the guest's next command is refused.
    const std::string reply = message(901, mongo::kOpMsg, std::string(5, '\0') + bson_of(R"({"ok": 1, "n": 5})"), 1);
    book.server(reply.substr(0, 10));
    book.guest(op_msg(2, kDrop));
    book.refuse_last();
    CHECK(book.take_guest() == reply.substr(0, 10));  // not cut into
    book.server(reply.substr(10));
    const std::string guest = book.take_guest();
    REQUIRE(guest.size() > reply.size() - 10);
    CHECK(guest.substr(0, reply.size() - 10) == reply.substr(10));
    CHECK(u32_at(guest, reply.size() - 10 + 8) == 2);
}

TEST_CASE("session: a refused unacknowledged write (moreToCome) gets no reply; a refused legacy opcode ends the flow") {
    Book book;
    book.guest(op_msg(1, kDrop, {}, mongo::kMoreToCome));
    book.refuse_last();
    CHECK(book.take_guest().empty());
    CHECK(book.take_upstream().empty());
    CHECK(book.events.empty());
    book.guest(message(2, mongo::kOpDelete, std::string(12, '\0')));
    REQUIRE(book.decisions.size() == 2);
    CHECK_FALSE(book.decisions[1].statement.complete);
    book.refuse_last();
    CHECK(book.take_upstream().empty());
    REQUIRE(book.events.size() == 1);
    CHECK(book.events[0].starts_with("close: askfirst refused drop"));
}

TEST_CASE("session: a message over the inspection limit is decided on its start as the worst, its rest follows the verdict") {
    MongodbSessionConfig config;
    config.max_inspect_bytes = 100;  // a find fits, the insert with its blob does not
    const std::string big = op_msg(5, R"({"insert": "orders", "$db": "shop"})",
                                   {{"documents", {R"({"blob": ")" + std::string(200, 'x') + R"("})"}}});
    SUBCASE("passed: all of it reaches the server") {
        Book book(config);
        book.guest(big.substr(0, 120));
        REQUIRE(book.decisions.size() == 1);
        CHECK_FALSE(book.decisions[0].statement.complete);
        CHECK(book.decisions[0].statement.why_incomplete == "a message longer than the inspection limit");
        book.pass_last();
        book.guest(big.substr(120));
        CHECK(book.take_upstream() == big);
        book.guest(op_msg(6, kFind));
        CHECK(book.decisions.size() == 2);
    }
    SUBCASE("refused: none of it does, the guest gets code 13 and the next message is read") {
        Book book(config);
        book.guest(big.substr(0, 120));
        book.refuse_last();
        book.guest(big.substr(120) + op_msg(6, kFind));
        CHECK(book.take_upstream().empty());
        CHECK(u32_at(book.take_guest(), 8) == 5);
        REQUIRE(book.decisions.size() == 2);
        CHECK(book.decisions[1].statement.complete);
    }
}

TEST_CASE("session: bounds and endings") {
    SUBCASE("a length under a header cannot be framed") {
        Book book;
        book.guest(message(1, mongo::kOpMsg, "").replace(0, 1, "\x05"));
        REQUIRE(book.events.size() == 1);
        CHECK(book.events[0].starts_with("close: askfirst refused a MongoDB message it cannot frame"));
    }
    SUBCASE("a held command back-pressures the guest past kMaxHeldGuestBytes") {
        Book book;
        book.guest(op_msg(1, kDrop));
        CHECK(book.session.wants_guest_bytes());
        book.guest(std::string(kMaxHeldGuestBytes, 'x'));
        CHECK_FALSE(book.session.wants_guest_bytes());
        CHECK(book.decisions.size() == 1);
    }
    SUBCASE("the guest leaving withdraws the question") {
        Book book;
        book.guest(op_msg(1, kDrop));
        book.session.on_guest_eof();
        book.collect();
        REQUIRE(book.events.size() == 2);
        CHECK(book.events[0] == "cancel 1");
        book.pass_last();  // a late verdict is ignored
        CHECK(book.take_upstream().empty());
    }
}
