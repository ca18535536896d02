// tests/unit/database/postgres_session_test.cpp — the sans-io PostgreSQL
// session as a playbook: guest and server bytes in, in the order a real
// libpq exchange has them; what reaches each side and what is decided, out.
#include <doctest.h>

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "src/database/postgres_session.h"
#include "src/database/postgres_wire.h"

using namespace askfirst::database;

namespace {

std::string startup(std::string_view user, std::string_view database) {
    std::string body;
    pg::append_uint32(body, pg::kProtocolVersion3);
    body += "user";
    body += '\0';
    body += user;
    body += '\0';
    body += "database";
    body += '\0';
    body += database;
    body += '\0';
    body += '\0';
    std::string packet;
    pg::append_uint32(packet, static_cast<std::uint32_t>(body.size() + 4));
    return packet + body;
}

std::string request_packet(std::uint32_t code) {
    std::string packet;
    pg::append_uint32(packet, 8);
    pg::append_uint32(packet, code);
    return packet;
}

std::string cstr(std::string_view text) { return std::string(text) + std::string(1, '\0'); }
std::string query(std::string_view sql) { return pg::typed_message('Q', cstr(sql)); }
std::string parse(std::string_view name, std::string_view sql) {
    return pg::typed_message('P', cstr(name) + cstr(sql) + std::string(2, '\0'));
}
std::string bind(std::string_view portal, std::string_view statement) {
    return pg::typed_message('B', cstr(portal) + cstr(statement) + std::string(6, '\0'));
}
std::string execute(std::string_view portal) { return pg::typed_message('E', cstr(portal) + std::string(4, '\0')); }
std::string describe_portal(std::string_view portal) { return pg::typed_message('D', "P" + cstr(portal)); }
std::string close_statement(std::string_view name) { return pg::typed_message('C', "S" + cstr(name)); }
std::string sync_message() { return pg::typed_message('S', ""); }
std::string ready(char status) { return pg::typed_message('Z', std::string(1, status)); }
std::string command_complete(std::string_view tag) { return pg::typed_message('C', cstr(tag)); }
std::string server_error(std::string_view code, std::string_view text) {
    return pg::typed_message('E', "SERROR" + std::string(1, '\0') + "C" + cstr(code) + "M" + cstr(text) + '\0');
}
std::string auth_ok() { return pg::typed_message('R', std::string(4, '\0')); }
std::string copy_data(std::string_view data) { return pg::typed_message('d', data); }

struct Book {
    explicit Book(PostgresSessionConfig config = {}) : session(config) {}
    PostgresSession session;
    std::string upstream_bytes;
    std::string guest_bytes;
    std::vector<askfirst::DecideStatement> decisions;
    std::vector<std::string> events;  // everything but the bytes, in order

    void collect() {
        for (auto& output : session.take_outputs()) {
            if (auto* up = std::get_if<askfirst::SendToUpstream>(&output)) upstream_bytes += up->bytes;
            else if (auto* down = std::get_if<askfirst::SendToGuest>(&output)) guest_bytes += down->bytes;
            else if (auto* decide = std::get_if<askfirst::DecideStatement>(&output)) {
                decisions.push_back(*decide);
                events.push_back("decide " + decide->statement.message);
            } else if (std::holds_alternative<askfirst::StartGuestTls>(output)) events.push_back("guest-tls");
            else if (std::holds_alternative<askfirst::StartUpstreamTls>(output)) events.push_back("upstream-tls");
            else if (auto* cancel = std::get_if<askfirst::CancelDecision>(&output))
                events.push_back("cancel " + std::to_string(cancel->id));
            else if (std::holds_alternative<askfirst::CloseFlow>(output)) events.push_back("close");
            else events.push_back("other");
        }
    }
    void guest(std::string_view bytes) { session.on_guest_bytes(bytes); collect(); }
    void guest_bytewise(std::string_view bytes) {
        for (char c : bytes) guest(std::string_view(&c, 1));
    }
    void server(std::string_view bytes) { session.on_upstream_bytes(bytes); collect(); }
    void pass_last() { session.pass(decisions.back().id); collect(); }
    void refuse_last() { session.refuse(decisions.back().id, "askfirst refused DROP TABLE", "ask the person"); collect(); }
    // Logged in and idle: the exchange up to the first ReadyForQuery.
    void connect() {
        guest(startup("agent", "shop"));
        server(auth_ok() + ready('I'));
        upstream_bytes.clear();
        guest_bytes.clear();
    }
    std::string take_upstream() { return std::exchange(upstream_bytes, {}); }
    std::string take_guest() { return std::exchange(guest_bytes, {}); }
};

const std::string kRefusal = pg::error_response(pg::kInsufficientPrivilege, "askfirst refused DROP TABLE", "ask the person");
const std::string kFailingQuery = query(pg::kFailingStatement);
const std::string kFailingParse = parse("", pg::kFailingStatement);

}  // namespace

