// classifiers/cloudflare.cpp — the Cloudflare API provider
// (../shared/classifier-rules.md §15, Cloudflare).
//
// Recognize: api.cloudflare.com/client/v4 (`Authorization: Bearer`, or
// `X-Auth-Email` + `X-Auth-Key`). R2's S3 API (<acct>.r2.cloudflarestorage.com)
// is SigV4-signed and takes the AWS provider's S3 rules.
// Label:
//  * GET read, POST/PUT/PATCH write, DELETE destructive (zones, DNS records,
//    Workers scripts, KV namespaces and values, R2 buckets, D1 databases,
//    Pages projects);
//  * POSTs that delete: Workers KV `…/bulk/delete`, any `…/delete` action,
//    and DNS `…/dns_records/batch` when its `deletes` list is not empty;
//  * `POST /zones/{id}/purge_cache` only drops cached copies: a write;
//  * the GraphQL Analytics API (`/client/v4/graphql`): GraphQL rules.
// D1's SQL endpoints (`…/d1/database/{id}/query|raw`) are a SQL carrier that
// the data area's provider takes first (registry order). If one reaches this
// classifier, its SQL was not inspected here: the worst it could be.
#include <iterator>

#include "classifiers/graphql.h"
#include "classifiers/json_body.h"
#include "classifiers/json_members.h"
#include "classifiers/provider.h"
#include "classifiers/rest_resource.h"
#include "classifiers/verb_lexicon.h"

namespace askfirst::classifiers {
namespace {

constexpr std::string_view kCloudflareHosts[] = {"api.cloudflare.com"};

const std::string& last(const RequestPath& path) { return path.segments.back(); }

bool is_graphql(const RequestPath& path) {
    return path.segments.size() == 3 && path.segments[2] == "graphql";
}

bool is_d1_sql(const RequestPath& path) {
    const auto& s = path.segments;
    return s.size() >= 4 && s[s.size() - 4] == "d1" && s[s.size() - 3] == "database" &&
           (s.back() == "query" || s.back() == "raw");
}

bool is_dns_batch(const HttpRequest& request, const RequestPath& path) {
    const auto& s = path.segments;
    return request.method == "POST" && s.size() >= 2 && s[s.size() - 2] == "dns_records" && s.back() == "batch";
}

// POST …/bulk/delete, POST …/delete: deletes although the method is POST.
bool is_delete_action(const HttpRequest& request, const RequestPath& path) {
    return request.method == "POST" && !path.segments.empty() &&
           last(path).find("delete") != std::string::npos;
}

void judge_dns_batch(const HttpRequest& request, Classification& result) {
    if (!request.body_complete) return;  // the registry judges what was not seen
    const JsonTree body = parse_json(request.body);
    const bool deletes = any_member_named(body.get(), "deletes", [](const cJSON* member) {
        return !cJSON_IsArray(member) || cJSON_GetArraySize(member) > 0;
    });
    if (body == nullptr) {
        result.tier = Tier::destructive;
        add_flag(result, "batch-body-unreadable");
    } else if (deletes) {
        result.tier = Tier::destructive;
        add_flag(result, "batch-deletes-records");
    }
}

Tier analytics_field_tier(std::string_view field) {
    return tier_from_operation_name(field, NameOrder::verb_first);
}

Classification cloudflare_classify(const HttpRequest& request) {
    const RequestPath path = split_request_path(request.path);
    if (is_graphql(path))
        return graphql::classify_graphql_request(request, {"cloudflare", analytics_field_tier, nullptr});
    Classification result = make_classification("cloudflare", method_and_shape(request.method, path),
                                                 tier_for_rest_method(request.method), request);
    if (path.segments.size() < 2 || path.segments[0] != "client" || path.segments[1] != "v4") {
        result.tier = max_tier(result.tier, Tier::write);  // invariant 6: not the API we know
        add_flag(result, "unknown-endpoint");
    }
    if (is_d1_sql(path)) {
        result.tier = Tier::destructive;
        add_flag(result, "sql-not-inspected");
    }
    if (is_delete_action(request, path)) result.tier = Tier::destructive;
    if (is_dns_batch(request, path)) judge_dns_batch(request, result);
    if (!path.segments.empty() && last(path) == "purge_cache") add_flag(result, "purges-cdn-cache");
    return result;
}

bool cloudflare_matches(const HttpRequest& request) {
    return host_matches_any(request.host, kCloudflareHosts);
}
bool cloudflare_needs_body(const HttpRequest& head) {
    const RequestPath path = split_request_path(head.path);
    return is_graphql(path) || is_dns_batch(head, path);
}

}  // namespace

extern const Provider kCloudflareProvider;
const Provider kCloudflareProvider{"cloudflare", cloudflare_matches, cloudflare_classify,
                                   cloudflare_needs_body};

}  // namespace askfirst::classifiers
