// tests/unit/database/mysql_session_test.cpp — the sans-io MySQL session as a
// playbook: a greeting, an authentication, then commands in the order the
// mariadb client sends them; what reaches each side and what is decided, out.
#include <doctest.h>

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "src/database/mysql_session.h"

using namespace askfirst;
using namespace askfirst::database;

namespace {

std::string packet(std::uint8_t sequence, std::string_view payload) {
    std::string out;
    for (int i = 0; i < 3; ++i) out.push_back(static_cast<char>((payload.size() >> (8 * i)) & 0xff));
    out.push_back(static_cast<char>(sequence));
    return out + std::string(payload);
}

std::string le(std::uint32_t value, int bytes) {
    std::string out;
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
    return out;
}

// HandshakeV10 of a MariaDB 10.11 with TLS (or without), compression and (MySQL's) query attributes offered.
std::string greeting(bool tls = true) {
    const std::uint32_t caps = (0xf7fe & ~mysql::kClientSsl) | (tls ? mysql::kClientSsl : 0) | mysql::kClientCompress |
                               mysql::kClientQueryAttributes;
    std::string payload = "\x0a" "5.5.5-10.11.6-MariaDB" + std::string(1, '\0') + le(42, 4) + "abcdefgh" + '\0' +
                          le(caps & 0xffff, 2) + "\x2d" + le(2, 2) + le(caps >> 16, 2) + "\x15" + std::string(10, '\0') +
                          "ijklmnopqrst" + '\0' + "mysql_native_password" + '\0';
    return packet(0, payload);
}

// The client's SSLRequest: HandshakeResponse41's 32 fixed bytes, CLIENT_SSL set.
std::string ssl_request(std::uint32_t caps) {
    return packet(1, le(caps | mysql::kClientSsl, 4) + le(1 << 24, 4) + "\x2d" + std::string(23, '\0'));
}

std::string handshake_response(std::uint32_t caps, std::uint8_t sequence = 1) {
    return packet(sequence, le(caps, 4) + le(1 << 24, 4) + "\x2d" + std::string(23, '\0') + "agent" + '\0' + "\x14" +
                         std::string(20, 'p') + "shop" + '\0');
}

std::string command(std::uint8_t code, std::string_view argument) {
    return packet(0, std::string(1, static_cast<char>(code)) + std::string(argument));
}

const std::string kOk = packet(2, std::string("\x00\x00\x00\x02\x00\x00\x00", 7));

struct Book {
    MysqlSession session;
    std::string upstream_bytes;
    std::string guest_bytes;
    std::vector<DecideStatement> decisions;
    std::vector<std::string> events;

    void collect() {
        for (auto& output : session.take_outputs()) {
            if (auto* up = std::get_if<SendToUpstream>(&output)) upstream_bytes += up->bytes;
            else if (auto* down = std::get_if<SendToGuest>(&output)) guest_bytes += down->bytes;
            else if (auto* decide = std::get_if<DecideStatement>(&output)) decisions.push_back(*decide);
            else if (std::holds_alternative<CloseFlow>(output)) events.push_back("close");
            else if (auto* tls = std::get_if<StartGuestTls>(&output)) events.push_back("guest tls:" + tls->read_ahead);
            else if (std::holds_alternative<StartUpstreamTls>(output)) events.push_back("upstream tls");
            else events.push_back("other");
        }
    }
    void guest(std::string_view bytes) { session.on_guest_bytes(bytes); collect(); }
    void server(std::string_view bytes) { session.on_upstream_bytes(bytes); collect(); }
    void pass_last() { session.pass(decisions.back().id); collect(); }
    void refuse_last() { session.refuse(decisions.back().id, "askfirst refused DROP TABLE", ""); collect(); }
    void connect() {
        server(greeting());
        guest(handshake_response(0x000fa68d));
        server(kOk);
        upstream_bytes.clear();
        guest_bytes.clear();
    }
    std::string take_upstream() { return std::exchange(upstream_bytes, {}); }
    std::string take_guest() { return std::exchange(guest_bytes, {}); }
};

std::string refusal() { return mysql::error_packet(1, mysql::kAccessDenied, "42000", "askfirst refused DROP TABLE"); }
std::string failing_query() { return command(0x03, mysql::kFailingQuery); }

}  // namespace

