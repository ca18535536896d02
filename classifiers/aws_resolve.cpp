// classifiers/aws_resolve.cpp — candidate services, protocol choice and
// operation lookup for AWS requests (classifiers/aws_resolve.h).
#include "classifiers/aws_resolve.h"

#include <algorithm>
#include <array>
#include <optional>

namespace askfirst::classifiers::aws {
namespace {

using aws_model::Protocol;
using aws_model::Service;
using Candidates = std::vector<const Service*>;

// Credential-scope names that sign for another model's service.
// Used only when no model is signed with that name.
constexpr std::array<std::pair<std::string_view, std::string_view>, 2> kSigningAliases = {{
    {"s3-object-lambda", "s3"},  // Object Lambda access points serve the S3 API
    {"s3express", "s3"},         // S3 Express One Zone directory buckets
}};

// Host labels deeper than this are not searched for an endpoint prefix
// (the longest AWS endpoint prefix has 3 labels, e.g. "a2i-runtime.sagemaker").
constexpr std::size_t kMaxPrefixLabels = 3;

bool is_rest(Protocol protocol) { return protocol == Protocol::rest_json || protocol == Protocol::rest_xml; }
bool is_query(Protocol protocol) { return protocol == Protocol::query || protocol == Protocol::ec2; }

// Does the host name the endpoint prefix as its first labels, or as whole
// labels after an account/bucket prefix ("123.s3-control.us-east-1...")?
bool host_names_prefix(std::string_view host, std::string_view prefix) {
    if (host_starts_with_label(host, prefix)) return true;
    for (auto dot = host.find('.'); dot != std::string_view::npos; dot = host.find('.', dot + 1))
        if (host_starts_with_label(host.substr(dot + 1), prefix)) return true;
    return false;
}

// Legacy and feature S3 host labels ("s3-us-west-2", "s3-fips", "s3-accesspoint",
// "s3-object-lambda") name the S3 service; "s3-control" is S3 Control.
std::string_view normalized_s3_label(std::string_view label) {
    if (label.size() > 3 && label.substr(0, 3) == "s3-" && label != "s3-control") return "s3";
    if (label.substr(0, 10) == "s3express-") return "s3";
    return label;
}

Candidates services_for_host(std::string_view host) {
    Candidates found;
    const std::string_view name = host_without_aws_suffix(host);
    std::vector<std::string_view> labels;
    for (std::size_t start = 0;;) {
        const auto dot = name.find('.', start);
        labels.push_back(name.substr(start, dot == std::string_view::npos ? dot : dot - start));
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    for (std::size_t first = 0; first < labels.size() && found.empty(); ++first) {
        for (std::size_t count = std::min(kMaxPrefixLabels, labels.size() - first); count > 0; --count) {
            std::string prefix;
            for (std::size_t i = first; i < first + count; ++i) {
                if (!prefix.empty()) prefix += '.';
                prefix += labels[i];
            }
            auto indices = aws_model::services_with_endpoint_prefix(prefix);
            if (indices.empty() && count == 1)
                indices = aws_model::services_with_endpoint_prefix(normalized_s3_label(labels[first]));
            for (const auto index : indices) found.push_back(&aws_model::kModel.services[index]);
            if (!found.empty()) break;
        }
    }
    return found;
}

}  // namespace

Candidates candidate_services(const HttpRequest& request, const CredentialScope& scope) {
    std::string_view signing = scope.service;
    auto signed_services = aws_model::services_signed_as(signing);
    for (const auto& [alias, service] : kSigningAliases)
        if (signed_services.empty() && signing == alias) signed_services = aws_model::services_signed_as(service);
    Candidates signed_as;
    for (const Service& service : signed_services) signed_as.push_back(&service);
    if (signed_as.empty()) return services_for_host(request.host);
    Candidates narrowed;
    for (const Service* service : signed_as)
        if (host_names_prefix(request.host, service->endpoint_prefix)) narrowed.push_back(service);
    return narrowed.empty() ? signed_as : narrowed;
}

BodyFormat body_format_for(const HttpRequest& request, const Candidates& candidates) {
    if (request.has_header("X-Amz-Target")) return BodyFormat::json;
    if (has_form_body(request)) return BodyFormat::form;
    for (const Service* service : candidates) {
        // A query-protocol body is a form even when the Content-Type says otherwise.
        if (is_query(service->protocol) && request.method == "POST") return BodyFormat::form;
        if (service->protocol == Protocol::rest_xml) return BodyFormat::xml;
        if (service->protocol == Protocol::rest_json || service->protocol == Protocol::json)
            return BodyFormat::json;
    }
    return BodyFormat::none;
}

}  // namespace askfirst::classifiers::aws

namespace askfirst::classifiers::aws {
namespace {

ResolvedOperation unresolved(const Service* service, Protocol protocol, std::string name) {
    ResolvedOperation resolved;
    resolved.service = service;
    resolved.protocol = service != nullptr ? service->protocol : protocol;
    resolved.requested_name = std::move(name);
    return resolved;
}

// "DynamoDB_20120810.DeleteTable": the target prefix picks the service
// (candidates first, then any service with that prefix), the rest the operation.
ResolvedOperation resolve_json(std::string_view target, const Candidates& candidates) {
    const auto dot = target.rfind('.');
    const std::string_view prefix = dot == std::string_view::npos ? std::string_view{} : target.substr(0, dot);
    const std::string_view name = dot == std::string_view::npos ? target : target.substr(dot + 1);
    Candidates services;
    for (const Service* service : candidates)
        if (prefix == service->target_prefix) services.push_back(service);
    if (services.empty())
        for (const auto index : aws_model::services_with_target_prefix(prefix))
            services.push_back(&aws_model::kModel.services[index]);
    for (const Service* service : services) {
        if (const auto* operation = aws_model::find_operation(*service, name)) {
            ResolvedOperation resolved = unresolved(service, Protocol::json, std::string(name));
            resolved.operation = operation;
            return resolved;
        }
    }
    const Service* service = !services.empty() ? services.front() : nullptr;
    return unresolved(service, Protocol::json, std::string(name));
}

// Query/ec2: the service that has this Action, preferring the one whose API
// version the request names (elb vs elbv2, rds vs docdb vs neptune).
ResolvedOperation resolve_action(std::string_view action, std::string_view version, const Candidates& candidates) {
    const Service* fallback_service = nullptr;
    const aws_model::Operation* fallback_operation = nullptr;
    for (const Service* service : candidates) {
        if (!is_query(service->protocol)) continue;
        if (fallback_service == nullptr) fallback_service = service;
        const auto* operation = aws_model::find_operation(*service, action);
        if (operation == nullptr) continue;
        if (version == service->api_version) {
            fallback_service = service;
            fallback_operation = operation;
            break;
        }
        if (fallback_operation == nullptr) {
            fallback_service = service;
            fallback_operation = operation;
        }
    }
    ResolvedOperation resolved = unresolved(fallback_service, Protocol::query, std::string(action));
    resolved.operation = fallback_operation;
    return resolved;
}

// Smithy RPC v2 CBOR (`smithy-protocol: rpc-v2-cbor`, CloudWatch in recent
// SDKs): POST /service/{ServiceShape}/operation/{Operation}. The operation is
// looked up in the host's services, whatever protocol their model names.
std::optional<std::string_view> rpc_v2_operation(std::string_view path) {
    constexpr std::string_view kService = "/service/";
    constexpr std::string_view kOperation = "/operation/";
    if (!equals_ignoring_case(path.substr(0, kService.size()), kService)) return std::nullopt;
    const auto at = path.find(kOperation, kService.size());
    if (at == std::string_view::npos) return std::nullopt;
    const std::string_view name = path.substr(at + kOperation.size());
    if (name.empty() || name.find('/') != std::string_view::npos) return std::nullopt;
    return name;
}

ResolvedOperation resolve_rpc_v2(std::string_view name, const Candidates& candidates) {
    for (const Service* service : candidates)
        if (const auto* operation = aws_model::find_operation(*service, name)) {
            ResolvedOperation resolved = unresolved(service, service->protocol, std::string(name));
            resolved.operation = operation;
            return resolved;
        }
    return unresolved(candidates.empty() ? nullptr : candidates.front(), Protocol::json, std::string(name));
}

}  // namespace

std::vector<ResolvedOperation> resolve_operations(const HttpRequest& request, const Candidates& candidates,
                                                  const RequestParameters& parameters) {
    // A service that speaks both the query and the JSON protocol (SQS,
    // CloudWatch) picks one by Content-Type, not by X-Amz-Target: an Action
    // in the query or a form body beside the target is judged too, the
    // worse of them (a ListQueues target over a DeleteQueue form body).
    std::optional<RequestParameters> as_form;
    // An RPC v2 path beside a target or an Action: each is judged, the worse.
    std::vector<ResolvedOperation> rpc_v2;
    if (const auto name = rpc_v2_operation(request.path)) rpc_v2.push_back(resolve_rpc_v2(*name, candidates));
    if (const std::string_view target = request.header("X-Amz-Target"); !target.empty()) {
        std::vector<ResolvedOperation> resolved{resolve_json(target, candidates)};
        resolved.insert(resolved.end(), rpc_v2.begin(), rpc_v2.end());
        as_form.emplace(request, BodyFormat::form);
        std::vector<std::string_view> seen;
        for (const auto& [key, value] : as_form->form())
            if (equals_ignoring_case(key, "Action") && std::find(seen.begin(), seen.end(), value) == seen.end()) {
                seen.push_back(value);
                resolved.push_back(resolve_action(value, {}, candidates));
            }
        return resolved;
    }
    std::vector<std::string_view> actions;
    std::string_view version;
    for (const auto& [key, value] : parameters.form()) {
        if (equals_ignoring_case(key, "Action") &&
            std::find(actions.begin(), actions.end(), value) == actions.end())
            actions.push_back(value);
        if (equals_ignoring_case(key, "Version") && version.empty()) version = value;
    }
    const bool any_query_service = std::any_of(candidates.begin(), candidates.end(),
                                               [](const Service* s) { return is_query(s->protocol); });
    const bool any_rest_service = std::any_of(candidates.begin(), candidates.end(),
                                              [](const Service* s) { return is_rest(s->protocol); });
    if (!actions.empty() && (any_query_service || !any_rest_service)) {
        std::vector<ResolvedOperation> resolved = rpc_v2;
        for (const std::string_view action : actions) resolved.push_back(resolve_action(action, version, candidates));
        return resolved;
    }
    if (!rpc_v2.empty()) return rpc_v2;
    if (any_rest_service) return {resolve_rest(request, candidates)};
    const Service* service = candidates.empty() ? nullptr : candidates.front();
    return {unresolved(service, Protocol::query, std::string())};
}

}  // namespace askfirst::classifiers::aws
