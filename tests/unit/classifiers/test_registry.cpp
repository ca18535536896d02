// Unit tests for the classifier core: interface helpers (tier names, header
// lookup, host patterns), the registry's provider order and generic
// fallback, and the body-not-inspected rule (design.md invariant 6).
#include <doctest.h>

#include <algorithm>
#include <string>

#include "classifiers/registry.h"

using namespace askfirst::classifiers;

namespace {

HttpRequest request_for(std::string method, std::string host, std::string path = "/") {
    HttpRequest request;
    request.method = std::move(method);
    request.host = std::move(host);
    request.path = std::move(path);
    return request;
}

bool has_flag(const Classification& c, std::string_view flag) {
    return std::find(c.flags.begin(), c.flags.end(), flag) != c.flags.end();
}

// A provider whose needs_body answer the test chooses, judging everything read.
bool test_provider_needs_body = false;
const Provider kBodyTestProvider{
    "body-test", [](const HttpRequest&) { return true; },
    [](const HttpRequest&) { return Classification{"body-test", "op", Tier::read, "op", {}}; },
    [](const HttpRequest&) { return test_provider_needs_body; }};

}  // namespace

TEST_CASE("tier names round-trip and unknown names are refused") {
    for (const Tier tier : {Tier::read, Tier::write, Tier::destructive}) CHECK(parse_tier(tier_name(tier)) == tier);
    CHECK_FALSE(parse_tier("Read").has_value());
    CHECK_FALSE(parse_tier("").has_value());
    CHECK(max_tier(Tier::write, Tier::destructive) == Tier::destructive);
    CHECK(max_tier(Tier::write, Tier::read) == Tier::write);
}

TEST_CASE("header lookup is case-insensitive and returns the first of duplicates") {
    HttpRequest request;
    request.headers = {{"X-Amz-Target", "A.B"}, {"x-amz-target", "C.D"}};
    CHECK(request.header("x-AMZ-target") == "A.B");
    CHECK(request.has_header("X-AMZ-TARGET"));
    CHECK_FALSE(request.has_header("Authorization"));
    CHECK(request.header("Authorization").empty());
}

TEST_CASE("host patterns: exact names and *.suffix wildcards") {
    struct Row { const char* behaviour; std::string_view host, pattern; bool matches; };
    const Row rows[] = {
        {"exact name", "api.github.com", "api.github.com", true},
        {"exact is case-insensitive", "API.GitHub.com", "api.github.com", true},
        {"exact does not match a subdomain", "x.api.github.com", "api.github.com", false},
        {"wildcard matches one label", "rds.amazonaws.com", "*.amazonaws.com", true},
        {"wildcard matches several labels", "a.b.s3.amazonaws.com", "*.amazonaws.com", true},
        {"wildcard needs at least one label", "amazonaws.com", "*.amazonaws.com", false},
        {"wildcard is not a substring match", "evilamazonaws.com", "*.amazonaws.com", false},
        {"suffix must end the host", "amazonaws.com.evil.test", "*.amazonaws.com", false},
        {"trailing dot is the same host", "rds.amazonaws.com.", "*.amazonaws.com", true},
    };
    for (const Row& row : rows) {
        INFO(row.behaviour);
        CHECK(host_matches_pattern(row.host, row.pattern) == row.matches);
    }
    constexpr std::string_view patterns[] = {"a.test", "*.b.test"};
    CHECK(host_matches_any("x.b.test", patterns));
    CHECK_FALSE(host_matches_any("b.test", patterns));
}

TEST_CASE("generic fallback judges by method alone") {
    struct Row { std::string method; Tier tier; };
    const Row rows[] = {{"GET", Tier::read},     {"HEAD", Tier::read},  {"OPTIONS", Tier::read},
                        {"DELETE", Tier::destructive}, {"POST", Tier::write}, {"PUT", Tier::write},
                        {"PATCH", Tier::write},  {"PROPFIND", Tier::write}};
    for (const Row& row : rows) {
        CAPTURE(row.method);
        const Classification c = classify(request_for(row.method, "unknown.example.test", "/x"));
        CHECK(c.provider == "generic");
        CHECK(c.tier == row.tier);
        CHECK(c.operation == row.method + " /x");
    }
    CHECK_FALSE(needs_body(request_for("POST", "unknown.example.test")));
    HttpRequest form_post = request_for("POST", "unknown.example.test");
    form_post.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
    CHECK(needs_body(form_post));  // its _method field is read
}

