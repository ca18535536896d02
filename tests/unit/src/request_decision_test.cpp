// tests/unit/src/request_decision_test.cpp — the decision point end to end,
// without sockets: session -> classify (test double) -> policy -> audit ->
// pass/403. Pins the 403's body, "off" passing destructive but logging it,
// the audit line being on disk before the request's bytes go upstream, and
// that no credential the guest sends ever reaches a log line or a refusal.
#include <doctest.h>

#include <cjson/cJSON.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "src/request_decision.h"
#include "tests/unit/src/session_playbook.h"

using namespace askfirst;
using namespace askfirst::http;

namespace {

classifiers::HttpRequest request(std::string method, std::string path) {
    classifiers::HttpRequest r;
    r.method = std::move(method);
    r.host = "api.test";
    r.path = std::move(path);
    return r;
}

consent::ModeTable modes(consent::Mode mode) { return consent::ModeTable(mode); }

std::string json_field(const std::string& json_text, const char* name) {
    cJSON* json = cJSON_Parse(json_text.c_str());
    const cJSON* item = cJSON_GetObjectItemCaseSensitive(json, name);
    std::string out = cJSON_IsString(item) ? item->valuestring : "<missing>";
    cJSON_Delete(json);
    return out;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// A minimal shell around one session, doing what http_session.h asks of the
// real one: decide, append the audit line, then pass or refuse.
struct Shell {
    Shell(consent::ModeTable table, consent::AuditLog& audit) : mode_table(table), log(audit) {}
    HttpSession session{SessionConfig{}};
    consent::ModeTable mode_table;
    consent::NoUiAnswer no_ui = consent::NoUiAnswer::deny;
    consent::AuditLog& log;
    std::string upstream, guest, refusal_reasons;
    std::size_t passed = 0;

    void run() {
        for (;;) {
            auto outputs = session.take_outputs();
            if (outputs.empty()) return;
            for (auto& output : outputs) handle(output);
        }
    }
    void handle(SessionOutput& output) {
        if (auto* up = std::get_if<SendToUpstream>(&output)) {
            // Invariant 8: each passed request's line is on disk before its bytes leave.
            CHECK(consent::read_audit_file(log.path())->records.size() >= passed);
            upstream += up->bytes;
        } else if (auto* down = std::get_if<SendToGuest>(&output)) {
            guest += down->bytes;
        } else if (auto* refusal = std::get_if<ProtocolRefusal>(&output)) {
            refusal_reasons += refusal->reason + "\n";
        } else if (auto* decide = std::get_if<DecideRequest>(&output)) {
            RequestDecision d = decide_request(decide->request, mode_table, no_ui);
            FlowFacts flow{"testvm", "10.0.2.15:40000", "192.0.2.1:443", ""};
            const auto logged = log.append(audit_record(d, decide->request, flow, std::chrono::system_clock::now(),
                                                        std::chrono::milliseconds(0)));
            REQUIRE_MESSAGE(logged, logged.error());
            if (d.pass) {
                ++passed;
                session.pass(decide->id);
            } else {
                session.refuse(decide->id, denial_response(d, decide->request));
            }
        }
    }
};

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char pattern[] = "/tmp/askfirst-decision-test-XXXXXX";
        path = ::mkdtemp(pattern);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("decisions follow the mode: pass, block, ask resolved by consent.no_ui") {
    struct Case { const char* name; consent::Mode mode; consent::NoUiAnswer no_ui; const char* method; const char* path; bool pass; };
    using consent::Mode;
    using consent::NoUiAnswer;
    const Case cases[] = {
        {"read passes under prompt-writes", Mode::prompt_writes, NoUiAnswer::deny, "GET", "/x", true},
        {"write asks under prompt-writes; no UI denies", Mode::prompt_writes, NoUiAnswer::deny, "POST", "/x", false},
        {"write asks under prompt-writes; no_ui allow passes", Mode::prompt_writes, NoUiAnswer::allow, "POST", "/x", true},
        {"destructive blocked under block-destructive even with no_ui allow", Mode::block_destructive, NoUiAnswer::allow, "DELETE", "/x", false},
        {"write passes under block-destructive", Mode::block_destructive, NoUiAnswer::deny, "PUT", "/x", true},
        {"destructive passes under off", Mode::off, NoUiAnswer::deny, "DELETE", "/x", true},
        {"write blocked under block-writes", Mode::block_writes, NoUiAnswer::allow, "POST", "/x", false},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.name));
        RequestDecision d = decide_request(request(c.method, c.path), modes(c.mode), c.no_ui);
        CHECK(d.pass == c.pass);
        CHECK(d.decided_by == "policy");
        CHECK(d.mode == c.mode);
    }
    RequestDecision off = decide_request(request("DELETE", "/x"), modes(Mode::off), NoUiAnswer::deny);
    CHECK(off.reason.find("logged") != std::string::npos);
}

