// Unit tests for consent/control_protocol: each command's shape, the errors
// for bad input, the line reader's bound, and the reply encoding.
#include <doctest.h>

#include <string>

#include "consent/control_protocol.h"

using namespace askfirst::consent;

namespace {

const ControlCommand& as_command(const ParsedControlLine& parsed) {
    REQUIRE(std::holds_alternative<ControlCommand>(parsed));
    return std::get<ControlCommand>(parsed);
}

const ControlError& as_error(const ParsedControlLine& parsed) {
    REQUIRE(std::holds_alternative<ControlError>(parsed));
    return std::get<ControlError>(parsed);
}

}  // namespace

TEST_CASE("well-formed commands parse with their arguments") {
    auto hello = as_command(parse_control_line(R"({"id":1,"cmd":"hello","version":1})"));
    CHECK(hello.kind == ControlCommandKind::hello);
    CHECK(hello.request_id == 1);
    CHECK(hello.client_version == 1);

    auto answer = as_command(parse_control_line(R"({"cmd":"answer","question":42,"answer":"15m"})"));
    CHECK(answer.kind == ControlCommandKind::answer);
    CHECK(answer.target_id == 42);
    CHECK(answer.answer == "15m");
    CHECK_FALSE(answer.request_id);

    auto revoke = as_command(parse_control_line(R"({"cmd":"revoke","grant":3})"));
    CHECK(revoke.kind == ControlCommandKind::revoke);
    CHECK(revoke.target_id == 3);

    auto set_mode = as_command(parse_control_line(R"({"cmd":"set-mode","provider":"aws","mode":"block-writes"})"));
    CHECK(set_mode.kind == ControlCommandKind::set_mode);
    CHECK(set_mode.provider == "aws");
    CHECK(set_mode.mode == "block-writes");

    CHECK(as_command(parse_control_line(R"({"cmd":"audit-tail"})")).lines == 20);
    CHECK(as_command(parse_control_line(R"({"cmd":"audit-tail","lines":5})")).lines == 5);
    CHECK(as_command(parse_control_line(R"({"cmd":"status"})")).kind == ControlCommandKind::status);
    CHECK(as_command(parse_control_line(R"({"cmd":"subscribe"})")).kind == ControlCommandKind::subscribe);
    CHECK(as_command(parse_control_line("{\"cmd\":\"grants\"}\r")).kind == ControlCommandKind::grants);
}

TEST_CASE("bad control lines get an error that says what is wrong") {
    struct Row {
        const char* name;
        const char* line;
        const char* message_part;
        bool echoes_id;
    };
    const Row rows[] = {
        {"not JSON", "{cmd: status", "not JSON", false},
        {"not an object", "[1,2]", "not a JSON object", false},
        {"no cmd", R"({"id":7})", "'cmd' is missing", true},
        {"unknown command", R"({"id":7,"cmd":"shutdown"})", "unknown command 'shutdown'", true},
        {"answer without question", R"({"cmd":"answer","answer":"once"})", "'question'", false},
        {"answer with a string id", R"({"cmd":"answer","question":"4","answer":"once"})", "'question'", false},
        {"answer without answer", R"({"cmd":"answer","question":4})", "'answer' must be a string", false},
        {"negative grant id", R"({"cmd":"revoke","grant":-1})", "'grant'", false},
        {"fractional id", R"({"id":1.5,"cmd":"status"})", "'id'", false},
        {"set-mode without mode", R"({"cmd":"set-mode","provider":"aws"})", "'mode'", false},
        {"audit-tail too many", R"({"cmd":"audit-tail","lines":100000})", "'lines'", false},
        {"hello without version", R"({"cmd":"hello"})", "'version'", false},
    };
    for (const auto& row : rows) {
        CAPTURE(row.name);
        auto failure = as_error(parse_control_line(row.line));
        CHECK(failure.message.find(row.message_part) != std::string::npos);
        CHECK(failure.request_id.has_value() == row.echoes_id);
    }
}

TEST_CASE("the line reader splits, joins partial lines and skips empty ones") {
    ControlLineReader reader;
    CHECK(reader.feed(R"({"cmd":"sta)").empty());
    auto lines = reader.feed("tus\"}\n\n{\"cmd\":\"grants\"}\n{\"cmd\"");
    REQUIRE(lines.size() == 2);
    CHECK(as_command(lines[0]).kind == ControlCommandKind::status);
    CHECK(as_command(lines[1]).kind == ControlCommandKind::grants);
    auto rest = reader.feed(":\"subscribe\"}\n");
    REQUIRE(rest.size() == 1);
    CHECK(as_command(rest[0]).kind == ControlCommandKind::subscribe);
}

TEST_CASE("an over-long line is refused once and skipped up to its newline") {
    ControlLineReader reader;
    const std::string huge(kMaxControlLineBytes + 10, 'x');
    auto first = reader.feed(huge.substr(0, 40000));
    CHECK(first.empty());
    auto second = reader.feed(huge.substr(40000));
    REQUIRE(second.size() == 1);
    CHECK(as_error(second[0]).message.find("longer than") != std::string::npos);
    CHECK(reader.feed(std::string(70000, 'y')).empty());  // still the same line: no second error
    auto after = reader.feed("tail\n{\"cmd\":\"status\"}\n");
    REQUIRE(after.size() == 1);
    CHECK(as_command(after[0]).kind == ControlCommandKind::status);
}

TEST_CASE("replies are one JSON line with re and ok first") {
    CHECK(encode_ok_reply(5) == "{\"re\":5,\"ok\":true}\n");
    CHECK(encode_ok_reply(std::nullopt, R"({"grants":[{"id":1}]})") == "{\"ok\":true,\"grants\":[{\"id\":1}]}\n");
    CHECK(encode_ok_reply(2, "{}") == "{\"re\":2,\"ok\":true}\n");
    CHECK(encode_ok_reply(2, "[1]").find("\"ok\":false") != std::string::npos);
    CHECK(encode_error_reply({9, "unknown command 'x'"}) ==
          "{\"re\":9,\"ok\":false,\"error\":\"unknown command 'x'\"}\n");
}

TEST_CASE("events are one JSON line each, in PROTOCOL.md's shapes") {
    CHECK(encode_question_event(R"({"id":7,"provider":"railway"})") ==
          "{\"event\":\"question\",\"question\":{\"id\":7,\"provider\":\"railway\"}}\n");
    CHECK(encode_question_event("not json") == "{\"event\":\"question\",\"question\":null}\n");
    CHECK(encode_withdrawn_event(7) == "{\"event\":\"withdrawn\",\"question\":7}\n");
    CHECK(encode_resolved_event(7, false, "user", "deny") ==
          "{\"event\":\"resolved\",\"question\":7,\"allowed\":false,\"decided_by\":\"user\",\"answer\":\"deny\"}\n");
    CHECK(encode_resolved_event(8, false, "timeout", std::nullopt) ==
          "{\"event\":\"resolved\",\"question\":8,\"allowed\":false,\"decided_by\":\"timeout\",\"answer\":null}\n");
    // A value is escaped, never spliced into the line as is.
    CHECK(encode_resolved_event(9, true, "user", "a\"b") ==
          "{\"event\":\"resolved\",\"question\":9,\"allowed\":true,\"decided_by\":\"user\",\"answer\":\"a\\\"b\"}\n");
}
