// classifiers/supabase_project.cpp — labels for a Supabase project host
// (<ref>.supabase.co), by the service its first path segment names.
//
//  * /rest/v1/<table> (PostgREST): GET/HEAD = SELECT, read (PostgREST runs
//    them in a read-only transaction, so `GET /rest/v1/rpc/fn` is safe too);
//    POST = INSERT (upsert flagged), PATCH = UPDATE, PUT = upsert: writes;
//    DELETE = SQL DELETE: destructive. PATCH/DELETE without a filter touch
//    every row: flagged. `POST /rest/v1/rpc/<fn>` runs an unknown function
//    body: a write.
//  * /storage/v1: DELETE object(s) or bucket and `POST …/bucket/{id}/empty`
//    destructive; `POST …/object/list/{bucket}` and searches read; other
//    POST/PUT writes (upload, move, copy, sign).
//  * /auth/v1: `DELETE /auth/v1/admin/users/{id}` destructive; else by method.
//  * /graphql/v1: pg_graphql, GraphQL rules (`deleteFromXCollection` deletes).
//  * /functions/v1/<name>: an app's own code; the method decides.
//  * anything else (realtime, unknown services): at least a write.
// Source: https://postgrest.org/en/stable/references/api.html ,
// https://supabase.com/docs/reference/api , Storage API routes.
#include "classifiers/supabase_project.h"

#include <algorithm>
#include <iterator>

#include "classifiers/graphql.h"
#include "classifiers/rest_resource.h"
#include "classifiers/verb_lexicon.h"

namespace askfirst::classifiers {
namespace {

// PostgREST query keys that shape the result rather than filter rows.
constexpr std::string_view kPostgrestNonFilterKeys[] = {"select", "order", "limit", "offset", "on_conflict", "columns"};

bool service_is(const RequestPath& path, std::string_view service) {
    return path.segments.size() >= 2 && path.segments[0] == service && path.segments[1] == "v1";
}

std::string_view segment(const RequestPath& path, std::size_t index) {
    return index < path.segments.size() ? std::string_view(path.segments[index]) : std::string_view{};
}

// Does the PostgREST query string filter rows (`id=eq.5`, `or=(…)`)?
bool has_row_filter(std::string_view query) {
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        const std::string_view key = pair.substr(0, pair.find('='));
        if (!key.empty() && std::find(std::begin(kPostgrestNonFilterKeys), std::end(kPostgrestNonFilterKeys), key) ==
                                std::end(kPostgrestNonFilterKeys))
            return true;
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return false;
}

Classification classify_postgrest(const HttpRequest& request, const RequestPath& path) {
    const bool rpc = segment(path, 2) == "rpc";
    const std::string target(rpc ? segment(path, 3) : segment(path, 2));
    Classification result = make_classification(
        "supabase", std::string(rpc ? "rpc " : "table ") + request.method + " " + target,
        tier_for_rest_method(request.method), request);
    if (rpc) return result;  // GET rpc is read-only; POST runs the function: write
    if ((request.method == "PATCH" || request.method == "DELETE") && !has_row_filter(request.query))
        add_flag(result, "no-row-filter-whole-table");
    if (request.method == "POST" && request.header("Prefer").find("merge-duplicates") != std::string_view::npos)
        add_flag(result, "upsert");
    return result;
}

Classification classify_storage(const HttpRequest& request, const RequestPath& path) {
    Classification result = make_classification("supabase", "storage " + method_and_shape(request.method, path),
                                                 tier_for_rest_method(request.method), request);
    if (request.method != "POST") return result;
    const std::string_view kind = segment(path, 2);
    const std::string_view action = segment(path, 3);
    if (kind == "bucket" && path.segments.size() == 5 && segment(path, 4) == "empty")
        result.tier = Tier::destructive;  // deletes every object in the bucket
    else if (kind == "object" && (action == "list" || action == "search" || action == "info"))
        result.tier = Tier::read;
    return result;
}

Classification classify_auth(const HttpRequest& request, const RequestPath& path) {
    Classification result = make_classification("supabase", "auth " + method_and_shape(request.method, path),
                                                 tier_for_rest_method(request.method), request);
    if (segment(path, 2) == "admin") add_flag(result, "auth-admin");
    return result;
}

Tier pg_graphql_field_tier(std::string_view field) {
    return tier_from_operation_name(field, NameOrder::verb_first);  // deleteFromTodosCollection
}

}  // namespace

Classification classify_supabase_project(const HttpRequest& request) {
    const RequestPath path = split_request_path(request.path);
    if (service_is(path, "rest") && path.segments.size() >= 3) return classify_postgrest(request, path);
    if (service_is(path, "storage")) return classify_storage(request, path);
    if (service_is(path, "auth")) return classify_auth(request, path);
    if (service_is(path, "graphql"))
        return graphql::classify_graphql_request(request, {"supabase", pg_graphql_field_tier, nullptr});
    if (service_is(path, "functions"))
        return make_classification("supabase", "function " + std::string(segment(path, 2)) + " " + request.method,
                                   tier_for_rest_method(request.method), request);
    Classification result = make_classification("supabase", method_and_shape(request.method, path),
                                                max_tier(tier_for_rest_method(request.method), Tier::write), request);
    add_flag(result, "unknown-endpoint");  // invariant 6: never read
    return result;
}

bool supabase_project_needs_body(const HttpRequest& head) {
    return service_is(split_request_path(head.path), "graphql");
}

}  // namespace askfirst::classifiers
