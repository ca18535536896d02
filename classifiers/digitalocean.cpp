// classifiers/digitalocean.cpp — the DigitalOcean API provider
// (../shared/classifier-rules.md §8).
//
// Recognize: api.digitalocean.com (doctl, `Authorization: Bearer dop_v1_…`)
// and the Gradient inference host. Spaces (*.digitaloceanspaces.com) is
// S3-compatible and signed with SigV4, so the AWS provider's S3 rules take it.
// Name: method + path against the route table generated from DigitalOcean's
// public OpenAPI description (digitalocean_routes.inc, written by
// tools/gen_digitalocean_routes.py); the operationId is the operation.
// Label:
//  * GET/HEAD read;
//  * DELETE destructive when the operationId says delete/destroy, else a
//    write (`loadBalancers_remove_droplets`, `tags_unassign_resources`,
//    `cdn_purge_cache` only drop an association or a CDN cache);
//  * other methods: the verb lexicon on the operationId after its resource
//    prefix (`registry_validate_name` reads, `apps_revert_rollback` writes);
//  * droplet actions by the body's `type`: `rebuild` reinstalls the disk
//    from an image (destructive), `restore` overwrites it from a backup
//    (write, flagged), everything else (power, resize, snapshot) a write.
// A path outside the table is a write, a DELETE outside it destructive.
#include <cstdint>
#include <iterator>
#include <span>
#include <string>

#include "classifiers/json_body.h"
#include "classifiers/json_members.h"
#include "classifiers/provider.h"
#include "classifiers/route_template.h"
#include "classifiers/verb_lexicon.h"

namespace askfirst::classifiers {
namespace {

struct DigitalOceanRoute {
    std::string_view method;
    std::string_view route;
    std::string_view operation_id;
};

constexpr DigitalOceanRoute kDigitalOceanRoutes[] = {
#include "classifiers/digitalocean_routes.inc"
};

constexpr std::string_view kDigitalOceanHosts[] = {
    "api.digitalocean.com",  // the public API (control plane and /v1 inference routes)
    "inference.do-ai.run",   // Gradient serverless inference
};

// Droplet action types with a label other than a plain write
// (https://docs.digitalocean.com/reference/api/, Droplet Actions).
struct DropletActionRule {
    std::string_view type;
    Tier tier;
    std::string_view flag;  // empty: none
};
constexpr DropletActionRule kDropletActionRules[] = {
    {"rebuild", Tier::destructive, "reinstalls-disk-from-image"},
    {"restore", Tier::write, "overwrites-disk-from-backup"},
    {"disable_backups", Tier::write, "disables-backups"},
    {"resize", Tier::write, "resize"},
};

bool is_droplet_action(std::string_view operation_id) {
    return operation_id == "dropletActions_post" || operation_id == "dropletActions_post_byTag";
}

// The route table indexed once as a segment trie (a linear scan of its
// 659 rows cost ~10 µs per request).
const RouteTemplateIndex& route_index() {
    static const RouteTemplateIndex index{std::span<const DigitalOceanRoute>(kDigitalOceanRoutes)};
    return index;
}

// The most specific route of `method` that matches (smallest parameter mask,
// the earlier row on a tie).
const DigitalOceanRoute* find_route(std::string_view method, const RequestPath& path) {
    const DigitalOceanRoute* best = nullptr;
    std::uint32_t best_mask = 0;
    route_index().for_each_match(path, [&](std::uint32_t index, std::uint32_t mask) {
        const DigitalOceanRoute& row = kDigitalOceanRoutes[index];
        if (row.method != method) return;
        if (best == nullptr || mask < best_mask || (mask == best_mask && &row < best)) {
            best = &row;
            best_mask = mask;
        }
    });
    return best;
}

const DigitalOceanRoute* resolve(const HttpRequest& request) {
    const RequestPath path = split_request_path(request.path);
    const DigitalOceanRoute* route = find_route(request.method, path);
    if (route == nullptr && request.method == "HEAD") route = find_route("GET", path);
    return route;
}

Tier operation_tier(std::string_view method, std::string_view operation_id) {
    if (method == "GET" || method == "HEAD") return Tier::read;
    if (method == "DELETE") {
        const bool deletes = operation_id.find("delete") != std::string_view::npos ||
                             operation_id.find("destroy") != std::string_view::npos;
        return deletes ? Tier::destructive : Tier::write;
    }
    // "<resource>_<verb>_<object>": the verb follows the resource prefix.
    const auto underscore = operation_id.find('_');
    const std::string_view verb_part =
        underscore == std::string_view::npos ? operation_id : operation_id.substr(underscore + 1);
    return tier_from_operation_name(verb_part, NameOrder::verb_first);
}

void apply_droplet_action(const HttpRequest& request, Classification& result) {
    if (!request.body_complete) return;  // the registry judges what was not seen
    const JsonTree body = parse_json(request.body);
    int types = 0;
    // Every `type` member counts: the API server keeps the last of duplicates.
    for_each_member_named(body.get(), "type", [&](const cJSON* member) {
        if (!cJSON_IsString(member)) return;
        const std::string_view type = member->valuestring;
        result.operation += (types++ == 0 ? " type=" : ",") + std::string(type);
        for (const DropletActionRule& rule : kDropletActionRules) {
            if (rule.type != type) continue;
            result.tier = max_tier(result.tier, rule.tier);
            if (!rule.flag.empty()) result.flags.emplace_back(rule.flag);
        }
    });
    if (types == 0) result.flags.emplace_back("action-type-unreadable");  // rejected by the API; stays a write
}

Classification digitalocean_classify(const HttpRequest& request) {
    Classification result;
    result.provider = "digitalocean";
    result.detail = request.method + " " + request.path;
    const DigitalOceanRoute* route = resolve(request);
    if (route == nullptr) {
        result.operation = "unknown " + request.method + " " + request.path;
        result.tier = request.method == "DELETE" ? Tier::destructive : Tier::write;  // invariant 6
        result.flags.emplace_back("unknown-endpoint");
        return result;
    }
    result.operation = std::string(route->operation_id);
    result.tier = operation_tier(request.method, route->operation_id);
    if (is_droplet_action(route->operation_id)) apply_droplet_action(request, result);
    if (request.header("X-Dangerous") == "true") result.flags.emplace_back("x-dangerous-deletes-associated-resources");
    result.detail = result.operation + " " + request.method + " " + request.path;
    return result;
}

bool digitalocean_matches(const HttpRequest& request) {
    return host_matches_any(request.host, kDigitalOceanHosts);
}

bool digitalocean_needs_body(const HttpRequest& head) {
    const DigitalOceanRoute* route = resolve(head);
    return route != nullptr && is_droplet_action(route->operation_id);
}

}  // namespace

extern const Provider kDigitalOceanProvider;
const Provider kDigitalOceanProvider{"digitalocean", digitalocean_matches, digitalocean_classify,
                                    digitalocean_needs_body};

}  // namespace askfirst::classifiers
