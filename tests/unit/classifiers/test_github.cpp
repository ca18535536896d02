// Unit tests for the `github` (REST) and `github-graphql` providers: route
// matching against the generated table, labels and overrides, GHES and
// GHE.com hosts, escalation flags, and the GraphQL traps of §3.
#include <doctest.h>

#include <algorithm>
#include <string>

#include "classifiers/github_routes.h"
#include "classifiers/provider.h"

namespace askfirst::classifiers {
extern const Provider kGithubProvider;
extern const Provider kGithubGraphqlProvider;
}  // namespace askfirst::classifiers

using namespace askfirst::classifiers;

namespace {

HttpRequest rest(std::string method, std::string path, std::string body = "", std::string host = "api.github.com") {
    HttpRequest request;
    request.method = std::move(method);
    request.host = std::move(host);
    request.path = std::move(path);
    request.headers = {{"Accept", "application/vnd.github+json"}, {"Authorization", "Bearer ghp_x"}};
    request.body = std::move(body);
    return request;
}

HttpRequest graphql_post(std::string body) {
    HttpRequest request = rest("POST", "/graphql", std::move(body));
    request.headers.push_back({"Content-Type", "application/json"});
    return request;
}

bool has_flag(const Classification& result, std::string_view prefix) {
    return std::any_of(result.flags.begin(), result.flags.end(), [&](const std::string& flag) { return flag.starts_with(prefix); });
}

}  // namespace

TEST_CASE("github REST routes resolve to operationIds and labels") {
    struct Row { const char* behaviour; HttpRequest request; Tier tier; std::string_view operation; };
    const Row rows[] = {
        {"GET is a read", rest("GET", "/repos/acme/web"), Tier::read, "repos/get"},
        {"HEAD matches the GET route", rest("HEAD", "/repos/acme/web"), Tier::read, "repos/get"},
        {"repository delete", rest("DELETE", "/repos/acme/web"), Tier::destructive, "repos/delete"},
        {"ref delete with a slash in the ref", rest("DELETE", "/repos/acme/web/git/refs/heads/feature/x"), Tier::destructive,
         "git/delete-ref"},
        {"file delete with a nested path", rest("DELETE", "/repos/acme/web/contents/src/app/main.c", "{}"), Tier::destructive,
         "repos/delete-file"},
        {"unstar is a DELETE that writes", rest("DELETE", "/user/starred/acme/web"), Tier::write,
         "activity/unstar-repo-for-authenticated-user"},
        {"remove-* DELETE is a write", rest("DELETE", "/repos/acme/web/collaborators/octocat"), Tier::write, "repos/remove-collaborator"},
        {"disable-* DELETE is a write", rest("DELETE", "/repos/acme/web/automated-security-fixes"), Tier::write,
         "repos/disable-automated-security-fixes"},
        {"literal segment beats a parameter", rest("GET", "/repos/acme/web/branches/main/protection"), Tier::read,
         "repos/get-branch-protection"},
        {"POST render is a read", rest("POST", "/markdown", "{}"), Tier::read, "markdown/render"},
        {"POST check-token is a read", rest("POST", "/applications/Iv1.abc/token", "{}"), Tier::read, "apps/check-token"},
        {"POST that deletes", rest("POST", "/orgs/acme/attestations/delete-request", "{}"), Tier::destructive,
         "orgs/delete-attestations-bulk"},
        {"test-push-webhook override", rest("POST", "/repos/acme/web/hooks/1/tests"), Tier::write, "repos/test-push-webhook"},
        {"ping-webhook override", rest("POST", "/repos/acme/web/hooks/1/pings"), Tier::write, "repos/ping-webhook"},
        {"jitconfig override", rest("POST", "/repos/acme/web/actions/runners/generate-jitconfig", "{}"), Tier::write,
         "actions/generate-runner-jitconfig-for-repo"},
        {"generate-release-notes is a read", rest("POST", "/repos/acme/web/releases/generate-notes", "{}"), Tier::read,
         "repos/generate-release-notes"},
        {"create is a write", rest("POST", "/repos/acme/web/issues", "{}"), Tier::write, "issues/create"},
        {"GHES prefix", rest("DELETE", "/api/v3/repos/acme/web", "", "github.acme-corp.internal"), Tier::destructive, "repos/delete"},
        {"GHE.com host", rest("GET", "/repos/acme/web", "", "api.acme.ghe.com"), Tier::read, "repos/get"},
        {"trailing slash", rest("GET", "/repos/acme/web/"), Tier::read, "repos/get"},
        {"unknown route is a write even for GET", rest("GET", "/no/such/endpoint"), Tier::write, "GET /no/such/endpoint"},
        {"unknown method on a known path is a write", rest("PURGE", "/repos/acme/web"), Tier::write, "PURGE /repos/acme/web"},
        {"release asset upload host", rest("POST", "/repos/acme/web/releases/1/assets", "x", "uploads.github.com"), Tier::write,
         "repos/upload-release-asset"},
    };
    for (const Row& row : rows) {
        CAPTURE(row.behaviour);
        CHECK(kGithubProvider.matches(row.request));
        Classification result = kGithubProvider.classify(row.request);
        CHECK(result.provider == "github");
        CHECK(result.tier == row.tier);
        CHECK(result.operation == row.operation);
    }
}

