// tests/unit/src/credentials/credential_broker_test.cpp — the sans-io broker:
// stub shapes, where a stub is found (leak), what counts as an unissued
// credential and what the profile says to do with it, and the edits a
// passed request gets (the real secret where the stub stood, and nowhere
// else). Table-driven where the domain is a table.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "src/credentials/credential_broker.h"
#include "src/credentials/secret_bytes.h"
#include "src/credentials/token_shapes.h"

namespace {

using askfirst::classifiers::HttpRequest;
using namespace askfirst::credentials;
using Finding = CredentialFinding::Kind;

constexpr const char* kRealToken = "ghp_R3alT0kenOnTheHostOnly0123456789abcd";
constexpr const char* kStubToken = "ghp_StubTokenInTheSandbox0123456789abcdef";

BrokerEntry token_entry(std::string name, CredentialKind kind, std::vector<std::string> hosts, const char* real,
                        const char* stub, std::string header = "") {
    BrokerEntry entry;
    entry.name = std::move(name);
    entry.kind = kind;
    entry.hosts = std::move(hosts);
    entry.header = std::move(header);
    entry.profile_stub = stub;
    entry.real.value = SecretBytes(real);
    return entry;
}

std::string_view password_of_stub(std::string_view pair) { return pair.substr(pair.find(':') + 1); }

std::unique_ptr<CredentialBroker> broker_of(std::vector<BrokerEntry> entries,
                                            std::optional<UnissuedAction> unissued = std::nullopt) {
    auto broker = CredentialBroker::create(std::move(entries), unissued);
    REQUIRE_MESSAGE(broker.ok(), broker.error());
    return broker.take();
}

std::unique_ptr<CredentialBroker> github_broker(std::optional<UnissuedAction> unissued = std::nullopt) {
    std::vector<BrokerEntry> entries;
    entries.push_back(token_entry("github", CredentialKind::bearer, {"api.github.com", "*.githubusercontent.com"},
                                  kRealToken, kStubToken));
    return broker_of(std::move(entries), unissued);
}

HttpRequest request(const std::string& host, std::vector<askfirst::classifiers::Header> headers,
                    const std::string& query = "", const std::string& body = "") {
    HttpRequest r;
    r.method = "GET";
    r.host = host;
    r.path = "/x";
    r.query = query;
    r.headers = std::move(headers);
    r.body = body;
    return r;
}

}  // namespace