TEST_CASE("detection: startup packets by their first eight bytes, anything else is not postgres") {
    struct Row { const char* name; std::string bytes; pg::StartupDetection expected; };
    const Row rows[] = {
        {"StartupMessage 3.0", startup("u", "d"), pg::StartupDetection::postgres},
        {"SSLRequest", request_packet(pg::kSslRequestCode), pg::StartupDetection::postgres},
        {"GSSENCRequest", request_packet(pg::kGssEncRequestCode), pg::StartupDetection::postgres},
        {"seven bytes", startup("u", "d").substr(0, 7), pg::StartupDetection::need_more},
        {"one byte that no length starts with", "G", pg::StartupDetection::not_postgres},
        {"HTTP", "GET / HTTP/1.1\r\n", pg::StartupDetection::not_postgres},
        {"RESP array", "*1\r\n$4\r\nPING\r\n", pg::StartupDetection::not_postgres},
        {"protocol 2", [] { std::string p; pg::append_uint32(p, 16); pg::append_uint32(p, 0x20000); return p + std::string(8, 'x'); }(),
         pg::StartupDetection::not_postgres},
        {"SSLRequest with a wrong length", [] { std::string p; pg::append_uint32(p, 12); pg::append_uint32(p, pg::kSslRequestCode); return p; }(),
         pg::StartupDetection::not_postgres},
    };
    for (const auto& row : rows) {
        CAPTURE(row.name);
        CHECK(pg::detect_startup_packet(row.bytes) == row.expected);
    }
}

TEST_CASE("startup is relayed at once; user and database are read from it") {
    Book book;
    book.guest(startup("agent", "shop"));
    CHECK(book.upstream_bytes == startup("agent", "shop"));
    CHECK(book.session.user() == "agent");
    CHECK(book.session.database() == "shop");
    book.server(auth_ok() + ready('I'));
    CHECK(book.guest_bytes == auth_ok() + ready('I'));
    CHECK(book.decisions.empty());
}

TEST_CASE("a Query is held until passed, then sent unchanged; byte by byte gives the same") {
    for (bool bytewise : {false, true}) {
        Book book;
        book.connect();
        const std::string sql = query("select * from orders");
        bytewise ? book.guest_bytewise(sql) : book.guest(sql);
        REQUIRE(book.decisions.size() == 1);
        CHECK(book.decisions[0].statement.message == "Query");
        CHECK(book.decisions[0].statement.texts == std::vector<std::string>{"select * from orders"});
        CHECK(book.decisions[0].statement.complete);
        CHECK(book.upstream_bytes.empty());
        book.pass_last();
        CHECK(book.take_upstream() == sql);
    }
}

TEST_CASE("a refused Query never reaches the server: a failing text goes instead and its error is replaced") {
    Book book;
    book.connect();
    book.guest(query("drop table orders"));
    book.refuse_last();
    CHECK(book.take_upstream() == kFailingQuery);
    // Outside a transaction block the server answers the failing text with an error and 'I'.
    book.server(server_error("42601", "syntax error at or near \"askfirst\"") + ready('I'));
    CHECK(book.take_guest() == kRefusal + ready('I'));
    // The connection goes on: the next statement is judged and relayed.
    book.guest(query("select 1"));
    book.pass_last();
    CHECK(book.take_upstream() == query("select 1"));
    book.server(command_complete("SELECT 1") + ready('I'));
    CHECK(book.take_guest() == command_complete("SELECT 1") + ready('I'));
}

