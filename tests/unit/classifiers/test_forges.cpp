// Unit tests for the path-rule forges: GitLab REST and GraphQL, Bitbucket
// Cloud and Data Center, Gitea/Forgejo, and Fly.io (Machines and GraphQL).
#include <doctest.h>

#include <algorithm>
#include <string>

#include "classifiers/forge_rest.h"
#include "classifiers/provider.h"

namespace askfirst::classifiers {
extern const Provider kGitlabProvider;
extern const Provider kGitlabGraphqlProvider;
extern const Provider kBitbucketProvider;
extern const Provider kGiteaProvider;
extern const Provider kFlyProvider;
}  // namespace askfirst::classifiers

using namespace askfirst::classifiers;

namespace {

HttpRequest make(std::string method, std::string host, std::string path, std::string query = "", std::string body = "") {
    HttpRequest request;
    request.method = std::move(method);
    request.host = std::move(host);
    request.path = std::move(path);
    request.query = std::move(query);
    request.body = std::move(body);
    return request;
}

bool has_flag(const Classification& result, std::string_view prefix) {
    return std::any_of(result.flags.begin(), result.flags.end(), [&](const std::string& flag) { return flag.starts_with(prefix); });
}

struct Row {
    const char* behaviour;
    HttpRequest request;
    Tier tier;
};

void check_rows(const Provider& provider, std::span<const Row> rows) {
    for (const Row& row : rows) {
        CAPTURE(row.behaviour);
        CHECK(provider.matches(row.request));
        Classification result = provider.classify(row.request);
        CHECK(result.provider == provider.name);
        CHECK(result.tier == row.tier);
    }
}

}  // namespace

TEST_CASE("path_matches_rule matches consecutive literal segments with wildcards") {
    CHECK(path_matches_rule("/projects/1/protected_branches/main", {"protected_branches/*", true, ""}));
    CHECK_FALSE(path_matches_rule("/projects/1/protected_branches", {"protected_branches/*", true, ""}));
    CHECK_FALSE(path_matches_rule("/projects/1/protected_branches/main/x", {"protected_branches/*", true, ""}));
    CHECK(path_matches_rule("/projects/1/protected_branches/main/x", {"protected_branches/*", false, ""}));
    CHECK_FALSE(path_matches_rule("/a/b", {"", true, ""}));
}

TEST_CASE("gitlab REST: DELETE is destructive except association removals") {
    const std::string host = "gitlab.com";
    const Row rows[] = {
        {"GET is a read", make("GET", host, "/api/v4/projects/acme%2Fapi"), Tier::read},
        {"delete a project", make("DELETE", host, "/api/v4/projects/acme%2Fapi"), Tier::destructive},
        {"delete a branch", make("DELETE", host, "/api/v4/projects/1/repository/branches/feature"), Tier::destructive},
        {"bulk delete merged branches", make("DELETE", host, "/api/v4/projects/1/repository/merged_branches"), Tier::destructive},
        {"delete a tag", make("DELETE", host, "/api/v4/projects/1/repository/tags/v1"), Tier::destructive},
        {"delete registry tags by regex", make("DELETE", host, "/api/v4/projects/1/registry/repositories/2/tags", "name_regex_delete=.*"),
         Tier::destructive},
        {"delete a pipeline", make("DELETE", host, "/api/v4/projects/1/pipelines/9"), Tier::destructive},
        {"delete artifacts", make("DELETE", host, "/api/v4/projects/1/artifacts"), Tier::destructive},
        {"delete a group", make("DELETE", "gitlab.example.com", "/api/v4/groups/7"), Tier::destructive},
        {"unprotect is a write", make("DELETE", host, "/api/v4/projects/1/protected_branches/main"), Tier::write},
        {"unshare is a write", make("DELETE", host, "/api/v4/projects/1/share/5"), Tier::write},
        {"remove member is a write", make("DELETE", host, "/api/v4/groups/7/members/3"), Tier::write},
        {"POST is a write", make("POST", host, "/api/v4/projects/1/issues", "", "{}"), Tier::write},
        {"PUT is a write", make("PUT", host, "/api/v4/projects/1", "", "{}"), Tier::write},
        {"markdown render is a read", make("POST", host, "/api/v4/markdown", "", "{}"), Tier::read},
        {"CI lint is a read", make("POST", host, "/api/v4/projects/1/ci/lint", "", "{}"), Tier::read},
        {"unknown method is a write", make("PURGE", host, "/api/v4/projects/1"), Tier::write},
    };
    check_rows(kGitlabProvider, rows);
    Classification result = kGitlabProvider.classify(make("DELETE", host, "/api/v4/projects/1/repository/merged_branches"));
    CHECK(has_flag(result, "bulk"));
    result = kGitlabProvider.classify(make("DELETE", host, "/api/v4/projects/1", "permanently_remove=true&full_path=acme/api"));
    CHECK(has_flag(result, "permanently_remove"));
    result = kGitlabProvider.classify(make("DELETE", host, "/api/v4/projects/1/protected_branches/main"));
    CHECK(has_flag(result, "unprotects"));
    CHECK_FALSE(kGitlabProvider.matches(make("GET", host, "/acme/api/-/issues")));
    CHECK_FALSE(kGitlabProvider.matches(make("GET", host, "/api/v40/x")));
}