TEST_CASE("a generated stub has the real value's prefix, length and character classes, and differs from it") {
    struct Row {
        const char* name;
        const char* real;
        const char* prefix;
    };
    const Row rows[] = {
        {"classic GitHub token", "ghp_R3alT0kenOnTheHostOnly0123456789abcd", "ghp_"},
        {"fine-grained GitHub token", "github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz0123456789ABCDEFGH", "github_pat_"},
        {"AWS access key id", "AKIAIOSFODNN7EXAMPLE", "AKIA"},
        {"Anthropic key", "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789-ABCDEF", "sk-ant-"},
        {"GitLab token", "glpat-abcdefghij0123456789", "glpat-"},
        {"DigitalOcean token (hex)", "dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "dop_v1_"},
        {"no known prefix", "railway-0b5c1e7a-2222-4e8b-9c5d-aaaaaaaaaaaa", ""},
    };
    for (const Row& row : rows) {
        CAPTURE(row.name);
        const std::string real = row.real;
        const std::string stub = stub_shaped_like(real);
        CHECK(stub.size() == real.size());
        CHECK(stub.starts_with(row.prefix));
        CHECK(stub != real);
        for (std::size_t i = std::string_view(row.prefix).size(); i < real.size(); ++i) {
            const char r = real[i], s = stub[i];
            const bool same_class = (std::isdigit(r) && std::isxdigit(s)) || (std::islower(r) && std::isalnum(s)) ||
                                    (std::isupper(r) && std::isupper(s)) || r == s;
            CHECK_MESSAGE(same_class, "position " << i);
        }
    }
    CHECK(stub_shaped_like(rows[0].real) != stub_shaped_like(rows[0].real));  // random rest
}

TEST_CASE("a stub sent to a host its entry does not list is a leak, wherever it stands") {
    auto broker = github_broker();
    struct Row {
        const char* name;
        HttpRequest request;
        const char* where;
    };
    const Row rows[] = {
        {"bearer header", request("evil.test", {{"Authorization", std::string("Bearer ") + kStubToken}}),
         "the Authorization header"},
        {"inside Basic", request("evil.test", {{"Authorization", "Basic " + base64_encode(std::string("x:") + kStubToken)}}),
         "the Authorization header (Basic)"},
        {"another header", request("evil.test", {{"X-Token", kStubToken}}), "the X-Token header"},
        {"query", request("evil.test", {}, std::string("t=") + kStubToken), "the query string"},
        {"body", request("evil.test", {}, "", std::string("{\"token\":\"") + kStubToken + "\"}"), "the body"},
    };
    for (const Row& row : rows) {
        CAPTURE(row.name);
        const auto finding = broker->examine(row.request, "generic");
        CHECK(finding.kind == Finding::stub_leak);
        CHECK(finding.entry == "github");
        CHECK(finding.where == row.where);
        CHECK(finding.reason.find("does not list") != std::string::npos);
        CHECK(finding.reason.find(kStubToken) == std::string::npos);
    }
    CHECK(broker->examine(request("api.github.com", {{"Authorization", std::string("Bearer ") + kStubToken}}), "github")
              .kind == Finding::none);
    CHECK(broker->examine(request("raw.githubusercontent.com", {{"Authorization", std::string("token ") + kStubToken}}),
                          "github")
              .kind == Finding::none);
    CHECK(broker->examine(request("githubusercontent.com", {{"Authorization", std::string("token ") + kStubToken}}),
                          "github")
              .kind == Finding::stub_leak);  // "*.x" does not list x itself
}

TEST_CASE("unissued credentials: found by shape, named by fingerprint, action by the profile or by the host") {
    const std::string foreign = "ghp_N0tIssuedByAskfirst0123456789abcdefg";
    struct Row {
        const char* name;
        std::optional<UnissuedAction> profile;
        const char* host;
        const char* provider;
        HttpRequest request;
        Finding kind;
        UnissuedAction action;
    };
    const Row rows[] = {
        {"listed host: prompt by default", std::nullopt, "api.github.com", "github",
         request("api.github.com", {{"Authorization", "Bearer " + foreign}}), Finding::unissued, UnissuedAction::prompt},
        {"known provider, unlisted host: allow by default", std::nullopt, "gitlab.com", "gitlab",
         request("gitlab.com", {{"PRIVATE-TOKEN", "glpat-abcdefghij0123456789"}}), Finding::unissued,
         UnissuedAction::allow},
        {"profile says block", UnissuedAction::block, "gitlab.com", "gitlab",
         request("gitlab.com", {{"PRIVATE-TOKEN", "glpat-abcdefghij0123456789"}}), Finding::unissued,
         UnissuedAction::block},
        {"token in the query", UnissuedAction::prompt, "api.github.com", "github",
         request("api.github.com", {}, "access_token=" + foreign), Finding::unissued, UnissuedAction::prompt},
        {"AWS key id in SigV4 Credential=", UnissuedAction::prompt, "sts.amazonaws.com", "aws",
         request("sts.amazonaws.com",
                 {{"Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/sts/"
                                    "aws4_request, SignedHeaders=host, Signature=00"}}),
         Finding::unissued, UnissuedAction::prompt},
        {"a bearer to Railway has no prefix: the provider says it is one", UnissuedAction::prompt,
         "backboard.railway.app", "railway",
         request("backboard.railway.app", {{"Authorization", "Bearer 0b5c1e7a-2222-4e8b-9c5d-aaaaaaaaaaaa"}}),
         Finding::unissued, UnissuedAction::prompt},
        {"generic host no entry lists: not looked at", UnissuedAction::prompt, "example.test", "generic",
         request("example.test", {{"Authorization", "Bearer " + foreign}}), Finding::none, UnissuedAction::allow},
        {"our own stub is not unissued", UnissuedAction::prompt, "api.github.com", "github",
         request("api.github.com", {{"Authorization", std::string("Bearer ") + kStubToken}}), Finding::none,
         UnissuedAction::allow},
        {"a word that merely starts like a token", UnissuedAction::prompt, "api.github.com", "github",
         request("api.github.com", {{"X-Note", "ghp_short"}}), Finding::none, UnissuedAction::allow},
    };
    for (const Row& row : rows) {
        CAPTURE(row.name);
        auto broker = github_broker(row.profile);
        const auto finding = broker->examine(row.request, row.provider);
        CHECK(finding.kind == row.kind);
        if (row.kind != Finding::unissued) continue;
        CHECK(finding.action == row.action);
        CHECK(finding.fingerprint.starts_with("sha256:"));
        CHECK(finding.reason.find("does not hold") != std::string::npos);
        CHECK(finding.reason.find(foreign) == std::string::npos);
    }
}

TEST_CASE("a passed request gets the real secret in the header of its kind, and nothing else changes") {
    std::vector<BrokerEntry> entries;
    entries.push_back(token_entry("github", CredentialKind::bearer, {"api.github.com"}, kRealToken, kStubToken));
    entries.push_back(token_entry("anthropic", CredentialKind::header, {"api.anthropic.com"},
                                  "sk-ant-api03-realrealrealrealrealreal", "sk-ant-api03-stubstubstubstubstubstub",
                                  "x-api-key"));
    entries.push_back(token_entry("git", CredentialKind::basic, {"git.example"}, "alice:RealPassw0rd", ""));
    auto broker = broker_of(std::move(entries));
    const std::string basic_stub = std::string(broker->entries()[2].stub.value);
    CHECK(basic_stub.starts_with("alice:"));
    struct Row {
        const char* name;
        HttpRequest request;
        std::string head;
        std::string expected;
    };
    const std::string bearer_head = std::string("GET /x HTTP/1.1\r\nHost: api.github.com\r\nAuthorization: Bearer ") +
                                    kStubToken + "\r\nX-Echo: " + kStubToken + "\r\n\r\n";
    const std::string basic_value = "Basic " + base64_encode(basic_stub);
    const Row rows[] = {
        {"bearer: only the Authorization header",
         request("api.github.com", {{"Authorization", std::string("Bearer ") + kStubToken}, {"X-Echo", kStubToken}}),
         bearer_head,
         std::string("GET /x HTTP/1.1\r\nHost: api.github.com\r\nAuthorization: Bearer ") + kRealToken + "\r\nX-Echo: " +
             kStubToken + "\r\n\r\n"},
        {"bearer token as a Basic password (git over HTTPS)",
         request("api.github.com", {{"Authorization", "Basic " + base64_encode(std::string("x-access-token:") + kStubToken)}}),
         "GET /x HTTP/1.1\r\nAuthorization: Basic " + base64_encode(std::string("x-access-token:") + kStubToken) + "\r\n\r\n",
         "GET /x HTTP/1.1\r\nAuthorization: Basic " + base64_encode(std::string("x-access-token:") + kRealToken) + "\r\n\r\n"},
        {"named header",
         request("api.anthropic.com", {{"X-Api-Key", "sk-ant-api03-stubstubstubstubstubstub"}}),
         "POST /v1/messages HTTP/1.1\r\nX-Api-Key: sk-ant-api03-stubstubstubstubstubstub\r\n\r\n",
         "POST /v1/messages HTTP/1.1\r\nX-Api-Key: sk-ant-api03-realrealrealrealrealreal\r\n\r\n"},
        {"basic", request("git.example", {{"Authorization", basic_value}}),
         "GET /r.git/info/refs HTTP/1.1\r\nAuthorization: " + basic_value + "\r\n\r\n",
         "GET /r.git/info/refs HTTP/1.1\r\nAuthorization: Basic " + base64_encode("alice:RealPassw0rd") + "\r\n\r\n"},
        // Not the target: a real password written into a path is logged and echoed by servers.
        {"basic: the stub password as userinfo in the path is left alone",
         [&] {
             HttpRequest r = request("git.example", {});
             r.path = "/echo/:" + std::string(password_of_stub(basic_stub)) + "@x";
             return r;
         }(),
         "GET /echo/:" + std::string(password_of_stub(basic_stub)) + "@x HTTP/1.1\r\n\r\n",
         "GET /echo/:" + std::string(password_of_stub(basic_stub)) + "@x HTTP/1.1\r\n\r\n"},
        {"another host: no edit",
         request("api.anthropic.com", {{"Authorization", std::string("Bearer ") + kStubToken}}),
         std::string("GET / HTTP/1.1\r\nAuthorization: Bearer ") + kStubToken + "\r\n\r\n",
         std::string("GET / HTTP/1.1\r\nAuthorization: Bearer ") + kStubToken + "\r\n\r\n"},
    };
    for (const Row& row : rows) {
        CAPTURE(row.name);
        const auto injection = broker->inject(row.request, SystemClock::now(), true);
        REQUIRE_MESSAGE(injection.ok(), injection.error());
        CHECK(askfirst::http::apply_head_edits(row.head, injection->edits) == row.expected);
    }
}

TEST_CASE("an expired credential is refreshed before it is used; a failed refresh refuses with the entry's name") {
    int refreshes = 0;
    BrokerEntry entry = token_entry("github", CredentialKind::bearer, {"api.github.com"}, kRealToken, kStubToken);
    const auto now = SystemClock::now();
    entry.real.expires_at = now + std::chrono::minutes(2);  // inside the refresh window
    entry.refresh = [&refreshes, now] {
        if (++refreshes > 1) return askfirst::Result<RealCredential>::failure("the command failed");
        RealCredential fresh;
        fresh.value = SecretBytes("ghp_Fr3shT0kenOnTheHostOnly0123456789abcd");
        fresh.expires_at = now + std::chrono::minutes(6);
        return askfirst::Result<RealCredential>::success(std::move(fresh));
    };
    std::vector<BrokerEntry> entries;
    entries.push_back(std::move(entry));
    auto broker = broker_of(std::move(entries));
    const auto r = request("api.github.com", {{"Authorization", std::string("Bearer ") + kStubToken}});
    const auto first = broker->inject(r, now, true);
    REQUIRE_MESSAGE(first.ok(), first.error());
    CHECK(askfirst::http::apply_head_edits(std::string("GET / HTTP/1.1\r\nAuthorization: Bearer ") + kStubToken +
                                               "\r\n\r\n",
                                           first->edits)
              .find("ghp_Fr3sh") != std::string::npos);
    CHECK(broker->inject(r, now, true).ok());  // fresh for 6 more minutes: no second refresh
    const auto expired = broker->inject(r, now + std::chrono::minutes(2), true);
    CHECK_FALSE(expired.ok());
    CHECK(expired.error().find("\"github\"") != std::string::npos);
    CHECK(refreshes == 2);
}

TEST_CASE("secrets live in pages excluded from core dumps") {
    SecretBytes secret("a real secret");
    CHECK(secret.view() == "a real secret");
    CHECK(secret.excluded_from_core_dumps());
    SecretBytes moved = std::move(secret);
    CHECK(secret.empty());
    CHECK(moved.view() == "a real secret");
}

TEST_CASE("base64 round trip, and its refusals") {
    CHECK(base64_encode("alice:pw") == "YWxpY2U6cHc=");
    CHECK(base64_decode("YWxpY2U6cHc=") == "alice:pw");
    CHECK(base64_decode("YWxpY2U6cA==") == "alice:p");
    CHECK_FALSE(base64_decode("not base64!"));
}

TEST_CASE("no real secret goes into a plain-HTTP request: the guest chose its address and its Host alike") {
    auto broker = github_broker();
    const auto with_stub = request("api.github.com", {{"Authorization", std::string("Bearer ") + kStubToken}});
    const auto plain = broker->inject(with_stub, SystemClock::now(), false);
    CHECK_FALSE(plain.ok());
    CHECK(plain.error().find("plain HTTP") != std::string::npos);
    const auto without_stub = request("api.github.com", {{"Authorization", "Bearer nothing-of-ours"}});
    CHECK(broker->inject(without_stub, SystemClock::now(), false).ok());  // nothing to put in: nothing refused
}