TEST_CASE("the 403 body names provider, operation, tier, mode and reason") {
    RequestDecision d = decide_request(request("DELETE", "/db/1"), modes(consent::Mode::block_destructive),
                                       consent::NoUiAnswer::deny);
    LocalResponse response = denial_response(d, request("DELETE", "/db/1"));
    CHECK(response.status == 403);
    CHECK(json_field(response.body, "error") == "askfirst_denied");
    CHECK(json_field(response.body, "provider") == "testprov");
    CHECK(json_field(response.body, "operation") == "DELETE /db/1");
    CHECK(json_field(response.body, "tier") == "destructive");
    CHECK(json_field(response.body, "mode") == "block-destructive");
    CHECK(json_field(response.body, "reason").find("refuses destructive") != std::string::npos);
}

TEST_CASE("an ask with no one listening says so and names the ways to be asked") {
    RequestDecision d = decide_request(request("POST", "/x"), modes(consent::Mode::prompt_writes),
                                       consent::NoUiAnswer::deny);
    CHECK_FALSE(d.pass);
    CHECK(d.reason.find("no one is listening for questions") != std::string::npos);
    CHECK(d.reason.find("consent.no_ui = deny") != std::string::npos);
    CHECK(d.reason.find("askfirst-tray") != std::string::npos);
    CHECK(d.reason.find("askfirst prompts") != std::string::npos);
    CHECK(d.reason.find("yet") == std::string::npos);
}

TEST_CASE("end to end: one audit line per decision, in order, none with a credential in it") {
    TempDir tmp;
    auto log = consent::AuditLog::open(tmp.path / "audit", "testvm");
    REQUIRE_MESSAGE(log, log.error());
    Shell shell(modes(consent::Mode::block_destructive), *log);
    std::string requests =
        "GET /read/items?access_token=SECRET-QUERY-1&page=2 HTTP/1.1\r\nHost: api.test\r\n"
        "Authorization: Bearer SECRET-BEARER\r\nCookie: session=SECRET-COOKIE\r\n\r\n"
        "POST /inspect/login?X-Amz-Signature=SECRET-SIG&password=SECRET-PASS HTTP/1.1\r\nHost: api.test\r\n"
        "Content-Length: 26\r\nX-Api-Key: SECRET-HEADER\r\n\r\npassword=SECRET-BODY-12345"
        "DELETE /destroy/db?key=SECRET-KEY HTTP/1.1\r\nHost: api.test\r\nProxy-Authorization: Basic SECRET-PROXY\r\n\r\n"
        "GET /read/after HTTP/1.1\r\nHost: api.test\r\n\r\n";
    shell.session.on_guest_bytes(requests);
    shell.run();
    shell.session.on_upstream_bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    shell.run();
    shell.session.on_upstream_bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    shell.run();

    std::string file = read_file(log->path());
    auto lines = consent::read_audit_lines(file);
    REQUIRE(lines.records.size() == 4);
    CHECK(json_field(lines.records[0], "path") == "/read/items?access_token=REDACTED&page=2");
    CHECK(json_field(lines.records[1], "path") == "/inspect/login?X-Amz-Signature=REDACTED&password=REDACTED");
    CHECK(json_field(lines.records[2], "decision") == "block");
    CHECK(json_field(lines.records[2], "tier") == "destructive");
    CHECK(json_field(lines.records[2], "reason").find("mode block-destructive refuses destructive") == 0);
    CHECK(json_field(lines.records[3], "path") == "/read/after");
    CHECK(file.find("SECRET") == std::string::npos);
    CHECK(shell.guest.find("SECRET") == std::string::npos);  // the 403 repeats none of it
    CHECK(testing::status_of_response(shell.guest, 2) == 403);
    CHECK(shell.passed == 3);
    CHECK(shell.upstream.find("DELETE") == std::string::npos);
}

