// classifiers/classification.cpp — the small value helpers of the classifier
// interface (classifiers/classification.h): tier names and header lookup.
#include "classifiers/classification.h"

#include <iterator>

namespace askfirst::classifiers {
namespace {

// Indexed by Tier; the audit log, `askfirst classify` and the corpus spell them so.
constexpr std::string_view kTierNames[] = {"read", "write", "destructive"};
static_assert(std::size(kTierNames) == static_cast<std::size_t>(Tier::destructive) + 1,
              "kTierNames must name every Tier");

}  // namespace

std::string_view tier_name(Tier tier) {
    const auto index = static_cast<std::size_t>(tier);
    return index < std::size(kTierNames) ? kTierNames[index] : "write";
}

std::optional<Tier> parse_tier(std::string_view name) {
    for (std::size_t i = 0; i < std::size(kTierNames); ++i)
        if (kTierNames[i] == name) return static_cast<Tier>(i);
    return std::nullopt;
}

std::string_view HttpRequest::header(std::string_view name) const {
    for (const Header& h : headers)
        if (equals_ignoring_ascii_case(h.name, name)) return h.value;
    return {};
}

bool HttpRequest::has_header(std::string_view name) const {
    for (const Header& h : headers)
        if (equals_ignoring_ascii_case(h.name, name)) return true;
    return false;
}

}  // namespace askfirst::classifiers
