// classifiers/github_routes.cpp — the generated GitHub route table and its
// matcher; see classifiers/github_routes.h. The table is indexed once as a
// segment trie (route_trie.h), so a lookup walks the path's segments rather
// than every row.
#include "classifiers/github_routes.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <utility>
#include <vector>

#include "classifiers/route_trie.h"

namespace askfirst::classifiers {

namespace {

constexpr GithubRoute kGithubRoutes[] = {
#include "classifiers/generated/github_routes.inc"
};

// GitHub paths are short; a request with more segments matches no template.
constexpr std::size_t kMaxPathSegments = 64;

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

// Steps allowed for one request's walk of the trie when parameters may span
// segments: backtracking over long paths must not become a cost the agent
// can choose. The bound is the one the former linear scan had over the whole
// table; a walk of the trie needs far fewer steps for the same path.
constexpr std::size_t kMaxWalkSteps = 200000;

// The table as one segment trie per method (classifiers/route_trie.h), so a
// walk only meets that method's templates, plus, per row, its count of
// literal segments (the rank among matches); built once.
struct GithubRouteIndex {
    std::vector<std::pair<std::string_view, RouteTrie>> tries;  // by method, in first-seen order
    std::vector<int> literal_counts;

    GithubRouteIndex() {
        literal_counts.reserve(std::size(kGithubRoutes));
        std::vector<RouteSegment> segments;
        for (std::uint32_t row = 0; row < std::size(kGithubRoutes); ++row) {
            const Segments pattern = split_segments(kGithubRoutes[row].path_template);
            segments.clear();
            int literals = 0;
            for (std::size_t i = 0; i < pattern.count; ++i) {
                const bool parameter = pattern.items[i] == "{}";  // "{}...{}" is a literal, as before
                segments.push_back({pattern.items[i], parameter});
                literals += parameter ? 0 : 1;
            }
            trie_for(kGithubRoutes[row].method).add(segments, row);
            literal_counts.push_back(literals);
        }
    }

    RouteTrie& trie_for(std::string_view method) {
        for (auto& [name, trie] : tries)
            if (name == method) return trie;
        return tries.emplace_back(method, RouteTrie{}).second;
    }

    const RouteTrie* find_trie(std::string_view method) const {
        for (const auto& [name, trie] : tries)
            if (name == method) return &trie;
        return nullptr;
    }
};

const GithubRouteIndex& route_index() {
    static const GithubRouteIndex index;
    return index;
}

// Among the routes of `method` that match, the one with the most literal
// segments; the first in table order on a tie. A `{}` takes one non-empty
// segment, or (when `spanning`) one or more.
const GithubRoute* best_match(std::string_view method, const Segments& path, bool spanning) {
    const GithubRouteIndex& index = route_index();
    const RouteTrie* trie = index.find_trie(method);
    if (trie == nullptr) return nullptr;  // a method no route has
    std::uint32_t best = UINT32_MAX;
    const auto found = [&](std::uint32_t row) {
        if (best == UINT32_MAX || index.literal_counts[row] > index.literal_counts[best] ||
            (index.literal_counts[row] == index.literal_counts[best] && row < best))
            best = row;
    };
    const std::span<const std::string_view> segments(path.items.data(), path.count);
    const auto width = spanning ? ParameterWidth::one_or_more_segments : ParameterWidth::one_segment;
    if (!trie->match(segments, width, kMaxWalkSteps, found)) return nullptr;  // no trustworthy match
    return best == UINT32_MAX ? nullptr : &kGithubRoutes[best];
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
