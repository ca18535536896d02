// Unit tests for the `kubernetes` provider: recognition, request-info
// parsing (RBAC verb and resource), subresources, dry runs and delete flags.
#include <doctest.h>

#include <algorithm>
#include <string>

#include "classifiers/provider.h"

namespace askfirst::classifiers {
extern const Provider kKubernetesProvider;
}  // namespace askfirst::classifiers

using namespace askfirst::classifiers;

namespace {

HttpRequest kube(std::string method, std::string path, std::string query = "", std::string body = "") {
    HttpRequest request;
    request.method = std::move(method);
    request.host = "api.prod.k8s.example.com";
    request.path = std::move(path);
    request.query = std::move(query);
    request.headers = {{"Host", "api.prod.k8s.example.com:6443"}, {"User-Agent", "kubectl/v1.32.4 (linux/amd64)"}};
    request.body = std::move(body);
    return request;
}

bool has_flag(const Classification& result, std::string_view prefix) {
    return std::any_of(result.flags.begin(), result.flags.end(), [&](const std::string& flag) { return flag.starts_with(prefix); });
}

constexpr std::string_view kDeleteOptions = R"({"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Background"})";

}  // namespace

TEST_CASE("kubernetes verbs and RBAC resources from method and path shape") {
    struct Row { const char* behaviour; HttpRequest request; Tier tier; std::string_view operation; };
    const Row rows[] = {
        {"list core resource", kube("GET", "/api/v1/namespaces/default/pods", "limit=500"), Tier::read, "list pods"},
        {"get named object", kube("GET", "/api/v1/namespaces/default/configmaps/app"), Tier::read, "get configmaps"},
        {"watch by query", kube("GET", "/api/v1/nodes", "watch=true&resourceVersion=1"), Tier::read, "watch nodes"},
        {"watch by deprecated prefix", kube("GET", "/apis/apps/v1/watch/namespaces/prod/statefulsets/pg", "watch=true"), Tier::read,
         "watch statefulsets.apps"},
        {"create in a group", kube("POST", "/apis/apps/v1/namespaces/prod/deployments", "", "{}"), Tier::write, "create deployments.apps"},
        {"server-side apply is a patch", kube("PATCH", "/apis/apps/v1/namespaces/prod/deployments/web", "fieldManager=kubectl&force=true", "{}"),
         Tier::write, "patch deployments.apps"},
        {"update scale subresource", kube("PUT", "/apis/apps/v1/namespaces/prod/statefulsets/pg/scale", "", "{}"), Tier::write,
         "update statefulsets/scale.apps"},
        {"get status subresource", kube("GET", "/apis/apps/v1/namespaces/prod/daemonsets/ne/status"), Tier::read, "get daemonsets/status.apps"},
        {"delete object", kube("DELETE", "/api/v1/namespaces/prod/pods/web-0", "", std::string(kDeleteOptions)), Tier::destructive,
         "delete pods"},
        {"deletecollection", kube("DELETE", "/api/v1/nodes", "labelSelector=app%3Dweb"), Tier::destructive, "deletecollection nodes"},
        {"namespace object itself", kube("DELETE", "/api/v1/namespaces/prod"), Tier::destructive, "delete namespaces"},
        {"namespace status", kube("GET", "/api/v1/namespaces/prod/status"), Tier::read, "get namespaces/status"},
        {"namespace finalize", kube("PUT", "/api/v1/namespaces/prod/finalize", "", "{}"), Tier::write, "update namespaces/finalize"},
        {"eviction deletes the pod", kube("POST", "/api/v1/namespaces/prod/pods/web-0/eviction", "", R"({"kind":"Eviction"})"),
         Tier::destructive, "create pods/eviction"},
        {"exec via GET upgrade is a write", kube("GET", "/api/v1/namespaces/prod/pods/web-0/exec", "command=sh&stdin=true"), Tier::write,
         "get pods/exec"},
        {"exec via POST", kube("POST", "/api/v1/namespaces/prod/pods/web-0/exec", "command=ls"), Tier::write, "create pods/exec"},
        {"attach via GET", kube("GET", "/api/v1/namespaces/prod/pods/web-0/attach"), Tier::write, "get pods/attach"},
        {"portforward via GET", kube("GET", "/api/v1/namespaces/prod/pods/pg-0/portforward", "ports=5432"), Tier::write,
         "get pods/portforward"},
        {"exec cannot be a dry run", kube("POST", "/api/v1/namespaces/prod/pods/web-0/exec", "command=ls&dryRun=All"), Tier::write,
         "create pods/exec"},
        {"token review is a read", kube("POST", "/apis/authentication.k8s.io/v1/tokenreviews", "", "{}"), Tier::read,
         "create tokenreviews.authentication.k8s.io"},
        {"self subject access review is a read", kube("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", "", "{}"),
         Tier::read, "create selfsubjectaccessreviews.authorization.k8s.io"},
        {"local subject access review is a read",
         kube("POST", "/apis/authorization.k8s.io/v1/namespaces/prod/localsubjectaccessreviews", "", "{}"), Tier::read,
         "create localsubjectaccessreviews.authorization.k8s.io"},
        {"serviceaccount token is a write", kube("POST", "/api/v1/namespaces/prod/serviceaccounts/ci/token", "", "{}"), Tier::write,
         "create serviceaccounts/token"},
        {"binding is a write", kube("POST", "/api/v1/namespaces/prod/pods/web-0/binding", "", "{}"), Tier::write, "create pods/binding"},
        {"proxy GET is a read", kube("GET", "/api/v1/namespaces/prod/services/web/proxy/api/orders"), Tier::read, "get services/proxy"},
        {"proxy OPTIONS is a read", kube("OPTIONS", "/api/v1/namespaces/prod/services/web/proxy"), Tier::read, "get services/proxy"},
        {"proxy POST is a write", kube("POST", "/api/v1/namespaces/prod/services/web/proxy/api/orders", "", "{}"), Tier::write,
         "create services/proxy"},
        {"proxy DELETE is destructive", kube("DELETE", "/api/v1/namespaces/prod/pods/web-0/proxy/items/1"), Tier::destructive,
         "delete pods/proxy"},
        {"kubelet exec through nodes/proxy GET is a write", kube("GET", "/api/v1/nodes/n1/proxy/exec/prod/web-0/app", "command=id"),
         Tier::write, "get nodes/proxy"},
        {"proxy dryRun goes to the app", kube("DELETE", "/api/v1/namespaces/prod/services/web/proxy/x", "dryRun=All"),
         Tier::destructive, "delete services/proxy"},
        {"group discovery", kube("GET", "/apis/storage.k8s.io/"), Tier::read, "get /apis/storage.k8s.io/"},
        {"version discovery", kube("GET", "/apis/batch/v1/"), Tier::read, "get /apis/batch/v1/"},
        {"version endpoint", kube("GET", "/version"), Tier::read, "get /version"},
        {"unknown method is a write", kube("TRACE", "/api/v1/pods"), Tier::write, "unknown pods"},
    };
    for (const Row& row : rows) {
        CAPTURE(row.behaviour);
        CHECK(kKubernetesProvider.matches(row.request));
        Classification result = kKubernetesProvider.classify(row.request);
        CHECK(result.provider == "kubernetes");
        CHECK(result.tier == row.tier);
        CHECK(result.operation == row.operation);
    }
}

