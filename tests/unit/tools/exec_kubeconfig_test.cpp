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
    const auto made = stub_kubeconfig(kRealConfig, stubs, kCa);
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
        const auto refused = stub_kubeconfig(row.yaml, {}, kCa);
        CHECK_FALSE(refused.ok());
        CHECK(refused.error().find("not a kubeconfig") != std::string::npos);
    }
}
