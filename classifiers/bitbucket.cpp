// classifiers/bitbucket.cpp — the `bitbucket` provider: Bitbucket Cloud
// (api.bitbucket.org/2.0/…) and Bitbucket Data Center / Server
// (<host>/rest/api/1.0|latest/…, /rest/branch-utils/…)
// (../shared/classifier-rules.md §6).
//
// GET → read; POST/PUT → write; DELETE → destructive except the DELETEs that
// withdraw an approval, a vote, a watch or a permission (writes). Data
// Center deletes branches with `DELETE /rest/branch-utils/…/branches` and a
// JSON body that names the branch ({"name": "refs/heads/x", "dryRun": …}):
// the body names the branch in the detail, and dryRun:true makes it a read.
// git over HTTPS on the same hosts is the `git` provider (registered first).
#include <string>

#include "classifiers/forge_rest.h"
#include "classifiers/json_body.h"
#include "classifiers/provider.h"
#include "classifiers/url_query.h"

namespace askfirst::classifiers {

namespace {

constexpr std::string_view kCloudApiHost = "api.bitbucket.org";
constexpr std::string_view kCloudPrefix = "/2.0";
// Data Center REST families and the resources that begin a Bitbucket path
// under /rest/api/<version>/ (Jira and Confluence use other names there).
constexpr std::string_view kDataCenterFamilies[] = {"api", "branch-utils", "default-reviewers", "git", "build-status",
                                                    "branch-permissions", "ssh", "keys"};
constexpr std::string_view kDataCenterApiResources[] = {"projects", "repos", "dashboard", "inbox", "profile", "markup",
                                                        "admin", "users", "application-properties"};

constexpr PathRule kDeleteIsWrite[] = {
    {"pullrequests/*/approve", true, "withdraws an approval"},
    {"pullrequests/*/request-changes", true, "withdraws a change request"},
    {"pull-requests/*/approve", true, "withdraws an approval"},
    {"pull-requests/*/participants/*", true, "removes a reviewer"},
    {"default-reviewers/*", true, "removes a default reviewer"},
    {"issues/*/vote", true, "withdraws a vote"},
    {"issues/*/watch", true, "stops watching"},
    {"watch", true, "stops watching"},
    {"permissions-config/users/*", true, "removes a user's permission"},
    {"permissions-config/groups/*", true, "removes a group's permission"},
    {"permissions/users", true, "revokes a user's permission"},
    {"permissions/groups", true, "revokes a group's permission"},
};
constexpr PathRule kPostIsRead[] = {
    {"markup/preview", true, "renders Markdown"},
};
constexpr PathRule kRiskFlags[] = {
    {"pullrequests/*/merge", true, "merges into the destination branch"},
    {"pull-requests/*/merge", true, "merges into the destination branch"},
};
constexpr ForgeRestRules kBitbucketRules{"bitbucket", kDeleteIsWrite, kPostIsRead, kRiskFlags};

bool in_list(std::string_view word, std::span<const std::string_view> list) {
    for (auto item : list)
        if (word == item) return true;
    return false;
}

// "/rest/<family>/<1.0|latest>/..." → the part after the version (starting
// with '/'), or "" when the path is not a Bitbucket Data Center API path.
std::string_view data_center_api_path(std::string_view path) {
    constexpr auto npos = std::string_view::npos;
    if (!path.starts_with("/rest/")) return {};
    std::string_view rest = path.substr(6);
    std::size_t first = rest.find('/');
    if (first == npos) return {};
    std::string_view family = rest.substr(0, first);
    std::size_t second = rest.find('/', first + 1);
    std::string_view version = rest.substr(first + 1, second == npos ? npos : second - first - 1);
    if (!in_list(family, kDataCenterFamilies) || (version != "1.0" && version != "latest")) return {};
    std::string_view below = second == npos ? std::string_view("/") : rest.substr(second);
    if (family == "api") {
        std::size_t end = below.find('/', 1);
        std::string_view resource = below.substr(1, end == npos ? npos : end - 1);
        if (!in_list(resource, kDataCenterApiResources)) return {};
    }
    return below;
}

bool is_cloud(const HttpRequest& request) {
    return host_matches_pattern(request.host, kCloudApiHost) && (request.path == kCloudPrefix || request.path.starts_with("/2.0/"));
}

bool bitbucket_matches(const HttpRequest& request) { return is_cloud(request) || !data_center_api_path(request.path).empty(); }

bool is_branch_utils_delete(const HttpRequest& request) {
    return request.method == "DELETE" && request.path.starts_with("/rest/branch-utils/") && request.path.ends_with("/branches");
}

Classification classify_branch_delete(const HttpRequest& request, Classification result) {
    JsonTree body = parse_json(request.body);
    std::string name = json_string(body.get(), "name").value_or("");
    if (name.empty()) {
        result.detail = "delete a branch (the body names none) on " + request.host;
        result.flags.push_back("unparsed-body");
        return result;  // still destructive: the server may pick the ref from elsewhere
    }
    result.operation = "delete branch";
    result.detail = "delete branch " + name + " in " + request.path + " on " + request.host;
    // Only when every copy of a repeated "dryRun" key says true.
    if (json_flag_set_for_any_decoder(body.get(), "dryRun", [](const cJSON* member) { return cJSON_IsTrue(member); })) {
        result.tier = Tier::read;
        result.operation += " (dry-run)";
    }
    return result;
}

Classification bitbucket_classify(const HttpRequest& request) {
    std::string_view api_path = is_cloud(request) ? std::string_view(request.path).substr(kCloudPrefix.size())
                                                  : data_center_api_path(request.path);
    Classification result = classify_forge_rest(request.method, api_path, kBitbucketRules);
    result.detail += " on " + request.host;
    if (is_branch_utils_delete(request)) return classify_branch_delete(request, std::move(result));
    return result;
}

bool bitbucket_needs_body(const HttpRequest& request) { return is_branch_utils_delete(request); }

}  // namespace

// Every entry point sees the path with unreserved escapes decoded (url_query.h).
extern const Provider kBitbucketProvider{
    "bitbucket", [](const HttpRequest& r) { return on_normalized_path(r, bitbucket_matches); },
    [](const HttpRequest& r) { return on_normalized_path(r, bitbucket_classify); },
    [](const HttpRequest& r) { return on_normalized_path(r, bitbucket_needs_body); }};

}  // namespace askfirst::classifiers
