// tests/unit/src/http/http_responses_test.cpp — askfirstd's own responses are
// complete HTTP/1.1 messages a client parses to their exact end (invariant 8),
// say Connection: close only when they mean it, and a refusal's body has the
// shape the provider's clients parse (botocore's parsers, kubectl's Status,
// gh's {"message"}, GraphQL's "errors", git's text/plain) with askfirst's
// sentence in the place those clients print.
#include <doctest.h>

#include <cjson/cJSON.h>

#include "src/http/git_push_refusal.h"
#include "src/http/http_message_parser.h"
#include "src/http/http_responses.h"

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

DenialDetails rds_denial() {
    return DenialDetails{"aws", "rds:DeleteDBInstance", "destructive", "block-destructive",
                         "mode block-destructive refuses destructive operations on aws",
                         "a person on the host can change the mode for aws"};
}

// The value at a path of object keys ("errors" arrays take their first element).
std::string json_at(const std::string& text, std::initializer_list<const char*> path) {
    cJSON* root = cJSON_Parse(text.c_str());
    const cJSON* item = root;
    for (const char* key : path) {
        if (cJSON_IsArray(item)) item = cJSON_GetArrayItem(item, 0);
        item = cJSON_GetObjectItemCaseSensitive(item, key);
    }
    std::string out = cJSON_IsString(item)   ? item->valuestring
                      : cJSON_IsNumber(item) ? std::to_string(item->valueint)
                      : item != nullptr      ? "<not a string>"
                                             : "<missing>";
    cJSON_Delete(root);
    return out;
}

// The text between <tag> and </tag>, after `after` (the parent element).
std::string xml_element(const std::string& xml, const std::string& after, const std::string& tag) {
    const std::size_t parent = xml.find("<" + after + ">");
    if (parent == std::string::npos) return "<no " + after + ">";
    const std::size_t open = xml.find("<" + tag + ">", parent);
    const std::size_t close = xml.find("</" + tag + ">", open);
    if (open == std::string::npos || close == std::string::npos) return "<no " + tag + ">";
    return xml.substr(open + tag.size() + 2, close - open - tag.size() - 2);
}

}  // namespace

TEST_CASE("every response askfirstd writes parses to its exact end") {
    const DenialDetails denial = rds_denial();
    struct Case { const char* name; std::string bytes; int status; bool closes; const char* type; };
    const Case cases[] = {
        {"403 keep-alive", response_bytes(shaped_denial(denial, RefusalShape::askfirst_json), AfterResponse::keep_alive), 403, false, "application/json"},
        {"403 close", response_bytes(shaped_denial(denial, RefusalShape::askfirst_json), AfterResponse::close), 403, true, "application/json"},
        {"403 aws query", response_bytes(shaped_denial(denial, RefusalShape::aws_query_xml), AfterResponse::keep_alive),
         403, false, "text/xml"},
        {"403 aws json", response_bytes(shaped_denial(denial, RefusalShape::aws_json), AfterResponse::close), 403, true,
         "application/x-amz-json-1.1"},
        {"403 git", response_bytes(shaped_denial(denial, RefusalShape::git_text), AfterResponse::keep_alive), 403, false,
         "text/plain; charset=utf-8"},
        {"200 git push rejection, no final newline",
         response_bytes(git_push_rejection(PushCommands{{"refs/heads/main"}, {"side-band-64k"}}, denial_message(denial)),
                        AfterResponse::keep_alive),
         200, false, "application/x-git-receive-pack-result"},
        {"400", json_response(400, bad_request_json("obsolete line folding"), AfterResponse::close), 400, true,
         "application/json"},
        {"421", json_response(421, misdirected_json("Host 'b' does not match"), AfterResponse::close), 421, true,
         "application/json"},
        {"502", json_response(502, upstream_failed_json("a.test", "certificate expired"), AfterResponse::close), 502,
         true, "application/json"},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.name));
        std::string pipelined = c.bytes + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        auto [used, status] = parse_one_response(pipelined);
        CHECK(used == c.bytes.size());
        CHECK(status == c.status);
        CHECK((c.bytes.find("Connection: close\r\n") != std::string::npos) == c.closes);
        CHECK(c.bytes.find("Content-Type: " + std::string(c.type) + "\r\n") != std::string::npos);
    }
}

