// classifiers/github.cpp — the `github` provider: GitHub's REST API on
// github.com (api.github.com, uploads.github.com), GHE.com data residency
// (api.<sub>.ghe.com) and GitHub Enterprise Server (any host, /api/v3/…)
// (../shared/classifier-rules.md §3).
//
// The operation is the operationId of the route template that matches the
// method and path, from classifiers/generated/github_routes.inc (generated
// from @octokit/openapi by tools/gen_github_routes.py). Labels: GET/HEAD →
// read; DELETE → destructive only when the operationId says delete (the
// other DELETEs remove an association or a flag: unstar, remove-*,
// disable-*); POST/PUT/PATCH → the verb lexicon on the operationId, with the
// override table below. An unknown route on a GitHub host is a write.
// Flags: force ref update, archiving or publishing a repository, transfer.
#include <string>
#include <vector>

#include "classifiers/github_routes.h"
#include "classifiers/json_body.h"
#include "classifiers/provider.h"
#include "classifiers/url_query.h"
#include "classifiers/verb_lexicon.h"

namespace askfirst::classifiers {

namespace {

constexpr std::string_view kGithubHosts[] = {"api.github.com", "uploads.github.com"};
constexpr std::string_view kEnterpriseServerPrefix = "/api/v3";

// Exceptions to the lexicon (§3 "POST/PUT/PATCH: by the verb lexicon").
constexpr OperationOverride kGithubOverrides[] = {
    {"repos/test-push-webhook", Tier::write, "sends a real push event to the hook's URL"},
    {"repos/ping-webhook", Tier::write, "delivers a real ping event to the hook's URL"},
    {"orgs/ping-webhook", Tier::write, "delivers a real ping event to the hook's URL"},
    {"enterprise-admin/ping-global-webhook", Tier::write, "delivers a real ping event to the hook's URL"},
    {"actions/generate-runner-jitconfig-for-repo", Tier::write, "registers a just-in-time runner (credential)"},
    {"actions/generate-runner-jitconfig-for-org", Tier::write, "registers a just-in-time runner (credential)"},
    {"actions/generate-runner-jitconfig-for-enterprise", Tier::write, "registers a just-in-time runner (credential)"},
    {"oauth-authorizations/get-or-create-authorization-for-app", Tier::write, "may create an authorization (token)"},
    {"oauth-authorizations/get-or-create-authorization-for-app-and-fingerprint", Tier::write,
     "may create an authorization (token)"},
};

bool is_ghe_com_api_host(std::string_view host) {
    return host.starts_with("api.") && host_matches_pattern(host, "*.ghe.com");
}

bool is_enterprise_server_path(std::string_view path) {
    return path.starts_with(kEnterpriseServerPrefix) &&
           (path.size() == kEnterpriseServerPrefix.size() || path[kEnterpriseServerPrefix.size()] == '/');
}

bool github_matches(const HttpRequest& request) {
    if (host_matches_any(request.host, kGithubHosts) || is_ghe_com_api_host(request.host)) return true;
    return is_enterprise_server_path(request.path);
}

// The REST path without the GHES prefix.
std::string_view api_path(const HttpRequest& request) {
    std::string_view path = request.path;
    if (is_enterprise_server_path(path)) path.remove_prefix(kEnterpriseServerPrefix.size());
    if (path.empty()) path = "/";
    return path;
}

bool has_word(std::string_view name, std::string_view wanted) {
    for (auto word : split_name_words(name).view())
        if (word == wanted) return true;
    return false;
}

void add_flags(std::string_view operation_id, const HttpRequest& request, Classification& result) {
    if (operation_id == "repos/transfer") result.flags.push_back("transfers the repository to another owner");
    if (operation_id != "git/update-ref" && operation_id != "repos/update") return;
    JsonTree body = parse_json(request.body);
    if (operation_id == "git/update-ref" && json_is_true(body.get(), "force"))
        result.flags.push_back("force: may rewrite history");
    if (operation_id == "repos/update") {
        if (json_is_true(body.get(), "archived")) result.flags.push_back("archives the repository");
        const cJSON* is_private = json_member(body.get(), "private");
        if (json_string(body.get(), "visibility").value_or("") == "public" || cJSON_IsFalse(is_private))
            result.flags.push_back("makes the repository public");
    }
}

// The path a front end may route an unknown one as: repeated slashes merged
// (nginx's merge_slashes) and the letters lower-cased (route segments are
// lower-case; owner and repository names match without case). Tried only
// when the path as sent matches no route, so "//repos/o/r" or "/REPOS/o/r"
// is judged as the route it may reach, not as an unknown write.
std::string folded_path(std::string_view path) {
    std::string folded;
    for (char c : path) {
        if (c == '/' && !folded.empty() && folded.back() == '/') continue;
        folded += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    return folded;
}

Classification github_classify(const HttpRequest& request) {
    std::string_view path = api_path(request);
    Classification result{"github", "", Tier::write, "", {}};
    const GithubRoute* route = match_github_route(request.method, path);
    std::string folded;
    if (route == nullptr && (folded = folded_path(path)) != path) {
        route = match_github_route(request.method, folded);
        if (route != nullptr) {
            path = folded;
            result.flags.push_back("path-folded");
        }
    }
    if (route == nullptr) {
        result.operation = request.method + " " + std::string(path);
        result.detail = "GitHub REST " + result.operation + " (no known route)";
        result.flags.push_back("unknown-route");
        return result;
    }
    result.operation = std::string(route->operation_id);
    result.tier = github_rest_tier(request.method, route->operation_id);
    if (!folded.empty() && result.tier < Tier::write) result.tier = Tier::write;  // an unknown route is a write
    result.detail = result.operation + " " + request.method + " " + std::string(path);
    add_flags(route->operation_id, request, result);
    return result;
}

bool github_needs_body(const HttpRequest& request) {
    if (request.method != "PATCH") return false;
    const GithubRoute* route = match_github_route(request.method, api_path(request));
    return route != nullptr && (route->operation_id == "git/update-ref" || route->operation_id == "repos/update");
}

}  // namespace

Tier github_rest_tier(std::string_view method, std::string_view operation_id) {
    if (const OperationOverride* row = find_override(kGithubOverrides, operation_id)) return row->tier;
    if (method == "GET" || method == "HEAD") return Tier::read;
    std::string_view name = operation_id.substr(operation_id.find('/') + 1);
    if (method == "DELETE") return has_word(name, "delete") ? Tier::destructive : Tier::write;
    return tier_from_operation_name(name, NameOrder::verb_first);
}

// Every entry point sees the path with unreserved escapes decoded (url_query.h).
extern const Provider kGithubProvider{
    "github", [](const HttpRequest& r) { return on_normalized_path(r, github_matches); },
    [](const HttpRequest& r) { return on_normalized_path(r, github_classify); },
    [](const HttpRequest& r) { return on_normalized_path(r, github_needs_body); }};

}  // namespace askfirst::classifiers
