// classifiers/route_trie.h — a segment trie over a constant table of REST
// URL templates, built once at first use, so that naming a request's
// operation walks the path's segments instead of comparing the path with
// every row of a generated table (GitHub: 1,591 rows, Elasticsearch/
// OpenSearch: 1,292, DigitalOcean: 659; a linear scan cost tens of µs per
// request, issue 5's budget is 5 µs).
//
// The trie only finds which rows match; each caller keeps its own ranking
// among matches (github_routes.cpp: most literal segments; route_template.h
// tables: the parameter mask), breaking ties by row order as the linear
// scans did, so the chosen route is the same. (One difference: a GitHub path
// of 40+ segments on which the former scan ran out of its step budget, and
// fell back to "unknown route", now gets the route its spanning parameters
// match; see match() on why the walk stays cheap.)
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace askfirst::classifiers {

// One segment of a template: a literal compared byte for byte, or a parameter.
struct RouteSegment {
    std::string_view text;
    bool parameter = false;
};

// How many path segments one template parameter may take.
enum class ParameterWidth {
    one_segment,          // `{name}` is exactly one non-empty segment
    one_or_more_segments  // a ref "heads/feature/x" or a file path: the first non-empty
};

class RouteTrie {
public:
    RouteTrie() : nodes_(1) {}

    // Adds template row `row`. All rows are added before the first match().
    // (Inline, like the walk: the fuzz targets list the .cpp files they build.)
    void add(std::span<const RouteSegment> segments, std::uint32_t row) {
        std::uint32_t node = 0;
        for (const RouteSegment& segment : segments) {
            std::uint32_t next = segment.parameter ? nodes_[node].parameter_child : literal_child(node, segment.text);
            if (next == kNoNode) {
                next = static_cast<std::uint32_t>(nodes_.size());
                nodes_.emplace_back();  // may move nodes_: index the parent again below
                Node& parent = nodes_[node];
                if (segment.parameter) {
                    parent.parameter_child = next;
                } else {
                    auto& children = parent.literal_children;
                    children.insert(std::lower_bound(children.begin(), children.end(), segment.text, text_before),
                                    {segment.text, next});
                }
            }
            node = next;
        }
        nodes_[node].rows.push_back(row);
    }

    // Calls found(row) for every template row that matches `path`, once per
    // row. Returns false when more than `max_steps` trie steps were needed:
    // the walk stopped early and the matches reported are incomplete.
    //
    // With one segment per parameter, the position in the path is the depth
    // in the trie, so each node is visited at most once. With spanning
    // parameters the same (node, position) can be reached by many splits of
    // the path (C(n, k) for k parameters in a row); the walk remembers the
    // pairs it has seen (one bit each, allocated only for such walks), which
    // bounds it by nodes x positions.
    template <typename Found>
    bool match(std::span<const std::string_view> path, ParameterWidth width, std::size_t max_steps,
               Found&& found) const {
        std::vector<bool> seen;
        if (width == ParameterWidth::one_or_more_segments) seen.resize(nodes_.size() * (path.size() + 1));
        Walk<Found> walk{*this, path, width, max_steps, 0, found, seen};
        walk.visit(0, 0);
        return walk.steps <= max_steps;
    }

private:
    static constexpr std::uint32_t kNoNode = UINT32_MAX;

    struct Node {
        std::vector<std::pair<std::string_view, std::uint32_t>> literal_children;  // sorted by text
        std::uint32_t parameter_child = kNoNode;
        std::vector<std::uint32_t> rows;  // templates that end here
    };

    static bool text_before(const std::pair<std::string_view, std::uint32_t>& child, std::string_view wanted) {
        return child.first < wanted;
    }

    std::uint32_t literal_child(std::uint32_t node, std::string_view text) const {
        const auto& children = nodes_[node].literal_children;
        auto it = std::lower_bound(children.begin(), children.end(), text, text_before);
        return it != children.end() && it->first == text ? it->second : kNoNode;
    }

    // Depth-first over (trie node, path position); every step is counted.
    template <typename Found>
    struct Walk {
        const RouteTrie& trie;
        std::span<const std::string_view> path;
        ParameterWidth width;
        std::size_t max_steps;
        std::size_t steps;
        Found& found;
        std::vector<bool>& seen;  // by node * (path.size() + 1) + position; empty: not needed

        void visit(std::uint32_t node, std::size_t position) {
            if (!seen.empty()) {
                const std::size_t at = node * (path.size() + 1) + position;
                if (seen[at]) return;  // this (node, position) already reported its rows
                seen[at] = true;
            }
            if (++steps > max_steps) return;
            const Node& here = trie.nodes_[node];
            if (position == path.size()) {
                for (std::uint32_t row : here.rows) found(row);
                return;
            }
            if (std::uint32_t next = trie.literal_child(node, path[position]); next != kNoNode)
                visit(next, position + 1);
            if (here.parameter_child == kNoNode || path[position].empty()) return;
            const std::size_t widest = width == ParameterWidth::one_segment ? 1 : path.size() - position;
            for (std::size_t taken = 1; taken <= widest && steps <= max_steps; ++taken)
                visit(here.parameter_child, position + taken);
        }
    };

    std::vector<Node> nodes_;
};

}  // namespace askfirst::classifiers
