// classifiers/provider.cpp — host pattern matching for the providers' host
// tables (classifiers/provider.h): exact names and "*.suffix" wildcards.
#include "classifiers/provider.h"

namespace askfirst::classifiers {

bool host_matches_pattern(std::string_view host, std::string_view pattern) {
    // A trailing dot (absolute name) names the same host.
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);
    if (pattern.size() >= 2 && pattern[0] == '*' && pattern[1] == '.') {
        const std::string_view suffix = pattern.substr(1);  // ".amazonaws.com"
        // The wildcard stands for at least one character: "amazonaws.com" itself does not match.
        return host.size() > suffix.size() &&
               equals_ignoring_ascii_case(host.substr(host.size() - suffix.size()), suffix);
    }
    return equals_ignoring_ascii_case(host, pattern);
}

bool host_matches_any(std::string_view host, std::span<const std::string_view> patterns) {
    for (const std::string_view pattern : patterns)
        if (host_matches_pattern(host, pattern)) return true;
    return false;
}

}  // namespace askfirst::classifiers
