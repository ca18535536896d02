// tests/unit/tools/exec_kubeconfig_test.cpp — the stub kubeconfig of
// `askfirst exec` (tools/exec_kubeconfig.h): what of the host's kubeconfig
// the sandbox keeps (servers, contexts), what it never sees (tokens, keys,
// exec plugins, the cluster's own CA), and which stub each user gets.
#include <doctest/doctest.h>

#include <cjson/cJSON.h>

#include <memory>
#include <string>
#include <vector>

#include "tools/exec_kubeconfig.h"

namespace {

using askfirst::exec_credentials::KubeStub;
using askfirst::exec_credentials::stub_kubeconfig;

constexpr const char* kCa = "/etc/ssl/certs/ca-certificates.crt";

struct JsonDeleter {
    void operator()(cJSON* json) const { cJSON_Delete(json); }
};

// users[name].user as compact JSON ("" when absent).
std::string user_of(const std::string& stub, const std::string& name) {
    std::unique_ptr<cJSON, JsonDeleter> root(cJSON_Parse(stub.c_str()));
    REQUIRE(root);
    const cJSON* users = cJSON_GetObjectItemCaseSensitive(root.get(), "users");
    for (const cJSON* item = users != nullptr ? users->child : nullptr; item != nullptr; item = item->next) {
        const cJSON* item_name = cJSON_GetObjectItemCaseSensitive(item, "name");
        if (!cJSON_IsString(item_name) || name != item_name->valuestring) continue;
        char* printed = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(item, "user"));
        std::string text = printed;
        cJSON_free(printed);
        return text;
    }
    return "";
}

const char* kRealConfig = R"(apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: https://kube.example.com:6443
    certificate-authority-data: UkVBTC1DTFVTVEVSLUNB
    insecure-skip-tls-verify: true
    proxy-url: http://proxy.example:3128
- name: v6
  cluster: {server: "https://[2001:db8::1]:6443", tls-server-name: kube6.example.com}
- name: other
  cluster: {server: "https://other.example.org"}
users:
- name: admin
  user:
    client-certificate-data: UkVBTC1DRVJU
    client-key-data: UkVBTC1LRVk=
- name: tokened
  user: {token: REAL-TOKEN-0123456789}
- name: plugin
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: /usr/bin/real-secret-helper}
contexts:
- name: prod
  context: {cluster: prod, user: admin, namespace: default}
- name: v6
  context: {cluster: v6, user: tokened}
- name: other
  context: {cluster: other, user: plugin}
current-context: prod
preferences: {colors: true}
)";

}  // namespace

TEST_CASE("the stub kubeconfig keeps servers and contexts and gives each user its entry's stub or nothing") {
    const std::vector<KubeStub> stubs{
        {{"*.example.com"}, "", "-----BEGIN CERTIFICATE-----\nSTUB\n", "-----BEGIN PRIVATE KEY-----\nSTUB\n"},
        {{"2001:db8::1"}, "stub-token-0123456789", "", ""},
    };
    const auto made = stub_kubeconfig(kRealConfig, stubs, {kCa, ""});
    REQUIRE_MESSAGE(made.ok(), made.error());
    const std::string& stub = made.value();
    struct Row {
        const char* user;
        const char* expected;
    };
    const Row rows[] = {
        {"admin", R"({"client-certificate-data":"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tClNUVUIK",)"
                  R"("client-key-data":"LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tClNUVUIK"})"},
        {"tokened", R"({"token":"stub-token-0123456789"})"},  // matched by its cluster's IPv6 server
        {"plugin", "{}"},                                      // no entry lists other.example.org
    };
    for (const Row& row : rows) {
        CAPTURE(std::string(row.user));
        CHECK(user_of(stub, row.user) == row.expected);
    }
    for (const char* kept : {"https://kube.example.com:6443", "https://[2001:db8::1]:6443", "kube6.example.com",
                             "\"current-context\":\t\"prod\"", "\"namespace\":\t\"default\"", "\"colors\":\ttrue", kCa})
        CHECK_MESSAGE(stub.find(kept) != std::string::npos, kept);
    for (const char* gone : {"UkVBTC1DRVJU", "UkVBTC1LRVk=", "REAL-TOKEN", "real-secret-helper", "UkVBTC1DTFVTVEVSLUNB",
                             "insecure-skip-tls-verify", "proxy.example"})
        CHECK_MESSAGE(stub.find(gone) == std::string::npos, gone);
}