TEST_CASE("kubernetes dryRun=All in the query or the DeleteOptions body is a read") {
    struct Row { const char* behaviour; HttpRequest request; Tier tier; };
    const Row rows[] = {
        {"create with query dry run", kube("POST", "/api/v1/namespaces/prod/secrets", "dryRun=All", "{}"), Tier::read},
        {"delete with query dry run", kube("DELETE", "/apis/rbac.authorization.k8s.io/v1/clusterroles/admin", "dryRun=All"), Tier::read},
        {"deletecollection with query dry run", kube("DELETE", "/apis/networking.k8s.io/v1/namespaces/p/ingresses", "labelSelector=a&dryRun=All"),
         Tier::read},
        {"delete with body dry run", kube("DELETE", "/api/v1/namespaces/prod/pods/web-0", "", R"({"kind":"DeleteOptions","dryRun":["All"]})"),
         Tier::read},
        {"eviction with nested dry run", kube("POST", "/api/v1/namespaces/prod/pods/web-0/eviction", "",
                                              R"({"kind":"Eviction","deleteOptions":{"dryRun":["All"]}})"), Tier::read},
        {"other dryRun values do not count", kube("DELETE", "/api/v1/namespaces/prod/pods/web-0", "dryRun=None"), Tier::destructive},
        {"body dryRun other than All", kube("DELETE", "/api/v1/namespaces/prod/pods/web-0", "", R"({"dryRun":["Nope"]})"),
         Tier::destructive},
        {"duplicated body dryRun must all say All", kube("DELETE", "/api/v1/namespaces/prod/pods/web-0", "", R"({"dryRun":["All"],"dryRun":[]})"),
         Tier::destructive},
        {"duplicated query dryRun must all say All", kube("DELETE", "/api/v1/namespaces/prod/pods/web-0", "dryRun=All&dryRun=None"),
         Tier::destructive},
        {"duplicated dryRun that agree", kube("DELETE", "/api/v1/namespaces/prod/pods/web-0", "dryRun=All&dryRun=All"), Tier::read},
        // The apiserver reads a DELETE's options from its body when one is
        // sent, from the query only when none is; other verbs read the query.
        {"query dry run beside a DeleteOptions body without one", kube("DELETE", "/api/v1/namespaces/prod/pods", "dryRun=All",
                                                                      R"({"kind":"DeleteOptions","apiVersion":"v1"})"), Tier::destructive},
        {"dryRun key inside a created object", kube("POST", "/api/v1/namespaces/prod/pods", "", R"({"kind":"Pod","dryRun":["All"]})"),
         Tier::write},
        {"dryRun key inside a patch", kube("PATCH", "/api/v1/namespaces/prod/configmaps/c", "", R"({"data":{},"dryRun":["All"]})"), Tier::write},
        {"eviction with a top-level dryRun", kube("POST", "/api/v1/namespaces/prod/pods/web-0/eviction", "",
                                                  R"({"kind":"Eviction","dryRun":["All"]})"), Tier::destructive},
        // Red team 4: the apiserver decodes JSON case-sensitively (sigs.k8s.io/json):
        // "DryRun" is an unknown field it drops, and the delete is real. Each was a read.
        {"a DeleteOptions key in another case is no dry run", kube("DELETE", "/api/v1/namespaces/prod/pods/web-0", "",
                                                                   R"({"kind":"DeleteOptions","DryRun":["All"]})"), Tier::destructive},
        {"an eviction's deleteOptions in another case is no dry run",
         kube("POST", "/api/v1/namespaces/prod/pods/web-0/eviction", "", R"({"kind":"Eviction","DeleteOptions":{"dryRun":["All"]}})"),
         Tier::destructive},
        {"a second copy in another case must say All too", kube("DELETE", "/api/v1/namespaces/prod/pods/web-0", "",
                                                                R"({"dryRun":["All"],"DRYRUN":[]})"), Tier::destructive},
    };
    for (const Row& row : rows) {
        CAPTURE(row.behaviour);
        Classification result = kKubernetesProvider.classify(row.request);
        CHECK(result.tier == row.tier);
        CHECK((result.tier == Tier::read) == result.operation.ends_with(" (dry-run)"));
    }
}

