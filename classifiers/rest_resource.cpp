// classifiers/rest_resource.cpp — shared pieces of the hand-written REST
// classifiers (see rest_resource.h).
#include "classifiers/rest_resource.h"

#include <algorithm>

#include "classifiers/text_decoding.h"

namespace askfirst::classifiers {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }

// "cus_NffrFeUfNV2Hib", "prj_12ab34cd": a short lower-case prefix, '_', then a token.
bool is_prefixed_id(std::string_view segment) {
    constexpr std::size_t kMaxPrefix = 8;       // Stripe/Vercel prefixes are 2–6 letters
    constexpr std::size_t kMinTokenLength = 6;  // shorter tails are words ("get_all")
    const auto underscore = segment.find('_');
    if (underscore == std::string_view::npos || underscore == 0 || underscore > kMaxPrefix) return false;
    const std::string_view prefix = segment.substr(0, underscore);
    const std::string_view token = segment.substr(underscore + 1);
    return std::all_of(prefix.begin(), prefix.end(), is_lower) && token.size() >= kMinTokenLength &&
           std::any_of(token.begin(), token.end(), is_digit);
}

}  // namespace

Tier tier_for_rest_method(std::string_view method) {
    if (is_read_method(method)) return Tier::read;
    return method == "DELETE" ? Tier::destructive : Tier::write;
}

bool is_read_method(std::string_view method) {
    return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

bool looks_like_identifier(std::string_view segment) {
    if (segment.empty()) return false;
    if (std::all_of(segment.begin(), segment.end(), is_digit)) return true;
    constexpr std::size_t kMinHexId = 16;  // Cloudflare ids are 32 hex digits
    const bool hex_or_dash = std::all_of(segment.begin(), segment.end(), [](char c) { return is_hex_digit(c) || c == '-'; });
    if (hex_or_dash && segment.size() >= kMinHexId) return true;  // hex ids, UUIDs
    if (is_prefixed_id(segment)) return true;
    return segment.size() >= kMinIdentifierLength && std::any_of(segment.begin(), segment.end(), is_digit);
}

std::string path_shape(const RequestPath& path) {
    std::string shape;
    for (const std::string& segment : path.segments) {
        shape += '/';
        shape += looks_like_identifier(segment) ? std::string_view("{id}") : std::string_view(segment);
    }
    return shape.empty() ? "/" : shape;
}

std::string method_and_shape(std::string_view method, const RequestPath& path) {
    return std::string(method) + " " + path_shape(path);
}

Classification make_classification(std::string_view provider, std::string operation, Tier tier,
                                   const HttpRequest& request) {
    Classification result;
    result.provider = std::string(provider);
    result.operation = std::move(operation);
    result.tier = tier;
    result.detail = request.method + " " + request.host + request.path;
    if (!request.query.empty()) result.detail += "?" + request.query;
    return result;
}

Classification classify_unnamed_endpoint(std::string_view provider, std::string operation, const HttpRequest& request) {
    Classification result = make_classification(provider, std::move(operation), tier_for_rest_method(request.method), request);
    if (!is_read_method(request.method)) add_flag(result, "unknown-endpoint");
    return result;
}

void add_flag(Classification& result, std::string_view flag) {
    if (std::find(result.flags.begin(), result.flags.end(), flag) == result.flags.end())
        result.flags.emplace_back(flag);
}

}  // namespace askfirst::classifiers