TEST_CASE("a refused Query inside BEGIN: the server's own ReadyForQuery says the block failed") {
    Book book;
    book.connect();
    book.guest(query("begin"));
    book.pass_last();
    book.server(command_complete("BEGIN") + ready('T'));
    book.guest(query("delete from orders"));
    book.refuse_last();
    CHECK(book.take_upstream() == query("begin") + kFailingQuery);
    book.server(server_error("42601", "syntax error") + ready('E'));
    CHECK(book.take_guest() == command_complete("BEGIN") + ready('T') + kRefusal + ready('E'));
    // COMMIT then rolls back on the server, as the client was told.
    book.guest(query("commit"));
    book.pass_last();
    book.server(command_complete("ROLLBACK") + ready('I'));
    CHECK(book.take_guest() == command_complete("ROLLBACK") + ready('I'));
}

TEST_CASE("only the error of the refused statement's unit is replaced, not an earlier statement's") {
    Book book;
    book.connect();
    book.guest(query("select broken"));
    book.pass_last();
    book.guest(query("drop table orders"));
    book.refuse_last();
    book.server(server_error("42703", "column does not exist") + ready('I'));
    CHECK(book.take_guest() == server_error("42703", "column does not exist") + ready('I'));
    book.server(server_error("42601", "syntax error") + ready('I'));
    CHECK(book.take_guest() == kRefusal + ready('I'));
}

TEST_CASE("extended protocol: Parse and Bind are relayed, Execute is decided with the Parsed text") {
    Book book;
    book.connect();
    book.guest(parse("s1", "delete from orders where id = $1") + bind("", "s1") + describe_portal("") + execute("") + sync_message());
    REQUIRE(book.decisions.size() == 1);
    CHECK(book.decisions[0].statement.message == "Execute");
    CHECK(book.decisions[0].statement.texts == std::vector<std::string>{"delete from orders where id = $1"});
    CHECK(book.take_upstream() == parse("s1", "delete from orders where id = $1") + bind("", "s1") + describe_portal(""));
    book.pass_last();
    CHECK(book.take_upstream() == execute("") + sync_message());
}

TEST_CASE("extended protocol: a refused Execute becomes a failing Parse, the rest until Sync is dropped") {
    Book book;
    book.connect();
    book.guest(parse("", "drop table orders") + bind("", "") + execute("") + parse("", "select 1") + sync_message() +
               query("select 2"));
    book.refuse_last();
    CHECK(book.take_upstream() == parse("", "drop table orders") + bind("", "") + kFailingParse + sync_message());
    REQUIRE(book.decisions.size() == 2);  // the Query after Sync is judged again
    book.pass_last();
    CHECK(book.take_upstream() == query("select 2"));
    const std::string parse_complete = pg::typed_message('1', "");
    const std::string bind_complete = pg::typed_message('2', "");
    book.server(parse_complete + bind_complete + server_error("42601", "syntax error") + ready('I') +
                command_complete("SELECT 1") + ready('I'));
    CHECK(book.take_guest() == parse_complete + bind_complete + kRefusal + ready('I') + command_complete("SELECT 1") +
                                   ready('I'));
}

TEST_CASE("extended protocol: statements are judged by name, closed names forgotten, unknown ones the worst") {
    Book book;
    book.connect();
    book.guest(parse("reader", "select 1") + parse("writer", "update t set a = 1") + bind("p1", "reader") + execute("p1"));
    CHECK(book.decisions.back().statement.texts == std::vector<std::string>{"select 1"});
    book.pass_last();
    book.guest(bind("p2", "writer") + execute("p2"));
    CHECK(book.decisions.back().statement.texts == std::vector<std::string>{"update t set a = 1"});
    book.pass_last();
    book.guest(close_statement("writer") + bind("p3", "writer") + execute("p3"));
    CHECK_FALSE(book.decisions.back().statement.complete);  // a statement it did not see Parsed
    book.pass_last();
    book.guest(execute("never-bound"));
    CHECK_FALSE(book.decisions.back().statement.complete);
}