TEST_CASE("detection: a HandshakeV10 greeting, anything else is not MySQL") {
    CHECK(mysql::detect_greeting(greeting()) == mysql::Detection::mysql);
    CHECK(mysql::detect_greeting(greeting().substr(0, 4)) == mysql::Detection::need_more);
    CHECK(mysql::detect_greeting("SSH-2.0-OpenSSH_9.2\r\n") == mysql::Detection::not_mysql);
    CHECK(mysql::detect_greeting("220 smtp.example ESMTP\r\n") == mysql::Detection::not_mysql);
}

std::uint32_t greeting_capabilities(const std::string& sent) {
    const std::size_t low = 4 + 1 + 22 + 4 + 8 + 1;
    return static_cast<std::uint8_t>(sent[low]) | static_cast<std::uint8_t>(sent[low + 1]) << 8 |
           static_cast<std::uint8_t>(sent[low + 5]) << 16 | static_cast<std::uint8_t>(sent[low + 6]) << 24;
}

TEST_CASE("the greeting reaches the guest without compression or query attributes, with TLS as the server offers it") {
    for (const bool server_tls : {true, false}) {
        CAPTURE(server_tls);
        Book book;
        book.server(greeting(server_tls));
        const std::string sent = book.take_guest();
        REQUIRE(sent.size() == greeting(server_tls).size());
        const std::uint32_t caps = greeting_capabilities(sent);
        CHECK((caps & (mysql::kClientCompress | mysql::kClientQueryAttributes)) == 0);
        CHECK(((caps & mysql::kClientSsl) != 0) == server_tls);  // neither downgraded nor claimed
        CHECK((caps & 0x0200) != 0);  // CLIENT_PROTOCOL_41 kept
    }
}

TEST_CASE("authentication is relayed") {
    Book book;
    book.server(greeting());
    book.guest(handshake_response(0x000fa68d));
    CHECK(book.take_upstream() == handshake_response(0x000fa68d));
    CHECK(book.decisions.empty());
    CHECK(book.events.empty());
}

TEST_CASE("SSLRequest: relayed to the server, the guest's TLS opens with the ClientHello read past it, "
          "the upstream's TLS before the full response, then commands are read inside") {
    Book book;
    book.server(greeting());
    book.take_guest();
    const std::string client_hello_start = "\x16\x03\x01\x02\x00\x01";
    book.guest(ssl_request(0x000fa68d) + client_hello_start);  // the client does not wait for an answer
    CHECK(book.take_upstream() == ssl_request(0x000fa68d));
    REQUIRE(book.events == std::vector<std::string>{"guest tls:" + client_hello_start});
    // From here the stack feeds the plaintext of the guest's TLS.
    book.guest(handshake_response(0x000fa68d | mysql::kClientSsl, 2));
    CHECK(book.events == std::vector<std::string>{"guest tls:" + client_hello_start, "upstream tls"});
    CHECK(book.take_upstream() == handshake_response(0x000fa68d | mysql::kClientSsl, 2));
    const std::string ok = packet(3, std::string("\x00\x00\x00\x02\x00\x00\x00", 7));
    book.server(ok);
    CHECK(book.take_guest() == ok);
    book.guest(command(0x03, "drop table orders"));
    REQUIRE(book.decisions.size() == 1);
    book.refuse_last();
    CHECK(book.take_upstream() == failing_query());
    book.server(mysql::error_packet(1, 1064, "42000", "syntax"));
    CHECK(book.take_guest() == refusal());
}

