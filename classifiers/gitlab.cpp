// classifiers/gitlab.cpp — the `gitlab` (REST /api/v4) and `gitlab-graphql`
// (/api/graphql) providers, for gitlab.com and self-managed instances
// (../shared/classifier-rules.md §5).
//
// REST: GET → read; POST/PUT → write; DELETE → destructive except the
// DELETEs that unprotect, unshare, remove a member or unlink (writes, table
// below). Flags: bulk deletes (merged branches, registry tags by regex),
// unprotecting a branch, immediate project removal, transfer, archive.
// GraphQL: mutation names mix verb-first (destroyNote) and noun-first
// (workItemDelete), so the lexicon checks the last word, then the first.
// git over HTTPS on the same hosts is the `git` provider (registered first).
#include <string>

#include "classifiers/forge_rest.h"
#include "classifiers/graphql.h"
#include "classifiers/provider.h"
#include "classifiers/url_query.h"
#include "classifiers/verb_lexicon.h"

namespace askfirst::classifiers {

namespace {

constexpr std::string_view kRestPrefix = "/api/v4";
constexpr std::string_view kGraphqlPath = "/api/graphql";

// DELETEs that remove an association or a protection; both sides survive.
constexpr PathRule kDeleteIsWrite[] = {
    {"protected_branches/*", true, "unprotects a branch"},
    {"protected_tags/*", true, "unprotects a tag"},
    {"protected_environments/*", true, "unprotects an environment"},
    {"share/*", true, "unshares with a group"},
    {"members/*", true, "removes a member"},
    {"billable_members/*", true, "removes a billable member"},
    {"projects/*/runners/*", true, "unassigns a runner from the project"},
    {"projects/*/fork", true, "removes the fork relationship"},
    {"links/*", true, "unlinks two issues"},
};
// POSTs that only read.
constexpr PathRule kPostIsRead[] = {
    {"markdown", true, "renders Markdown"},
    {"ci/lint", true, "validates CI configuration"},
};
constexpr PathRule kRiskFlags[] = {
    {"repository/merged_branches", true, "bulk: deletes every merged branch"},
    {"registry/repositories/*/tags", true, "bulk: deletes registry tags by regex"},
    {"protected_branches/*", true, "unprotects a branch"},
    {"projects/*/transfer", true, "transfers the project to another namespace"},
    {"projects/*/archive", true, "archives the project"},
    {"projects/*/housekeeping", true, "runs repository housekeeping (prune)"},
};
constexpr ForgeRestRules kGitlabRules{"gitlab", kDeleteIsWrite, kPostIsRead, kRiskFlags};

bool is_rest_path(std::string_view path) {
    return path.starts_with(kRestPrefix) && (path.size() == kRestPrefix.size() || path[kRestPrefix.size()] == '/');
}

bool gitlab_matches(const HttpRequest& request) { return is_rest_path(request.path); }

Classification gitlab_classify(const HttpRequest& request) {
    std::string_view api_path = std::string_view(request.path).substr(kRestPrefix.size());
    Classification result = classify_forge_rest(request.method, api_path, kGitlabRules);
    result.detail += " on " + request.host;
    bool project_itself = path_matches_rule(api_path, {"projects/*", true, ""}) && api_path.starts_with("/projects/");
    if (request.method == "DELETE" && project_itself && query_param(request.query, "permanently_remove").value_or("") == "true")
        result.flags.push_back("permanently_remove: skips the deletion delay");
    return result;
}

bool gitlab_needs_body(const HttpRequest&) { return false; }  // method and path decide

// ---- GraphQL --------------------------------------------------------------

bool gitlab_graphql_matches(const HttpRequest& request) {
    // GitHub Enterprise Server's /api/graphql is claimed first by
    // `github-graphql` when the request carries GitHub fingerprints (token
    // prefix, X-GitHub-Api-Version); every other /api/graphql is GitLab's
    // (gitlab.com or self-managed, PRIVATE-TOKEN / glpat- or a session).
    return request.path == kGraphqlPath;
}

Tier gitlab_field_tier(std::string_view field) { return tier_from_operation_name(field, NameOrder::noun_first); }

const graphql::GraphqlPolicy kGitlabGraphqlPolicy{"gitlab-graphql", &gitlab_field_tier, nullptr};

Classification gitlab_graphql_classify(const HttpRequest& request) {
    return graphql::classify_graphql_request(request, kGitlabGraphqlPolicy);
}

bool gitlab_graphql_needs_body(const HttpRequest& request) { return request.method != "GET"; }

}  // namespace

// Every entry point sees the path with unreserved escapes decoded (url_query.h).
extern const Provider kGitlabProvider{
    "gitlab", [](const HttpRequest& r) { return on_normalized_path(r, gitlab_matches); },
    [](const HttpRequest& r) { return on_normalized_path(r, gitlab_classify); },
    [](const HttpRequest& r) { return on_normalized_path(r, gitlab_needs_body); }};
extern const Provider kGitlabGraphqlProvider{
    "gitlab-graphql", [](const HttpRequest& r) { return on_normalized_path(r, gitlab_graphql_matches); },
    [](const HttpRequest& r) { return on_normalized_path(r, gitlab_graphql_classify); },
    [](const HttpRequest& r) { return on_normalized_path(r, gitlab_graphql_needs_body); }};

}  // namespace askfirst::classifiers
