// classifiers/gitea.cpp — the `gitea` provider: the Gitea and Forgejo REST
// API under /api/v1 (codeberg.org, gitea.com, self-hosted instances).
//
// Recognition: /api/v1/… on a known Gitea/Forgejo host, or with a Gitea
// client fingerprint (User-Agent tea/…, Gitea or Forgejo; X-Gitea-OTP /
// X-Forgejo-OTP; `Authorization: token …`). The Kubernetes API also lives
// under /api/v1 and is registered earlier: it needs kubectl/client-go,
// port 6443 or a bare IP address, so a Gitea on a bare IP address is
// judged as Kubernetes (both label DELETE destructive and GET read).
//
// Labels (classifiers/forge_rest.h): GET → read; POST/PUT/PATCH → write,
// except Markdown rendering; DELETE → destructive, except the DELETEs that
// unstar, unwatch, unfollow, remove a collaborator, member, label, topic,
// reviewer or assignee, unpin or unblock (writes).
#include <string>

#include "classifiers/forge_rest.h"
#include "classifiers/provider.h"
#include "classifiers/url_query.h"

namespace askfirst::classifiers {

namespace {

constexpr std::string_view kPrefix = "/api/v1";
constexpr std::string_view kGiteaHosts[] = {"codeberg.org", "gitea.com", "*.gitea.com", "next.forgejo.org"};
constexpr std::string_view kClientMarks[] = {"tea/", "Gitea", "gitea", "Forgejo", "forgejo"};

constexpr PathRule kDeleteIsWrite[] = {
    {"user/starred/*/*", true, "unstars a repository"},
    {"repos/*/*/subscription", true, "stops watching a repository"},
    {"user/following/*", true, "unfollows a user"},
    {"collaborators/*", true, "removes a collaborator"},
    {"issues/*/labels/*", true, "removes a label from an issue"},
    {"issues/*/labels", true, "clears an issue's labels"},
    {"topics/*", true, "removes a topic"},
    {"orgs/*/members/*", true, "removes an organization member"},
    {"orgs/*/public_members/*", true, "conceals a membership"},
    {"teams/*/members/*", true, "removes a team member"},
    {"teams/*/repos/*/*", true, "removes a repository from a team"},
    {"requested_reviewers", true, "removes requested reviewers"},
    {"assignees", true, "removes assignees"},
    {"issues/*/subscriptions/*", true, "unsubscribes from an issue"},
    {"issues/*/pin", true, "unpins an issue"},
    {"issues/*/stopwatch/delete", true, "cancels a stopwatch"},
    {"blocks/*", true, "unblocks a user"},
};
constexpr PathRule kPostIsRead[] = {
    {"markdown", true, "renders Markdown"},
    {"markdown/raw", true, "renders Markdown"},
    {"markup", true, "renders markup"},
};
constexpr PathRule kRiskFlags[] = {
    {"repos/*/*/transfer", true, "transfers the repository to another owner"},
    {"pulls/*/merge", true, "merges into the base branch"},
};
constexpr ForgeRestRules kGiteaRules{"gitea", kDeleteIsWrite, kPostIsRead, kRiskFlags};

bool has_gitea_fingerprint(const HttpRequest& request) {
    std::string_view agent = request.header("User-Agent");
    for (auto mark : kClientMarks)
        if (agent.find(mark) != std::string_view::npos) return true;
    if (request.has_header("X-Gitea-OTP") || request.has_header("X-Forgejo-OTP")) return true;
    return request.header("Authorization").starts_with("token ");
}

bool gitea_matches(const HttpRequest& request) {
    std::string_view path = request.path;
    if (!path.starts_with(kPrefix) || (path.size() > kPrefix.size() && path[kPrefix.size()] != '/')) return false;
    return host_matches_any(request.host, kGiteaHosts) || has_gitea_fingerprint(request);
}

Classification gitea_classify(const HttpRequest& request) {
    Classification result = classify_forge_rest(request.method, std::string_view(request.path).substr(kPrefix.size()), kGiteaRules);
    result.detail += " on " + request.host;
    return result;
}

bool gitea_needs_body(const HttpRequest&) { return false; }

}  // namespace

// Every entry point sees the path with unreserved escapes decoded (url_query.h).
extern const Provider kGiteaProvider{
    "gitea", [](const HttpRequest& r) { return on_normalized_path(r, gitea_matches); },
    [](const HttpRequest& r) { return on_normalized_path(r, gitea_classify); },
    [](const HttpRequest& r) { return on_normalized_path(r, gitea_needs_body); }};

}  // namespace askfirst::classifiers
