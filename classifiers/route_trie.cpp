// classifiers/route_trie.cpp — building the segment trie of route_trie.h.
#include "classifiers/route_trie.h"

namespace askfirst::classifiers {

void RouteTrie::add(std::span<const RouteSegment> segments, std::uint32_t row) {
    std::uint32_t node = 0;
    for (const RouteSegment& segment : segments) {
        std::uint32_t next = segment.parameter ? nodes_[node].parameter_child : literal_child(node, segment.text);
        if (next == kNoNode) {
            next = static_cast<std::uint32_t>(nodes_.size());
            nodes_.emplace_back();  // may move nodes_: index it again below
            Node& parent = nodes_[node];
            if (segment.parameter) {
                parent.parameter_child = next;
            } else {
                auto& children = parent.literal_children;
                auto at = std::lower_bound(children.begin(), children.end(), segment.text,
                                           [](const auto& child, std::string_view wanted) { return child.first < wanted; });
                children.insert(at, {segment.text, next});
            }
        }
        node = next;
    }
    nodes_[node].rows.push_back(row);
}

}  // namespace askfirst::classifiers
