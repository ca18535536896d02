// classifiers/kubernetes.cpp — the `kubernetes` provider: the Kubernetes API
// server's REST interface (../shared/classifier-rules.md §2).
//
// Recognition: managed-cluster hosts (EKS, AKS, GKE, in-cluster names), or a
// Kubernetes path shape (/api, /apis/…, /version, /openapi/…, health
// endpoints) together with a client fingerprint (kubectl/client-go
// User-Agent, port 6443 in the Host header, or a bare IP address, which is
// how GKE and in-cluster clients reach the server).
//
// Classification mirrors k8s.io/apiserver RequestInfoFactory: the path gives
// group, version, namespace, resource, name and subresource; the method and
// shape give the RBAC verb (get/list/watch/create/update/patch/delete/
// deletecollection). Labels: reads for get/list/watch, writes for
// create/update/patch, destructive for delete/deletecollection and pod
// eviction; exec/attach/portforward are writes whatever the method (a GET
// WebSocket upgrade runs commands too); proxy follows the proxied method;
// *Review objects are reads; dryRun=All (query or DeleteOptions body) is a
// read. The operation is RBAC-style (`delete deployments.apps`); the detail
// names the object (`DELETE pods/web-0 in namespace prod`).
#include <algorithm>
#include <array>
#include <cctype>
#include <span>
#include <string>
#include <vector>

#include "classifiers/json_body.h"
#include "classifiers/provider.h"
#include "classifiers/url_query.h"