TEST_CASE("a name Parsed twice is judged by both texts (the server kept the first and refused the second)") {
    Book book;
    book.connect();
    book.guest(parse("s", "drop table orders") + parse("s", "select 1") + bind("", "s") + execute(""));
    CHECK(book.decisions.back().statement.texts == std::vector<std::string>{"drop table orders", "select 1"});
}

// The server skips every message after an error up to Sync (protocol 55.2.3):
// a Parse, Bind or Close it skipped must not change what the session judges by.
TEST_CASE("extended protocol: a Parse the server skipped after an error does not replace the statement it keeps") {
    const std::string parse_complete = pg::typed_message('1', "");
    Book book;
    book.connect();
    book.guest(parse("", "drop table orders") + sync_message());
    book.server(parse_complete + ready('I'));
    // A Bind of a missing statement fails; the server skips the Parse after it.
    book.guest(bind("x", "missing") + parse("", "select 1") + sync_message());
    book.server(server_error("26000", "prepared statement \"missing\" does not exist") + ready('I'));
    book.guest(bind("", "") + execute("") + sync_message());
    REQUIRE(book.decisions.size() == 1);
    CHECK(book.decisions.back().statement.texts == std::vector<std::string>{"drop table orders"});
}

TEST_CASE("extended protocol: a Close the server skipped after an error keeps the statement's text") {
    const std::string parse_complete = pg::typed_message('1', "");
    Book book;
    book.connect();
    book.guest(parse("s1", "drop table orders") + sync_message());
    book.server(parse_complete + ready('I'));
    book.guest(bind("x", "missing") + close_statement("s1") + parse("s1", "select 1") + sync_message());
    book.server(server_error("26000", "prepared statement \"missing\" does not exist") + ready('I'));
    book.guest(bind("p", "s1") + execute("p") + sync_message());
    REQUIRE(book.decisions.size() == 1);
    CHECK(book.decisions.back().statement.texts == std::vector<std::string>{"drop table orders"});
}

TEST_CASE("extended protocol: pipelined units whose answers are not in yet are judged by every text they may hold") {
    Book book;
    book.connect();
    book.guest(parse("", "drop table orders") + sync_message() + bind("x", "missing") + parse("", "select 1") +
               sync_message() + bind("", "") + execute("") + sync_message());
    REQUIRE(book.decisions.size() == 1);
    CHECK(book.decisions.back().statement.texts == std::vector<std::string>{"drop table orders", "select 1"});
}

TEST_CASE("extended protocol: confirmed changes are the server's: a closed and re-Parsed name has its new text") {
    const std::string parse_complete = pg::typed_message('1', "");
    const std::string close_complete = pg::typed_message('3', "");
    Book book;
    book.connect();
    book.guest(parse("s1", "drop table orders") + sync_message());
    book.server(parse_complete + ready('I'));
    book.guest(close_statement("s1") + parse("s1", "select 1") + sync_message());
    book.server(close_complete + parse_complete + ready('I'));
    book.guest(bind("p", "s1") + execute("p") + sync_message());
    CHECK(book.decisions.back().statement.texts == std::vector<std::string>{"select 1"});
}

TEST_CASE("extended protocol: names are the server's first 63 bytes (NAMEDATALEN): longer ones that share them are one") {
    const std::string parse_complete = pg::typed_message('1', "");
    const std::string close_complete = pg::typed_message('3', "");
    const std::string stem(63, 'n');  // NAMEDATALEN - 1
    Book book;
    book.connect();
    book.guest(parse(stem + "_reader", "select 1") + sync_message());
    book.server(parse_complete + ready('I'));
    // The server closes and re-Parses one name, which the guest then Binds by its other spelling.
    book.guest(close_statement(stem + "_other") + parse(stem + "_other", "drop table orders") + sync_message());
    book.server(close_complete + parse_complete + ready('I'));
    book.guest(bind("p", stem + "_reader") + execute("p") + sync_message());
    CHECK(book.decisions.back().statement.texts == std::vector<std::string>{"drop table orders"});
}

TEST_CASE("a server confirming a Parse askfirst never sent ends the flow") {
    Book book;
    book.connect();
    book.server(pg::typed_message('1', ""));
    CHECK(book.events.back() == "close");
}

