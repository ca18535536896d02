// classifiers/neon.cpp — the Neon management API provider
// (../shared/classifier-rules.md §15, Neon).
//
// Recognize: console.neon.tech/api/v2 (`Authorization: Bearer`). Neon's SQL
// over HTTP (`POST https://<endpoint-host>/sql`) is a SQL carrier owned by
// the data area's provider, not this one.
// Label: GET read; POST/PATCH write; DELETE destructive (projects, branches,
// databases, roles, endpoints, API keys). `POST …/branches/{id}/restore`
// overwrites the branch from a source branch or a point in time: destructive,
// unless the body's `preserve_under_name` keeps the old state as a branch
// (then a flagged write). `GET …/reveal_password` reads a secret (flagged).
// Source: https://api-docs.neon.tech/reference/ (restoreProjectBranch).
#include <iterator>

#include "classifiers/json_body.h"
#include "classifiers/json_members.h"
#include "classifiers/provider.h"
#include "classifiers/rest_resource.h"

namespace askfirst::classifiers {
namespace {

constexpr std::string_view kNeonHosts[] = {"console.neon.tech"};

// POST /api/v2/projects/{project_id}/branches/{branch_id}/restore
bool is_branch_restore(const HttpRequest& request, const RequestPath& path) {
    const auto& s = path.segments;
    return request.method == "POST" && s.size() == 7 && s[0] == "api" && s[2] == "projects" &&
           s[4] == "branches" && s[6] == "restore";
}

void judge_branch_restore(const HttpRequest& request, Classification& result) {
    result.operation = "restore branch";
    if (!request.body_complete) return;  // the registry judges what was not seen
    const JsonTree body = parse_json(request.body);
    const std::optional<std::string> preserved = json_string(body.get(), "preserve_under_name");
    const bool every_copy_preserves =
        !any_member_named(body.get(), "preserve_under_name", [](const cJSON* member) {
            return !cJSON_IsString(member) || member->valuestring[0] == '\0';
        });
    if (preserved && !preserved->empty() && every_copy_preserves) {
        result.tier = Tier::write;
        add_flag(result, "restore-keeps-old-state-as:" + *preserved);
    } else {
        result.tier = Tier::destructive;
        add_flag(result, "restore-overwrites-branch");
    }
}

Classification neon_classify(const HttpRequest& request) {
    const RequestPath path = split_request_path(request.path);
    Classification result = make_classification("neon", method_and_shape(request.method, path),
                                                 tier_for_rest_method(request.method), request);
    if (is_branch_restore(request, path)) judge_branch_restore(request, result);
    if (!path.segments.empty() && path.segments.back() == "reveal_password") add_flag(result, "reveals-secret");
    return result;
}

bool neon_matches(const HttpRequest& request) { return host_matches_any(request.host, kNeonHosts); }
bool neon_needs_body(const HttpRequest& head) {
    return is_branch_restore(head, split_request_path(head.path));
}

}  // namespace

extern const Provider kNeonProvider;
const Provider kNeonProvider{"neon", neon_matches, neon_classify, neon_needs_body};

}  // namespace askfirst::classifiers
