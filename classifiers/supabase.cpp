// classifiers/supabase.cpp — the Supabase provider: the management API,
// and each project's Data API (PostgREST), Storage, Auth admin and
// pg_graphql endpoints (../shared/classifier-rules.md §15, Supabase).
//
// Recognize: api.supabase.com (management) and <ref>.supabase.co (project).
// `POST /v1/projects/{ref}/database/query` (the MCP execute_sql path) is a
// SQL carrier that the data area's provider takes first (registry order); if
// it reaches this classifier its SQL was not inspected: the worst it could be.
// Label, management API: GET read, POST/PATCH write (pause, restore), DELETE
// destructive; a branch reset discards the branch's data (destructive); a
// point-in-time restore overwrites the database (flagged write, like every
// in-place restore in the policy).
// Label, project host: supabase_project.cpp.
#include <iterator>

#include "classifiers/provider.h"
#include "classifiers/rest_resource.h"
#include "classifiers/supabase_project.h"

namespace askfirst::classifiers {
namespace {

constexpr std::string_view kSupabaseManagementHosts[] = {"api.supabase.com"};
constexpr std::string_view kSupabaseProjectHosts[] = {"*.supabase.co", "*.supabase.in"};

bool segment_is(const RequestPath& path, std::size_t index, std::string_view word) {
    return path.segments.size() > index && path.segments[index] == word;
}

// /v1/projects/{ref}/database/query
bool is_sql_carrier(const RequestPath& path) {
    return path.segments.size() == 5 && segment_is(path, 1, "projects") && segment_is(path, 3, "database") &&
           segment_is(path, 4, "query");
}

Classification classify_management(const HttpRequest& request) {
    const RequestPath path = split_request_path(request.path);
    Classification result = make_classification("supabase", method_and_shape(request.method, path),
                                                 tier_for_rest_method(request.method), request);
    if (is_sql_carrier(path) && request.method == "POST") {
        result.tier = Tier::destructive;
        add_flag(result, "sql-not-inspected");
        return result;
    }
    if (request.method != "POST" || path.segments.empty()) return result;
    const std::string& action = path.segments.back();
    if (segment_is(path, 1, "branches") && action == "reset") {
        result.tier = Tier::destructive;  // re-creates the branch database from migrations
        add_flag(result, "discards-branch-data");
    }
    if (action.find("restore") != std::string::npos) add_flag(result, "in-place-restore");
    return result;
}

Classification supabase_classify(const HttpRequest& request) {
    if (host_matches_any(request.host, kSupabaseProjectHosts)) return classify_supabase_project(request);
    return classify_management(request);
}

bool supabase_matches(const HttpRequest& request) {
    return host_matches_any(request.host, kSupabaseManagementHosts) ||
           host_matches_any(request.host, kSupabaseProjectHosts);
}

bool supabase_needs_body(const HttpRequest& head) {
    return host_matches_any(head.host, kSupabaseProjectHosts) && supabase_project_needs_body(head);
}

}  // namespace

extern const Provider kSupabaseProvider;
const Provider kSupabaseProvider{"supabase", supabase_matches, supabase_classify, supabase_needs_body};

}  // namespace askfirst::classifiers
