// classifiers/fly.cpp — the `fly` provider: Fly.io's Machines API
// (api.machines.dev/v1, and _api.internal:4280 inside a Fly network) and the
// GraphQL API flyctl uses (api.fly.io/graphql)
// (../shared/classifier-rules.md §15 "Fly.io").
//
// Machines API (classifiers/forge_rest.h): GET → read; POST → write (stop,
// start, restart, suspend, signal, cordon, exec, lease, volume extend and
// snapshots); DELETE → destructive (apps, machines, volumes and their data,
// secrets, certificates), except releasing a machine lease (a write).
// Flags: exec runs a command; `force=true` on a machine delete kills it
// while it runs. GraphQL: mutations are verb-first (`deleteApp`), with an
// override for `unsetSecrets`, which deletes secrets.
#include <string>

#include "classifiers/forge_rest.h"
#include "classifiers/graphql.h"
#include "classifiers/provider.h"
#include "classifiers/url_query.h"
#include "classifiers/verb_lexicon.h"

namespace askfirst::classifiers {

namespace {

constexpr std::string_view kMachinesHosts[] = {"api.machines.dev", "_api.internal"};
constexpr std::string_view kGraphqlHost = "api.fly.io";
constexpr std::string_view kMachinesPrefix = "/v1";

constexpr PathRule kDeleteIsWrite[] = {
    {"machines/*/lease", true, "releases a machine lease (a lock), not the machine"},
};
constexpr PathRule kRiskFlags[] = {
    {"machines/*/exec", true, "runs a command in the machine"},
    {"machines/*/stop", true, "stops the machine"},
    {"machines/*/suspend", true, "suspends the machine"},
    {"volumes/*/extend", true, "grows the volume (cannot shrink back)"},
};
// No Machines API POST only reads.
constexpr ForgeRestRules kMachinesRules{"fly", kDeleteIsWrite, {}, kRiskFlags};

constexpr OperationOverride kFlyGraphqlOverrides[] = {
    {"unsetSecrets", Tier::destructive, "deletes the app's secrets; their values cannot be read back"},
};

bool fly_matches(const HttpRequest& request) {
    if (host_matches_any(request.host, kMachinesHosts)) return true;
    return host_matches_pattern(request.host, kGraphqlHost) && request.path == "/graphql";
}

Tier fly_field_tier(std::string_view field) {
    return tier_with_overrides(kFlyGraphqlOverrides, field, field, NameOrder::verb_first);
}

const graphql::GraphqlPolicy kFlyGraphqlPolicy{"fly", &fly_field_tier, nullptr};

Classification fly_classify(const HttpRequest& request) {
    if (!host_matches_any(request.host, kMachinesHosts)) return graphql::classify_graphql_request(request, kFlyGraphqlPolicy);
    std::string_view path = request.path;
    if (path.starts_with(kMachinesPrefix)) path.remove_prefix(kMachinesPrefix.size());
    Classification result = classify_forge_rest(request.method, path, kMachinesRules);
    result.detail += " on " + request.host;
    if (request.method == "DELETE" && query_param(request.query, "force").value_or("") == "true")
        result.flags.push_back("force: kills a running machine");
    return result;
}

bool fly_needs_body(const HttpRequest& request) {
    return !host_matches_any(request.host, kMachinesHosts) && request.method != "GET";
}

}  // namespace

// Every entry point sees the path with unreserved escapes decoded (url_query.h).
extern const Provider kFlyProvider{
    "fly", [](const HttpRequest& r) { return on_normalized_path(r, fly_matches); },
    [](const HttpRequest& r) { return on_normalized_path(r, fly_classify); },
    [](const HttpRequest& r) { return on_normalized_path(r, fly_needs_body); }};

}  // namespace askfirst::classifiers
