// tests/unit/src/http_responses_test.cpp — askfirstd's own responses are
// complete HTTP/1.1 messages a client parses to their exact end (invariant 8),
// with a JSON body, and say Connection: close only when they mean it.
#include <doctest.h>

#include <cjson/cJSON.h>

#include "src/http_message_parser.h"
#include "src/http_responses.h"

using namespace askfirst::http;

namespace {

// Parses `bytes` as one response; returns how many bytes the message took
// (0 if it did not complete) and its status.
std::pair<std::size_t, int> parse_one_response(std::string_view bytes) {
    MessageParser parser(MessageKind::response);
    std::size_t used = 0;
    for (int steps = 0; steps < 8; ++steps) {
        ParseStep step = parser.parse(bytes.substr(used));
        used += step.consumed;
        if (step.boundary == Boundary::message_complete) return {used, parser.status_code()};
        if (step.boundary == Boundary::error || (step.boundary == Boundary::need_more && used == bytes.size())) break;
    }
    return {0, 0};
}

}  // namespace

TEST_CASE("every response askfirstd writes parses to its exact end with a JSON body") {
    DenialDetails denial{"aws", "rds:DeleteDBInstance", "destructive", "block-destructive", "mode block-destructive refuses destructive operations on aws"};
    struct Case { const char* name; std::string bytes; int status; bool closes; };
    const Case cases[] = {
        {"403 keep-alive", forbidden_response(denial, AfterResponse::keep_alive), 403, false},
        {"403 close", forbidden_response(denial, AfterResponse::close), 403, true},
        {"400", json_response(400, bad_request_json("obsolete line folding"), AfterResponse::close), 400, true},
        {"421", json_response(421, misdirected_json("Host 'b' does not match"), AfterResponse::close), 421, true},
        {"502", json_response(502, upstream_failed_json("a.test", "certificate expired"), AfterResponse::close), 502, true},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.name));
        std::string pipelined = c.bytes + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        auto [used, status] = parse_one_response(pipelined);
        CHECK(used == c.bytes.size());
        CHECK(status == c.status);
        CHECK((c.bytes.find("Connection: close\r\n") != std::string::npos) == c.closes);
        CHECK(c.bytes.find("Content-Type: application/json\r\n") != std::string::npos);
        cJSON* json = cJSON_Parse(c.bytes.c_str() + c.bytes.find("\r\n\r\n") + 4);
        REQUIRE(json != nullptr);
        CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(json, "error")));
        cJSON_Delete(json);
    }
}

TEST_CASE("the 403 body has exactly the fields the agent is promised") {
    DenialDetails denial{"github", "repos:delete", "destructive", "prompt-destructive", "no one could be asked"};
    cJSON* json = cJSON_Parse(denial_json(denial).c_str());
    REQUIRE(json != nullptr);
    const char* expected[][2] = {{"error", "askfirst_denied"}, {"provider", "github"}, {"operation", "repos:delete"},
                                 {"tier", "destructive"}, {"mode", "prompt-destructive"}, {"reason", "no one could be asked"}};
    for (const auto& pair : expected) {
        const char* key = pair[0];
        const char* value = pair[1];
        CAPTURE(std::string(key));
        const cJSON* item = cJSON_GetObjectItemCaseSensitive(json, key);
        REQUIRE(cJSON_IsString(item));
        CHECK(std::string(item->valuestring) == value);
    }
    CHECK(cJSON_GetArraySize(json) == 6);
    cJSON_Delete(json);
}