TEST_CASE("what is not a kubeconfig askfirst can read gives no stub, and an alias bomb stops") {
    struct Row {
        const char* name;
        std::string yaml;
    };
    std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    for (char level = 'b'; level <= 'k'; ++level)
        bomb += std::string(1, level) + ": &" + level + " [*" + char(level - 1) + ", *" + char(level - 1) + ", *" +
                char(level - 1) + ", *" + char(level - 1) + ", *" + char(level - 1) + ", *" + char(level - 1) + "]\n";
    const Row rows[] = {
        {"empty", ""},
        {"a list at the top", "- a\n- b\n"},
        {"broken YAML", "users: [\n"},
        {"aliases expanding past the node bound", bomb},
    };
    for (const Row& row : rows) {
        CAPTURE(std::string(row.name));
        const auto refused = stub_kubeconfig(row.yaml, {}, {kCa, ""});
        CHECK_FALSE(refused.ok());
        CHECK(refused.error().find("not a kubeconfig") != std::string::npos);
    }
}

namespace {

using askfirst::exec_credentials::kubeconfig_paths;
using askfirst::exec_credentials::merged_stub_kubeconfig;

// A $KUBECONFIG list split as people do: the users in one file, the clusters
// and contexts in another (and a name both define: the first file's wins).
const char* kUsersFile = R"(apiVersion: v1
kind: Config
users:
- name: ops
  user: {token: REAL-OPS-TOKEN-0123456789}
- name: shared
  user: {token: REAL-FIRST-SHARED-TOKEN}
current-context: ops
)";
const char* kClustersFile = R"(apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster: {server: "https://kube.example.com:6443", certificate-authority-data: UkVBTC1DTFVTVEVSLUNB}
users:
- name: shared
  user: {token: REAL-SECOND-SHARED-TOKEN}
- name: ops
  user: {client-key-data: UkVBTC1TRUNPTkQtS0VZ}
contexts:
- name: ops
  context: {cluster: prod, user: ops}
- name: shared
  context: {cluster: prod, user: shared}
current-context: shared
)";

std::string cluster_of(const std::string& stub, const std::string& name) {
    std::unique_ptr<cJSON, JsonDeleter> root(cJSON_Parse(stub.c_str()));
    REQUIRE(root);
    const cJSON* clusters = cJSON_GetObjectItemCaseSensitive(root.get(), "clusters");
    for (const cJSON* item = clusters != nullptr ? clusters->child : nullptr; item != nullptr; item = item->next) {
        const cJSON* item_name = cJSON_GetObjectItemCaseSensitive(item, "name");
        if (!cJSON_IsString(item_name) || name != item_name->valuestring) continue;
        char* printed = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(item, "cluster"));
        std::string text = printed;
        cJSON_free(printed);
        return text;
    }
    return "";
}

}  // namespace

TEST_CASE("a VM guest's kubeconfig: the host's list merged as kubectl merges it, users holding stubs, the CA inline") {
    const std::vector<KubeStub> stubs{{{"kube.example.com"}, "stub-token-0123456789", "", ""}};
    const auto made =
        merged_stub_kubeconfig({kUsersFile, kClustersFile}, stubs, {kCa, "-----BEGIN CERTIFICATE-----\nASKFIRST\n"});
    REQUIRE_MESSAGE(made.ok(), made.error());
    const std::string& stub = made.value();
    // Both users talk to kube.example.com through contexts of the second file: both hold the stub token.
    CHECK(user_of(stub, "ops") == R"({"token":"stub-token-0123456789"})");
    CHECK(user_of(stub, "shared") == R"({"token":"stub-token-0123456789"})");
    // base64("-----BEGIN CERTIFICATE-----\nASKFIRST\n"): askfirst's CA, not a path of the host.
    CHECK(cluster_of(stub, "prod") == R"({"server":"https://kube.example.com:6443",)"
                                      R"("certificate-authority-data":"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkFTS0ZJUlNUCg=="})");
    CHECK(stub.find("\"current-context\":\t\"ops\"") != std::string::npos);  // the first file's
    CHECK(stub.find("\"name\":\t\"ops\"") != std::string::npos);
    for (const char* gone : {"REAL-", "UkVBTC1", kCa})
        CHECK_MESSAGE(stub.find(gone) == std::string::npos, gone);

    SUBCASE("a file of the list that does not parse: no kubeconfig, the error names it") {
        const auto refused = merged_stub_kubeconfig({kUsersFile, "users: [\n"}, stubs, {kCa, ""});
        CHECK_FALSE(refused.ok());
        CHECK(refused.error().find("file 2 of the list") != std::string::npos);
    }
}