TEST_CASE("TLS that cannot be honoured ends the flow with nothing relayed past it") {
    SUBCASE("CLIENT_SSL on a server that did not offer it") {
        Book book;
        book.server(greeting(false));
        book.guest(ssl_request(0x000fa68d));
        CHECK(book.events.back() == "close");
        CHECK(book.upstream_bytes.empty());
    }
    SUBCASE("CLIENT_SSL with the credentials in plaintext") {
        Book book;
        book.server(greeting());
        book.guest(handshake_response(0x000fa68d | mysql::kClientSsl));
        CHECK(book.events.back() == "close");
        CHECK(book.upstream_bytes.empty());
    }
    SUBCASE("the server speaks between the SSLRequest and TLS (bytes the guest would read as if inside TLS)") {
        Book book;
        book.server(greeting());
        book.guest(ssl_request(0x000fa68d));
        book.take_guest();
        book.server(packet(2, std::string("\x00\x00\x00\x02\x00\x00\x00", 7)));
        CHECK(book.events.back() == "close");
        CHECK(book.take_guest().find(std::string("\x00\x00\x00\x02\x00\x00\x00", 7)) == std::string::npos);
    }
}

TEST_CASE("COM_QUERY is held until passed and relayed unchanged; its response reaches the guest") {
    Book book;
    book.connect();
    book.guest(command(0x03, "select count(*) from orders"));
    REQUIRE(book.decisions.size() == 1);
    CHECK(book.decisions[0].statement.provider == "mysql");
    CHECK(book.decisions[0].statement.texts == std::vector<std::string>{"select count(*) from orders"});
    CHECK(book.upstream_bytes.empty());
    book.pass_last();
    CHECK(book.take_upstream() == command(0x03, "select count(*) from orders"));
    const std::string response = packet(1, "\x01") + packet(2, "column") + packet(3, "row") + packet(4, "\xfe\0\0\2\0");
    book.server(response);
    CHECK(book.take_guest() == response);
}

TEST_CASE("a refused COM_QUERY: the server gets a failing query, its error becomes ERR 1142 in order") {
    Book book;
    book.connect();
    book.guest(command(0x03, "select 1"));
    book.pass_last();
    book.guest(command(0x03, "drop table orders"));
    book.refuse_last();
    book.guest(command(0x0e, ""));  // COM_PING
    CHECK(book.take_upstream() == command(0x03, "select 1") + failing_query() + command(0x0e, ""));
    const std::string select_response = packet(1, "\x01") + packet(2, "col") + packet(3, "row") + packet(4, "\xfe\0\0\2\0");
    const std::string syntax_error = mysql::error_packet(1, 1064, "42000", "You have an error in your SQL syntax");
    const std::string pong = packet(1, std::string("\x00\x00\x00\x02\x00\x00\x00", 7));
    book.server(select_response + syntax_error + pong);
    CHECK(book.take_guest() == select_response + refusal() + pong);
}

TEST_CASE("COM_STMT_EXECUTE is judged by the text prepared under the id the server gave") {
    Book book;
    book.connect();
    book.guest(command(0x16, "delete from orders where id = ?"));
    CHECK(book.decisions.empty());  // PREPARE is relayed
    book.server(packet(1, std::string("\x00", 1) + le(7, 4) + le(0, 2) + le(1, 2) + std::string(3, '\0')));
    book.guest(command(0x17, le(7, 4) + std::string(5, '\0')));
    REQUIRE(book.decisions.size() == 1);
    CHECK(book.decisions[0].statement.texts == std::vector<std::string>{"delete from orders where id = ?"});
    book.pass_last();
    book.guest(command(0x17, le(8, 4) + std::string(5, '\0')));
    CHECK_FALSE(book.decisions.back().statement.complete);  // an id it never saw prepared
}

TEST_CASE("SQL PREPARE ... FROM, then EXECUTE: judged the worst it could be") {
    Book book;
    book.connect();
    book.guest(command(0x03, "prepare wipe from 'truncate orders'"));
    book.pass_last();
    book.guest(command(0x03, "execute wipe"));
    CHECK_FALSE(book.decisions.back().statement.complete);
}