// A path that matches no route as sent is judged as the route a front end
// may route it to once slashes are merged and letters lower-cased: as an
// unknown route it was a write, and a DELETE of the repository passed
// block-destructive.
TEST_CASE("github REST: merged slashes and upper-case letters reach the route they name") {
    for (const char* path : {"//repos/o/r", "/REPOS/o/r", "/repos//o/r", "/Repos/O/R"}) {
        CAPTURE(path);
        const Classification result = classify(rest("DELETE", path));
        CHECK(result.operation == "repos/delete");
        CHECK(tier_name(result.tier) == tier_name(Tier::destructive));
    }
    CHECK(tier_name(classify(rest("GET", "/REPOS/o/r")).tier) == tier_name(Tier::write));  // folded: never a read
    CHECK(tier_name(classify(rest("GET", "/repos/o/r")).tier) == tier_name(Tier::read));
}

TEST_CASE("github REST recognition") {
    CHECK_FALSE(kGithubProvider.matches(rest("GET", "/repos/acme/web", "", "gitlab.com")));
    CHECK_FALSE(kGithubProvider.matches(rest("GET", "/api/v4/projects", "", "gitlab.example.com")));
    CHECK(kGithubProvider.matches(rest("GET", "/api/v3", "", "ghes.example.com")));
    CHECK_FALSE(kGithubProvider.matches(rest("GET", "/api/v3x/repos", "", "ghes.example.com")));
}

TEST_CASE("github REST route matching is bounded on long paths") {
    std::string path = "/repos/acme/web/git/refs/heads";
    for (int i = 0; i < 55; ++i) path += "/x";
    const GithubRoute* route = match_github_route("DELETE", path);
    REQUIRE(route != nullptr);
    CHECK(route->operation_id == "git/delete-ref");
    std::string too_long = "/repos";
    for (int i = 0; i < 80; ++i) too_long += "/x";
    CHECK(match_github_route("DELETE", too_long) == nullptr);
    CHECK(kGithubProvider.classify(rest("DELETE", too_long)).tier == Tier::write);
}

TEST_CASE("github REST flags force ref updates, publishing, archiving and transfers") {
    Classification result = kGithubProvider.classify(rest("PATCH", "/repos/acme/web/git/refs/heads/main", R"({"sha":"a","force":true})"));
    CHECK(result.operation == "git/update-ref");
    CHECK(result.tier == Tier::write);
    CHECK(has_flag(result, "force"));
    result = kGithubProvider.classify(rest("PATCH", "/repos/acme/web/git/refs/heads/main", R"({"sha":"a","force":false})"));
    CHECK_FALSE(has_flag(result, "force"));
    result = kGithubProvider.classify(rest("PATCH", "/repos/acme/web", R"({"archived":true})"));
    CHECK(has_flag(result, "archives"));
    result = kGithubProvider.classify(rest("PATCH", "/repos/acme/web", R"({"visibility":"public"})"));
    CHECK(has_flag(result, "makes the repository public"));
    result = kGithubProvider.classify(rest("PATCH", "/repos/acme/web", R"({"private":false})"));
    CHECK(has_flag(result, "makes the repository public"));
    result = kGithubProvider.classify(rest("POST", "/repos/acme/web/transfer", R"({"new_owner":"evil"})"));
    CHECK(result.tier == Tier::write);
    CHECK(has_flag(result, "transfers"));
    CHECK(kGithubProvider.needs_body(rest("PATCH", "/repos/acme/web/git/refs/heads/main")));
    CHECK_FALSE(kGithubProvider.needs_body(rest("GET", "/repos/acme/web")));
}

TEST_CASE("github_rest_tier applies the method and verb rules") {
    CHECK(github_rest_tier("GET", "repos/delete") == Tier::read);
    CHECK(github_rest_tier("DELETE", "repos/delete-branch-protection") == Tier::destructive);
    CHECK(github_rest_tier("DELETE", "issues/remove-label") == Tier::write);
    CHECK(github_rest_tier("DELETE", "issues/unlock") == Tier::write);
    CHECK(github_rest_tier("PUT", "repos/update-branch-protection") == Tier::write);
    CHECK(github_rest_tier("POST", "orgs/list-attestations-bulk") == Tier::read);
}