TEST_CASE("SQL EXECUTE is judged with the protocol's named statements; after SQL PREPARE the worst") {
    Book book;
    book.connect();
    book.guest(parse("wipe", "truncate orders") + query("execute wipe"));
    CHECK(book.decisions.back().statement.texts == std::vector<std::string>{"execute wipe", "truncate orders"});
    CHECK(book.decisions.back().statement.complete);
    book.pass_last();
    book.guest(query("prepare x as select 1"));
    book.pass_last();
    book.guest(query("execute x"));
    CHECK_FALSE(book.decisions.back().statement.complete);
}

TEST_CASE("COPY FROM STDIN: the Query is decided, its CopyData flows without decisions") {
    Book book;
    book.connect();
    book.guest(query("copy orders from stdin"));
    book.pass_last();
    book.server(pg::typed_message('G', std::string(3, '\0')));
    book.guest(copy_data("1\tx\n") + pg::typed_message('c', ""));
    CHECK(book.decisions.size() == 1);
    CHECK(book.take_upstream() == query("copy orders from stdin") + copy_data("1\tx\n") + pg::typed_message('c', ""));
}

TEST_CASE("a FunctionCall is judged the worst it could be") {
    Book book;
    book.connect();
    std::string body;
    pg::append_uint32(body, 1234);
    book.guest(pg::typed_message('F', body + std::string(6, '\0')));
    REQUIRE(book.decisions.size() == 1);
    CHECK_FALSE(book.decisions[0].statement.complete);
    book.refuse_last();
    CHECK(book.take_upstream() == kFailingQuery);
}

TEST_CASE("a Query over the inspection limit is judged the worst, held whole, and its rest follows a pass") {
    Book book(PostgresSessionConfig{16});
    book.connect();
    const std::string sql = query("select '" + std::string(100, 'x') + "'");
    book.guest(sql);
    REQUIRE(book.decisions.size() == 1);
    CHECK_FALSE(book.decisions[0].statement.complete);
    CHECK(book.decisions[0].statement.texts[0].size() == 16);
    CHECK(book.upstream_bytes.empty());
    book.pass_last();
    CHECK(book.take_upstream() == sql);
}

TEST_CASE("a refused oversized Query: none of it reaches the server") {
    Book book(PostgresSessionConfig{16});
    book.connect();
    const std::string sql = query("drop table t; select '" + std::string(100, 'x') + "'");
    book.guest(sql.substr(0, 30));
    book.refuse_last();
    book.guest(sql.substr(30) + query("select 1"));
    CHECK(book.take_upstream() == kFailingQuery);
    CHECK(book.decisions.size() == 2);
}

TEST_CASE("while a statement is held the guest is back-pressured") {
    Book book;
    book.connect();
    book.guest(query("delete from t"));
    CHECK(book.session.wants_guest_bytes());
    book.guest(std::string(kMaxHeldGuestBytes, 'd'));
    CHECK_FALSE(book.session.wants_guest_bytes());
    CHECK(book.upstream_bytes.empty());
}

TEST_CASE("SSLRequest is asked of the server first; its 'S' opens TLS on both sides") {
    Book book;
    book.guest(request_packet(pg::kSslRequestCode));
    CHECK(book.take_upstream() == request_packet(pg::kSslRequestCode));
    CHECK(book.guest_bytes.empty());  // the guest waits for the server's answer
    book.server("S");
    CHECK(book.take_guest() == "S");
    CHECK(book.events == std::vector<std::string>{"guest-tls"});
    book.guest(startup("agent", "shop"));  // plaintext of the guest TLS session: the upstream's TLS may start
    CHECK(book.events == std::vector<std::string>{"guest-tls", "upstream-tls"});
    CHECK(book.take_upstream() == startup("agent", "shop"));
    book.server(auth_ok() + ready('I'));
    book.guest(query("drop table t"));
    CHECK(book.decisions.size() == 1);
}

TEST_CASE("a server without TLS answers 'N', the guest hears 'N', and a plaintext startup follows") {
    Book book;
    book.guest(request_packet(pg::kSslRequestCode));
    book.server("N");
    CHECK(book.take_guest() == "N");
    CHECK(book.events.empty());
    book.guest(startup("agent", "shop"));
    CHECK(book.take_upstream() == request_packet(pg::kSslRequestCode) + startup("agent", "shop"));
    book.server(auth_ok() + ready('I'));
    CHECK(book.take_guest() == auth_ok() + ready('I'));
}