namespace askfirst::classifiers {

namespace {

// Managed control planes and in-cluster names (§2 "Recognize").
constexpr std::string_view kKubernetesHosts[] = {
    "*.eks.amazonaws.com", "*.azmk8s.io", "*.gke.goog", "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local", "kubernetes.default", "kubernetes",
};
// Paths that only a Kubernetes API server serves at its root.
constexpr std::string_view kNonResourcePaths[] = {
    "/version", "/openapi/v2", "/openapi/v3", "/.well-known/openid-configuration",
    "/healthz", "/livez", "/readyz", "/openid/v1/jwks",
};
// Subresources that open a stream into a container or node: a write even
// when the client upgrades a GET (RBAC gap, §2 "exec, attach").
constexpr std::string_view kConnectSubresources[] = {"exec", "attach", "portforward"};
// Kubelet endpoints behind nodes/proxy that run commands (§2 "proxy").
constexpr std::string_view kKubeletCommandPaths[] = {"exec", "run", "attach", "portForward", "containerLogs"};
// Groups whose *reviews resources are never persisted: a POST that reads.
constexpr std::string_view kReviewGroups[] = {"authentication.k8s.io", "authorization.k8s.io"};

struct RequestInfo {
    bool resource_request = false;
    std::string group;         // "" for the core group
    std::string version;
    std::string ns;            // namespace
    std::string resource;
    std::string name;
    std::string subresource;
    std::string rest;          // path after the subresource (proxy target)
    std::string verb;          // RBAC verb
};

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> parts;
    while (!path.empty()) {
        std::size_t slash = path.find('/');
        std::string_view part = path.substr(0, slash);
        if (!part.empty()) parts.push_back(percent_decode(part, false));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return parts;
}

bool is_api_version(std::string_view text) {  // v1, v2beta1, v1alpha3
    if (text.size() < 2 || text[0] != 'v' || text[1] < '1' || text[1] > '9') return false;
    std::size_t i = 1;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == text.size()) return true;
    std::string_view tail = text.substr(i);
    for (std::string_view stage : {"alpha", "beta"}) {
        if (!tail.starts_with(stage)) continue;
        tail.remove_prefix(stage.size());
        if (tail.empty()) return false;
        for (char c : tail)
            if (!std::isdigit(static_cast<unsigned char>(c))) return false;
        return true;
    }
    return false;
}

bool has_kubernetes_path(std::string_view path) {
    if (path == "/api" || path == "/api/" || path == "/apis" || path == "/apis/") return true;
    if (path.starts_with("/api/v1") && (path.size() == 7 || path[7] == '/')) return true;
    if (path.starts_with("/apis/")) {
        // /apis/<group> or /apis/<group>/<version>/…: the first three non-empty
        // segments, looked at in place (this runs for every request the
        // registry offers to Kubernetes; split_path() allocated each time).
        std::array<std::string_view, 3> parts{};
        std::size_t count = 0;
        for (std::string_view rest = path; !rest.empty() && count < parts.size();) {
            const std::size_t slash = rest.find('/');
            if (slash != 0) parts[count++] = rest.substr(0, slash);
            if (slash == std::string_view::npos) break;
            rest.remove_prefix(slash + 1);
        }
        return count == 2 || (count == 3 && is_api_version(percent_decode(parts[2], false)));
    }
    for (auto known : kNonResourcePaths)
        if (path == known || (path.starts_with(known) && path[known.size()] == '/')) return true;
    return false;
}

bool is_ip_literal(std::string_view host) {
    if (host.find(':') != std::string_view::npos) return true;  // IPv6 (brackets and port already removed)
    int dots = 0;
    for (char c : host) {
        if (c == '.') ++dots;
        else if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    }
    return dots == 3;
}

bool kubernetes_matches(const HttpRequest& request) {
    if (host_matches_any(request.host, kKubernetesHosts)) return has_kubernetes_path(request.path) || request.path == "/";
    if (!has_kubernetes_path(request.path)) return false;
    std::string_view agent = request.header("User-Agent");
    if (agent.starts_with("kubectl/") || agent.find("client-go") != std::string_view::npos) return true;
    if (request.header("Host").ends_with(":6443")) return true;
    return is_ip_literal(request.host);
}

bool in_list(std::string_view word, std::span<const std::string_view> list) {
    for (auto item : list)
        if (word == item) return true;
    return false;
}

// k8s.io/apiserver/pkg/endpoints/request/requestinfo.go, in our words.
RequestInfo parse_request_info(const HttpRequest& request) {
    RequestInfo info;
    std::vector<std::string> parts = split_path(request.path);
    bool read_method = request.method == "GET" || request.method == "HEAD";
    info.verb = read_method ? "get" : request.method == "POST" ? "create" : request.method == "PUT" ? "update"
              : request.method == "PATCH" ? "patch" : request.method == "DELETE" ? "delete" : "unknown";
    std::size_t at = 0;
    if (parts.size() >= 2 && parts[0] == "api") {
        info.version = parts[1];
        at = 2;
    } else if (parts.size() >= 3 && parts[0] == "apis") {
        info.group = parts[1];
        info.version = parts[2];
        at = 3;
    } else {
        return info;  // non-resource request (/version, /apis/group discovery, …)
    }
    if (at == parts.size()) return info;  // group-version discovery
    info.resource_request = true;
    bool watch_prefix = parts[at] == "watch";
    if (watch_prefix) ++at;
    if (at < parts.size() && parts[at] == "namespaces" && at + 1 < parts.size()) {
        info.ns = parts[at + 1];
        // namespaces/{ns}/status and /finalize are the namespace's own subresources.
        if (at + 2 < parts.size() && parts[at + 2] != "status" && parts[at + 2] != "finalize") at += 2;
    }
    if (at < parts.size()) info.resource = parts[at];
    if (at + 1 < parts.size()) info.name = parts[at + 1];
    if (at + 2 < parts.size()) info.subresource = parts[at + 2];
    for (std::size_t i = at + 3; i < parts.size(); ++i) info.rest += "/" + parts[i];
    if (info.resource == "namespaces" && info.name == info.ns) info.ns.clear();
    if (info.name.empty()) {
        if (info.verb == "get") info.verb = "list";
        if (info.verb == "delete") info.verb = "deletecollection";
    }
    bool watch_param = query_param(request.query, "watch").value_or("") == "true" ||
                       query_param(request.query, "watch").value_or("") == "1";
    if (read_method && (watch_prefix || (watch_param && info.name.empty()))) info.verb = "watch";
    return info;
}

std::string rbac_resource(const RequestInfo& info) {
    std::string text = info.resource;
    if (!info.subresource.empty()) text += "/" + info.subresource;
    if (!info.group.empty()) text += "." + info.group;
    return text;
}

// dryRun=All where the apiserver reads it, and only there. A DELETE takes
// its DeleteOptions from the body when one is sent and from the query only
// when none is (apiserver handlers/delete.go), so `?dryRun=All` beside a
// body without dryRun deletes for real. An eviction takes the query's
// dryRun or its deleteOptions'. Every other verb takes the query's alone: a
// "dryRun" key in a created or patched object is an unknown field the
// server drops, and the write happens. A key repeated in the query or the
// body counts only when every copy says All: servers differ on which wins;
// and the apiserver matches body keys by case ("DryRun" is dropped).
bool is_dry_run_list(const cJSON* list) {
    const cJSON* item = nullptr;
    cJSON_ArrayForEach(item, list)
        if (cJSON_IsString(item) && std::string_view(item->valuestring) == "All") return true;
    return false;
}

bool query_says_dry_run(const HttpRequest& request) {
    std::vector<std::string> values = query_params(request.query, "dryRun");
    return !values.empty() && std::all_of(values.begin(), values.end(), [](const std::string& v) { return v == "All"; });
}

bool is_dry_run(const HttpRequest& request, const RequestInfo& info, const cJSON* body) {
    if (request.method == "DELETE") {
        bool body_sent = !request.body.empty();
        return body_sent ? json_flag_set_for_any_decoder(body, "dryRun", is_dry_run_list) : query_says_dry_run(request);
    }
    if (query_says_dry_run(request)) return true;
    if (info.subresource != "eviction") return false;
    if (json_member(body, "deleteOptions") == nullptr) return false;  // the apiserver matches keys by case
    std::vector<const cJSON*> options = json_members(body, "deleteOptions");
    return std::all_of(options.begin(), options.end(), [](const cJSON* o) {
        return json_flag_set_for_any_decoder(o, "dryRun", is_dry_run_list);
    });
}

Tier proxy_tier(const HttpRequest& request, const RequestInfo& info) {
    if (info.resource == "nodes") {
        std::vector<std::string> target = split_path(info.rest);
        if (!target.empty() && in_list(target[0], kKubeletCommandPaths)) return Tier::write;
    }
    const std::string& method = request.method;
    if (method == "GET" || method == "HEAD" || method == "OPTIONS") return Tier::read;
    if (method == "DELETE") return Tier::destructive;
    return Tier::write;
}

Tier base_tier(const HttpRequest& request, const RequestInfo& info) {
    if (in_list(info.subresource, kConnectSubresources)) return Tier::write;
    if (info.subresource == "proxy") return proxy_tier(request, info);
    const std::string& verb = info.verb;
    if (verb == "get" || verb == "list" || verb == "watch") return Tier::read;
    if (verb == "delete" || verb == "deletecollection") return Tier::destructive;
    if (verb == "create" && info.subresource == "eviction") return Tier::destructive;
    if (verb == "create" && info.subresource.empty() && info.resource.ends_with("reviews") &&
        in_list(info.group, kReviewGroups))
        return Tier::read;
    return Tier::write;
}

void add_delete_flags(const HttpRequest& request, const cJSON* body, const RequestInfo& info, Classification& result) {
    std::string propagation = query_param(request.query, "propagationPolicy").value_or("");
    if (auto from_body = json_string(body, "propagationPolicy")) propagation = *from_body;
    if (!propagation.empty()) result.flags.push_back("propagationPolicy=" + propagation);
    const cJSON* grace = json_member(body, "gracePeriodSeconds");
    if (query_param(request.query, "gracePeriodSeconds").value_or("") == "0" || (cJSON_IsNumber(grace) && grace->valuedouble == 0))
        result.flags.push_back("gracePeriodSeconds=0");
    if (info.verb == "deletecollection" && !query_param(request.query, "labelSelector") &&
        !query_param(request.query, "fieldSelector"))
        result.flags.push_back("no-selector: deletes every " + info.resource + " in scope");
    if (info.verb == "delete" && info.resource == "namespaces" && info.subresource.empty())
        result.flags.push_back("cascades: deletes everything in namespace " + info.name);
    if (info.verb == "delete" && info.resource == "customresourcedefinitions")
        result.flags.push_back("cascades: deletes every custom resource of " + info.name);
}

std::string object_detail(const HttpRequest& request, const RequestInfo& info) {
    std::string detail = request.method + " " + info.resource;
    if (!info.group.empty()) detail += "." + info.group;
    if (!info.name.empty()) detail += "/" + info.name;
    if (!info.subresource.empty()) detail += "/" + info.subresource + info.rest;
    if (!info.ns.empty()) detail += " in namespace " + info.ns;
    return detail;
}

Classification classify_non_resource(const HttpRequest& request) {
    bool read_method = request.method == "GET" || request.method == "HEAD";
    std::string verb = read_method ? "get" : request.method;
    for (auto& c : verb) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return {"kubernetes", verb + " " + request.path, read_method ? Tier::read : Tier::write,
            request.method + " " + request.path, {}};
}

Classification kubernetes_classify(const HttpRequest& request) {
    RequestInfo info = parse_request_info(request);
    if (!info.resource_request) return classify_non_resource(request);
    // OPTIONS reaches a proxied service (CORS preflight); RBAC checks it as get.
    if (info.verb == "unknown" && info.subresource == "proxy" && request.method == "OPTIONS") info.verb = "get";
    Classification result{"kubernetes", info.verb + " " + rbac_resource(info), Tier::write, object_detail(request, info), {}};
    if (info.verb == "unknown" || info.resource.empty()) {
        result.detail = "unexpected " + request.method + " " + request.path;
        return result;
    }
    JsonTree body = parse_json(request.body);
    result.tier = base_tier(request, info);
    bool streams = in_list(info.subresource, kConnectSubresources) || info.subresource == "proxy";
    if (in_list(info.subresource, kConnectSubresources)) {
        result.flags.push_back(info.subresource == "portforward" ? "tunnel into the pod" : "runs a command in the container");
        for (const auto& command : query_params(request.query, "command")) result.detail += " command=" + command;
    }
    if (info.verb == "delete" || info.verb == "deletecollection" || info.subresource == "eviction")
        add_delete_flags(request, body.get(), info, result);
    if (!streams && result.tier != Tier::read && is_dry_run(request, info, body.get())) {
        result.tier = Tier::read;
        result.operation += " (dry-run)";
        result.flags.push_back("dryRun=All");
    }
    return result;
}

// DeleteOptions (dryRun, propagationPolicy, gracePeriodSeconds) travel in the
// body of a DELETE or an eviction.
bool kubernetes_needs_body(const HttpRequest& request) {
    return request.method == "DELETE" || (request.method == "POST" && request.path.ends_with("/eviction"));
}

}  // namespace

// Every entry point sees the path with unreserved escapes decoded (url_query.h).
extern const Provider kKubernetesProvider{
    "kubernetes", [](const HttpRequest& r) { return on_normalized_path(r, kubernetes_matches); },
    [](const HttpRequest& r) { return on_normalized_path(r, kubernetes_classify); },
    [](const HttpRequest& r) { return on_normalized_path(r, kubernetes_needs_body); }};

}  // namespace askfirst::classifiers