TEST_CASE("framing refusals never quote the guest's headers") {
    HttpSession session{SessionConfig{.sni = "api.test", .max_inspect_bytes = kDefaultMaxInspectBytes}};
    session.on_guest_bytes("GET / HTTP/1.1\r\nHost: api.test\r\nAuthorization: Bearer SECRET-BEARER\r\n"
                           "Cookie: a=SECRET-COOKIE\r\n folded-SECRET\r\n\r\n");
    std::string everything;
    for (auto& output : session.take_outputs()) {
        if (auto* refusal = std::get_if<ProtocolRefusal>(&output)) everything += refusal->reason;
        if (auto* down = std::get_if<SendToGuest>(&output)) everything += down->bytes;
    }
    CHECK(everything.find("folding") != std::string::npos);
    CHECK(everything.find("SECRET") == std::string::npos);
}

TEST_CASE("an opaque flow is judged as a write on provider tcp") {
    consent::ModeTable table(consent::Mode::prompt_destructive);
    table.set("tcp", consent::Mode::block_writes);
    RequestDecision blocked = decide_opaque_flow({"github.com", 22, "", "not HTTP or TLS"}, table, consent::NoUiAnswer::allow);
    CHECK(blocked.classification.provider == "tcp");
    CHECK(blocked.classification.operation == "tcp github.com:22");
    CHECK(blocked.classification.tier == classifiers::Tier::write);
    CHECK_FALSE(blocked.pass);
    CHECK(blocked.reason.find("not HTTP or TLS") != std::string::npos);
    RequestDecision passed = decide_opaque_flow({"db.internal", 5432, "", "not HTTP or TLS"},
                                                consent::ModeTable(consent::Mode::block_destructive),
                                                consent::NoUiAnswer::deny);
    CHECK(passed.pass);
}

// Issue 11: TLS askfirst does not open, to a host a provider claims, may carry
// that provider's worst operation; judging it as a "tcp" write let a
// DeleteDBInstance through block-destructive.
TEST_CASE("unread TLS to a provider's host is judged as that provider's destructive tier") {
    struct Case {
        const char* name;
        consent::Mode mode;
        consent::NoUiAnswer no_ui;
        consent::PolicyAction action;
        bool pass;
    };
    const Case cases[] = {
        {"block-destructive refuses", consent::Mode::block_destructive, consent::NoUiAnswer::allow,
         consent::PolicyAction::block, false},
        {"prompt-destructive asks", consent::Mode::prompt_destructive, consent::NoUiAnswer::deny,
         consent::PolicyAction::ask, false},
        {"prompt-writes asks", consent::Mode::prompt_writes, consent::NoUiAnswer::deny, consent::PolicyAction::ask, false},
        {"off passes", consent::Mode::off, consent::NoUiAnswer::deny, consent::PolicyAction::pass, true},
    };
    for (const Case& c : cases) {
        CAPTURE(c.name);
        consent::ModeTable table(consent::Mode::off);
        table.set("aws", c.mode);
        const RequestDecision d = decide_opaque_flow(
            {"rds.us-east-1.amazonaws.com", 443, "aws", "listed in tls.passthrough"}, table, c.no_ui);
        CHECK(d.classification.provider == "aws");
        CHECK(d.classification.tier == classifiers::Tier::destructive);
        CHECK(d.classification.detail.find("cannot read") != std::string::npos);
        CHECK(d.policy_action == c.action);
        CHECK(d.pass == c.pass);
    }
}

