// tls/passthrough_hosts.cpp — validation and matching of tls.passthrough.
// Lists are short (a handful of pinned hosts), so a linear scan is plenty.
#include "tls/passthrough_hosts.h"

#include <algorithm>

namespace askfirst::tls {
namespace {

std::string normalise(std::string_view host) {
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);
    std::string out(host);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
    return out;
}

bool is_label_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'; }

// Labels of letters, digits, '-', '_', separated by single dots.
bool is_plain_name(std::string_view name) {
    if (name.empty() || name.front() == '.' || name.back() == '.') return false;
    if (name.find("..") != std::string_view::npos) return false;
    return std::all_of(name.begin(), name.end(), [](char c) { return is_label_char(c) || c == '.'; });
}

}  // namespace

Result<PassthroughHosts> PassthroughHosts::from_patterns(const std::vector<std::string>& patterns) {
    PassthroughHosts hosts;
    for (const auto& pattern : patterns) {
        const std::string name = normalise(pattern);
        const bool wildcard = name.rfind("*.", 0) == 0;
        const std::string_view rest = wildcard ? std::string_view(name).substr(2) : std::string_view(name);
        // "*.com" would pass a whole top-level domain: require two labels under a wildcard.
        const bool too_broad = wildcard && rest.find('.') == std::string_view::npos;
        if (!is_plain_name(rest) || too_broad) {
            return Result<PassthroughHosts>::failure(
                "tls.passthrough: \"" + pattern + "\" is not a host pattern; write a name (\"api.example.com\") or " +
                "\"*.\" and a domain of two or more labels (\"*.example.com\")");
        }
        if (wildcard) hosts.suffixes_.push_back("." + std::string(rest));
        else hosts.exact_.push_back(name);
    }
    return Result<PassthroughHosts>::success(std::move(hosts));
}

bool PassthroughHosts::matches(std::string_view host) const {
    const std::string name = normalise(host);
    if (name.empty()) return false;
    if (std::find(exact_.begin(), exact_.end(), name) != exact_.end()) return true;
    return std::any_of(suffixes_.begin(), suffixes_.end(), [&](const std::string& suffix) {
        return name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    });
}

bool PassthroughHosts::add_exact_host(std::string_view host) {
    const std::string name = normalise(host);
    if (name.empty() || matches(name) || learned_ >= kMaxLearnedHosts) return false;
    exact_.push_back(name);
    ++learned_;
    return true;
}

}  // namespace askfirst::tls