TEST_CASE("buffer stuffing around SSLRequest ends the flow, either side") {
    Book same_segment;
    same_segment.guest(request_packet(pg::kSslRequestCode) + query("drop table t"));
    CHECK(same_segment.events.back() == "close");
    CHECK(same_segment.upstream_bytes.empty());
    Book before_answer;
    before_answer.guest(request_packet(pg::kSslRequestCode));
    before_answer.guest(query("drop table t"));
    CHECK(before_answer.events.back() == "close");
    CHECK(before_answer.take_upstream() == request_packet(pg::kSslRequestCode));
    Book server_side;
    server_side.guest(request_packet(pg::kSslRequestCode));
    server_side.server("S" + auth_ok());
    CHECK(server_side.events.back() == "close");
    CHECK(server_side.guest_bytes.find("FATAL") != std::string::npos);
    Book server_later;
    server_later.guest(request_packet(pg::kSslRequestCode));
    server_later.server("S");
    server_later.server(auth_ok());  // a later read, still before any TLS
    CHECK(server_later.events.back() == "close");
}

TEST_CASE("GSSENCRequest is answered 'N' and the startup that follows is relayed") {
    Book book;
    book.guest(request_packet(pg::kGssEncRequestCode));
    CHECK(book.guest_bytes == "N");
    book.guest(startup("agent", "shop"));
    CHECK(book.upstream_bytes == startup("agent", "shop"));
}

TEST_CASE("a guest that leaves while a statement is held cancels its decision") {
    Book book;
    book.connect();
    book.guest(query("delete from t"));
    book.session.on_guest_eof();
    book.collect();
    CHECK(book.events == std::vector<std::string>{"decide Query", "cancel 1", "close"});
}

TEST_CASE("framing the session cannot trust ends the flow with a FATAL") {
    Book book;
    book.connect();
    book.guest(std::string("Q") + std::string("\0\0\0\2", 4));
    CHECK(book.events.back() == "close");
    CHECK(book.guest_bytes.find("FATAL") != std::string::npos);
}

TEST_CASE("a replication connection's commands are judged the worst they could be") {
    std::string body;
    pg::append_uint32(body, pg::kProtocolVersion3);
    body += std::string("user\0agent\0replication\0database\0\0", 33);
    std::string packet;
    pg::append_uint32(packet, static_cast<std::uint32_t>(body.size() + 4));
    Book book;
    book.guest(packet + body);
    book.server(auth_ok() + ready('I'));
    book.guest(query("DROP_REPLICATION_SLOT s"));
    REQUIRE(book.decisions.size() == 1);
    CHECK_FALSE(book.decisions[0].statement.complete);
}

TEST_CASE("an unreachable server: the guest gets a FATAL that says why, and the flow ends") {
    Book book;
    book.guest(startup("agent", "shop"));
    book.session.on_upstream_failed("connection refused");
    book.collect();
    CHECK(book.guest_bytes.find("askfirst could not reach the PostgreSQL server: connection refused") != std::string::npos);
    CHECK(book.events.back() == "close");
}

TEST_CASE("on_verdict: a refusal's reason and how_to_allow become the ErrorResponse's message and hint") {
    Book book;
    book.connect();
    book.guest(query("drop table t"));
    book.session.on_verdict(book.decisions.back().id, askfirst::Verdict{false, "askfirst refused DROP TABLE", {}, "ask the person", {}});
    book.collect();
    book.server(server_error("42601", "syntax error") + ready('I'));
    CHECK(book.take_guest() == kRefusal + ready('I'));
}

TEST_CASE("a startup request of another length than the protocol's ends the flow (as detection demands)") {
    std::string packet;
    pg::append_uint32(packet, 12);
    pg::append_uint32(packet, pg::kSslRequestCode);
    Book book;
    book.guest(packet + std::string(4, '\0'));
    CHECK(book.events.back() == "close");
    CHECK(book.upstream_bytes.empty());
}
