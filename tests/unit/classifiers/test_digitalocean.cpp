// Unit tests for the DigitalOcean provider (classifiers/digitalocean.cpp):
// operationIds from the generated route table, DELETEs that do not delete,
// POSTs that read, and droplet actions by their `type`.
#include <doctest.h>

#include <algorithm>

#include "classifiers/classification.h"
#include "cloud_request.h"

using namespace askfirst::classifiers;
using cloud_test::make_request;

namespace {

constexpr auto R = Tier::read;
constexpr auto W = Tier::write;
constexpr auto D = Tier::destructive;
constexpr const char* kApi = "api.digitalocean.com";

Classification classify_do(const char* method, const char* target, const char* body = "",
                           std::initializer_list<std::pair<const char*, const char*>> headers = {}) {
    return classify(make_request(method, kApi, target, body, headers));
}

bool has_flag(const Classification& result, std::string_view flag) {
    return std::find(result.flags.begin(), result.flags.end(), flag) != result.flags.end();
}

}  // namespace

TEST_CASE("digitalocean: operationIds and tiers by method and path") {
    struct Row { const char* behaviour; const char* method; const char* target; const char* operation; Tier tier; };
    const Row rows[] = {
        {"GET reads", "GET", "/v2/droplets/3164444", "droplets_get", R},
        {"GET with a query reads", "GET", "/v2/domains?per_page=200&page=1", "domains_list", R},
        {"DELETE droplet destroys", "DELETE", "/v2/droplets/3164444", "droplets_destroy", D},
        {"DELETE by tag destroys every tagged droplet", "DELETE", "/v2/droplets?tag_name=prod", "droplets_destroy_byTag", D},
        {"DELETE cluster deletes", "DELETE", "/v2/kubernetes/clusters/bd5f5959", "kubernetes_delete_cluster", D},
        {"DELETE remove_droplets only detaches", "DELETE", "/v2/load_balancers/4de7/droplets", "loadBalancers_remove_droplets", W},
        {"DELETE unassign tag only detaches", "DELETE", "/v2/tags/prod/resources", "tags_unassign_resources", W},
        {"DELETE CDN cache purge is a cache", "DELETE", "/v2/cdn/endpoints/3164444/cache", "cdn_purge_cache", W},
        {"POST validate reads", "POST", "/v2/registry/validate-name", "registry_validate_name", R},
        {"POST list metrics reads", "POST", "/v2/apps/metrics/bandwidth_daily", "apps_list_metrics_bandwidth_daily", R},
        {"POST revert writes", "POST", "/v2/apps/4f6c/rollback/revert", "apps_revert_rollback", W},
        {"PUT update writes", "PUT", "/v2/vpcs/5a49", "vpcs_update", W},
        {"literal segment wins over an id", "GET", "/v2/droplets/autoscale", "autoscalepools_list", R},
        {"inference routes under /v1", "POST", "/v1/embeddings", "inference_create_embedding", W},
        {"unknown path is at least a write", "GET", "/v2/not-an-endpoint/x", "unknown GET /v2/not-an-endpoint/x", W},
        {"unknown DELETE may delete", "DELETE", "/v2/not-an-endpoint/x", "unknown DELETE /v2/not-an-endpoint/x", D},
    };
    for (const Row& row : rows) {
        INFO(std::string(row.behaviour));
        const Classification result = classify_do(row.method, row.target);
        CHECK(result.provider == "digitalocean");
        CHECK(result.operation == row.operation);
        CHECK(result.tier == row.tier);
    }
}

TEST_CASE("digitalocean: droplet actions take their label from the body type") {
    struct Row { const char* behaviour; const char* target; const char* body; const char* operation; Tier tier; const char* flag; };
    const Row rows[] = {
        {"rebuild erases the disk", "/v2/droplets/1/actions", R"({"type": "rebuild", "image": "ubuntu-24-04-x64"})", "dropletActions_post type=rebuild", D, "reinstalls-disk-from-image"},
        {"restore overwrites from a backup: a flagged write", "/v2/droplets/1/actions", R"({"type": "restore", "image": 12389723})", "dropletActions_post type=restore", W, "overwrites-disk-from-backup"},
        {"shutdown is a write", "/v2/droplets/1/actions", R"({"type": "shutdown"})", "dropletActions_post type=shutdown", W, ""},
        {"power_off is a write", "/v2/droplets/1/actions", R"({"type": "power_off"})", "dropletActions_post type=power_off", W, ""},
        {"disable_backups is a flagged write", "/v2/droplets/1/actions", R"({"type": "disable_backups"})", "dropletActions_post type=disable_backups", W, "disables-backups"},
        {"by tag too", "/v2/droplets/actions?tag_name=web", R"({"type": "rebuild"})", "dropletActions_post_byTag type=rebuild", D, ""},
        {"a repeated type counts every copy (the server keeps the last)", "/v2/droplets/1/actions", R"({"type": "power_on", "type": "rebuild"})", "dropletActions_post type=power_on,rebuild", D, "reinstalls-disk-from-image"},
        {"no readable type stays a write", "/v2/droplets/1/actions", "not json", "dropletActions_post", W, "action-type-unreadable"},
    };
    for (const Row& row : rows) {
        INFO(std::string(row.behaviour));
        const Classification result = classify_do("POST", row.target, row.body);
        CHECK(result.operation == row.operation);
        CHECK(result.tier == row.tier);
        if (*row.flag) CHECK(has_flag(result, row.flag));
    }
}

TEST_CASE("digitalocean: body needs and the dangerous destroy") {
    HttpRequest truncated = make_request("POST", kApi, "/v2/droplets/1/actions", R"({"type": "sh)");
    truncated.body_complete = false;
    CHECK(needs_body(truncated));
    CHECK(classify(truncated).tier == D);
    CHECK_FALSE(needs_body(make_request("POST", kApi, "/v2/domains")));

    const Classification dangerous = classify_do(
        "DELETE", "/v2/droplets/1/destroy_with_associated_resources/dangerous", "", {{"X-Dangerous", "true"}});
    CHECK(dangerous.tier == D);
    CHECK(has_flag(dangerous, "x-dangerous-deletes-associated-resources"));
}