TEST_CASE("askfirst's own 403 body has exactly the fields the agent is promised") {
    DenialDetails denial{"github", "repos:delete", "destructive", "prompt-destructive", "no one could be asked",
                         "run askfirst-tray"};
    const std::string body = denial_json(denial);
    const char* expected[][2] = {{"error", "askfirst_denied"}, {"provider", "github"}, {"operation", "repos:delete"},
                                 {"tier", "destructive"}, {"mode", "prompt-destructive"},
                                 {"reason", "no one could be asked"}, {"how_to_allow", "run askfirst-tray"}};
    for (const auto& pair : expected) {
        CAPTURE(std::string(pair[0]));
        CHECK(json_at(body, {pair[0]}) == pair[1]);
    }
    CHECK(json_at(body, {"message"}) == denial_message(denial));
    cJSON* json = cJSON_Parse(body.c_str());
    CHECK(cJSON_GetArraySize(json) == 8);
    cJSON_Delete(json);
}

TEST_CASE("the one sentence names who refused, the operation, tier, mode, reason and how to allow it") {
    const std::string message = denial_message(rds_denial());
    CHECK(message ==
          "askfirst refused rds:DeleteDBInstance (destructive, provider aws, mode block-destructive): mode "
          "block-destructive refuses destructive operations on aws. To allow it: a person on the host can change "
          "the mode for aws.");
}

TEST_CASE("each refusal shape puts askfirst's sentence where that provider's clients read it") {
    const DenialDetails denial = rds_denial();
    const std::string message = denial_message(denial);
    SUBCASE("AWS query (RDS, IAM): ErrorResponse/Error with Type Sender, Code AccessDenied, RequestId") {
        LocalResponse r = shaped_denial(denial, RefusalShape::aws_query_xml);
        CHECK(r.body.find("<ErrorResponse>") != std::string::npos);
        CHECK(xml_element(r.body, "Error", "Type") == "Sender");
        CHECK(xml_element(r.body, "Error", "Code") == "AccessDenied");
        CHECK(xml_element(r.body, "Error", "Message") == message);
        CHECK(xml_element(r.body, "ErrorResponse", "RequestId") == "askfirst-refusal");
        CHECK(r.content_type == "text/xml");
    }
    SUBCASE("AWS ec2: Response/Errors/Error and RequestID") {
        LocalResponse r = shaped_denial(denial, RefusalShape::aws_ec2_xml);
        CHECK(xml_element(r.body, "Errors", "Code") == "AccessDenied");
        CHECK(xml_element(r.body, "Errors", "Message") == message);
        CHECK(xml_element(r.body, "Response", "RequestID") == "askfirst-refusal");
    }
    SUBCASE("S3: a bare Error root") {
        LocalResponse r = shaped_denial(denial, RefusalShape::aws_s3_xml);
        CHECK(r.body.find("<ErrorResponse>") == std::string::npos);
        CHECK(xml_element(r.body, "Error", "Code") == "AccessDenied");
        CHECK(xml_element(r.body, "Error", "Message") == message);
        CHECK(r.extra_headers.find("x-amz-request-id: askfirst-refusal\r\n") != std::string::npos);
    }
    SUBCASE("AWS json and rest-json: x-amzn-ErrorType and {__type, message}") {
        for (RefusalShape shape : {RefusalShape::aws_json, RefusalShape::aws_rest_json}) {
            CAPTURE(std::string(refusal_shape_name(shape)));
            LocalResponse r = shaped_denial(denial, shape);
            CHECK(r.extra_headers.find("x-amzn-ErrorType: AccessDeniedException\r\n") != std::string::npos);
            CHECK(json_at(r.body, {"__type"}) == "AccessDeniedException");
            CHECK(json_at(r.body, {"message"}) == message);
        }
        CHECK(shaped_denial(denial, RefusalShape::aws_json).content_type == "application/x-amz-json-1.1");
        CHECK(shaped_denial(denial, RefusalShape::aws_rest_json).content_type == "application/json");
    }
    SUBCASE("Kubernetes: a v1 Status, Failure, Forbidden, 403") {
        LocalResponse r = shaped_denial(denial, RefusalShape::kubernetes_status);
        CHECK(json_at(r.body, {"kind"}) == "Status");
        CHECK(json_at(r.body, {"apiVersion"}) == "v1");
        CHECK(json_at(r.body, {"status"}) == "Failure");
        CHECK(json_at(r.body, {"reason"}) == "Forbidden");
        CHECK(json_at(r.body, {"code"}) == "403");
        CHECK(json_at(r.body, {"message"}) == message);
    }
    SUBCASE("GitHub/GitLab REST: message") {
        CHECK(json_at(shaped_denial(denial, RefusalShape::forge_rest_json).body, {"message"}) == message);
    }
    SUBCASE("GraphQL: errors[0].message, and message for REST-style readers") {
        LocalResponse r = shaped_denial(denial, RefusalShape::graphql_errors);
        CHECK(json_at(r.body, {"errors", "message"}) == message);
        CHECK(json_at(r.body, {"errors", "extensions", "code"}) == "FORBIDDEN");
        CHECK(json_at(r.body, {"message"}) == message);
        CHECK(r.status == 403);
    }
    SUBCASE("git: the sentence as one text/plain line") {
        LocalResponse r = shaped_denial(denial, RefusalShape::git_text);
        CHECK(r.body == message);
        CHECK(r.content_type == "text/plain; charset=utf-8");
    }
    SUBCASE("askfirst's own JSON for everything else") {
        CHECK(json_at(shaped_denial(denial, RefusalShape::askfirst_json).body, {"error"}) == "askfirst_denied");
    }
}