// Google's API front end, OData, Express's method-override and Laravel run a
// POST as the method these name: judged only as a POST, a DELETE passed as a write.
TEST_CASE("a method override is judged as the method it names, the worse of the two") {
    struct Row { const char* name; HttpRequest request; Tier tier; };
    auto with = [](HttpRequest request, std::string header, std::string value) {
        request.headers.push_back({std::move(header), std::move(value)});
        return request;
    };
    HttpRequest query_override = request_for("POST", "api.github.com", "/repos/acme/prod");
    query_override.query = "_method=DELETE";
    // Rails (Rack::MethodOverride) and Laravel read `_method` from a form body too.
    auto form = [](std::string content_type, std::string body, bool complete = true) {
        HttpRequest request = request_for("POST", "gitlab.com", "/api/v4/projects/42");
        request.headers.push_back({"Content-Type", std::move(content_type)});
        request.body = std::move(body);
        request.body_complete = complete;
        return request;
    };
    const std::string multipart = "--b\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n"
                                  "--b\r\nContent-Disposition: form-data; name=\"_method\"\r\n\r\ndelete\r\n--b--\r\n";
    const Row rows[] = {
        {"_method in a url-encoded form body (Rails, Laravel)",
         form("application/x-www-form-urlencoded", "a=1&_method=DELETE"), Tier::destructive},
        {"_method in a url-encoded form, content type with a charset",
         form("Application/X-WWW-Form-Urlencoded; charset=UTF-8", "_method=delete"), Tier::destructive},
        {"_method in a multipart form body", form("multipart/form-data; boundary=b", multipart), Tier::destructive},
        {"a url-encoded form past the inspection limit may hide _method",
         form("application/x-www-form-urlencoded", "a=1", false), Tier::destructive},
        {"_method in a JSON body is not a form field", form("application/json", "{\"_method\":\"DELETE\"}"), Tier::write},
        {"X-HTTP-Method-Override on a GitHub repository",
         with(request_for("POST", "api.github.com", "/repos/acme/prod"), "X-HTTP-Method-Override", "DELETE"),
         Tier::destructive},
        {"X-HTTP-Method (OData), lower case",
         with(request_for("POST", "unknown.example.test", "/items/1"), "X-HTTP-Method", "delete"), Tier::destructive},
        {"X-Method-Override on a Google Compute instance",
         with(request_for("POST", "compute.googleapis.com", "/compute/v1/projects/p/zones/z/instances/i"),
              "X-Method-Override", "DELETE"),
         Tier::destructive},
        {"_method in the query", query_override, Tier::destructive},
        {"an override to GET does not lower a POST", with(request_for("POST", "unknown.example.test", "/items"),
                                                          "X-HTTP-Method-Override", "GET"),
         Tier::write},
        // Django and Werkzeug upper-case the request method: "delete" runs DELETE.
        {"a lower-case delete", request_for("delete", "unknown.example.test", "/items/1"), Tier::destructive},
        {"a mixed-case Delete on a provider route", request_for("Delete", "api.github.com", "/repos/o/r"),
         Tier::destructive},
    };
    for (const Row& row : rows) {
        CAPTURE(row.name);
        const Classification c = classify(row.request);
        CHECK(c.tier == row.tier);
        if (row.tier == Tier::destructive)
            CHECK(std::count(c.flags.begin(), c.flags.end(), std::string(row.request.body_complete ? "method-override"
                                                                                                 : "body-not-inspected")) == 1);
    }
}

