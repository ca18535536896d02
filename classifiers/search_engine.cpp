// classifiers/search_engine.cpp — the Elasticsearch and OpenSearch providers
// (../shared/classifier-rules.md §9).
//
// Recognize: the cloud hosts below, the default port 9200, the official
// clients' User-Agent or X-Elastic-Client-Meta, or a SigV4 signature for
// the `es`/`aoss` services on a non-AWS host (custom domain endpoints).
// Name: method + path against the generated route table
// (search_engine_routes.h). Label: search_engine_labels.h.
//
// A third Provider, listed after every other one, recognises the API by its
// path shape alone on any host (see path_fingerprint_matches).
//
// The two products share most of their REST API, so one classifier serves
// both and only the provider name differs. Which one a request is for:
//  1. strong signs: the host (Elastic Cloud vs Amazon OpenSearch Service),
//     an `opensearch-*` client, the `/_plugins/` or `/_opendistro/` prefix;
//  2. a route listed by only one of the two specifications;
//  3. weak signs: the Basic user of each product's stock superuser
//     (`elastic` in Elasticsearch, `admin` in OpenSearch's demo security
//     configuration);
//  4. otherwise Elasticsearch.
// The Basic user is decoded by a few lines of base64 here: the classifier
// library links no crypto library that would offer it.
#include <algorithm>
#include <array>
#include <iterator>
#include <string>

#include "classifiers/provider.h"
#include "classifiers/search_engine_labels.h"
#include "classifiers/search_engine_routes.h"
#include "classifiers/url_query.h"

