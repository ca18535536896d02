// classifiers/search_engine_routes.cpp — lookup in the generated
// Elasticsearch/OpenSearch route table (see search_engine_routes.h).
//
// A linear scan: 1,318 rows, each rejected on its method or first segment
// in a few compares; no index is worth its code at this size.
#include "classifiers/search_engine_routes.h"

#include <iterator>

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

}  // namespace

const SearchRoute* find_search_route(std::string_view method, const RequestPath& path,
                                     std::uint8_t preferred) {
    const SearchRoute* best = nullptr;
    RouteRank best_rank{};
    for (const SearchRoute& row : kSearchRoutes) {
        if (row.method != method) continue;
        const auto mask = match_route(row.route, path);
        if (!mask) continue;
        const RouteRank rank{(row.flavours & preferred) == 0, *mask};
        if (best == nullptr || rank < best_rank) {
            best = &row;
            best_rank = rank;
        }
    }
    return best;
}

bool search_api_has_get_route(std::string_view api, std::uint8_t flavours) {
    for (const SearchRoute& row : kSearchRoutes)
        if (row.api == api && row.method == "GET" && (row.flavours & flavours) != 0) return true;
    return false;
}

bool search_path_is_known(const RequestPath& path) {
    for (const SearchRoute& row : kSearchRoutes)
        if (match_route(row.route, path)) return true;
    return false;
}

}  // namespace askfirst::classifiers
