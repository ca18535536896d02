// classifiers/method_override.h — the headers through which servers take a
// method to run instead of the request's: Google's API front end and
// Express's method-override (X-HTTP-Method-Override), OData (X-HTTP-Method),
// others (X-Method-Override). The registry judges a request as that method
// too (classifiers/registry.cpp); the HTTP layer refuses these names in
// request trailers, where no classifier sees them (src/http/http_head_lines).
// Header only: src/http uses it without linking the classifiers.
#pragma once

#include <cstddef>
#include <string_view>

namespace askfirst::classifiers {

inline constexpr std::string_view kMethodOverrideHeaders[] = {"X-HTTP-Method-Override", "X-HTTP-Method",
                                                              "X-Method-Override"};

inline bool is_method_override_header(std::string_view name) {
    const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    for (std::string_view candidate : kMethodOverrideHeaders) {
        if (candidate.size() != name.size()) continue;
        bool same = true;
        for (std::size_t i = 0; i < name.size() && same; ++i) same = lower(name[i]) == lower(candidate[i]);
        if (same) return true;
    }
    return false;
}

}  // namespace askfirst::classifiers
