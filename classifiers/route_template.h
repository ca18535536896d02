// classifiers/route_template.h — matching a request path against REST URL
// templates ("/{index}/_doc/{id}", "/v2/droplets/{droplet_id}/actions"), the
// step that names the operation for the spec-table providers
// (Elasticsearch/OpenSearch, DigitalOcean) and the hand-written route tables
// of the other cloud APIs.
//
// A template segment is a literal or a `{name}` parameter that takes exactly
// one non-empty path segment. When several templates match, the most
// specific wins: the one with a literal at the earliest position where they
// differ ("_`-prefixed built-in endpoints win over `/{index}`",
// ../shared/classifier-rules.md §9). Segments are percent-decoded before
// they are compared, so "/%5Fbulk" is "/_bulk", as servers route it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "classifiers/classification.h"
#include "classifiers/route_trie.h"

namespace askfirst::classifiers {

// The longest template in the generated tables has 9 segments; a 32-bit
// specificity mask bounds what we compare. Longer paths match no template.
inline constexpr std::size_t kMaxRouteSegments = 32;

// A request path split at '/', empty segments dropped, each percent-decoded.
struct RequestPath {
    std::vector<std::string> segments;
    bool too_long = false;  // more than kMaxRouteSegments segments
};

RequestPath split_request_path(std::string_view path);

// Does `route` (a template) match `path`? If so, a mask with bit
// (count-1-i) set where segment i is a parameter: between two matches of the
// same path, the smaller mask is the more specific template.
std::optional<std::uint32_t> match_route(std::string_view route, const RequestPath& path);

// The value of the parameter segment that `route` names `parameter` (without
// braces) in a path the route matched; empty if the route has no such name.
std::string_view route_parameter(std::string_view route, const RequestPath& path,
                                 std::string_view parameter);

// One row of a small hand-kept route table (classifiers/llm.cpp,
// classifiers/packages.cpp): a method, a template, the operation it names
// and its tier, with an optional flag.
struct MethodRoute {
    std::string_view method;     // exact, e.g. "POST"
    std::string_view route;      // template, e.g. "/v1/files/{file_id}"
    std::string_view operation;  // e.g. "files.delete"
    Tier tier;
    std::string_view flag;       // "" or a flag for the dialog and the audit
};

// The most specific row for `method` whose template matches `path`, or
// nullptr. Linear: these tables hold tens of rows, not thousands.
const MethodRoute* best_method_route(std::span<const MethodRoute> rows, std::string_view method,
                                     const RequestPath& path);

// A constant table of rows with a `route` template, indexed once as a segment
// trie (route_trie.h): for_each_match() finds the same rows, with the same
// masks, as calling match_route() on every row, without visiting the others.
class RouteTemplateIndex {
public:
    template <typename Row>
    explicit RouteTemplateIndex(std::span<const Row> rows) {
        masks_.reserve(rows.size());
        for (std::size_t row = 0; row < rows.size(); ++row) add(rows[row].route, static_cast<std::uint32_t>(row));
    }

    // Calls found(row, mask) for each row whose template matches `path`, in
    // no particular order; `mask` is what match_route() returns for it.
    template <typename Found>
    void for_each_match(const RequestPath& path, Found&& found) const {
        if (path.too_long) return;
        std::array<std::string_view, kMaxRouteSegments> segments{};
        for (std::size_t i = 0; i < path.segments.size(); ++i) segments[i] = path.segments[i];
        // One segment per parameter: each trie node is visited at most once,
        // so the walk is bounded by the table's size, not by a step budget.
        trie_.match(std::span<const std::string_view>(segments.data(), path.segments.size()),
                    ParameterWidth::one_segment, SIZE_MAX, [&](std::uint32_t row) { found(row, masks_[row]); });
    }

private:
    void add(std::string_view route, std::uint32_t row);

    RouteTrie trie_;
    std::vector<std::uint32_t> masks_;  // by row: match_route()'s mask for a path of the template's length
};

}  // namespace askfirst::classifiers