TEST_CASE("github GraphQL: aliases, operationName, comments, several fields, refs") {
    struct Row { const char* behaviour; std::string body; Tier tier; std::string_view operation; };
    const std::string zero(40, '0');
    const Row rows[] = {
        {"query is a read", R"({"query":"query { viewer { login } }"})", Tier::read, "query viewer"},
        {"alias hides deleteRef", R"({"query":"mutation { cleanup: deleteRef(input: {refId: \"R\"}) { clientMutationId } }"})",
         Tier::destructive, "mutation deleteRef"},
        {"operationName picks the mutation",
         R"({"query":"query Q { viewer { login } }\nmutation M($id: ID!) { deleteRef(input: {refId: $id}) { clientMutationId } }","operationName":"M","variables":{"id":"R"}})",
         Tier::destructive, "mutation deleteRef"},
        {"mutation text inside a comment", R"({"query":"# mutation { deleteRepository }\nquery { viewer { login } }"})", Tier::read,
         "query viewer"},
        {"several root fields take the max", R"({"query":"mutation { addStar(input:{starrableId:\"a\"}) { clientMutationId } deleteIssue(input:{issueId:\"b\"}) { clientMutationId } }"})",
         Tier::destructive, "mutation deleteIssue"},
        {"updateRefs with a zero afterOid deletes",
         R"({"query":"mutation($i: UpdateRefsInput!) { updateRefs(input: $i) { clientMutationId } }","variables":{"i":{"repositoryId":"R","refUpdates":[{"name":"refs/heads/main","beforeOid":"6dcb09b5b57875f334f61aebed695e2e4193db5e","afterOid":")" + zero + R"("}]}}})",
         Tier::destructive, "mutation updateRefs"},
        {"updateRefs moving a ref is a write",
         R"({"query":"mutation { updateRefs(input: {repositoryId: \"R\", refUpdates: [{name: \"refs/heads/main\", afterOid: \"6dcb09b5b57875f334f61aebed695e2e4193db5e\", force: true}]}) { clientMutationId } }"})",
         Tier::write, "mutation updateRefs"},
        {"persisted query hash alone", R"({"extensions":{"persistedQuery":{"version":1,"sha256Hash":"abc"}}})", Tier::write,
         "graphql persisted query"},
        {"unparseable document", R"({"query":"mutation { deleteRef(input: {refId: \"R\"}"})", Tier::write, "graphql (unparsed document)"},
    };
    for (const Row& row : rows) {
        CAPTURE(row.behaviour);
        HttpRequest request = graphql_post(row.body);
        CHECK(kGithubGraphqlProvider.matches(request));
        Classification result = kGithubGraphqlProvider.classify(request);
        CHECK(result.provider == "github-graphql");
        CHECK(result.tier == row.tier);
        CHECK(result.operation == row.operation);
    }
}

TEST_CASE("github GraphQL risk flags and recognition") {
    Classification result = kGithubGraphqlProvider.classify(
        graphql_post(R"({"query":"mutation { updateRefs(input: {repositoryId: \"R\", refUpdates: [{name: \"refs/heads/main\", afterOid: \"6dcb09b5b57875f334f61aebed695e2e4193db5e\", force: true}]}) { clientMutationId } }"})"));
    CHECK(has_flag(result, "force"));
    result = kGithubGraphqlProvider.classify(graphql_post(R"({"query":"mutation { archiveRepository(input: {repositoryId: \"R\"}) { clientMutationId } }"})"));
    CHECK(result.tier == Tier::write);
    CHECK(has_flag(result, "archives"));
    result = kGithubGraphqlProvider.classify(graphql_post(R"({"query":"mutation { mergePullRequest(input: {pullRequestId: \"P\"}) { clientMutationId } }"})"));
    CHECK(has_flag(result, "merges"));
    CHECK(result.detail.starts_with("mergePullRequest P"));

    HttpRequest ghes = graphql_post("{}");
    ghes.host = "github.acme-corp.internal";
    ghes.path = "/api/graphql";
    CHECK(kGithubGraphqlProvider.matches(ghes));
    ghes.headers = {{"PRIVATE-TOKEN", "glpat-x"}};
    CHECK_FALSE(kGithubGraphqlProvider.matches(ghes));  // GitLab's /api/graphql
    CHECK_FALSE(kGithubGraphqlProvider.matches(rest("GET", "/repos/acme/web")));
}
