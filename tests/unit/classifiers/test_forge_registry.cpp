// Unit tests for the forge providers' place in the registry order: protocol
// fingerprints (git smart HTTP, git-lfs) before the forges' REST providers
// on the same hosts, GraphQL before REST, and Kubernetes and container
// registries before AWS on *.amazonaws.com.
#include <doctest.h>

#include <string>

#include "classifiers/registry.h"
#include "classifiers/url_query.h"

using namespace askfirst::classifiers;

namespace {

HttpRequest make(std::string method, std::string host, std::string path, std::string query = "") {
    HttpRequest request;
    request.method = std::move(method);
    request.host = std::move(host);
    request.path = std::move(path);
    request.query = std::move(query);
    return request;
}

}  // namespace

TEST_CASE("registry routes forge requests to the right provider") {
    struct Row { const char* behaviour; HttpRequest request; std::string_view provider; };
    HttpRequest ghes_graphql = make("POST", "github.acme.internal", "/api/graphql");
    ghes_graphql.headers = {{"Authorization", "bearer ghp_abc"}};
    HttpRequest eks = make("GET", "abc.gr7.us-west-2.eks.amazonaws.com", "/api/v1/pods");
    eks.headers = {{"Authorization", "Bearer k8s-aws-v1.abc"}};
    HttpRequest kubectl = make("GET", "10.96.0.1", "/apis/apps/v1/deployments");
    kubectl.headers = {{"User-Agent", "kubectl/v1.32.4"}};
    const Row rows[] = {
        {"git push on github.com", make("POST", "github.com", "/acme/web.git/git-receive-pack"), "git"},
        {"git discovery on gitlab.com", make("GET", "gitlab.com", "/acme/api.git/info/refs", "service=git-upload-pack"), "git"},
        {"git push on a GHES host with /api/v3-like repo", make("POST", "ghes.acme.internal", "/api/v3/x.git/git-receive-pack"), "git"},
        {"lfs batch on github.com", make("POST", "github.com", "/acme/web.git/info/lfs/objects/batch"), "git-lfs"},
        {"GitHub GraphQL", make("POST", "api.github.com", "/graphql"), "github-graphql"},
        {"GHES GraphQL with a GitHub token", ghes_graphql, "github-graphql"},
        {"GitHub REST", make("DELETE", "api.github.com", "/repos/acme/web"), "github"},
        {"GHES REST", make("GET", "ghes.acme.internal", "/api/v3/repos/acme/web"), "github"},
        {"GitLab REST", make("DELETE", "gitlab.com", "/api/v4/projects/1"), "gitlab"},
        {"GitLab GraphQL", make("POST", "gitlab.acme.internal", "/api/graphql"), "gitlab-graphql"},
        {"Bitbucket Cloud", make("DELETE", "api.bitbucket.org", "/2.0/repositories/acme/web"), "bitbucket"},
        {"Codeberg", make("DELETE", "codeberg.org", "/api/v1/repos/acme/web"), "gitea"},
        {"EKS API server before AWS", eks, "kubernetes"},
        {"kubectl to a cluster IP", kubectl, "kubernetes"},
        {"ECR before AWS", make("DELETE", "123456789012.dkr.ecr.us-east-1.amazonaws.com", "/v2/web/manifests/v1"), "oci-registry"},
        {"GHCR", make("GET", "ghcr.io", "/v2/acme/web/tags/list"), "oci-registry"},
        {"Railway", make("POST", "backboard.railway.com", "/graphql/v2"), "railway"},
        {"Fly Machines", make("DELETE", "api.machines.dev", "/v1/apps/web/volumes/vol_1"), "fly"},
        {"Fly GraphQL", make("POST", "api.fly.io", "/graphql"), "fly"},
    };
    for (const Row& row : rows) {
        CAPTURE(row.behaviour);
        CHECK(select_provider(row.request).name == row.provider);
    }
}

TEST_CASE("registry escalates an uninspected push whose command list was cut") {
    HttpRequest push = make("POST", "github.com", "/acme/web.git/git-receive-pack");
    push.body = "00b56dcb09b5b57875f334f61aebed695e2e41";  // cut inside the first command
    push.body_complete = false;
    CHECK(classify(push).tier == Tier::destructive);
}

TEST_CASE("forge providers route by the path the server routes by (unreserved escapes decoded)") {
    struct Row { const char* behaviour; HttpRequest request; std::string_view provider; Tier tier; };
    const Row rows[] = {
        {"GitHub repository delete spelled with %6F", make("DELETE", "api.github.com", "/rep%6Fs/acme/web"), "github", Tier::destructive},
        {"registry tag delete spelled with %61", make("DELETE", "ghcr.io", "/v2/acme/web/m%61nifests/v1"), "oci-registry",
         Tier::destructive},
        {"git push path spelled with %2D", make("POST", "github.com", "/acme/web.git/git%2Dreceive-pack"), "git", Tier::write},
        {"GitLab project delete spelled with %70", make("DELETE", "gitlab.com", "/api/v4/%70rojects/1"), "gitlab", Tier::destructive},
        {"an encoded slash stays inside its segment", make("DELETE", "api.github.com", "/repos/acme/web/git/refs/heads%2Fmain"),
         "github", Tier::destructive},
    };
    for (const Row& row : rows) {
        CAPTURE(row.behaviour);
        const Provider& provider = select_provider(row.request);
        CHECK(provider.name == row.provider);
        CHECK(classify(row.request).tier == row.tier);
    }
    CHECK(decode_unreserved("/a%2Fb%7e%41%zz%4") == "/a%2Fb~A%zz%4");
    CHECK_FALSE(has_encoded_unreserved("/a%2Fb%20c"));
}

TEST_CASE("any other GraphQL endpoint is judged as GraphQL, in both naming orders") {
    auto post = [](std::string host, std::string path, std::string body) {
        HttpRequest request = make("POST", std::move(host), std::move(path));
        request.headers = {{"Content-Type", "application/json"}};
        request.body = std::move(body);
        return request;
    };
    struct Row { const char* behaviour; HttpRequest request; std::string_view provider; Tier tier; };
    const Row rows[] = {
        {"query on a shop is a read", post("shop.example.com", "/admin/api/2024-07/graphql.json", R"({"query":"{ shop { name } }"})"),
         "graphql", Tier::read},
        {"verb-first delete", post("api.linear.example", "/graphql", R"({"query":"mutation { deleteProject(id: \"p\") { success } }"})"),
         "graphql", Tier::destructive},
        {"noun-first delete", post("api.example.com", "/v1/graphql", R"({"query":"mutation { projectDelete(id: \"p\") { ok } }"})"),
         "graphql", Tier::destructive},
        {"a read-looking last word does not make a write read",
         post("api.example.com", "/graphql", R"({"query":"mutation { sendTest(id: \"p\") { ok } }"})"), "graphql", Tier::write},
        {"GET with ?query=", make("GET", "api.example.com", "/graphql", "query=%7B+a+%7D"), "graphql", Tier::read},
    };
    for (const Row& row : rows) {
        CAPTURE(row.behaviour);
        CHECK(select_provider(row.request).name == row.provider);
        CHECK(classify(row.request).tier == row.tier);
    }
    CHECK(select_provider(make("GET", "api.example.com", "/graphql")).name != "graphql");  // no carrier
    CHECK(select_provider(make("POST", "api.example.com", "/graphql-docs")).name != "graphql");
}
