// classifiers/forge_rest.cpp — see classifiers/forge_rest.h.
#include "classifiers/forge_rest.h"

namespace askfirst::classifiers {

namespace {

std::vector<std::string_view> split(std::string_view text) {
    std::vector<std::string_view> parts;
    while (!text.empty()) {
        std::size_t slash = text.find('/');
        if (slash != 0) parts.push_back(text.substr(0, slash));
        if (slash == std::string_view::npos) break;
        text.remove_prefix(slash + 1);
    }
    return parts;
}

bool matches_any(std::string_view path, std::span<const PathRule> rules, const PathRule** found = nullptr) {
    for (const PathRule& rule : rules)
        if (path_matches_rule(path, rule)) {
            if (found != nullptr) *found = &rule;
            return true;
        }
    return false;
}

}  // namespace

bool path_matches_rule(std::string_view path, const PathRule& rule) {
    std::vector<std::string_view> parts = split(path);
    std::vector<std::string_view> wanted = split(rule.segments);
    if (wanted.empty() || wanted.size() > parts.size()) return false;
    std::size_t first_start = rule.at_end ? parts.size() - wanted.size() : 0;
    for (std::size_t start = first_start; start + wanted.size() <= parts.size(); ++start) {
        bool all = true;
        for (std::size_t i = 0; i < wanted.size() && all; ++i)
            all = wanted[i] == "*" ? !parts[start + i].empty() : parts[start + i] == wanted[i];
        if (all) return true;
    }
    return false;
}

Classification classify_forge_rest(const std::string& method, std::string_view api_path, const ForgeRestRules& rules) {
    Classification result{std::string(rules.provider), method + " " + std::string(api_path), Tier::write, "", {}};
    result.detail = result.operation;
    if (method == "GET" || method == "HEAD" || method == "OPTIONS") {
        result.tier = Tier::read;
        return result;
    }
    if (method == "DELETE") {
        result.tier = matches_any(api_path, rules.delete_is_write) ? Tier::write : Tier::destructive;
    } else if (method == "POST" && matches_any(api_path, rules.post_is_read)) {
        result.tier = Tier::read;
        return result;
    }
    for (const PathRule& rule : rules.risk_flags)
        if (path_matches_rule(api_path, rule)) result.flags.emplace_back(rule.reason);
    return result;
}

}  // namespace askfirst::classifiers
