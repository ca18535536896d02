// classifiers/github_routes.h — GitHub REST route templates (generated from
// @octokit/openapi, classifiers/generated/github_routes.inc) and the matcher
// that finds the operationId for a method and path. Used by the `github`
// provider (classifiers/github.cpp); tests call it directly.
#pragma once

#include <string_view>

#include "classifiers/classification.h"

namespace askfirst::classifiers {

struct GithubRoute {
    std::string_view method;        // "GET", "DELETE", ...
    std::string_view path_template; // "/repos/{}/{}/git/refs/{}": `{}` is one parameter
    std::string_view operation_id;  // "git/delete-ref"
};

// The best route for `method` and `path` (no query, no /api/v3 prefix):
// templates whose parameters each take one path segment are tried first;
// only if none matches may a parameter span several segments (a ref such as
// "heads/feature/x", a file path). Among matches the one with the most
// literal segments wins. HEAD also matches GET routes. nullptr if none.
const GithubRoute* match_github_route(std::string_view method, std::string_view path);

// The label of a GitHub REST operation (§3): GET/HEAD read; DELETE
// destructive only when the operationId says delete; otherwise the verb
// lexicon on the operationId, with the provider's override table.
Tier github_rest_tier(std::string_view method, std::string_view operation_id);

}  // namespace askfirst::classifiers
