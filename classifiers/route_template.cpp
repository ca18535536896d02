// classifiers/route_template.cpp — REST URL template matching for the cloud
// classifiers (see route_template.h for the rules).
#include "classifiers/route_template.h"

#include <algorithm>

#include "classifiers/url_query.h"

namespace askfirst::classifiers {
namespace {

bool is_parameter(std::string_view segment) {
    return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

// Calls visit(segment) for each non-empty '/'-separated segment of `text`;
// stops early when visit returns false.
template <typename Visit>
void for_each_segment(std::string_view text, Visit visit) {
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('/', start);
        if (end == std::string_view::npos) end = text.size();
        if (end > start && !visit(text.substr(start, end - start))) return;
        start = end + 1;
    }
}

}  // namespace

RequestPath split_request_path(std::string_view path) {
    RequestPath result;
    // One allocation for the list instead of one per growth step.
    std::size_t count = 0;
    for_each_segment(path, [&](std::string_view) { return ++count <= kMaxRouteSegments; });
    result.segments.reserve(std::min(count, kMaxRouteSegments));
    for_each_segment(path, [&](std::string_view segment) {
        if (result.segments.size() == kMaxRouteSegments) {
            result.too_long = true;
            return false;
        }
        // '+' is a literal in a path; only %XX escapes are decoded.
        result.segments.push_back(percent_decode(segment, /*plus_is_space=*/false));
        return true;
    });
    return result;
}

std::optional<std::uint32_t> match_route(std::string_view route, const RequestPath& path) {
    if (path.too_long) return std::nullopt;
    const std::size_t count = path.segments.size();
    std::uint32_t mask = 0;
    std::size_t index = 0;
    bool matched = true;
    for_each_segment(route, [&](std::string_view segment) {
        if (index == count) {
            matched = false;
            return false;
        }
        if (is_parameter(segment)) {
            mask |= std::uint32_t{1} << (count - 1 - index);
        } else if (segment != path.segments[index]) {
            matched = false;
            return false;
        }
        ++index;
        return true;
    });
    if (!matched || index != count) return std::nullopt;
    return mask;
}

std::string_view route_parameter(std::string_view route, const RequestPath& path,
                                 std::string_view parameter) {
    std::size_t index = 0;
    std::string_view found;
    for_each_segment(route, [&](std::string_view segment) {
        if (index >= path.segments.size()) return false;
        if (is_parameter(segment) && segment.substr(1, segment.size() - 2) == parameter) {
            found = path.segments[index];
            return false;
        }
        ++index;
        return true;
    });
    return found;
}

const MethodRoute* best_method_route(std::span<const MethodRoute> rows, std::string_view method,
                                     const RequestPath& path) {
    const MethodRoute* best = nullptr;
    std::uint32_t best_mask = 0;
    for (const MethodRoute& row : rows) {
        if (row.method != method) continue;
        const auto mask = match_route(row.route, path);
        if (mask && (best == nullptr || *mask < best_mask)) {
            best = &row;
            best_mask = *mask;
        }
    }
    return best;
}

void RouteTemplateIndex::add(std::string_view route, std::uint32_t row) {
    std::vector<RouteSegment> segments;
    for_each_segment(route, [&](std::string_view segment) {
        segments.push_back({segment, is_parameter(segment)});
        return true;
    });
    std::uint32_t mask = 0;
    // A template longer than kMaxRouteSegments matches no request path (too_long), so
    // it is left out rather than given a mask that cannot hold its parameters.
    if (segments.size() > kMaxRouteSegments) {
        masks_.push_back(0);
        return;
    }
    for (std::size_t i = 0; i < segments.size(); ++i)
        if (segments[i].parameter) mask |= std::uint32_t{1} << (segments.size() - 1 - i);
    masks_.push_back(mask);
    trie_.add(segments, row);
}

}  // namespace askfirst::classifiers
