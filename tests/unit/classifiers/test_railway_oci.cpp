// Unit tests for the `railway` provider (noun-first lexicon, override table,
// PocketOS volumeDelete, risk flags) and the `oci-registry` provider (the
// distribution spec's endpoint table, token scopes, Docker Hub API).
#include <doctest.h>

#include <algorithm>
#include <string>

#include "classifiers/provider.h"

namespace askfirst::classifiers {
extern const Provider kRailwayProvider;
extern const Provider kOciRegistryProvider;
}  // namespace askfirst::classifiers

using namespace askfirst::classifiers;

namespace {

HttpRequest railway(std::string body, std::string host = "backboard.railway.com") {
    HttpRequest request;
    request.method = "POST";
    request.host = std::move(host);
    request.path = "/graphql/v2";
    request.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer x"}};
    request.body = std::move(body);
    return request;
}

std::string mutation(std::string_view field, std::string_view arguments = "(id: \\\"x\\\")") {
    return R"({"query":"mutation { )" + std::string(field) + std::string(arguments) + R"( }"})";
}

HttpRequest registry(std::string method, std::string path, std::string query = "", std::string host = "ghcr.io") {
    HttpRequest request;
    request.method = std::move(method);
    request.host = std::move(host);
    request.path = std::move(path);
    request.query = std::move(query);
    request.headers = {{"User-Agent", "docker/27.3.1 go/go1.22.7"}};
    return request;
}

bool has_flag(const Classification& result, std::string_view prefix) {
    return std::any_of(result.flags.begin(), result.flags.end(), [&](const std::string& flag) { return flag.starts_with(prefix); });
}

const std::string kDigest = "sha256:1f2e3d4c5b6a79880716253443526170f8e9d0c1b2a3948576a6b5c4d3e2f1a0";

}  // namespace

TEST_CASE("railway mutations: noun-first lexicon and overrides") {
    struct Row { const char* behaviour; std::string_view field; Tier tier; };
    const Row rows[] = {
        {"volumeDelete deletes a volume", "volumeDelete", Tier::destructive},
        {"backup delete removes a backup", "volumeInstanceBackupDelete", Tier::destructive},
        {"environmentDelete", "environmentDelete", Tier::destructive},
        {"sandboxDestroy", "sandboxDestroy", Tier::destructive},
        {"providerAuthRemove override: deletes", "providerAuthRemove", Tier::destructive},
        {"projectScheduleDeleteForce override: immediate delete", "projectScheduleDeleteForce", Tier::destructive},
        {"projectScheduleDeleteCancel cancels a deletion", "projectScheduleDeleteCancel", Tier::write},
        {"webhookTest override: sends a payload", "webhookTest", Tier::write},
        {"notificationDeliveriesMarkAsRead override", "notificationDeliveriesMarkAsRead", Tier::write},
        {"purgeServiceCache override: CDN only", "purgeServiceCache", Tier::write},
        {"privateNetworkCreateOrGet override: creates", "privateNetworkCreateOrGet", Tier::write},
        {"verb-first update still found", "updateServiceEdgeConfig", Tier::write},
        {"remove is a write", "workspaceUserRemove", Tier::write},
        {"restore is a write", "volumeInstanceBackupRestore", Tier::write},
        {"a noun-first read verb in a mutation is still a write", "egressGatewayHAMigrationPreview", Tier::write},
    };
    for (const Row& row : rows) {
        CAPTURE(row.behaviour);
        Classification result = kRailwayProvider.classify(railway(mutation(row.field)));
        CHECK(result.provider == "railway");
        CHECK(result.tier == row.tier);
        CHECK(result.operation == "mutation " + std::string(row.field));
    }
}

