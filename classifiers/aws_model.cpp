// classifiers/aws_model.cpp — lookups over the generated AWS tables
// (classifiers/aws_model.h): binary searches over sorted indices, no
// allocation, no start-up work.
#include "classifiers/aws_model.h"

#include <algorithm>
#include "classifiers/classification.h"
#include <cstring>

namespace askfirst::classifiers::aws_model {
namespace {

int compare_ignoring_case(std::string_view a, std::string_view b) {
    const std::size_t n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        const char ca = ascii_lower(a[i]);
        const char cb = ascii_lower(b[i]);
        if (ca != cb) return ca < cb ? -1 : 1;
    }
    if (a.size() == b.size()) return 0;
    return a.size() < b.size() ? -1 : 1;
}

// Indices in `index` whose service field (by `field`) equals `key`.
template <typename Field>
std::span<const std::uint16_t> equal_range_of(std::span<const std::uint16_t> index,
                                              std::string_view key, Field field) {
    const auto [first, last] = std::equal_range(
        index.begin(), index.end(), key,
        [&](const auto& lhs, const auto& rhs) {
            if constexpr (std::is_same_v<std::decay_t<decltype(lhs)>, std::string_view>)
                return lhs < std::string_view(field(kModel.services[rhs]));
            else
                return std::string_view(field(kModel.services[lhs])) < rhs;
        });
    return {first, last};
}

}  // namespace

std::span<const Service> services_signed_as(std::string_view signing_name) {
    const auto [first, last] = std::equal_range(
        kModel.services.begin(), kModel.services.end(), signing_name,
        [](const auto& lhs, const auto& rhs) {
            if constexpr (std::is_same_v<std::decay_t<decltype(lhs)>, std::string_view>)
                return lhs < std::string_view(rhs.signing_name);
            else
                return std::string_view(lhs.signing_name) < rhs;
        });
    return {first, last};
}

std::span<const std::uint16_t> services_with_endpoint_prefix(std::string_view prefix) {
    return equal_range_of(kModel.by_endpoint_prefix, prefix,
                          [](const Service& s) { return s.endpoint_prefix; });
}

std::span<const std::uint16_t> services_with_target_prefix(std::string_view prefix) {
    return equal_range_of(kModel.by_target_prefix, prefix,
                          [](const Service& s) { return s.target_prefix; });
}

std::span<const Operation> operations_of(const Service& service) {
    return kModel.operations.subspan(service.first_operation, service.operation_count);
}

std::span<const Route> routes_of(const Service& service) {
    return kModel.routes.subspan(service.first_route, service.route_count);
}

const Operation* find_operation(const Service& service, std::string_view name) {
    const auto operations = operations_of(service);
    const auto it = std::lower_bound(
        operations.begin(), operations.end(), name,
        [](const Operation& op, std::string_view key) { return compare_ignoring_case(op.name, key) < 0; });
    if (it == operations.end() || compare_ignoring_case(it->name, name) != 0) return nullptr;
    return &*it;
}

}  // namespace askfirst::classifiers::aws_model
