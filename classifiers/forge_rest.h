// classifiers/forge_rest.h — the method-and-path rules shared by the REST
// APIs of forges without an operation table here (GitLab, Bitbucket Cloud
// and Data Center, Gitea/Forgejo) and by Fly.io's Machines API
// (../shared/classifier-rules.md §5, §6, §15 Fly.io).
//
// Labels: GET/HEAD/OPTIONS → read; POST/PUT/PATCH → write, except POSTs
// whose endpoint only reads (markdown rendering, CI lint); DELETE →
// destructive, except DELETEs that remove an association or a flag and
// leave both sides (unprotect, unshare, unstar, remove a member or
// reviewer), which are writes. An unknown method is a write.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "classifiers/classification.h"

namespace askfirst::classifiers {

// A path rule: a request matches when its path (below the API prefix)
// contains `segments` as consecutive literal segments, `*` standing for any
// one segment; with `at_end` the match must end the path.
struct PathRule {
    std::string_view segments;  // e.g. "protected_branches/*", "repository/merged_branches"
    bool at_end;
    std::string_view reason;    // why the rule exists, shown as a flag where it flags
};

struct ForgeRestRules {
    std::string_view provider;                   // "gitlab", "bitbucket", "gitea", "fly"
    std::span<const PathRule> delete_is_write;   // DELETEs that only remove an association or flag
    std::span<const PathRule> post_is_read;      // POSTs that only read
    std::span<const PathRule> risk_flags;        // writes or deletes that deserve a flag (any method but GET)
};

// Does `path` (no query) match `rule`?
bool path_matches_rule(std::string_view path, const PathRule& rule);

// Classifies by the rules above. `api_path` is the path below the API prefix
// (e.g. "/projects/1/repository/branches/x" for GitLab's /api/v4/…); the
// operation is "<METHOD> <api_path>".
Classification classify_forge_rest(const std::string& method, std::string_view api_path, const ForgeRestRules& rules);

}  // namespace askfirst::classifiers