namespace askfirst::classifiers {
namespace {

constexpr std::string_view kElasticHosts[] = {
    "*.cloud.es.io",         // Elastic Cloud: <deployment>.es.<region>.<csp>.cloud.es.io
    "*.elastic.cloud",       // Elastic Cloud Serverless: <project>.es.<region>.<csp>.elastic.cloud
    "*.elastic-cloud.com",   // Elastic Cloud (older endpoints)
    "*.found.io",            // Elastic Cloud (legacy Found endpoints)
};
constexpr std::string_view kOpenSearchHosts[] = {
    "*.es.amazonaws.com",    // Amazon OpenSearch Service domain: <domain>.<region>.es.amazonaws.com
    "*.aoss.amazonaws.com",  // OpenSearch Serverless collection: <id>.<region>.aoss.amazonaws.com
};
// Other Elastic Cloud services on the same domains (Kibana, APM, Fleet,
// Enterprise Search, the deployment-management API): not Elasticsearch's
// REST API, so they fall to the method-based generic classifier.
constexpr std::string_view kElasticOtherServiceLabels[] = {".kb.", ".apm.", ".fleet.", ".ent.", ".profiling."};
constexpr std::string_view kElasticManagementHost = "api.elastic-cloud.com";
// Elasticsearch's and OpenSearch's default HTTP port.
constexpr std::string_view kSearchPortSuffix = ":9200";

// APIs whose `dry_run` query parameter makes them report what they would do
// and change nothing (the `dry_run` query parameter in the specifications).
constexpr std::string_view kDryRunApis[] = {
    "cluster.reroute",          "indices.rollover",
    "inference.delete",         "transform.upgrade_transforms",
    "ilm.migrate_to_data_tiers", "indices.put_data_stream_settings",
    "indices.put_data_stream_mappings", "_internal.update_desired_nodes",
};

enum class Certainty { none, weak, route, strong };
struct FlavourGuess {
    std::uint8_t flavour = kElastic;
    Certainty certainty = Certainty::none;
};

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}
bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// The SigV4 signing service from "AWS4-HMAC-SHA256 Credential=AK/date/region/svc/aws4_request".
std::string_view sigv4_service(std::string_view authorization) {
    if (!starts_with(authorization, "AWS4-HMAC-SHA256")) return {};
    const auto end = authorization.find("/aws4_request");
    if (end == std::string_view::npos) return {};
    const auto start = authorization.rfind('/', end - 1);
    return start == std::string_view::npos ? std::string_view{} : authorization.substr(start + 1, end - start - 1);
}

// The user name of `Authorization: Basic base64(user:password)`; empty if none.
std::string basic_auth_user(std::string_view authorization) {
    constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (!starts_with(authorization, "Basic ")) return {};
    std::string decoded;
    unsigned bits = 0;
    int bit_count = 0;
    for (const char c : authorization.substr(6)) {
        const auto value = kAlphabet.find(c);
        if (value == std::string_view::npos) break;  // '=' padding or the end
        bits = (bits << 6) | static_cast<unsigned>(value);
        bit_count += 6;
        if (bit_count >= 8) {
            bit_count -= 8;
            const char byte = static_cast<char>((bits >> bit_count) & 0xFF);
            if (byte == ':') return decoded;
            decoded.push_back(byte);
        }
    }
    return {};
}

bool on_search_port(const HttpRequest& request) {
    return ends_with(request.host, kSearchPortSuffix) || ends_with(request.header("Host"), kSearchPortSuffix);
}

// The host without a port (HttpRequest.host normally has none already).
std::string_view bare_host(const HttpRequest& request) {
    const std::string_view host = request.host;
    const auto colon = host.rfind(':');
    return colon == std::string_view::npos || host.find(']') != std::string_view::npos ? host : host.substr(0, colon);
}

bool is_aws_host(std::string_view host) { return host_matches_pattern(host, "*.amazonaws.com"); }

bool is_elastic_cloud_host(std::string_view host) {
    if (!host_matches_any(host, kElasticHosts) || host_matches_pattern(host, kElasticManagementHost)) return false;
    for (const std::string_view label : kElasticOtherServiceLabels)
        if (host.find(label) != std::string_view::npos) return false;
    return true;
}

FlavourGuess strong_flavour(const HttpRequest& request) {
    const std::string_view host = bare_host(request);
    if (host_matches_any(host, kOpenSearchHosts)) return {kOpenSearch, Certainty::strong};
    if (is_elastic_cloud_host(host)) return {kElastic, Certainty::strong};
    const std::string_view service = sigv4_service(request.header("Authorization"));
    if (service == "es" || service == "aoss") return {kOpenSearch, Certainty::strong};
    if (request.header("User-Agent").find("opensearch") != std::string_view::npos)
        return {kOpenSearch, Certainty::strong};
    if (starts_with(request.path, "/_plugins/") || starts_with(request.path, "/_opendistro/"))
        return {kOpenSearch, Certainty::strong};
    return {};
}

FlavourGuess weak_flavour(const HttpRequest& request) {
    const std::string user = basic_auth_user(request.header("Authorization"));
    if (user == "admin") return {kOpenSearch, Certainty::weak};
    if (user == "elastic") return {kElastic, Certainty::weak};
    return {};
}

// Is this request for a search engine at all?
bool is_search_request(const HttpRequest& request) {
    const std::string_view host = bare_host(request);
    if (host_matches_any(host, kOpenSearchHosts) || is_elastic_cloud_host(host)) return true;
    if (on_search_port(request) || request.has_header("X-Elastic-Client-Meta")) return true;
    const std::string_view agent = request.header("User-Agent");
    if (starts_with(agent, "elasticsearch-") || starts_with(agent, "opensearch-")) return true;
    // SigV4 for es/aoss on a custom domain; AWS's own hosts for those
    // services are the control plane (es.<region>.amazonaws.com), an AWS API.
    const std::string_view service = sigv4_service(request.header("Authorization"));
    return (service == "es" || service == "aoss") && !is_aws_host(host);
}

struct ResolvedRequest {
    std::uint8_t flavour = kElastic;
    RequestPath path;
    const SearchRoute* route = nullptr;
};

ResolvedRequest resolve(const HttpRequest& request) {
    ResolvedRequest resolved;
    resolved.path = split_request_path(request.path);
    FlavourGuess guess = strong_flavour(request);
    if (guess.certainty == Certainty::none) guess = weak_flavour(request);
    std::string_view method = request.method;
    resolved.route = find_search_route(method, resolved.path, guess.flavour);
    if (resolved.route == nullptr && method == "HEAD")  // HEAD is served wherever GET is
        resolved.route = find_search_route("GET", resolved.path, guess.flavour);
    resolved.flavour = guess.flavour;
    if (resolved.route != nullptr && guess.certainty != Certainty::strong &&
        (resolved.route->flavours & guess.flavour) == 0)
        resolved.flavour = resolved.route->flavours;  // only the other product has this route
    return resolved;
}

std::string_view provider_name(std::uint8_t flavour) {
    return flavour == kOpenSearch ? "opensearch" : "elasticsearch";
}

Classification unknown_route(const HttpRequest& request, const ResolvedRequest& resolved) {
    Classification result;
    result.provider = std::string(provider_name(resolved.flavour));
    result.operation = "unknown " + request.method + " " + request.path;
    // Invariant 6: never read; an unknown DELETE may delete.
    result.tier = request.method == "DELETE" ? Tier::destructive : Tier::write;
    result.flags.emplace_back(search_path_is_known(resolved.path) ? "method-not-in-spec" : "unknown-endpoint");
    result.detail = request.method + " " + request.path;
    return result;
}

// `?dry_run` or `?dry_run=true` on an API that supports it: nothing changes.
bool is_dry_run(std::string_view api, std::string_view query) {
    if (std::find(std::begin(kDryRunApis), std::end(kDryRunApis), api) == std::end(kDryRunApis)) return false;
    const std::optional<std::string> value = query_param(query, "dry_run");
    return value && (value->empty() || *value == "true");
}

Classification classify_search(const HttpRequest& request) {
    const ResolvedRequest resolved = resolve(request);
    if (resolved.route == nullptr) return unknown_route(request, resolved);
    const std::string_view api = resolved.route->api;
    const bool has_get = search_api_has_get_route(api, resolved.route->flavours);
    SearchLabel label = label_search_api(request.method, api, has_get, request.body, request.body_complete);
    const std::string_view encoding = request.header("Content-Encoding");
    if (search_api_needs_body(api) && !encoding.empty() && encoding != "identity") {
        label.tier = Tier::destructive;  // a compressed body was not inspected
        label.flags.emplace_back("body-encoded-not-inspected");
    }
    if (is_dry_run(api, request.query)) {
        label.tier = Tier::read;
        label.flags.emplace_back("dry-run");
    }
    Classification result;
    result.provider = std::string(provider_name(resolved.flavour));
    result.operation = std::string(api);
    result.tier = label.tier;
    result.flags = std::move(label.flags);
    result.detail = std::string(api) + " " + request.method + " " + request.path;
    return result;
}

bool search_needs_body(const HttpRequest& head) {
    const ResolvedRequest resolved = resolve(head);
    return resolved.route != nullptr && search_api_needs_body(resolved.route->api);
}

bool matches_flavour(const HttpRequest& request, std::uint8_t flavour) {
    if (!is_search_request(request)) return false;
    // A strong guess is final (see resolve()): no need to split and look up the path.
    const FlavourGuess guess = strong_flavour(request);
    if (guess.certainty == Certainty::strong) return guess.flavour == flavour;
    return resolve(request).flavour == flavour;
}

bool elasticsearch_matches(const HttpRequest& request) { return matches_flavour(request, kElastic); }
bool opensearch_matches(const HttpRequest& request) { return matches_flavour(request, kOpenSearch); }

// For requests no other provider claimed (the registry lists this last): a
// self-hosted cluster behind an ordinary name and port, reached with curl.
// A path that matches a route with a built-in `_` segment (`/_bulk`,
// `/{index}/_delete_by_query`, `/{index}/_doc/{id}`) is this API's shape;
// without it the generic method rule would call `_delete_by_query` a write.
bool path_fingerprint_matches(const HttpRequest& request) {
    if (request.path.find("/_") == std::string::npos) return false;
    const RequestPath path = split_request_path(request.path);
    constexpr std::uint8_t kEither = kElastic | kOpenSearch;
    const SearchRoute* route = find_search_route(request.method, path, kEither);
    if (route == nullptr && request.method == "HEAD") route = find_search_route("GET", path, kEither);
    return route != nullptr && route->route.find("/_") != std::string_view::npos;
}

}  // namespace

extern const Provider kOpenSearchProvider;
extern const Provider kElasticsearchProvider;
extern const Provider kSearchEnginePathProvider;
const Provider kSearchEnginePathProvider{"search-engine-path", path_fingerprint_matches, classify_search,
                                         search_needs_body};
const Provider kOpenSearchProvider{"opensearch", opensearch_matches, classify_search, search_needs_body};
const Provider kElasticsearchProvider{"elasticsearch", elasticsearch_matches, classify_search,
                                      search_needs_body};

}  // namespace askfirst::classifiers
