// tests/unit/src/sandbox_stub_files_test.cpp — the stub variables and stub
// files a sandbox gets (tools/sandbox_stub_files.h), shared by `askfirst
// exec` and askfirst-vm: table-driven over askfirstd's stubs JSON.
#include "tools/sandbox_stub_files.h"

#include <doctest/doctest.h>

#include <map>
#include <string>

using namespace askfirst::sandbox_stubs;

namespace {

constexpr const char* kStubs = R"({"credentials": [
  {"name": "github", "kind": "bearer", "hosts": ["api.github.com", "github.com", "*.githubusercontent.com"],
   "guest_env": ["GITHUB_TOKEN", "GH_TOKEN"], "source_env": "REAL_GITHUB", "stub": "ghp_STUBSTUBSTUB"},
  {"name": "prod", "kind": "aws-sigv4", "hosts": ["*.amazonaws.com"], "guest_env": [],
   "access_key_id": "AKIASTUB", "secret_access_key": "stubsecret", "session_token": "stubtoken"},
  {"name": "forge", "kind": "basic", "hosts": ["git.example.test"], "guest_env": [], "stub": "alice:stubpass"},
  {"name": "anthropic", "kind": "header", "hosts": ["api.anthropic.com"], "guest_env": ["ANTHROPIC_API_KEY"],
   "source_file": "/home/u/.config/anthropic/key", "stub": "sk-ant-STUB"}
]})";

std::vector<StubEntry> parsed_entries(const std::string& json) {
    auto parsed = parse_stub_entries(json);
    REQUIRE_MESSAGE(parsed.ok(), parsed.error());
    return parsed.take();
}

std::map<std::string, std::string> by_path(const std::vector<StubFile>& files) {
    std::map<std::string, std::string> out;
    for (const auto& file : files) out[file.path] = file.contents;
    return out;
}

}  // namespace

TEST_CASE("the stubs JSON parses; anything else does not") {
    CHECK(parsed_entries(kStubs).size() == 4);
    for (const char* bad : {"", "[]", "{\"credentials\": 3}", "not json"}) {
        const auto refused = parse_stub_entries(bad);
        CHECK_MESSAGE(!refused.ok(), bad);
        CHECK(refused.error().find("stubs JSON") != std::string::npos);
    }
}

TEST_CASE("variables: sources cleared, guest_env and AWS_* hold stubs") {
    const std::vector<StubEntry> entries = parsed_entries(kStubs);
    const auto variables = stub_variables(entries);
    CHECK(variables.unset == std::vector<std::string>{"REAL_GITHUB"});
    std::map<std::string, std::string> set(variables.set.begin(), variables.set.end());
    const std::map<std::string, std::string> expected{
        {"AWS_ACCESS_KEY_ID", "AKIASTUB"}, {"AWS_SECRET_ACCESS_KEY", "stubsecret"}, {"AWS_SESSION_TOKEN", "stubtoken"},
        {"GITHUB_TOKEN", "ghp_STUBSTUBSTUB"}, {"GH_TOKEN", "ghp_STUBSTUBSTUB"}, {"ANTHROPIC_API_KEY", "sk-ant-STUB"}};
    CHECK(set == expected);
}

TEST_CASE("files: each credential file of the home, and the file source, holds its stub") {
    const std::vector<StubEntry> entries = parsed_entries(kStubs);
    const auto files = by_path(stub_files(entries, "/home/agent",
                                          "[profile prod]\nregion = eu-west-1\ncredential_process = /bin/real\n"));
    struct Row {
        const char* path;
        const char* expected;
    };
    const Row rows[] = {
        {"/home/agent/.aws/credentials",
         "[default]\naws_access_key_id = AKIASTUB\naws_secret_access_key = stubsecret\naws_session_token = stubtoken\n"
         "[prod]\naws_access_key_id = AKIASTUB\naws_secret_access_key = stubsecret\naws_session_token = stubtoken\n"},
        {"/home/agent/.aws/config",
         "# askfirst: the host's ~/.aws/config without its credential settings\n[profile prod]\nregion = eu-west-1\n"},
        {"/home/agent/.config/gh/hosts.yml", "github.com:\n    oauth_token: ghp_STUBSTUBSTUB\n    git_protocol: https\n"},
        {"/home/agent/.git-credentials",
         "https://x-access-token:ghp_STUBSTUBSTUB@api.github.com\nhttps://x-access-token:ghp_STUBSTUBSTUB@github.com\n"
         "https://alice:stubpass@git.example.test\nhttps://x-access-token:sk-ant-STUB@api.anthropic.com\n"},
        {"/home/agent/.netrc",
         "machine api.github.com login x-access-token password ghp_STUBSTUBSTUB\n"
         "machine github.com login x-access-token password ghp_STUBSTUBSTUB\n"
         "machine git.example.test login alice password stubpass\n"
         "machine api.anthropic.com login x-access-token password sk-ant-STUB\n"},
        {"/home/u/.config/anthropic/key", "sk-ant-STUB\n"},
    };
    CHECK(files.size() == std::size(rows));
    for (const auto& row : rows) {
        CAPTURE(row.path);
        REQUIRE(files.count(row.path) == 1);
        CHECK(files.at(row.path) == row.expected);
    }
}

TEST_CASE("files: no aws entry, no ~/.aws files; no home, only file sources") {
    const std::vector<StubEntry> entries = parsed_entries(R"({"credentials": [{"name": "k", "kind": "header", "hosts": ["h.test"],
        "source_file": "/etc/k", "stub": "s"}]})");
    const auto with_home = by_path(stub_files(entries, "/root", ""));
    CHECK(with_home.count("/root/.aws/credentials") == 0);
    CHECK(with_home.at("/root/.config/gh/hosts.yml").empty());  // exec binds it empty over a real one
    CHECK(by_path(stub_files(entries, "", "")) == std::map<std::string, std::string>{{"/etc/k", "s\n"}});
}

TEST_CASE("files: a kube client certificate's stub pair goes over the certificate and key sources") {
    const std::vector<StubEntry> entries = parsed_entries(R"({"credentials": [{"name": "k8s", "kind": "kube", "hosts": ["k8s.test"],
        "source_file": "/etc/kube/client.crt", "source_key_file": "/etc/kube/client.key",
        "client_certificate": "STUB CERT", "client_key": "STUB KEY"}]})");
    CHECK(by_path(stub_files(entries, "", "")) ==
          std::map<std::string, std::string>{{"/etc/kube/client.crt", "STUB CERT"}, {"/etc/kube/client.key", "STUB KEY"}});
}
