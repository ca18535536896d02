// classifiers/search_engine_routes.cpp — lookup in the generated
// Elasticsearch/OpenSearch route table (see search_engine_routes.h).
//
// The 1,292 rows are indexed once as a segment trie (route_template.h's
// RouteTemplateIndex): a linear scan of them cost 25-35 µs per request and
// ran up to three times per request (two providers' matches(), classify()).
#include "classifiers/search_engine_routes.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <span>
#include <utility>
#include <vector>

namespace askfirst::classifiers {
namespace {

constexpr SearchRoute kSearchRoutes[] = {
#include "classifiers/search_engine_routes.inc"
};

// Ranks a match: routes of the preferred flavour before others, then the
// more specific template (smaller parameter mask).
struct RouteRank {
    bool other_flavour;
    std::uint32_t parameter_mask;
    bool operator<(const RouteRank& other) const {
        if (other_flavour != other.other_flavour) return !other_flavour;
        return parameter_mask < other.parameter_mask;
    }
};

const RouteTemplateIndex& route_index() {
    static const RouteTemplateIndex index{std::span<const SearchRoute>(kSearchRoutes)};
    return index;
}

// Every API that some GET route serves, sorted by name, with the union of the
// flavours of its GET routes (a scan of all rows for each classified request
// cost ~6,000 instructions).
const std::vector<std::pair<std::string_view, std::uint8_t>>& get_api_flavours() {
    static const auto table = [] {
        std::vector<std::pair<std::string_view, std::uint8_t>> apis;
        for (const SearchRoute& row : kSearchRoutes)
            if (row.method == "GET") apis.emplace_back(row.api, row.flavours);
        std::sort(apis.begin(), apis.end());
        std::vector<std::pair<std::string_view, std::uint8_t>> merged;
        for (const auto& [api, flavours] : apis) {
            if (!merged.empty() && merged.back().first == api)
                merged.back().second = static_cast<std::uint8_t>(merged.back().second | flavours);
            else
                merged.emplace_back(api, flavours);
        }
        return merged;
    }();
    return table;
}

}  // namespace

const SearchRoute* find_search_route(std::string_view method, const RequestPath& path,
                                     std::uint8_t preferred) {
    const SearchRoute* best = nullptr;
    RouteRank best_rank{};
    route_index().for_each_match(path, [&](std::uint32_t index, std::uint32_t mask) {
        const SearchRoute& row = kSearchRoutes[index];
        if (row.method != method) return;
        const RouteRank rank{(row.flavours & preferred) == 0, mask};
        // Equal ranks: the earlier row, as a scan in table order would keep.
        if (best == nullptr || rank < best_rank || (!(best_rank < rank) && &row < best)) {
            best = &row;
            best_rank = rank;
        }
    });
    return best;
}

bool search_api_has_get_route(std::string_view api, std::uint8_t flavours) {
    const std::vector<std::pair<std::string_view, std::uint8_t>>& get_apis = get_api_flavours();
    auto it = std::lower_bound(get_apis.begin(), get_apis.end(), api,
                               [](const auto& entry, std::string_view wanted) { return entry.first < wanted; });
    return it != get_apis.end() && it->first == api && (it->second & flavours) != 0;
}

bool search_path_is_known(const RequestPath& path) {
    bool known = false;
    route_index().for_each_match(path, [&](std::uint32_t, std::uint32_t) { known = true; });
    return known;
}

}  // namespace askfirst::classifiers
