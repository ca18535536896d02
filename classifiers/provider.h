// classifiers/provider.h — what each provider file exports to the registry.
//
// Each provider lives in its own file (classifiers/<provider>.cpp), keeps its
// host patterns in one table there, and exports one `Provider` value. The
// registry (classifiers/registry.cpp) tries them in a fixed order and falls
// back to the generic method-based classifier.
#pragma once

#include <span>
#include <string_view>

#include "classifiers/classification.h"

namespace askfirst::classifiers {

struct Provider {
    std::string_view name;
    // Is this request for this provider? (Host patterns first, then path or
    // header fingerprints where the host alone cannot tell.)
    bool (*matches)(const HttpRequest& request);
    Classification (*classify)(const HttpRequest& request);
    // See classifiers::needs_body(): true when the body decides the tier.
    bool (*needs_body)(const HttpRequest& head);
};

// Host patterns: "api.github.com" matches exactly; "*.amazonaws.com" matches
// any name that ends in ".amazonaws.com" (not "amazonaws.com" itself).
// Comparison is case-insensitive; `host` carries no port.
bool host_matches_pattern(std::string_view host, std::string_view pattern);
bool host_matches_any(std::string_view host, std::span<const std::string_view> patterns);

}  // namespace askfirst::classifiers