TEST_CASE("registry order: a provider is picked before the generic fallback") {
    const auto providers = registered_providers();
    REQUIRE_FALSE(providers.empty());
    const bool has_aws = std::any_of(providers.begin(), providers.end(),
                                     [](const Provider* p) { return p->name == "aws"; });
    CHECK(has_aws);
    CHECK(&select_provider(request_for("GET", "ec2.us-east-1.amazonaws.com")) != &kGenericProvider);
    CHECK(select_provider(request_for("GET", "ec2.us-east-1.amazonaws.com")).name == "aws");
    CHECK(&select_provider(request_for("GET", "unknown.example.test")) == &kGenericProvider);
    // The first matching provider wins: no provider listed after AWS may claim an AWS API host.
    for (const Provider* provider : providers) {
        if (provider->name == "aws") break;
        INFO(std::string(provider->name));
        CHECK_FALSE(provider->matches(request_for("POST", "rds.us-west-2.amazonaws.com")));
    }
}

TEST_CASE("an incomplete body that the provider needs is judged destructive") {
    HttpRequest request = request_for("POST", "anything.test");
    request.body = "{\"partial\":";
    struct Row { const char* behaviour; bool needs; bool complete; Tier tier; bool flagged; };
    const Row rows[] = {
        {"needed and incomplete: worst case", true, false, Tier::destructive, true},
        {"needed and complete: provider's verdict", true, true, Tier::read, false},
        {"not needed and incomplete: provider's verdict", false, false, Tier::read, false},
    };
    for (const Row& row : rows) {
        INFO(row.behaviour);
        test_provider_needs_body = row.needs;
        request.body_complete = row.complete;
        const Classification c = classify_with(kBodyTestProvider, request);
        CHECK(c.tier == row.tier);
        CHECK(has_flag(c, "body-not-inspected") == row.flagged);
    }
}

TEST_CASE("body-not-inspected applies through classify() for AWS body-dependent operations") {
    HttpRequest request = request_for("POST", "dynamodb.us-east-1.amazonaws.com");
    request.headers = {{"X-Amz-Target", "DynamoDB_20120810.BatchWriteItem"},
                       {"Content-Type", "application/x-amz-json-1.0"}};
    request.body = R"({"RequestItems": {"t": [{"PutRequest": {)";
    request.body_complete = false;
    CHECK(needs_body(request));
    Classification c = classify(request);
    CHECK(c.tier == Tier::destructive);
    CHECK(has_flag(c, "body-not-inspected"));

    request.headers[0].value = "DynamoDB_20120810.GetItem";  // the body cannot change a read here
    CHECK_FALSE(needs_body(request));
    c = classify(request);
    CHECK(c.tier == Tier::read);
    CHECK_FALSE(has_flag(c, "body-not-inspected"));
}

TEST_CASE("an upgrade to an opaque channel is never a read, and to a provider's API it is destructive") {
    struct Row {
        const char* name;
        const char* method;
        const char* host;
        const char* path;
        bool upgrade;
        Tier tier;
        bool flagged;
    };
    const Row rows[] = {
        {"a plain GET stays read", "GET", "chat.example.test", "/socket", false, Tier::read, false},
        {"a WebSocket GET on an unknown host is a write", "GET", "chat.example.test", "/socket", true, Tier::write, true},
        // A provider's API over a channel nothing reads may carry its worst operation
        // (GraphQL over WebSocket runs mutations: Railway's volumeDelete).
        {"a WebSocket GET to a read-looking GitHub path is destructive", "GET", "api.github.com", "/user", true, Tier::destructive, true},
        {"a WebSocket to Railway's GraphQL is destructive", "GET", "backboard.railway.app", "/graphql/v2", true, Tier::destructive, true},
        {"a write upgrade to a provider is destructive", "POST", "api.github.com", "/user", true, Tier::destructive, true},
        {"Kubernetes exec over a WebSocket keeps its rule (write)", "GET", "kubernetes.default.svc",
         "/api/v1/namespaces/default/pods/x/exec", true, Tier::write, false},
        {"a write stays a write", "POST", "chat.example.test", "/socket", true, Tier::write, false},
        {"destructive stays destructive", "DELETE", "chat.example.test", "/socket", true, Tier::destructive, false},
    };
    for (const auto& row : rows) {
        CAPTURE(row.name);
        HttpRequest request = request_for(row.method, row.host, row.path);
        if (row.upgrade) request.headers = {{"Connection", "Upgrade"}, {"Upgrade", "websocket"}};
        const Classification c = classify(request);
        CHECK(c.tier == row.tier);
        CHECK(has_flag(c, "opens-upgraded-channel") == row.flagged);
    }
}