TEST_CASE("railway PocketOS request: inline volumeDelete names the volume") {
    Classification result = kRailwayProvider.classify(
        railway(R"({"query":"mutation { volumeDelete(volumeId: \"vol_prod_7f3a\") }"})", "backboard.railway.app"));
    CHECK(result.tier == Tier::destructive);
    CHECK(result.operation == "mutation volumeDelete");
    CHECK(result.detail == "volumeDelete vol_prod_7f3a");
    result = kRailwayProvider.classify(railway(
        R"({"query":"mutation VolumeDelete($id: String!) { volumeDelete(volumeId: $id) }","variables":{"id":"vol_prod_9"},"operationName":"VolumeDelete"})"));
    CHECK(result.detail == "volumeDelete vol_prod_9");
}

TEST_CASE("railway queries, risk flags and recognition") {
    CHECK(kRailwayProvider.classify(railway(R"({"query":"query { project(id: \"p\") { id } }"})")).tier == Tier::read);
    Classification result = kRailwayProvider.classify(
        railway(R"({"query":"mutation { serviceInstanceUpdate(serviceId: \"s\", environmentId: \"e\", input: {numReplicas: 0}) }"})"));
    CHECK(result.tier == Tier::write);
    CHECK(has_flag(result, "scales the service to zero"));
    result = kRailwayProvider.classify(railway(
        R"({"query":"mutation($input: VariableCollectionUpsertInput!) { variableCollectionUpsert(input: $input) }","variables":{"input":{"replace":true,"variables":{}}}})"));
    CHECK(has_flag(result, "replace"));
    result = kRailwayProvider.classify(railway(mutation("volumeInstanceBackupRestore", "(volumeInstanceBackupId: \\\"b\\\", volumeInstanceId: \\\"v\\\")")));
    CHECK(has_flag(result, "in-place restore"));
    HttpRequest upgrade = railway("");
    upgrade.method = "GET";
    upgrade.headers = {{"Upgrade", "websocket"}};
    CHECK(kRailwayProvider.classify(upgrade).tier == Tier::write);
    CHECK(kRailwayProvider.matches(railway("{}", "backboard.railway.app")));
    CHECK_FALSE(kRailwayProvider.matches(railway("{}", "railway.com")));
}

TEST_CASE("oci-registry endpoints follow the distribution spec table") {
    struct Row { const char* behaviour; HttpRequest request; Tier tier; std::string_view operation; };
    const Row rows[] = {
        {"end-1 ping", registry("GET", "/v2/"), Tier::read, "registry ping"},
        {"end-2 pull blob", registry("GET", "/v2/acme/web/blobs/" + kDigest), Tier::read, "pull blob acme/web"},
        {"end-2 check blob", registry("HEAD", "/v2/acme/web/blobs/" + kDigest), Tier::read, "check blob acme/web"},
        {"end-3 pull manifest", registry("GET", "/v2/acme/web/manifests/latest"), Tier::read, "pull manifest acme/web"},
        {"end-4a start upload", registry("POST", "/v2/acme/web/blobs/uploads/"), Tier::write, "start blob upload acme/web"},
        {"end-4b monolithic push", registry("POST", "/v2/acme/web/blobs/uploads/", "digest=" + kDigest), Tier::write,
         "push blob acme/web"},
        {"end-5 chunk", registry("PATCH", "/v2/acme/web/blobs/uploads/5c0d"), Tier::write, "upload blob chunk acme/web"},
        {"end-6 complete", registry("PUT", "/v2/acme/web/blobs/uploads/5c0d", "digest=" + kDigest), Tier::write,
         "complete blob upload acme/web"},
        {"end-7 push tag", registry("PUT", "/v2/acme/web/manifests/v1"), Tier::write, "push manifest (tag) acme/web"},
        {"end-7 push digest with tags", registry("PUT", "/v2/acme/web/manifests/" + kDigest, "tag=v1&tag=stable"), Tier::write,
         "push manifest (digest + tags) acme/web"},
        {"end-8 tags", registry("GET", "/v2/acme/web/tags/list", "n=10"), Tier::read, "list tags acme/web"},
        {"end-9 delete tag", registry("DELETE", "/v2/acme/web/manifests/v1"), Tier::destructive, "delete tag acme/web"},
        {"end-9 delete manifest", registry("DELETE", "/v2/acme/web/manifests/" + kDigest), Tier::destructive,
         "delete manifest acme/web"},
        {"end-10 delete blob", registry("DELETE", "/v2/acme/web/blobs/" + kDigest), Tier::destructive, "delete blob acme/web"},
        {"end-11 mount", registry("POST", "/v2/acme/web/blobs/uploads/", "mount=" + kDigest + "&from=acme/base"), Tier::write,
         "cross-repo blob mount acme/web"},
        {"end-12 referrers", registry("GET", "/v2/a/b/c/referrers/" + kDigest), Tier::read, "list referrers a/b/c"},
        {"end-13 upload status", registry("GET", "/v2/acme/web/blobs/uploads/5c0d"), Tier::read, "upload status acme/web"},
        {"end-14 cancel upload is a write", registry("DELETE", "/v2/acme/web/blobs/uploads/5c0d"), Tier::write,
         "cancel blob upload acme/web"},
        {"multi-component name", registry("DELETE", "/v2/acme-prod/containers/web/manifests/v1", "", "us-docker.pkg.dev"),
         Tier::destructive, "delete tag acme-prod/containers/web"},
        {"catalog", registry("GET", "/v2/_catalog"), Tier::read, "list repositories"},
        {"unknown shape is a write", registry("GET", "/v2/acme/web/whatever"), Tier::write, "GET /v2/acme/web/whatever"},
        {"wrong method for an endpoint is a write", registry("POST", "/v2/acme/web/manifests/v1"), Tier::write,
         "POST /v2/acme/web/manifests/v1"},
    };
    for (const Row& row : rows) {
        CAPTURE(row.behaviour);
        CHECK(kOciRegistryProvider.matches(row.request));
        Classification result = kOciRegistryProvider.classify(row.request);
        CHECK(result.provider == "oci-registry");
        CHECK(result.tier == row.tier);
        CHECK(result.operation == row.operation);
    }
}

TEST_CASE("oci-registry detail, tag flags, tokens, Docker Hub and recognition") {
    Classification result = kOciRegistryProvider.classify(registry("DELETE", "/v2/acme/web/manifests/v2.2.0"));
    CHECK(result.detail == "delete tag acme/web ghcr.io/acme/web:v2.2.0");
    result = kOciRegistryProvider.classify(registry("PUT", "/v2/acme/web/manifests/latest"));
    CHECK(has_flag(result, "re-points tag latest"));

    HttpRequest token = registry("GET", "/token", "service=registry.docker.io&scope=repository%3Aacme%2Fweb%3Apull%2Cpush", "auth.docker.io");
    result = kOciRegistryProvider.classify(token);
    CHECK(result.tier == Tier::read);
    CHECK(has_flag(result, "push-intent"));

    HttpRequest hub = registry("DELETE", "/v2/repositories/acme/web/tags/v1/", "", "hub.docker.com");
    CHECK(kOciRegistryProvider.classify(hub).tier == Tier::destructive);
    hub.method = "GET";
    CHECK(kOciRegistryProvider.classify(hub).tier == Tier::read);

    CHECK(kOciRegistryProvider.matches(registry("GET", "/v2/", "", "123456789012.dkr.ecr.us-east-1.amazonaws.com")));
    HttpRequest unknown_host = registry("GET", "/v2/", "", "registry.example.com");
    CHECK(kOciRegistryProvider.matches(unknown_host));  // docker User-Agent
    unknown_host.headers = {{"User-Agent", "doctl/1.0"}};
    CHECK_FALSE(kOciRegistryProvider.matches(unknown_host));
    unknown_host.headers = {{"Docker-Distribution-API-Version", "registry/2.0"}};
    CHECK(kOciRegistryProvider.matches(unknown_host));
}