TEST_CASE("kubernetes delete flags and detail") {
    Classification result = kKubernetesProvider.classify(
        kube("DELETE", "/api/v1/namespaces/prod/pods/web-0", "gracePeriodSeconds=0", std::string(kDeleteOptions)));
    CHECK(result.detail == "DELETE pods/web-0 in namespace prod");
    CHECK(has_flag(result, "propagationPolicy=Background"));
    CHECK(has_flag(result, "gracePeriodSeconds=0"));

    result = kKubernetesProvider.classify(kube("DELETE", "/apis/apps/v1/namespaces/prod/deployments"));
    CHECK(result.operation == "deletecollection deployments.apps");
    CHECK(has_flag(result, "no-selector"));
    result = kKubernetesProvider.classify(kube("DELETE", "/apis/apps/v1/namespaces/prod/deployments", "labelSelector=app%3Dweb"));
    CHECK_FALSE(has_flag(result, "no-selector"));

    result = kKubernetesProvider.classify(kube("DELETE", "/api/v1/namespaces/prod"));
    CHECK(has_flag(result, "cascades"));
    CHECK(result.detail == "DELETE namespaces/prod");
    result = kKubernetesProvider.classify(
        kube("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/certificates.cert-manager.io"));
    CHECK(has_flag(result, "cascades"));

    result = kKubernetesProvider.classify(kube("GET", "/api/v1/namespaces/prod/pods/web-0/exec", "command=rm&command=-rf&command=%2F"));
    CHECK(result.detail.ends_with("command=rm command=-rf command=/"));
}

TEST_CASE("kubernetes recognition needs a Kubernetes path and a fingerprint or a cluster host") {
    struct Row { const char* behaviour; std::string host; std::string host_header; std::string agent; std::string path; bool match; };
    const Row rows[] = {
        {"kubectl agent", "k8s.example.com", "k8s.example.com", "kubectl/v1.32", "/api/v1/pods", true},
        {"client-go agent", "k8s.example.com", "k8s.example.com", "operator/1.0 client-go/v0.30", "/apis/apps/v1/deployments", true},
        {"port 6443", "k8s.example.com", "k8s.example.com:6443", "curl/8", "/api/v1/pods", true},
        {"bare IP address", "10.96.0.1", "10.96.0.1:443", "curl/8", "/api/v1/pods", true},
        {"EKS host", "ABC.gr7.us-west-2.eks.amazonaws.com", "", "curl/8", "/api/v1/pods", true},
        {"AKS host", "x.hcp.eastus.azmk8s.io", "", "curl/8", "/version", true},
        {"in-cluster name", "kubernetes.default.svc", "", "curl/8", "/apis/batch/v1/jobs", true},
        {"Gitea /api/v1 on a named host", "gitea.example.com", "gitea.example.com", "curl/8", "/api/v1/repos/a/b", false},
        {"kubectl agent but not a Kubernetes path", "k8s.example.com", "", "kubectl/v1.32", "/repos/a/b", false},
        {"/apis with a non-version segment", "10.0.0.1", "", "curl/8", "/apis/foo/bar/baz", false},
    };
    for (const Row& row : rows) {
        CAPTURE(row.behaviour);
        HttpRequest request;
        request.method = "GET";
        request.host = row.host;
        request.path = row.path;
        if (!row.host_header.empty()) request.headers.push_back({"Host", row.host_header});
        request.headers.push_back({"User-Agent", row.agent});
        CHECK(kKubernetesProvider.matches(request) == row.match);
    }
}