TEST_CASE("exec stubs each file of a $KUBECONFIG list on its own, deciding its users' stubs from the whole list") {
    const std::vector<KubeStub> stubs{{{"kube.example.com"}, "stub-token-0123456789", "", ""}};
    const auto alone = stub_kubeconfig(kUsersFile, stubs, {kCa, ""});
    REQUIRE_MESSAGE(alone.ok(), alone.error());
    CHECK(user_of(alone.value(), "ops") == "{}");  // no context in this file: nothing tells which cluster it talks to
    const auto made = stub_kubeconfig(kUsersFile, stubs, {kCa, ""}, {kUsersFile, kClustersFile});
    REQUIRE_MESSAGE(made.ok(), made.error());
    const std::string& listed = made.value();
    CHECK(user_of(listed, "ops") == R"({"token":"stub-token-0123456789"})");
    CHECK(listed.find("REAL-") == std::string::npos);
    CHECK(listed.find("clusters\":\t[]") != std::string::npos);  // this file's own clusters only: none
}

TEST_CASE("the kubeconfig files kubectl would read") {
    struct Row {
        const char* variable;
        const char* home;
        std::vector<std::string> expected;
    };
    const Row rows[] = {
        {nullptr, "/home/a", {"/home/a/.kube/config"}},
        {"", "/home/a", {"/home/a/.kube/config"}},
        {"/x/one", "/home/a", {"/x/one"}},
        {"/x/one:/x/two", "/home/a", {"/x/one", "/x/two"}},
        {":/x/one::/x/two:", "/home/a", {"/x/one", "/x/two"}},
        {nullptr, "", {}},
    };
    for (const Row& row : rows) {
        CAPTURE(std::string(row.variable != nullptr ? row.variable : "(unset)"));
        CHECK(kubeconfig_paths(row.variable, row.home) == row.expected);
    }
}

TEST_CASE("the kubeconfig files CMD names with --kubeconfig") {
    using askfirst::exec_credentials::kubeconfig_paths_in_command;
    struct Row {
        std::vector<std::string> command;
        std::vector<std::string> expected;
    };
    const Row rows[] = {
        {{"kubectl", "--kubeconfig", "/x/a", "get", "pods"}, {"/x/a"}},
        {{"kubectl", "--kubeconfig=/x/a", "get", "pods"}, {"/x/a"}},
        {{"sh", "-c", "kubectl --kubeconfig /x/a get pods; helm --kubeconfig='/x/b' list"}, {"/x/a", "/x/b"}},
        {{"sh", "-c", "kubectl --kubeconfig \"/x/c\";"}, {"/x/c"}},
        {{"kubectl", "get", "pods", "--kubeconfig"}, {}},  // no path after the flag
        {{"kubectl", "--kubeconfig="}, {}},
        {{"kubectl", "--kubeconfigs", "/x/a"}, {}},
        {{"claude"}, {}},
    };
    for (const Row& row : rows) {
        CAPTURE(row.command.back());
        CHECK(kubeconfig_paths_in_command(row.command) == row.expected);
    }
}

TEST_CASE("what counts as a kubeconfig when CMD names a file after --kubeconfig") {
    using askfirst::exec_credentials::looks_like_kubeconfig;
    struct Row {
        const char* yaml;
        bool expected;
    };
    const Row rows[] = {
        {"apiVersion: v1\nkind: Config\n", true},
        {"users:\n- {name: a, user: {token: x}}\n", true},
        {"clusters: []\n", true},
        {"contexts:\n- {name: c, context: {cluster: a, user: b}}\n", true},
        {"# a README\nSome text about --kubeconfig.\n", false},
        {"services:\n  web: {image: nginx}\n", false},  // a YAML mapping, not a kubeconfig
        {"kind: Deployment\napiVersion: apps/v1\n", false},
        {"users: [\n", false},
        {"", false},
    };
    for (const Row& row : rows) {
        CAPTURE(std::string(row.yaml));
        CHECK(looks_like_kubeconfig(row.yaml) == row.expected);
    }
}
