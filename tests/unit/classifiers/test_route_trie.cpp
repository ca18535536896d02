// tests/unit/classifiers/test_route_trie.cpp — the segment trie behind the
// generated route tables (classifiers/route_trie.h) and RouteTemplateIndex
// (classifiers/route_template.h): it must find exactly the rows a scan of
// every row with match_route() finds, with the same masks.
#include <doctest.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "classifiers/route_template.h"
#include "classifiers/route_trie.h"

using namespace askfirst::classifiers;

namespace {

// Templates in GitHub's notation: "{}" is a parameter, anything else literal.
RouteTrie trie_of(const std::vector<std::vector<std::string_view>>& templates) {
    RouteTrie trie;
    for (std::uint32_t row = 0; row < templates.size(); ++row) {
        std::vector<RouteSegment> segments;
        for (std::string_view text : templates[row]) segments.push_back({text, text == "{}"});
        trie.add(segments, row);
    }
    return trie;
}

std::vector<std::uint32_t> rows_matching(const RouteTrie& trie, const std::vector<std::string_view>& path,
                                         ParameterWidth width, std::size_t max_steps = SIZE_MAX) {
    std::vector<std::uint32_t> rows;
    trie.match(path, width, max_steps, [&](std::uint32_t row) {
        if (std::find(rows.begin(), rows.end(), row) == rows.end()) rows.push_back(row);
    });
    std::sort(rows.begin(), rows.end());
    return rows;
}

const std::vector<std::vector<std::string_view>> kTemplates = {
    {"repos", "{}", "{}"},                  // 0
    {"repos", "{}", "{}", "git", "refs", "{}"},  // 1
    {"repos", "{}", "{}", "contents", "{}"},     // 2
    {"repos", "{}", "{}", "contents", "{}"},     // 3: same template, another method's row
    {"{}", "releases"},                     // 4: parameter first
    {},                                     // 5: the root "/"
    {"repos", "{}", "{}", "{}...{}"},       // 6: "{}...{}" is a literal, not a parameter
};

}  // namespace

TEST_CASE("route trie: one segment per parameter finds the rows of that exact shape") {
    const RouteTrie trie = trie_of(kTemplates);
    struct Row {
        std::vector<std::string_view> path;
        std::vector<std::uint32_t> rows;
    } rows[] = {
        {{"repos", "acme", "web"}, {0}},
        {{"repos", "acme", "web", "git", "refs", "main"}, {1}},
        {{"repos", "acme", "web", "git", "refs", "heads", "main"}, {}},  // a ref with a slash needs spanning
        {{"repos", "acme", "web", "contents", "a.txt"}, {2, 3}},       // every row at the node
        {{"repos", "releases"}, {4}},                                   // literal and parameter both tried
        {{}, {5}},
        {{"repos", "acme"}, {}},
        {{"repos", "", "web"}, {}},  // an empty segment is no parameter value
        {{"repos", "acme", "web", "a...b"}, {}},
        {{"repos", "acme", "web", "{}...{}"}, {6}},
    };
    for (const Row& row : rows) {
        CAPTURE(row.path.size());
        CHECK(rows_matching(trie, row.path, ParameterWidth::one_segment) == row.rows);
    }
}

TEST_CASE("route trie: spanning parameters take one or more segments") {
    const RouteTrie trie = trie_of(kTemplates);
    const auto spanning = ParameterWidth::one_or_more_segments;
    CHECK(rows_matching(trie, {"repos", "acme", "web", "git", "refs", "heads", "feature", "x"}, spanning) ==
          std::vector<std::uint32_t>{0, 1});  // no "contents" segment: rows 2 and 3 cannot match
    CHECK(rows_matching(trie, {"repos", "acme", "web", "contents", "docs", "a.txt"}, spanning) ==
          std::vector<std::uint32_t>{0, 2, 3});
    CHECK(rows_matching(trie, {"repos", "", "web"}, spanning).empty());  // the first segment taken is non-empty
    CHECK(rows_matching(trie, {"repos", "acme", "", "x"}, spanning) == std::vector<std::uint32_t>{0});
}

TEST_CASE("route trie: spanning walks are bounded by nodes x positions, and the budget still holds") {
    const RouteTrie trie = trie_of({{"{}", "{}", "{}", "{}", "end"}});
    std::vector<std::string_view> path(40, "x");
    path.back() = "end";
    // C(38, 3) = 8,436 splits of the 39 x's among the four parameters; each
    // (node, position) pair is walked once: six nodes x 41 positions at most.
    std::size_t found = 0;
    CHECK(trie.match(path, ParameterWidth::one_or_more_segments, 6 * 41, [&](std::uint32_t) { ++found; }));
    CHECK(found == 1);
    // Too small a budget: the walk stops and says its answer is incomplete.
    CHECK_FALSE(trie.match(path, ParameterWidth::one_or_more_segments, 10, [](std::uint32_t) {}));
}

namespace {

struct TemplateRow {
    std::string_view route;
};

constexpr TemplateRow kTemplateRows[] = {
    {"/_nodes/stats/{metric}"},
    {"/_nodes/{node_id}/{metric}"},
    {"/_nodes/{node_id}/stats"},
    {"/{index}/_doc/{id}"},
    {"/{index}"},
    {"/_bulk"},
    {"/v2/droplets/{droplet_id}/actions"},
    {"//v2//droplets//"},  // empty segments are dropped, as match_route() drops them
};

}  // namespace

TEST_CASE("route template index: same rows and masks as match_route() on every row") {
    const RouteTemplateIndex index{std::span<const TemplateRow>(kTemplateRows)};
    const std::string_view paths[] = {
        "/_nodes/stats/_all", "/_nodes/n1/stats", "/logs/_doc/7", "/logs", "/_bulk", "/%5Fbulk", "/",
        "/v2/droplets/12/actions", "/v2/droplets", "//v2/droplets/", "/logs/_doc", "/a/b/c/d/e",
    };
    for (std::string_view text : paths) {
        CAPTURE(text);
        const RequestPath path = split_request_path(text);
        std::vector<std::pair<std::uint32_t, std::uint32_t>> scanned, indexed;
        for (std::uint32_t row = 0; row < std::size(kTemplateRows); ++row)
            if (auto mask = match_route(kTemplateRows[row].route, path)) scanned.emplace_back(row, *mask);
        index.for_each_match(path, [&](std::uint32_t row, std::uint32_t mask) { indexed.emplace_back(row, mask); });
        std::sort(indexed.begin(), indexed.end());
        CHECK(indexed == scanned);
    }
}

TEST_CASE("route template index: a path over the segment bound matches nothing") {
    const RouteTemplateIndex index{std::span<const TemplateRow>(kTemplateRows)};
    std::string text;
    for (std::size_t i = 0; i <= kMaxRouteSegments; ++i) text += "/x";
    const RequestPath path = split_request_path(text);
    REQUIRE(path.too_long);
    bool found = false;
    index.for_each_match(path, [&](std::uint32_t, std::uint32_t) { found = true; });
    CHECK_FALSE(found);
}
