// classifiers/azure.cpp — the Azure provider: Resource Manager
// (management.azure.com) and the data planes whose DELETE removes data
// (../shared/classifier-rules.md §14).
//
// ARM: the operation is named like an Azure RBAC action,
// `<Namespace>/<type>[/<child type>]/(read|write|delete|<action>/action)`,
// from /subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{type}/{name}/….
// Label: GET read; PUT/PATCH write; DELETE destructive (a resource group
// DELETE cascades to everything in it; a lock DELETE removes a CanNotDelete
// lock: both flagged); POST `…/{action}` by the verb lexicon on the action:
// `listKeys`, `listSecrets`, `listCredentials`, `listConnectionStrings` are
// POSTs that read (flagged: they return secrets); start/stop/restart/
// deallocate/regenerateKey write; `purge` destructive.
// `POST /batch` carries `requests[]`: the most severe inner request wins.
// A storage lifecycle management policy whose rules delete is destructive.
// Data planes: Blob (DELETE destructive; `x-ms-delete-snapshots` flagged),
// Key Vault (DELETE is a soft delete; `deletedsecrets` DELETE purges),
// Cosmos DB (a POST with `x-ms-documentdb-isquery: true` is a query),
// Microsoft Graph: the method decides.
#include <algorithm>
#include <cctype>
#include <iterator>

#include "classifiers/json_body.h"
#include "classifiers/json_members.h"
#include "classifiers/provider.h"
#include "classifiers/rest_resource.h"
#include "classifiers/verb_lexicon.h"