TEST_CASE("gitlab GraphQL: last word, then first word") {
    const std::string host = "gitlab.com";
    auto post = [&](std::string body) { return make("POST", host, "/api/graphql", "", std::move(body)); };
    const Row rows[] = {
        {"noun-first delete", post(R"({"query":"mutation { workItemDelete(input: {id: \"gid://gitlab/WorkItem/1\"}) { errors } }"})"),
         Tier::destructive},
        {"verb-first destroy", post(R"({"query":"mutation { destroyNote(input: {id: \"gid://gitlab/Note/1\"}) { errors } }"})"),
         Tier::destructive},
        {"noun-first accept", post(R"({"query":"mutation { mergeRequestAccept(input: {projectPath: \"a/b\", iid: \"1\"}) { errors } }"})"),
         Tier::write},
        {"query", post(R"({"query":"query { project(fullPath: \"a/b\") { id } }"})"), Tier::read},
    };
    check_rows(kGitlabGraphqlProvider, rows);
    CHECK_FALSE(kGitlabGraphqlProvider.matches(make("POST", host, "/api/v4/projects")));
}

TEST_CASE("bitbucket Cloud and Data Center") {
    const std::string cloud = "api.bitbucket.org";
    const std::string dc = "bitbucket.acme.internal";
    const Row rows[] = {
        {"cloud GET", make("GET", cloud, "/2.0/repositories/acme/web"), Tier::read},
        {"cloud delete repository", make("DELETE", cloud, "/2.0/repositories/acme/web"), Tier::destructive},
        {"cloud delete branch", make("DELETE", cloud, "/2.0/repositories/acme/web/refs/branches/feature"), Tier::destructive},
        {"cloud delete tag", make("DELETE", cloud, "/2.0/repositories/acme/web/refs/tags/v1"), Tier::destructive},
        {"cloud delete download", make("DELETE", cloud, "/2.0/repositories/acme/web/downloads/app.zip"), Tier::destructive},
        {"cloud unapprove is a write", make("DELETE", cloud, "/2.0/repositories/acme/web/pullrequests/4/approve"), Tier::write},
        {"cloud POST", make("POST", cloud, "/2.0/repositories/acme/web/pullrequests", "", "{}"), Tier::write},
        {"DC delete repository", make("DELETE", dc, "/rest/api/latest/projects/ACME/repos/web"), Tier::destructive},
        {"DC GET", make("GET", dc, "/rest/api/1.0/projects/ACME/repos"), Tier::read},
        {"DC remove permission is a write", make("DELETE", dc, "/rest/api/1.0/projects/ACME/repos/web/permissions/users", "name=bob"),
         Tier::write},
        {"DC branch delete names the branch in the body",
         make("DELETE", dc, "/rest/branch-utils/latest/projects/ACME/repos/web/branches", "", R"({"name":"refs/heads/x","dryRun":false})"),
         Tier::destructive},
        {"DC branch delete dry run is a read",
         make("DELETE", dc, "/rest/branch-utils/1.0/projects/ACME/repos/web/branches", "", R"({"name":"refs/heads/x","dryRun":true})"),
         Tier::read},
        {"DC branch delete with a duplicated dryRun stays destructive",
         make("DELETE", dc, "/rest/branch-utils/1.0/projects/ACME/repos/web/branches", "", R"({"name":"refs/heads/x","dryRun":true,"dryRun":false})"),
         Tier::destructive},
        {"DC branch delete with dryRun in another case stays destructive (Jackson matches case)",
         make("DELETE", dc, "/rest/branch-utils/1.0/projects/ACME/repos/web/branches", "", R"({"name":"refs/heads/x","DryRun":true})"),
         Tier::destructive},
        {"DC branch delete without a body stays destructive",
         make("DELETE", dc, "/rest/branch-utils/1.0/projects/ACME/repos/web/branches"), Tier::destructive},
    };
    check_rows(kBitbucketProvider, rows);
    Classification result = kBitbucketProvider.classify(
        make("DELETE", dc, "/rest/branch-utils/latest/projects/ACME/repos/web/branches", "", R"({"name":"refs/heads/release/2"})"));
    CHECK(result.detail.starts_with("delete branch refs/heads/release/2"));
    CHECK(kBitbucketProvider.needs_body(make("DELETE", dc, "/rest/branch-utils/latest/projects/ACME/repos/web/branches")));
    CHECK_FALSE(kBitbucketProvider.matches(make("GET", "jira.acme.internal", "/rest/api/2/issue/X-1")));
    CHECK_FALSE(kBitbucketProvider.matches(make("GET", "jira.acme.internal", "/rest/api/latest/issue/X-1")));
    CHECK_FALSE(kBitbucketProvider.matches(make("GET", cloud, "/1.0/user")));
}

TEST_CASE("gitea and forgejo") {
    HttpRequest fingerprinted = make("DELETE", "git.acme.internal", "/api/v1/repos/acme/web");
    fingerprinted.headers = {{"Authorization", "token abc"}};
    const Row rows[] = {
        {"codeberg GET", make("GET", "codeberg.org", "/api/v1/repos/acme/web"), Tier::read},
        {"delete repository", make("DELETE", "codeberg.org", "/api/v1/repos/acme/web"), Tier::destructive},
        {"delete branch", make("DELETE", "codeberg.org", "/api/v1/repos/acme/web/branches/feature"), Tier::destructive},
        {"unstar is a write", make("DELETE", "codeberg.org", "/api/v1/user/starred/acme/web"), Tier::write},
        {"remove collaborator is a write", make("DELETE", "codeberg.org", "/api/v1/repos/acme/web/collaborators/bob"), Tier::write},
        {"markdown render is a read", make("POST", "codeberg.org", "/api/v1/markdown", "", "{}"), Tier::read},
        {"self-hosted by token auth", fingerprinted, Tier::destructive},
    };
    check_rows(kGiteaProvider, rows);
    CHECK_FALSE(kGiteaProvider.matches(make("GET", "git.acme.internal", "/api/v1/repos/acme/web")));
}

TEST_CASE("fly Machines API and GraphQL") {
    const std::string host = "api.machines.dev";
    const Row rows[] = {
        {"list machines", make("GET", host, "/v1/apps/web/machines"), Tier::read},
        {"delete app", make("DELETE", host, "/v1/apps/web"), Tier::destructive},
        {"delete machine", make("DELETE", host, "/v1/apps/web/machines/148e", "force=true"), Tier::destructive},
        {"delete volume", make("DELETE", host, "/v1/apps/web/volumes/vol_1"), Tier::destructive},
        {"delete secret", make("DELETE", host, "/v1/apps/web/secrets/DATABASE_URL"), Tier::destructive},
        {"release lease is a write", make("DELETE", host, "/v1/apps/web/machines/148e/lease"), Tier::write},
        {"stop is a write", make("POST", host, "/v1/apps/web/machines/148e/stop", "", "{}"), Tier::write},
        {"exec is a write", make("POST", host, "/v1/apps/web/machines/148e/exec", "", R"({"cmd":"sh"})"), Tier::write},
        {"internal API host", make("DELETE", "_api.internal", "/v1/apps/web/volumes/vol_1"), Tier::destructive},
        {"GraphQL delete", make("POST", "api.fly.io", "/graphql", "", R"({"query":"mutation { deleteApp(appId: \"web\") { organization { id } } }"})"),
         Tier::destructive},
        {"GraphQL unsetSecrets override", make("POST", "api.fly.io", "/graphql", "", R"({"query":"mutation { unsetSecrets(input: {appId: \"web\", keys: [\"A\"]}) { app { id } } }"})"),
         Tier::destructive},
        {"GraphQL query", make("POST", "api.fly.io", "/graphql", "", R"({"query":"query { apps { nodes { id } } }"})"), Tier::read},
    };
    check_rows(kFlyProvider, rows);
    Classification result = kFlyProvider.classify(make("DELETE", host, "/v1/apps/web/machines/148e", "force=true"));
    CHECK(has_flag(result, "force"));
    result = kFlyProvider.classify(make("POST", host, "/v1/apps/web/machines/148e/exec", "", "{}"));
    CHECK(has_flag(result, "runs a command"));
    CHECK_FALSE(kFlyProvider.matches(make("GET", "api.fly.io", "/v1/apps")));
}
