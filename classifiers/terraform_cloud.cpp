// classifiers/terraform_cloud.cpp — the HCP Terraform / Terraform Cloud API
// provider (../shared/classifier-rules.md §15, Terraform Cloud).
//
// Recognize: app.terraform.io/api/v2 (JSON:API, `application/vnd.api+json`).
// Label:
//  * GET read; POST/PATCH write; DELETE destructive (a workspace DELETE is
//    the force delete), except JSON:API relationship DELETEs
//    (`…/relationships/tags`, `…/relationships/remote-state-consumers`),
//    which only drop an association: writes;
//  * `POST /api/v2/runs` with `data.attributes["is-destroy"] = true` plans
//    the destruction of every managed resource: destructive (flagged
//    auto-apply when it will not wait for a second approval);
//  * `…/actions/safe-delete` deletes a workspace: destructive;
//  * `…/runs/{id}/actions/apply` applies a plan that may delete: a write
//    flagged so the dialog says to look at the plan;
//  * `POST …/state-versions` replaces state (it can orphan resources): flagged.
// Source: https://developer.hashicorp.com/terraform/cloud-docs/api-docs
#include <algorithm>
#include <iterator>

#include "classifiers/json_body.h"
#include "classifiers/json_members.h"
#include "classifiers/provider.h"
#include "classifiers/rest_resource.h"

namespace askfirst::classifiers {
namespace {

constexpr std::string_view kTerraformCloudHosts[] = {"app.terraform.io", "app.eu.terraform.io"};

bool path_ends_with(const RequestPath& path, std::string_view a, std::string_view b) {
    const auto& s = path.segments;
    return s.size() >= 2 && s[s.size() - 2] == a && s.back() == b;
}

bool has_segment(const RequestPath& path, std::string_view segment) {
    return std::find(path.segments.begin(), path.segments.end(), segment) != path.segments.end();
}

// POST /api/v2/runs (creates a run; the body says whether it destroys).
bool is_run_create(const HttpRequest& request, const RequestPath& path) {
    return request.method == "POST" && path.segments.size() == 3 && path.segments[2] == "runs";
}

void judge_run_create(const HttpRequest& request, Classification& result) {
    result.operation = "create run";
    if (!request.body_complete) return;  // the registry judges what was not seen
    const JsonTree body = parse_json(request.body);
    const cJSON* data = json_member(body.get(), "data");
    const cJSON* attributes = json_member(data, "attributes");
    if (count_members_named(body.get(), "data") > 1 || count_members_named(data, "attributes") > 1) {
        add_flag(result, "run-body-ambiguous");  // repeated keys: could be a destroy run
        result.tier = Tier::destructive;
        return;
    }
    if (body == nullptr) {
        add_flag(result, "run-body-unreadable");  // could be a destroy run
        result.tier = Tier::destructive;
        return;
    }
    if (any_member_named(attributes, "is-destroy", [](const cJSON* m) { return !cJSON_IsFalse(m); })) {
        result.operation = "create destroy run";
        result.tier = Tier::destructive;
        add_flag(result, "destroys-all-managed-resources");
    }
    if (json_is_true(attributes, "auto-apply")) add_flag(result, "auto-apply");
}

Classification terraform_classify(const HttpRequest& request) {
    const RequestPath path = split_request_path(request.path);
    Classification result = make_classification("terraform-cloud", method_and_shape(request.method, path),
                                                 tier_for_rest_method(request.method), request);
    if (request.method == "DELETE" && has_segment(path, "relationships")) result.tier = Tier::write;
    if (is_run_create(request, path)) judge_run_create(request, result);
    if (request.method != "POST") return result;
    if (path_ends_with(path, "actions", "safe-delete")) {
        result.tier = Tier::destructive;
        result.operation = "safe-delete workspace";
    }
    if (path_ends_with(path, "actions", "apply")) add_flag(result, "applies-plan-check-for-deletes");
    if (!path.segments.empty() && path.segments.back() == "state-versions") add_flag(result, "replaces-state");
    return result;
}

bool terraform_matches(const HttpRequest& request) {
    return host_matches_any(request.host, kTerraformCloudHosts);
}
bool terraform_needs_body(const HttpRequest& head) {
    return is_run_create(head, split_request_path(head.path));
}

}  // namespace

extern const Provider kTerraformCloudProvider;
const Provider kTerraformCloudProvider{"terraform-cloud", terraform_matches, terraform_classify,
                                       terraform_needs_body};

}  // namespace askfirst::classifiers