namespace askfirst::classifiers {
namespace {

constexpr std::string_view kArmHosts[] = {
    "management.azure.com", "management.usgovcloudapi.net", "management.chinacloudapi.cn"};
constexpr std::string_view kDataPlaneHosts[] = {
    "*.blob.core.windows.net", "*.dfs.core.windows.net", "*.file.core.windows.net", "*.queue.core.windows.net",
    "*.table.core.windows.net", "*.vault.azure.net",     "*.documents.azure.com",   "graph.microsoft.com",
};
// The batch body is bounded by http.max_inspect_bytes; this bounds the walk.
constexpr int kMaxBatchRequests = 500;  // ARM batch accepts up to 500 requests

// The `/providers/` part of an ARM path as RBAC type segments, and the POST action.
struct ArmTarget {
    std::string type;    // "Microsoft.Storage/storageAccounts/blobServices"
    std::string action;  // the trailing segment of a POST, e.g. "listKeys"
};

// ARM matches path words case-insensitively ("resourcegroups", "Providers").
bool same_word(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

ArmTarget arm_target(const RequestPath& path, std::string_view method) {
    ArmTarget target;
    const auto& s = path.segments;
    auto providers = std::find_if(s.rbegin(), s.rend(), [](const std::string& x) { return same_word(x, "providers"); });
    std::size_t i = providers == s.rend() ? s.size() : static_cast<std::size_t>(s.rend() - providers);
    if (i < s.size()) target.type = s[i++];  // the namespace
    std::size_t remaining = s.size() - std::min(i, s.size());
    if (method == "POST" && remaining % 2 == 1) {  // type/name pairs, then the action
        target.action = s.back();
        --remaining;
    }
    for (std::size_t k = 0; k < remaining; k += 2) target.type += "/" + s[i + k];
    if (target.type.empty()) {  // subscriptions, resourceGroups, deployments outside providers
        for (std::size_t k = 0; k < s.size(); k += 2) target.type += (k ? "/" : "") + s[k];
    }
    return target;
}

// ARM actions whose read verb lies (issue 12's class of case: a read verb on
// an operation that writes). Sources: the Azure REST API reference of each
// action (learn.microsoft.com/rest/api/appservice/web-apps,
// …/compute/ssh-public-keys/generate-key-pair).
constexpr OperationOverride kArmActionOverrides[] = {
    {"generateNewSitePublishingPassword", Tier::write, "replaces the app's publishing password"},
    {"generateKeyPair", Tier::write, "stores a new public key in the SSH key resource"},
};

Tier arm_action_tier(std::string_view action) {
    return tier_with_overrides(kArmActionOverrides, action, action, NameOrder::verb_first);
}

bool returns_secrets(std::string_view action) {
    return action.rfind("list", 0) == 0 && (action.find("Key") != std::string_view::npos ||
                                           action.find("Secret") != std::string_view::npos ||
                                           action.find("Credential") != std::string_view::npos ||
                                           action.find("ConnectionString") != std::string_view::npos);
}

Tier arm_request_tier(std::string_view method, const RequestPath& path, std::string& operation,
                      std::vector<std::string>& flags);

// A storage account's lifecycle management policy (PUT|PATCH
// …/Microsoft.Storage/storageAccounts/{a}/managementPolicies/default): a
// rule whose actions delete (baseBlob/snapshot/version `delete`) deletes
// every blob it matches (daysAfterModificationGreaterThan 0: all of them),
// as S3's Expiration does (§1): destructive, expires-objects.
bool is_management_policy_update(std::string_view method, const RequestPath& path) {
    if (method != "PUT" && method != "PATCH") return false;
    const ArmTarget target = arm_target(path, method);
    return same_word(target.type, "Microsoft.Storage/storageAccounts/managementPolicies");
}

bool names_delete_action(const cJSON* json, int depth) {
    if (json == nullptr) return false;
    if (depth > 64) return true;  // too deep to read: assume it does
    for (const cJSON* child = json->child; child != nullptr; child = child->next) {
        if (child->string != nullptr && same_word(child->string, "delete")) return true;
        if (names_delete_action(child, depth + 1)) return true;
    }
    return false;
}

// The policy's body (or a batch request's "content"): null is unreadable.
Tier management_policy_tier(const cJSON* policy, std::vector<std::string>& flags) {
    if (policy == nullptr || names_delete_action(policy, 0)) {
        flags.emplace_back("expires-objects");
        return Tier::destructive;
    }
    return Tier::write;
}

// POST /batch: {"requests": [{"httpMethod": "DELETE", "url": "…"}, …]}
Tier arm_batch_tier(const HttpRequest& request, std::vector<std::string>& flags) {
    const JsonTree body = parse_json(request.body);
    const cJSON* requests = json_member(body.get(), "requests");
    if (!cJSON_IsArray(requests) || count_members_named(body.get(), "requests") > 1) {
        flags.emplace_back("batch-body-unreadable");
        return Tier::destructive;
    }
    Tier tier = Tier::read;
    int count = 0;
    for (const cJSON* inner = requests->child; inner != nullptr; inner = inner->next) {
        const std::optional<std::string> method = json_string(inner, "httpMethod");
        const std::optional<std::string> url = json_string(inner, "url");
        if (!method || !url || ++count > kMaxBatchRequests) return Tier::destructive;
        std::string inner_path = *url;
        if (const auto scheme = inner_path.find("://"); scheme != std::string::npos)
            inner_path = inner_path.substr(std::min(inner_path.find('/', scheme + 3), inner_path.size()));
        inner_path = inner_path.substr(0, inner_path.find('?'));
        std::string ignored;
        const RequestPath parsed = split_request_path(inner_path);
        tier = max_tier(tier, arm_request_tier(*method, parsed, ignored, flags));
        if (is_management_policy_update(*method, parsed))
            tier = max_tier(tier, management_policy_tier(json_member(inner, "content"), flags));
    }
    return tier;
}

Tier arm_request_tier(std::string_view method, const RequestPath& path, std::string& operation,
                      std::vector<std::string>& flags) {
    const ArmTarget target = arm_target(path, method);
    const auto& s = path.segments;
    if (method == "DELETE" && s.size() == 4 && same_word(s[2], "resourceGroups")) flags.emplace_back("deletes-resource-group");
    if (method == "DELETE" && same_word(target.type, "Microsoft.Authorization/locks")) flags.emplace_back("removes-lock");
    if (method == "POST" && !target.action.empty()) {
        operation = target.type + "/" + target.action + "/action";
        if (returns_secrets(target.action)) flags.emplace_back("returns-secrets");
        return arm_action_tier(target.action);
    }
    const std::string_view verb = is_read_method(method) ? "read" : method == "DELETE" ? "delete" : "write";
    operation = target.type + "/" + std::string(verb);
    return tier_for_rest_method(method);
}

Classification classify_arm(const HttpRequest& request) {
    const RequestPath path = split_request_path(request.path);
    Classification result = make_classification("azure", "", Tier::write, request);
    if (request.method == "POST" && path.segments.size() == 1 && path.segments[0] == "batch") {
        result.operation = "batch";
        result.tier = request.body_complete ? arm_batch_tier(request, result.flags) : Tier::write;
        return result;
    }
    result.tier = arm_request_tier(request.method, path, result.operation, result.flags);
    if (is_management_policy_update(request.method, path) && request.body_complete) {
        const JsonTree body = parse_json(request.body);
        result.tier = max_tier(result.tier, management_policy_tier(body.get(), result.flags));
    }
    return result;
}

Classification classify_data_plane(const HttpRequest& request) {
    const RequestPath path = split_request_path(request.path);
    Classification result = make_classification("azure", method_and_shape(request.method, path),
                                                tier_for_rest_method(request.method), request);
    if (!request.header("x-ms-delete-snapshots").empty()) add_flag(result, "deletes-snapshots");
    if (!path.segments.empty() && path.segments[0].rfind("deleted", 0) == 0 && request.method == "DELETE")
        add_flag(result, "purges-soft-deleted");
    if (request.method == "POST" && request.header("x-ms-documentdb-isquery") == "true") result.tier = Tier::read;
    return result;
}

Classification azure_classify(const HttpRequest& request) {
    return host_matches_any(request.host, kArmHosts) ? classify_arm(request) : classify_data_plane(request);
}

bool azure_matches(const HttpRequest& request) {
    return host_matches_any(request.host, kArmHosts) || host_matches_any(request.host, kDataPlaneHosts);
}

bool azure_needs_body(const HttpRequest& head) {
    if (!host_matches_any(head.host, kArmHosts)) return false;
    return (head.method == "POST" && head.path == "/batch") ||
           is_management_policy_update(head.method, split_request_path(head.path));
}

}  // namespace

extern const Provider kAzureProvider;
const Provider kAzureProvider{"azure", azure_matches, azure_classify, azure_needs_body};

}  // namespace askfirst::classifiers