TEST_CASE("a refusal takes the shape of the provider's clients") {
    struct Case {
        const char* name;
        const char* provider;
        const char* operation;
        const char* path;
        std::vector<classifiers::Header> headers;
        RefusalShape shape;
    };
    const Case cases[] = {
        {"AWS query protocol (rds)", "aws", "rds:DeleteDBInstance", "/", {{"X-Test-Wire-Protocol", "query"}},
         RefusalShape::aws_query_xml},
        {"AWS ec2 protocol", "aws", "ec2:TerminateInstances", "/", {{"X-Test-Wire-Protocol", "ec2"}},
         RefusalShape::aws_ec2_xml},
        {"AWS json protocol (dynamodb)", "aws", "dynamodb:DeleteTable", "/", {{"X-Test-Wire-Protocol", "json"}},
         RefusalShape::aws_json},
        {"AWS rest-json (lambda)", "aws", "lambda:DeleteFunction", "/2015-03-31/functions/f",
         {{"X-Test-Wire-Protocol", "rest-json"}}, RefusalShape::aws_rest_json},
        {"AWS rest-xml S3", "aws", "s3:DeleteBucket", "/b", {{"X-Test-Wire-Protocol", "rest-xml"}},
         RefusalShape::aws_s3_xml},
        {"AWS rest-xml not S3 (route53)", "aws", "route53:DeleteHostedZone", "/2013-04-01/hostedzone/Z",
         {{"X-Test-Wire-Protocol", "rest-xml"}}, RefusalShape::aws_query_xml},
        {"AWS unknown service, X-Amz-Target", "aws", "x:Y", "/", {{"X-Amz-Target", "Svc.Op"}},
         RefusalShape::aws_json},
        {"AWS unknown service, form body", "aws", "x:Y", "/",
         {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}}, RefusalShape::aws_query_xml},
        {"AWS unknown S3-like REST", "aws", "s3:DELETE /b/k", "/b/k", {}, RefusalShape::aws_s3_xml},
        {"AWS unknown REST", "aws", "x:DELETE /v1/y", "/v1/y", {}, RefusalShape::aws_rest_json},
        {"kubernetes", "kubernetes", "delete pods", "/api/v1/namespaces/default/pods/x", {},
         RefusalShape::kubernetes_status},
        {"git smart HTTP", "git", "git push", "/acme/web.git/git-receive-pack", {}, RefusalShape::git_text},
        {"GitHub REST", "github", "repos:delete", "/repos/acme/web", {}, RefusalShape::forge_rest_json},
        {"GitLab REST", "gitlab", "DELETE /projects/1", "/api/v4/projects/1", {}, RefusalShape::forge_rest_json},
        {"GitHub GraphQL", "github", "mutation deleteRepository", "/graphql", {}, RefusalShape::graphql_errors},
        {"GitLab GraphQL", "gitlab", "mutation destroyProject", "/api/graphql", {}, RefusalShape::graphql_errors},
        {"any GraphQL endpoint", "graphql", "mutation drop", "/v1/graphql", {}, RefusalShape::graphql_errors},
        {"another provider keeps askfirst's JSON", "stripe", "DELETE /v1/customers/c", "/v1/customers/c", {},
         RefusalShape::askfirst_json},
        {"generic keeps askfirst's JSON", "generic", "DELETE /x", "/x", {}, RefusalShape::askfirst_json},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.name));
        classifiers::Classification classification;
        classification.provider = c.provider;
        classification.operation = c.operation;
        classifiers::HttpRequest r = request("POST", c.path);
        r.headers = c.headers;
        CHECK(refusal_shape_name(refusal_shape_for(classification, r)) == refusal_shape_name(c.shape));
    }
}

TEST_CASE("the refusal says how to get the operation allowed, by what refused it") {
    RequestDecision blocked = decide_request(request("DELETE", "/x"), modes(consent::Mode::block_destructive),
                                             consent::NoUiAnswer::deny);
    CHECK(how_to_allow(blocked).find("askfirst mode testprov prompt-writes") != std::string::npos);
    RequestDecision unasked = decide_request(request("POST", "/x"), modes(consent::Mode::prompt_writes),
                                             consent::NoUiAnswer::deny);
    CHECK(how_to_allow(unasked).find("askfirst-tray") != std::string::npos);
    RequestDecision by_user = unasked;
    by_user.decided_by = "user";
    CHECK(how_to_allow(by_user).find("retry later") != std::string::npos);
    RequestDecision audit_failed = blocked;
    audit_failed.how_to_allow = "fix the audit log";
    CHECK(how_to_allow(audit_failed) == "fix the audit log");
    LocalResponse response = denial_response(blocked, request("DELETE", "/x"));
    CHECK(json_field(response.body, "how_to_allow") == how_to_allow(blocked));
    CHECK(json_field(response.body, "message").find("askfirst refused DELETE /x") == 0);
}

