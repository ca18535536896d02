// classifiers/oci_registry.cpp — the `oci-registry` provider: the OCI
// Distribution API (`/v2/…`) of container registries, their token
// endpoints, and Docker Hub's repository API (../shared/classifier-rules.md
// §7; opencontainers/distribution-spec "Endpoints" table, end-1…end-14).
//
// There is no operation name on the wire, so the endpoint decides: pulls,
// existence checks, tag and referrer listings and upload status are reads;
// starting, sending, completing or mounting uploads and pushing manifests are
// writes (pushing a tag re-points it: risk flag); DELETE of a manifest, tag
// or blob (end-9, end-10) is destructive; DELETE of an upload session
// (end-14) only cancels it (write). An unknown `/v2/` shape is a write.
#include <string>
#include <vector>

#include "classifiers/provider.h"
#include "classifiers/url_query.h"

namespace askfirst::classifiers {

namespace {

// Registries by host (§7 "Recognize").
constexpr std::string_view kRegistryHosts[] = {
    "registry-1.docker.io", "index.docker.io", "docker.io", "ghcr.io", "public.ecr.aws", "gcr.io", "*.gcr.io",
    "*.pkg.dev", "*.azurecr.io", "quay.io", "registry.gitlab.com", "nvcr.io", "mcr.microsoft.com",
};
constexpr std::string_view kTokenHosts[] = {"auth.docker.io"};
constexpr std::string_view kDockerHubApiHost = "hub.docker.com";
// Clients that speak the distribution API on hosts we do not list.
constexpr std::string_view kRegistryClients[] = {"docker/", "containerd/", "skopeo/", "buildkit/", "oras/",
                                                 "crane/", "go-containerregistry/", "podman/", "Buildah/"};

bool is_ecr_host(std::string_view host) {
    return host.find(".dkr.ecr.") != std::string_view::npos &&
           (host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn"));
}

bool is_distribution_path(std::string_view path) { return path == "/v2" || path.starts_with("/v2/"); }

bool oci_matches(const HttpRequest& request) {
    if (host_matches_any(request.host, kTokenHosts) || host_matches_pattern(request.host, kDockerHubApiHost)) return true;
    if (!is_distribution_path(request.path)) return false;
    if (host_matches_any(request.host, kRegistryHosts) || is_ecr_host(request.host)) return true;
    if (request.has_header("Docker-Distribution-API-Version")) return true;
    std::string_view agent = request.header("User-Agent");
    for (auto client : kRegistryClients)
        if (agent.starts_with(client)) return true;
    return false;
}

std::vector<std::string_view> segments_of(std::string_view path) {
    std::vector<std::string_view> segments;
    while (!path.empty()) {
        std::size_t slash = path.find('/');
        if (slash != 0) segments.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return segments;
}

std::string join(const std::vector<std::string_view>& segments, std::size_t end) {
    std::string joined;
    for (std::size_t i = 0; i < end; ++i) {
        if (i > 0) joined += '/';
        joined += segments[i];
    }
    return joined;
}

bool is_digest(std::string_view reference) { return reference.find(':') != std::string_view::npos; }

struct Endpoint {
    std::string kind;       // "blob", "manifest", "upload", "uploads", "tags", "referrers", "catalog", "ping"
    std::string name;       // repository name
    std::string reference;  // digest, tag or upload session id
};

// /v2/<name>/(blobs|manifests|referrers)/<ref>, /v2/<name>/blobs/uploads[/<id>], /v2/<name>/tags/list
Endpoint parse_endpoint(std::string_view path) {
    std::vector<std::string_view> s = segments_of(path.substr(3));  // after "/v2"
    std::size_t n = s.size();
    Endpoint endpoint;
    if (n == 0) endpoint.kind = "ping";
    else if (n == 1 && s[0] == "_catalog") endpoint.kind = "catalog";
    else if (n >= 3 && s[n - 2] == "blobs" && s[n - 1] == "uploads") endpoint = {"uploads", join(s, n - 2), ""};
    else if (n >= 4 && s[n - 3] == "blobs" && s[n - 2] == "uploads") endpoint = {"upload", join(s, n - 3), std::string(s[n - 1])};
    else if (n >= 3 && s[n - 2] == "tags" && s[n - 1] == "list") endpoint = {"tags", join(s, n - 2), ""};
    else if (n >= 3 && s[n - 2] == "blobs") endpoint = {"blob", join(s, n - 2), std::string(s[n - 1])};
    else if (n >= 3 && s[n - 2] == "manifests") endpoint = {"manifest", join(s, n - 2), std::string(s[n - 1])};
    else if (n >= 3 && s[n - 2] == "referrers") endpoint = {"referrers", join(s, n - 2), std::string(s[n - 1])};
    return endpoint;
}

struct Judgement {
    std::string_view operation;  // "" when the method does not fit the endpoint
    Tier tier = Tier::write;
};

// The spec's endpoint table: (kind, method) → operation and label.
Judgement judge(const Endpoint& endpoint, std::string_view method, const HttpRequest& request) {
    bool get = method == "GET";
    bool head = method == "HEAD";
    const std::string& kind = endpoint.kind;
    if (kind == "ping" && (get || head)) return {"registry ping", Tier::read};                      // end-1
    if (kind == "catalog" && get) return {"list repositories", Tier::read};
    if (kind == "blob" && get) return {"pull blob", Tier::read};                                    // end-2
    if (kind == "blob" && head) return {"check blob", Tier::read};
    if (kind == "blob" && method == "DELETE") return {"delete blob", Tier::destructive};            // end-10
    if (kind == "manifest" && get) return {"pull manifest", Tier::read};                            // end-3
    if (kind == "manifest" && head) return {"check manifest", Tier::read};
    if (kind == "manifest" && method == "PUT") {                                                    // end-7
        if (!is_digest(endpoint.reference)) return {"push manifest (tag)", Tier::write};
        return {query_param(request.query, "tag") ? "push manifest (digest + tags)" : "push manifest (digest)", Tier::write};
    }
    if (kind == "manifest" && method == "DELETE")                                                   // end-9
        return {is_digest(endpoint.reference) ? "delete manifest" : "delete tag", Tier::destructive};
    if (kind == "uploads" && method == "POST") {                                                    // end-4a/4b/11
        if (query_param(request.query, "mount")) return {"cross-repo blob mount", Tier::write};
        if (query_param(request.query, "digest")) return {"push blob", Tier::write};
        return {"start blob upload", Tier::write};
    }
    if (kind == "upload" && method == "PATCH") return {"upload blob chunk", Tier::write};            // end-5
    if (kind == "upload" && method == "PUT") return {"complete blob upload", Tier::write};          // end-6
    if (kind == "upload" && get) return {"upload status", Tier::read};                              // end-13
    if (kind == "upload" && method == "DELETE") return {"cancel blob upload", Tier::write};         // end-14
    if (kind == "tags" && get) return {"list tags", Tier::read};                                    // end-8a/b
    if (kind == "referrers" && get) return {"list referrers", Tier::read};                          // end-12
    return {"", Tier::write};
}

Classification classify_token(const HttpRequest& request) {
    bool read_method = request.method == "GET" || request.method == "HEAD";
    Classification result{"oci-registry", "registry token", read_method ? Tier::read : Tier::write, "", {}};
    std::vector<std::string> scopes = query_params(request.query, "scope");
    result.detail = "registry token for " + request.host;
    for (const auto& scope : scopes) {
        result.detail += " " + scope;
        // repository:<name>:pull,push — a push scope is intent only (§7 token row).
        if (scope.find("push") != std::string::npos || scope.find("delete") != std::string::npos || scope.ends_with(":*"))
            result.flags.push_back("push-intent: " + scope);
    }
    return result;
}

// hub.docker.com/v2/repositories/{ns}/{repo}/[tags/{tag}/]: management API.
Classification classify_docker_hub(const HttpRequest& request) {
    const std::string& method = request.method;
    Tier tier = method == "GET" || method == "HEAD" ? Tier::read : method == "DELETE" ? Tier::destructive : Tier::write;
    std::string verb = method == "DELETE" ? "delete" : tier == Tier::read ? "get" : "update";
    return {"oci-registry", "hub " + verb + " " + request.path, tier, method + " " + request.host + request.path, {}};
}

Classification oci_classify(const HttpRequest& request) {
    if (host_matches_any(request.host, kTokenHosts)) return classify_token(request);
    if (host_matches_pattern(request.host, kDockerHubApiHost)) return classify_docker_hub(request);
    Endpoint endpoint = parse_endpoint(request.path);
    Judgement judgement = judge(endpoint, request.method, request);
    Classification result{"oci-registry", "", judgement.tier, "", {}};
    if (judgement.operation.empty()) {
        result.operation = request.method + " " + request.path;
        result.detail = "unknown registry request " + result.operation + " on " + request.host;
        result.flags.push_back("unknown-endpoint");
        return result;
    }
    result.operation = std::string(judgement.operation);
    if (!endpoint.name.empty()) result.operation += " " + endpoint.name;
    result.detail = result.operation + " " + request.host;
    if (!endpoint.name.empty()) result.detail += "/" + endpoint.name;
    if (endpoint.kind == "manifest" || endpoint.kind == "blob" || endpoint.kind == "referrers")
        result.detail += (is_digest(endpoint.reference) ? "@" : ":") + endpoint.reference;
    for (const auto& tag : query_params(request.query, "tag")) result.detail += " tag=" + tag;
    if (endpoint.kind == "manifest" && request.method == "PUT") {
        if (!is_digest(endpoint.reference)) result.flags.push_back("re-points tag " + endpoint.reference + " if it exists");
        for (const auto& tag : query_params(request.query, "tag")) result.flags.push_back("re-points tag " + tag + " if it exists");
    }
    return result;
}

bool oci_needs_body(const HttpRequest&) { return false; }  // the endpoint alone decides

}  // namespace

// Every entry point sees the path with unreserved escapes decoded (url_query.h).
extern const Provider kOciRegistryProvider{
    "oci-registry", [](const HttpRequest& r) { return on_normalized_path(r, oci_matches); },
    [](const HttpRequest& r) { return on_normalized_path(r, oci_classify); },
    [](const HttpRequest& r) { return on_normalized_path(r, oci_needs_body); }};

}  // namespace askfirst::classifiers
