// classifiers/classification.cpp — the small value helpers of the classifier
// interface (classifiers/classification.h): tier names and header lookup.
#include "classifiers/classification.h"

namespace askfirst::classifiers {

std::string_view tier_name(Tier tier) {
    switch (tier) {
        case Tier::read: return "read";
        case Tier::write: return "write";
        case Tier::destructive: return "destructive";
    }
    return "write";
}

std::optional<Tier> parse_tier(std::string_view name) {
    if (name == "read") return Tier::read;
    if (name == "write") return Tier::write;
    if (name == "destructive") return Tier::destructive;
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
