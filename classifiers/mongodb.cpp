// classifiers/mongodb.cpp — the `mongodb` provider: MongoDB Atlas Data API
// and Atlas Administration API (classifier-rules.md §11).
//
// Data API (end of life 2025-09-30; kept for legacy and self-hosted clones):
//   POST https://data.mongodb-api.com/app/<app-id>/endpoint/data/v1/action/<action>
//   The action is the last path segment; aggregate writes with $merge and
//   replaces its target collection with $out (destructive).
//   Source: https://www.mongodb.com/docs/api/doc/atlas-data-api-v1/
// Administration API: https://cloud.mongodb.com/api/atlas/v2/... (and v1.0):
//   GET read, DELETE destructive (clusters, projects, snapshots, users,
//   access-list entries), other methods write with risk flags; a restore job
//   onto its own source cluster overwrites it (destructive).
//   Source: https://www.mongodb.com/docs/api/doc/atlas-admin-api-v2/
#include <algorithm>
#include <array>
#include <cctype>

#include "classifiers/json_body.h"
#include "classifiers/provider.h"

namespace askfirst::classifiers {
namespace {

constexpr std::string_view kDataApiHosts[] = {"data.mongodb-api.com", "*.data.mongodb-api.com"};
constexpr std::string_view kAdminApiHosts[] = {"cloud.mongodb.com", "cloud.mongodbgov.com"};

struct DataAction {
    std::string_view name;
    Tier tier;
};
// Data API actions by their documented names.
constexpr std::array<DataAction, 10> kDataActions = {{
    {"findOne", Tier::read}, {"find", Tier::read}, {"aggregate", Tier::read},
    {"insertOne", Tier::write}, {"insertMany", Tier::write}, {"updateOne", Tier::write},
    {"updateMany", Tier::write}, {"replaceOne", Tier::write},
    {"deleteOne", Tier::destructive}, {"deleteMany", Tier::destructive},
}};

std::vector<std::string_view> segments(std::string_view path) {
    std::vector<std::string_view> out;
    while (!path.empty()) {
        const std::size_t slash = path.find('/');
        if (slash != 0) out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return out;
}

Classification make(std::string operation, Tier tier, std::string detail) {
    Classification result;
    result.provider = "mongodb";
    result.operation = std::move(operation);
    result.tier = tier;
    result.detail = std::move(detail);
    return result;
}

bool empty_filter(const cJSON* body) {
    const cJSON* filter = json_member(body, "filter");
    return filter == nullptr || (cJSON_IsObject(filter) && filter->child == nullptr);
}

// $out replaces the target collection; $merge writes into one.
void judge_pipeline(const cJSON* body, Classification& result) {
    const cJSON* pipeline = json_member(body, "pipeline");
    for (const cJSON* stage = pipeline ? pipeline->child : nullptr; stage != nullptr; stage = stage->next) {
        if (json_member(stage, "$out") != nullptr) {
            result.tier = Tier::destructive;
            result.flags.push_back("$out-replaces-collection");
        } else if (json_member(stage, "$merge") != nullptr) {
            result.tier = max_tier(result.tier, Tier::write);
            result.flags.push_back("$merge-writes-collection");
        }
    }
}

Classification classify_data_api(const HttpRequest& request) {
    const auto parts = segments(request.path);
    const std::string action = parts.empty() ? std::string() : std::string(parts.back());
    const bool is_action = parts.size() >= 2 && parts[parts.size() - 2] == "action";
    Classification result = make("data:" + action, Tier::write, "Atlas Data API " + action);
    const auto known = std::find_if(kDataActions.begin(), kDataActions.end(),
                                    [&](const DataAction& entry) { return entry.name == action; });
    if (!is_action || known == kDataActions.end()) {
        result.flags.push_back("unknown-action");
        return result;
    }
    result.tier = known->tier;
    const JsonTree body = parse_json(request.body);
    if (!body && request.method == "POST") {
        result.tier = max_tier(result.tier, Tier::write);  // unreadable body: ask
        result.flags.push_back("unparsed-body");
        return result;
    }
    if (action == "aggregate") judge_pipeline(body.get(), result);
    const bool many = action == "deleteMany" || action == "updateMany";
    if (many && empty_filter(body.get())) result.flags.push_back("filter-matches-every-document");
    if (const auto collection = json_string(body.get(), "collection")) result.detail += " " + *collection;
    return result;
}

bool looks_like_id(std::string_view segment) {
    if (segment.size() != 24) return false;
    for (char c : segment)
        if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    return true;
}

// POST .../clusters/{cluster}/backup/restoreJobs onto the same cluster.
void judge_restore(const HttpRequest& request, const std::vector<std::string_view>& parts, Classification& result) {
    if (request.method != "POST" || parts.empty() || parts.back() != "restoreJobs") return;
    result.flags.push_back("restore-overwrites-target-cluster");
    std::string_view source;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i)
        if (parts[i] == "clusters") source = parts[i + 1];
    const JsonTree body = parse_json(request.body);
    const auto target = json_string(body.get(), "targetClusterName");
    if (target && *target == source) result.tier = Tier::destructive;
}

void flag_cluster_patch(const HttpRequest& request, Classification& result) {
    if (request.method != "PATCH") return;
    const JsonTree body = parse_json(request.body);
    const cJSON* protection = json_member(body.get(), "terminationProtectionEnabled");
    if (cJSON_IsFalse(protection)) result.flags.push_back("termination-protection-off");
    if (cJSON_IsFalse(json_member(body.get(), "backupEnabled")) ||
        cJSON_IsFalse(json_member(body.get(), "providerBackupEnabled")))
        result.flags.push_back("backup-disabled");
}

Classification classify_admin_api(const HttpRequest& request) {
    const auto parts = segments(request.path);
    std::string shape;
    for (std::string_view part : parts) shape += "/" + std::string(looks_like_id(part) ? "{id}" : part);
    Tier tier = Tier::write;
    if (request.method == "GET" || request.method == "HEAD") tier = Tier::read;
    if (request.method == "DELETE") tier = Tier::destructive;
    Classification result = make(request.method + " " + shape, tier, "Atlas Administration API " + shape);
    judge_restore(request, parts, result);
    flag_cluster_patch(request, result);
    return result;
}

Classification mongodb_classify(const HttpRequest& request) {
    if (host_matches_any(request.host, kDataApiHosts)) return classify_data_api(request);
    return classify_admin_api(request);
}

bool mongodb_matches(const HttpRequest& request) {
    return host_matches_any(request.host, kDataApiHosts) || host_matches_any(request.host, kAdminApiHosts);
}

// Only where the body can raise the tier: aggregate's $out, a restore job's
// target. (Filters and PATCH flags only annotate.)
bool mongodb_needs_body(const HttpRequest& head) {
    if (host_matches_any(head.host, kDataApiHosts)) return head.path.ends_with("/aggregate");
    return head.method == "POST" && head.path.ends_with("/restoreJobs");
}

}  // namespace

extern const Provider kMongodbProvider;
const Provider kMongodbProvider{"mongodb", mongodb_matches, mongodb_classify, mongodb_needs_body};

}  // namespace askfirst::classifiers