TEST_CASE("text from the guest cannot break a shaped body") {
    DenialDetails denial = rds_denial();
    denial.operation = "s3:DeleteObject b/</Message><Code>x</Code>&\x01\xff\xc3\xa9\r\n";
    const std::string xml = shaped_denial(denial, RefusalShape::aws_s3_xml).body;
    const std::string message = xml_element(xml, "Error", "Message");
    CHECK(message.find('<') == std::string::npos);
    CHECK(message.find("&lt;/Message&gt;&lt;Code&gt;x&lt;/Code&gt;&amp;??\xc3\xa9\r\n") != std::string::npos);
    CHECK(xml_element(xml, "Error", "Code") == "AccessDenied");
    const std::string git = shaped_denial(denial, RefusalShape::git_text).body;
    CHECK(git.find_first_of("\r\n\x01") == std::string::npos);  // one line, no control characters
    const std::string json = shaped_denial(denial, RefusalShape::kubernetes_status).body;
    CHECK(json_at(json, {"message"}).find("s3:DeleteObject b/</Message>") != std::string::npos);
}

TEST_CASE("a gRPC refusal is grpc-status 7 with the sentence percent-encoded in grpc-message, no body") {
    askfirst::http::DenialDetails denial{"etcd", "grpc:etcdserverpb.KV/DeleteRange", "destructive",
                                         "block-destructive", "100% sure: no", "ask the person"};
    const auto response = askfirst::http::shaped_denial(denial, askfirst::http::RefusalShape::grpc_status);
    CHECK(response.status == 200);
    CHECK(response.content_type == "application/grpc");
    CHECK(response.body.empty());
    CHECK_FALSE(response.final_newline);
    CHECK(response.extra_headers.starts_with("grpc-status: 7\r\ngrpc-message: askfirst refused "));
    CHECK(response.extra_headers.find("100%25 sure") != std::string::npos);
    CHECK(askfirst::http::grpc_percent_encoded("a\nb\xc3\xa9%") == "a%0Ab%C3%A9%25");
}
