// classifiers/github_graphql.cpp — the `github-graphql` provider: GitHub's
// GraphQL API (POST api.github.com/graphql, api.<sub>.ghe.com/graphql, and
// GHES <host>/api/graphql) (../shared/classifier-rules.md §3 "GraphQL").
//
// The document is parsed by classifiers/graphql.h; mutation root fields are
// labelled by the verb lexicon (GitHub mutations are verb-first:
// deleteRef, addStar). Content escalation: updateRefs with an all-zero
// afterOid deletes refs (destructive). Risk flags: force ref updates,
// archiveRepository, mergePullRequest, removeOutsideCollaborator,
// transferIssue. Registered before the `github` REST provider.
#include <string>

#include "classifiers/graphql.h"
#include "classifiers/pktline.h"
#include "classifiers/provider.h"
#include "classifiers/url_query.h"
#include "classifiers/verb_lexicon.h"

namespace askfirst::classifiers {

namespace {

constexpr std::string_view kGithubApiHost = "api.github.com";
// Token prefixes GitHub issues (classic PAT, OAuth, app installation, user
// to server, fine-grained PAT): they tell a GHES /api/graphql from GitLab's.
constexpr std::string_view kGithubTokenPrefixes[] = {"ghp_", "gho_", "ghs_", "ghu_", "github_pat_"};

// Mutations that change nothing destructive but deserve a second look.
struct RiskFlag {
    std::string_view field;
    std::string_view flag;
};
constexpr RiskFlag kRiskFlags[] = {
    {"archiveRepository", "archives the repository"},
    {"mergePullRequest", "merges into the base branch"},
    {"removeOutsideCollaborator", "removes a collaborator from every repository"},
    {"transferIssue", "moves the issue to another repository"},
    {"transferEnterpriseOrganization", "moves the organization to another enterprise"},
};

bool has_github_token(const HttpRequest& request) {
    std::string_view authorization = request.header("Authorization");
    std::size_t space = authorization.find(' ');
    std::string_view token = space == std::string_view::npos ? authorization : authorization.substr(space + 1);
    for (auto prefix : kGithubTokenPrefixes)
        if (token.starts_with(prefix)) return true;
    return false;
}

bool github_graphql_matches(const HttpRequest& request) {
    if (request.path == "/graphql")
        return host_matches_pattern(request.host, kGithubApiHost) ||
               (request.host.starts_with("api.") && host_matches_pattern(request.host, "*.ghe.com"));
    if (request.path == "/api/graphql")  // GHES; GitLab serves the same path
        return request.has_header("X-GitHub-Api-Version") || has_github_token(request) ||
               request.header("Accept").find("vnd.github") != std::string_view::npos;
    return false;
}

Tier github_field_tier(std::string_view field) { return tier_from_operation_name(field, NameOrder::verb_first); }

bool is_zero_oid(const graphql::Value* value) {
    return value != nullptr && value->is_string() && pktline::is_zero_object_id(value->text);
}

void escalate_ref_updates(const graphql::ResolvedField& field, graphql::FieldJudgement& judgement) {
    const graphql::Value* input = field.argument("input");
    if (input == nullptr) return;
    if (const graphql::Value* force = input->member("force"); force && force->text == "true")
        judgement.flags.push_back("force: may rewrite history");
    const graphql::Value* updates = input->member("refUpdates");
    if (updates == nullptr) return;
    for (const auto& update : updates->children) {
        const graphql::Value* name = update.member("name");
        if (const graphql::Value* force = update.member("force"); force && force->text == "true")
            judgement.flags.push_back("force: may rewrite " + (name ? name->text : std::string("a ref")));
        if (is_zero_oid(update.member("afterOid"))) {
            judgement.tier = Tier::destructive;
            judgement.detail_suffix += "deletes " + (name ? name->text : std::string("a ref")) + " ";
        }
    }
    while (judgement.detail_suffix.ends_with(' ')) judgement.detail_suffix.pop_back();
}

void github_escalate(const graphql::ResolvedField& field, graphql::FieldJudgement& judgement) {
    if (field.name == "updateRefs" || field.name == "updateRef") escalate_ref_updates(field, judgement);
    for (const auto& risk : kRiskFlags)
        if (field.name == risk.field) judgement.flags.emplace_back(risk.flag);
}

const graphql::GraphqlPolicy kGithubGraphqlPolicy{"github-graphql", &github_field_tier, &github_escalate};

Classification github_graphql_classify(const HttpRequest& request) {
    return graphql::classify_graphql_request(request, kGithubGraphqlPolicy);
}

bool github_graphql_needs_body(const HttpRequest& request) { return request.method != "GET"; }

}  // namespace

// Every entry point sees the path with unreserved escapes decoded (url_query.h).
extern const Provider kGithubGraphqlProvider{
    "github-graphql", [](const HttpRequest& r) { return on_normalized_path(r, github_graphql_matches); },
    [](const HttpRequest& r) { return on_normalized_path(r, github_graphql_classify); },
    [](const HttpRequest& r) { return on_normalized_path(r, github_graphql_needs_body); }};

}  // namespace askfirst::classifiers
