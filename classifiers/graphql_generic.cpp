// classifiers/graphql_generic.cpp — the `graphql` provider: any other
// GraphQL endpoint (Shopify, Linear, Hasura, AppSync, self-hosted servers),
// recognised by a path whose last segment is `graphql` (or Shopify's
// `graphql.json`) and a GraphQL carrier
// (../shared/classifier-rules.md §16 "Generic GraphQL rules").
//
// Registered after every host-specific provider (they keep their own
// GraphQL endpoints and override tables) and before the generic
// method-based fallback, which would call every query POST a write and
// every deleting mutation only a write.
//
// Without a provider's naming convention, a mutation field is judged both
// verb-first and noun-first and the more severe reading wins: `projectDelete`
// and `deleteProject` are destructive, `sendTest` stays a write (never the
// read that a noun-first reading alone would give).
#include <string>

#include "classifiers/graphql.h"
#include "classifiers/provider.h"
#include "classifiers/url_query.h"
#include "classifiers/verb_lexicon.h"

namespace askfirst::classifiers {

namespace {

bool last_segment_is_graphql(std::string_view path) {
    while (path.ends_with('/')) path.remove_suffix(1);
    std::size_t slash = path.rfind('/');
    std::string_view last = slash == std::string_view::npos ? path : path.substr(slash + 1);
    return last == "graphql" || last == "graphql.json";  // Shopify: /admin/api/<version>/graphql.json
}

// Any POST to a GraphQL endpoint is read as GraphQL, whatever its
// Content-Type says: servers parse JSON sent as text/plain, without a type or
// in another case, and take url-encoded and multipart (upload) bodies too.
bool has_graphql_carrier(const HttpRequest& request) {
    if (request.method == "GET") return query_param(request.query, "query").has_value();
    return request.method == "POST";
}

bool graphql_generic_matches(const HttpRequest& request) {
    return last_segment_is_graphql(request.path) && has_graphql_carrier(request);
}

Tier graphql_generic_field_tier(std::string_view field) {
    return max_tier(tier_from_operation_name(field, NameOrder::verb_first),
                    tier_from_operation_name(field, NameOrder::noun_first));
}

const graphql::GraphqlPolicy kGenericGraphqlPolicy{"graphql", &graphql_generic_field_tier, nullptr};

Classification graphql_generic_classify(const HttpRequest& request) {
    Classification result = graphql::classify_graphql_request(request, kGenericGraphqlPolicy);
    result.detail += " on " + request.host;
    return result;
}

bool graphql_generic_needs_body(const HttpRequest& request) { return request.method != "GET"; }

}  // namespace

// Every entry point sees the path with unreserved escapes decoded (url_query.h).
extern const Provider kGraphqlGenericProvider{
    "graphql", [](const HttpRequest& r) { return on_normalized_path(r, graphql_generic_matches); },
    [](const HttpRequest& r) { return on_normalized_path(r, graphql_generic_classify); },
    [](const HttpRequest& r) { return on_normalized_path(r, graphql_generic_needs_body); }};

}  // namespace askfirst::classifiers