TEST_CASE("a refused push is answered in receive-pack's report when its commands are readable, else a text 403") {
    RequestDecision d = decide_request(request("POST", "/acme/web.git/git-receive-pack"),
                                       modes(consent::Mode::block_writes), consent::NoUiAnswer::deny);
    d.classification.provider = "git";
    classifiers::HttpRequest push = request("POST", "/acme/web.git/git-receive-pack");
    const std::string command = std::string(40, 'a') + " " + std::string(40, 'b') + " refs/heads/main";
    char length[5];
    std::snprintf(length, sizeof length, "%04zx", command.size() + 4);
    push.body = std::string(length) + command + "0000";
    LocalResponse answered = denial_response(d, push);
    CHECK(answered.status == 200);
    CHECK(answered.body.find("ng refs/heads/main askfirst refused") != std::string::npos);
    push.body = "garbage";
    LocalResponse plain = denial_response(d, push);
    CHECK(plain.status == 403);
    CHECK(plain.content_type.starts_with("text/plain"));
    CHECK(plain.body.starts_with("askfirst refused"));
}

TEST_CASE("a request refused before judging is one audit line: refused, by askfirstd, with the reason") {
    TempDir tmp;
    auto log = consent::AuditLog::open(tmp.path / "audit", "testvm");
    REQUIRE_MESSAGE(log, log.error());
    HttpSession session{SessionConfig{.sni = "api.test", .max_inspect_bytes = kDefaultMaxInspectBytes}};
    session.on_guest_bytes("POST /x?token=SECRET HTTP/1.1\r\nHost: api.test\r\nContent-Length: 3\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    const FlowFacts flow{"testvm", "10.0.2.15:40000", "192.0.2.1:443", "api.test"};
    int refusals = 0;
    for (auto& output : session.take_outputs()) {
        if (auto* refusal = std::get_if<ProtocolRefusal>(&output)) {
            ++refusals;
            REQUIRE(log->append(protocol_refusal_record(flow, refusal->status, refusal->reason,
                                                        std::chrono::system_clock::now())));
        }
    }
    REQUIRE(refusals == 1);
    std::string file = read_file(log->path());
    auto lines = consent::read_audit_lines(file);
    REQUIRE(lines.records.size() == 1);
    CHECK(json_field(lines.records[0], "decision") == "refused");
    CHECK(json_field(lines.records[0], "decided_by") == "askfirstd");
    CHECK(json_field(lines.records[0], "operation") == "refused with HTTP 400");
    CHECK(json_field(lines.records[0], "host") == "api.test");
    CHECK(json_field(lines.records[0], "reason").find("Transfer-Encoding") != std::string::npos);
    CHECK(file.find("SECRET") == std::string::npos);
}

TEST_CASE("a judged request's audit line gives the mode's rule as its reason") {
    RequestDecision d = decide_request(request("GET", "/x"), modes(consent::Mode::off), consent::NoUiAnswer::deny);
    const std::string line = consent::audit_line(audit_record(d, request("GET", "/x"), FlowFacts{}, {}, {}));
    CHECK(json_field(line, "reason") == "mode off passes every operation; it is logged");
    CHECK(json_field(line, "decision") == "pass");
}

TEST_CASE("a body read only to name the target adds detail but never lowers the tier the head was judged") {
    struct Row {
        const char* name;
        std::string method;
        std::string body;
        classifiers::Tier tier;
        std::string detail;
    };
    const Row rows[] = {
        {"the body names the target", "DELETE", "orders", classifiers::Tier::destructive, "DELETE /untargeted orders"},
        {"a body that would lower the tier does not", "DELETE", "lower-me", classifiers::Tier::destructive,
         "DELETE /untargeted lower-me"},
        {"a write stays a write", "POST", "lower-me", classifiers::Tier::write, "POST /untargeted lower-me"},
    };
    for (const auto& row : rows) {
        CAPTURE(row.name);
        auto r = request(row.method, "/untargeted");
        r.body = row.body;
        r.body_complete = true;
        const auto decision = decide_request(r, modes(consent::Mode::prompt_writes), consent::NoUiAnswer::deny);
        CHECK(decision.classification.tier == row.tier);
        CHECK(decision.classification.detail == row.detail);
    }
}