TEST_CASE("commands askfirst does not read are judged the worst; bookkeeping ones are relayed") {
    Book book;
    book.connect();
    book.guest(command(0x0c, le(5, 4)));  // COM_PROCESS_KILL
    REQUIRE(book.decisions.size() == 1);
    CHECK_FALSE(book.decisions[0].statement.complete);
    book.pass_last();
    book.guest(command(0x02, "other") + command(0x19, le(7, 4)));  // COM_INIT_DB, COM_STMT_CLOSE
    CHECK(book.decisions.size() == 1);
}

TEST_CASE("a command pipelined behind the handshake response is judged before it reaches the server") {
    Book book;
    book.server(greeting());
    book.take_guest();
    book.guest(handshake_response(0x000fa68d) + command(0x03, "drop table orders"));
    REQUIRE(book.decisions.size() == 1);
    CHECK(book.decisions[0].statement.texts == std::vector<std::string>{"drop table orders"});
    CHECK(book.take_upstream() == handshake_response(0x000fa68d));  // the DROP is held
    book.refuse_last();
    CHECK(book.take_upstream() == failing_query());
    book.server(kOk + packet(1, "\xff\x28\x04#42000syntax"));
    CHECK(book.take_guest() == kOk + refusal());
}

TEST_CASE("after a refused COM_CHANGE_USER the server keeps the connection: the next command is judged") {
    Book book;
    book.connect();
    book.guest(command(0x11, std::string("agent") + '\0' + "\x14" + std::string(20, 'x') + "shop" + '\0'));
    CHECK(book.decisions.empty());
    book.server(packet(1, "\xff\x15\x04#28000Access denied"));
    book.guest(command(0x03, "drop table orders"));
    REQUIRE(book.decisions.size() == 1);
    CHECK(book.decisions[0].statement.texts == std::vector<std::string>{"drop table orders"});
}

TEST_CASE("an empty command packet is answered by the server: prepared texts stay with their statement ids") {
    Book book;
    book.connect();
    book.guest(packet(0, "") + command(0x16, "drop table orders") + command(0x16, "select 1"));
    book.server(packet(1, "\xff\x2f\x04#08S01Unknown command"));                                  // the empty packet's
    book.server(packet(1, std::string("\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 12)));  // DROP: id 1
    book.server(packet(1, std::string("\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 12)));  // SELECT: id 2
    book.guest(command(0x17, std::string("\x01\x00\x00\x00\x00\x01\x00\x00\x00", 9)));
    REQUIRE(book.decisions.size() == 1);
    CHECK(book.decisions[0].statement.texts == std::vector<std::string>{"drop table orders"});
}

TEST_CASE("after a response wraps its sequence id no statement id is trusted with a text") {
    Book book;
    book.connect();
    book.guest(command(0x03, "select seq from seq_1_to_300") + command(0x16, "drop table orders") +
               command(0x16, "select 1"));
    book.pass_last();
    std::string result = packet(1, "\x01");  // a column count, then 299 rows: sequence ids 2..255, 0, 1, ...
    for (int i = 2; i <= 300; ++i) result += packet(static_cast<std::uint8_t>(i & 0xff), "\x03" "abc");
    book.server(result + packet(45, std::string("\xfe\x00\x00\x02\x00", 5)));
    book.server(packet(1, std::string("\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 12)));  // DROP: id 1
    book.server(packet(1, std::string("\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 12)));  // SELECT: id 2
    book.guest(command(0x17, std::string("\x01\x00\x00\x00\x00\x01\x00\x00\x00", 9)));
    REQUIRE(book.decisions.size() == 2);
    const auto& execute = book.decisions[1].statement;
    CHECK((!execute.complete || execute.texts == std::vector<std::string>{"drop table orders"}));
    CHECK(execute.texts != std::vector<std::string>{"select 1"});
}
