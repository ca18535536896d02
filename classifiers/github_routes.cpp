// classifiers/github_routes.cpp — the generated GitHub route table and its
// matcher; see classifiers/github_routes.h.
#include "classifiers/github_routes.h"

#include <array>
#include <cstddef>

namespace askfirst::classifiers {

namespace {

constexpr GithubRoute kGithubRoutes[] = {
#include "classifiers/generated/github_routes.inc"
};

// GitHub paths are short; a request with more segments matches no template.
constexpr std::size_t kMaxPathSegments = 64;
// Matching steps allowed for one request when parameters may span segments:
// backtracking over long paths must not become a cost the agent can choose.
// Real paths need a few thousand steps over the whole table.
constexpr std::size_t kMaxSpanningSteps = 200000;

struct Segments {
    std::array<std::string_view, kMaxPathSegments> items{};
    std::size_t count = 0;
    bool overflow = false;
};

Segments split_segments(std::string_view path) {
    Segments segments;
    if (path.starts_with('/')) path.remove_prefix(1);
    if (path.ends_with('/')) path.remove_suffix(1);
    if (path.empty()) return segments;
    while (true) {
        std::size_t slash = path.find('/');
        if (segments.count == kMaxPathSegments) {
            segments.overflow = true;
            return segments;
        }
        segments.items[segments.count++] = path.substr(0, slash);
        if (slash == std::string_view::npos) return segments;
        path.remove_prefix(slash + 1);
    }
}

// Does template[t..] match path[p..]? A `{}` takes one non-empty segment, or
// (when `spanning`) one or more. Returns the literal-segment count or -1.
int match_from(const Segments& pattern, std::size_t t, const Segments& path, std::size_t p, bool spanning,
               std::size_t& steps) {
    if (++steps > kMaxSpanningSteps) return -1;
    if (t == pattern.count) return p == path.count ? 0 : -1;
    if (p == path.count) return -1;
    if (pattern.items[t] != "{}") {
        if (pattern.items[t] != path.items[p]) return -1;
        int rest = match_from(pattern, t + 1, path, p + 1, spanning, steps);
        return rest < 0 ? -1 : rest + 1;
    }
    if (path.items[p].empty()) return -1;
    std::size_t longest = spanning ? path.count - p : 1;
    for (std::size_t taken = 1; taken <= longest; ++taken) {
        int rest = match_from(pattern, t + 1, path, p + taken, spanning, steps);
        if (rest >= 0) return rest;
    }
    return -1;
}

const GithubRoute* best_match(std::string_view method, const Segments& path, bool spanning) {
    const GithubRoute* best = nullptr;
    int best_literals = -1;
    std::size_t steps = 0;
    for (const GithubRoute& route : kGithubRoutes) {
        if (route.method != method) continue;
        Segments pattern = split_segments(route.path_template);
        if (!spanning && pattern.count != path.count) continue;
        int literals = match_from(pattern, 0, path, 0, spanning, steps);
        if (literals > best_literals) {
            best = &route;
            best_literals = literals;
        }
    }
    return steps > kMaxSpanningSteps ? nullptr : best;  // out of budget: no trustworthy match
}

}  // namespace

const GithubRoute* match_github_route(std::string_view method, std::string_view path) {
    Segments segments = split_segments(path);
    if (segments.overflow) return nullptr;
    std::string_view table_method = method == "HEAD" ? std::string_view("GET") : method;
    for (bool spanning : {false, true})
        if (const GithubRoute* route = best_match(table_method, segments, spanning)) return route;
    return nullptr;
}

}  // namespace askfirst::classifiers
