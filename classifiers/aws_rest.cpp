// classifiers/aws_rest.cpp — REST (rest-json, rest-xml) operation lookup:
// method + path template + required query keys + required headers, from the
// generated route tables, most specific route first
// (../shared/classifier-rules.md §1). S3's virtual-hosted addressing puts
// the bucket in the host; it is moved into the path before matching.
#include <array>
#include <string>

#include "classifiers/aws_resolve.h"

namespace askfirst::classifiers::aws {
namespace {

using aws_model::Route;
using aws_model::Service;

// Labels captured per match; no botocore template has more than 6.
constexpr std::size_t kMaxCapturedLabels = 8;

struct Captures {
    std::array<std::pair<std::string_view, std::string_view>, kMaxCapturedLabels> labels{};
    std::size_t count = 0;

    void add(std::string_view name, std::string_view value) {
        if (count < labels.size()) labels[count++] = {name, value};
    }
    std::string_view find(std::string_view name) const {
        for (std::size_t i = 0; i < count; ++i)
            if (labels[i].first == name) return labels[i].second;
        return {};
    }
};

std::string_view trim_slashes(std::string_view path) {
    if (!path.empty() && path.front() == '/') path.remove_prefix(1);
    if (!path.empty() && path.back() == '/') path.remove_suffix(1);
    return path;
}

std::string_view next_segment(std::string_view& rest) {
    const auto slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    return segment;
}

std::size_t count_segments(std::string_view text) {
    if (text.empty()) return 0;
    std::size_t count = 1;
    for (const char c : text) count += c == '/';
    return count;
}

// Matches the path template against the request path, capturing labels.
// One leading and one trailing '/' are ignored on both sides.
bool match_path(std::string_view pattern, std::string_view path, Captures& captures) {
    pattern = trim_slashes(pattern);
    path = trim_slashes(path);
    std::size_t remaining = count_segments(path);
    while (!pattern.empty()) {
        const std::string_view segment = next_segment(pattern);
        const bool is_label = segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
        if (is_label && segment[segment.size() - 2] == '+') {
            // Greedy: take all but as many segments as template segments follow.
            const std::size_t tail = count_segments(pattern);
            if (remaining < tail + 1) return false;
            std::size_t end = path.size();
            for (std::size_t taken = 0, at = 0; at <= path.size(); ++at) {
                if ((at == path.size() || path[at] == '/') && ++taken == remaining - tail) {
                    end = at;
                    break;
                }
            }
            const std::string_view taken = path.substr(0, end);
            if (taken.empty()) return false;
            captures.add(segment.substr(1, segment.size() - 3), taken);
            path = end == path.size() ? std::string_view{} : path.substr(end + 1);
            remaining = tail;
            continue;
        }
        if (remaining == 0) return false;
        const std::string_view value = next_segment(path);
        --remaining;
        if (is_label) {
            if (value.empty()) return false;
            captures.add(segment.substr(1, segment.size() - 2), value);
        } else if (value != segment) {
            return false;
        }
    }
    return remaining == 0;
}

// Every "k" or "k=v" of the route's '&'-separated list is in the query.
bool query_satisfies(std::string_view required, const FormPairs& query) {
    while (!required.empty()) {
        const auto amp = required.find('&');
        const std::string_view item = required.substr(0, amp);
        const auto eq = item.find('=');
        const std::string_view key = item.substr(0, eq);
        bool found = false;
        for (const auto& [k, v] : query)
            if (k == key && (eq == std::string_view::npos || v == item.substr(eq + 1))) found = true;
        if (!found) return false;
        if (amp == std::string_view::npos) break;
        required.remove_prefix(amp + 1);
    }
    return true;
}

bool headers_satisfied(std::string_view required, const HttpRequest& request) {
    while (!required.empty()) {
        const auto comma = required.find(',');
        if (!request.has_header(required.substr(0, comma))) return false;
        if (comma == std::string_view::npos) break;
        required.remove_prefix(comma + 1);
    }
    return true;
}

// S3 virtual-hosted style: the labels before the S3 label of an AWS host
// ("my.bucket.s3.eu-west-1.amazonaws.com", "ap-123.s3-accesspoint...",
// "b--usw2-az1--x-s3.s3express-usw2-az1.us-west-2...").
std::string_view s3_bucket_in_host(std::string_view host) {
    if (!is_aws_domain(host)) return {};
    const std::string_view name = host_without_aws_suffix(host);
    for (std::size_t start = 0; start < name.size();) {
        const auto dot = name.find('.', start);
        const std::string_view label = name.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (label == "s3" || (label.size() > 3 && label.substr(0, 3) == "s3-") || label.substr(0, 10) == "s3express-")
            return start == 0 ? std::string_view{} : name.substr(0, start - 1);
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return {};
}

const Route* first_matching_route(const Service& service, const HttpRequest& request, std::string_view path,
                                  const FormPairs& query, Captures& captures) {
    for (const Route& route : aws_model::routes_of(service)) {
        if (!equals_ignoring_case(route.method, request.method)) continue;
        captures.count = 0;
        if (!match_path(route.path, path, captures)) continue;
        if (!query_satisfies(route.query, query) || !headers_satisfied(route.headers, request)) continue;
        return &route;
    }
    return nullptr;
}

ResolvedOperation resolved_from(const Service& service, const Route& route, const Captures& captures) {
    ResolvedOperation resolved;
    resolved.service = &service;
    resolved.protocol = service.protocol;
    resolved.operation = &aws_model::kModel.operations[route.operation];
    const std::string_view identifier = resolved.operation->identifier;
    if (identifier.substr(0, 2) == "u:")
        resolved.uri_identifier = percent_decode(captures.find(identifier.substr(2)), false);
    resolved.s3_bucket = percent_decode(captures.find("Bucket"), false);
    resolved.s3_key = percent_decode(captures.find("Key"), false);
    return resolved;
}

}  // namespace

ResolvedOperation resolve_rest(const HttpRequest& request, const std::vector<const Service*>& candidates) {
    const FormPairs query = parse_form(request.query);
    const std::string_view bucket = s3_bucket_in_host(request.host);
    Captures captures;
    for (const Service* service : candidates) {
        if (service->protocol != aws_model::Protocol::rest_json && service->protocol != aws_model::Protocol::rest_xml)
            continue;
        if (std::string_view(service->endpoint_prefix) == "s3" && !bucket.empty()) {
            const std::string bucket_path = "/" + std::string(bucket) + request.path;
            if (const Route* route = first_matching_route(*service, request, bucket_path, query, captures))
                return resolved_from(*service, *route, captures);
        }
        if (const Route* route = first_matching_route(*service, request, request.path, query, captures))
            return resolved_from(*service, *route, captures);
    }
    ResolvedOperation unresolved;
    for (const Service* service : candidates) {
        if (service->protocol == aws_model::Protocol::rest_json || service->protocol == aws_model::Protocol::rest_xml) {
            unresolved.service = service;
            unresolved.protocol = service->protocol;
            break;
        }
    }
    unresolved.s3_bucket = std::string(bucket);
    return unresolved;
}

}  // namespace askfirst::classifiers::aws
