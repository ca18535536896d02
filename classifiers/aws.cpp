// classifiers/aws.cpp — the AWS provider (../shared/classifier-rules.md §1):
// recognises AWS API requests, resolves them to service-model operations
// (aws_resolve.h), judges them (aws_rules.h), and writes the dialog line
// `rds:DeleteDBInstance prod-db-1 SkipFinalSnapshot=true`.
//
// SigV4-signed traffic that is not an AWS API (OpenSearch/EKS data planes,
// API Gateway apps, Lambda function URLs) is left to other providers or to
// the generic fallback: there is no service model to look it up in.
#include <algorithm>
#include <array>

#include "classifiers/aws_resolve.h"
#include "classifiers/aws_rules.h"
#include "classifiers/provider.h"

namespace askfirst::classifiers {
namespace {

using aws::ResolvedOperation;

constexpr std::string_view kAwsHosts[] = {"*.amazonaws.com", "*.amazonaws.com.cn", "*.api.aws"};

// Host shapes of SigV4 users that serve no AWS API model (§1 "AWS-signed but not AWS API").
constexpr std::array<std::string_view, 3> kDataPlaneHostEndings = {".es", ".aoss", ".eks"};
constexpr std::array<std::string_view, 2> kDataPlaneHostLabels = {".execute-api.", ".lambda-url."};

bool is_aws_data_plane(std::string_view host) {
    const std::string_view name = aws::host_without_aws_suffix(host);
    if (name.size() != host.size()) {
        for (const std::string_view ending : kDataPlaneHostEndings)
            if (name.size() > ending.size() && name.substr(name.size() - ending.size()) == ending) return true;
    }
    for (const std::string_view label : kDataPlaneHostLabels) {
        // The labels as whole labels: ".execute-api." inside, or "execute-api." at the start.
        if (host.find(label) != std::string_view::npos) return true;
        if (host.substr(0, label.size() - 1) == label.substr(1)) return true;
    }
    return false;
}

bool aws_matches(const HttpRequest& request) {
    if (is_aws_data_plane(request.host)) return false;
    return host_matches_any(request.host, kAwsHosts) || aws::is_sigv4_signed(request);
}

// "<iam prefix>:<Operation>", or the best name known for an unknown one.
std::string canonical_operation(const ResolvedOperation& resolved, const aws::CredentialScope& scope,
                                const HttpRequest& request) {
    std::string prefix = resolved.service != nullptr ? resolved.service->iam_prefix
                         : !scope.service.empty()   ? scope.service
                                                    : "aws";
    if (resolved.operation != nullptr) return prefix + ":" + resolved.operation->name;
    if (!resolved.requested_name.empty()) return prefix + ":" + resolved.requested_name;
    return prefix + ":" + request.method + " " + request.path;
}

// The primary identifier for the dialog (§1 "Operation string for the dialog").
std::string primary_identifier(const ResolvedOperation& resolved, const HttpRequest& request,
                               const aws::RequestParameters& parameters) {
    if (!resolved.s3_bucket.empty())
        return resolved.s3_key.empty() ? resolved.s3_bucket : resolved.s3_bucket + "/" + resolved.s3_key;
    if (!resolved.uri_identifier.empty()) return resolved.uri_identifier;
    if (resolved.operation == nullptr) return {};
    const std::string_view where = resolved.operation->identifier;
    if (where.size() < 3) return {};
    const std::string_view name = where.substr(2);
    if (where[0] == 'h') return std::string(request.header(name));
    return parameters.top_level(name).value_or(std::string());
}

// One line for a person: control characters become spaces, and an
// identifier longer than kMaxIdentifierChars (an ARN is at most 2048) is cut.
constexpr std::size_t kMaxIdentifierChars = 256;

void append_printable(std::string& line, std::string_view text) {
    for (const char c : text) line.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c);
}

std::string detail_line(std::string_view operation, std::string_view identifier,
                        const std::vector<std::string>& shown_parameters) {
    std::string line(operation);
    if (!identifier.empty()) {
        line.push_back(' ');
        append_printable(line, identifier.substr(0, kMaxIdentifierChars));
        if (identifier.size() > kMaxIdentifierChars) line.append("...");
    }
    for (const auto& parameter : shown_parameters) {
        line.push_back(' ');
        append_printable(line, parameter);
    }
    return line;
}

// Indexed by aws_model::Protocol: botocore's metadata.protocol spelling.
constexpr std::string_view kWireProtocolNames[] = {"query", "ec2", "json", "rest-json", "rest-xml"};
static_assert(std::size(kWireProtocolNames) == static_cast<std::size_t>(aws_model::Protocol::rest_xml) + 1,
              "kWireProtocolNames must name every aws_model::Protocol");

// "" when no service or operation was identified.
std::string_view wire_protocol_name(const ResolvedOperation& resolved) {
    if (resolved.service == nullptr && resolved.requested_name.empty() && resolved.s3_bucket.empty()) return {};
    const auto index = static_cast<std::size_t>(resolved.protocol);
    return index < std::size(kWireProtocolNames) ? kWireProtocolNames[index] : std::string_view{};
}

Classification aws_classify(const HttpRequest& request) {
    const aws::CredentialScope scope = aws::credential_scope(request);
    const auto candidates = aws::candidate_services(request, scope);
    const aws::RequestParameters parameters(request, aws::body_format_for(request, candidates));
    const auto resolved_operations = aws::resolve_operations(request, candidates, parameters);
    Classification result;
    result.provider = "aws";
    bool first = true;
    for (const ResolvedOperation& resolved : resolved_operations) {
        const std::string operation = canonical_operation(resolved, scope, request);
        aws::Judgement judgement = aws::judge_operation(resolved, operation, request, parameters);
        // Several Action values (query string vs body): the most severe one is shown and counts.
        if (first || judgement.tier > result.tier) {
            result.tier = judgement.tier;
            result.operation = operation;
            result.detail = detail_line(operation, primary_identifier(resolved, request, parameters),
                                        judgement.shown_parameters);
            first = false;
        }
        for (auto& flag : judgement.flags)
            if (std::find(result.flags.begin(), result.flags.end(), flag) == result.flags.end())
                result.flags.push_back(std::move(flag));
    }
    if (resolved_operations.size() > 1) result.flags.emplace_back("conflicting-actions");
    // A body that is not JSON matters only where the body could change the tier
    // (a Lambda payload or an API definition blob is opaque by design).
    const auto& chosen = resolved_operations.front();
    if (parameters.json_unparsed() && chosen.service != nullptr &&
        aws::body_can_change_tier(result.operation, chosen.service->protocol))
        result.flags.emplace_back("unparsed-body");
    return result;
}

bool aws_needs_body(const HttpRequest& head) {
    if (aws::has_form_body(head)) return true;  // query protocol: Action and parameters are in the body
    const aws::CredentialScope scope = aws::credential_scope(head);
    const auto candidates = aws::candidate_services(head, scope);
    if (aws::body_format_for(head, candidates) == aws::BodyFormat::form) return true;  // a form without its Content-Type
    const aws::RequestParameters parameters(head, aws::BodyFormat::none);
    for (const ResolvedOperation& resolved : aws::resolve_operations(head, candidates, parameters)) {
        if (resolved.operation == nullptr) continue;
        // Query/ec2 parameters outside a form body are all in the URL: the body is never read.
        if (resolved.protocol == aws_model::Protocol::query || resolved.protocol == aws_model::Protocol::ec2) continue;
        const std::string operation = canonical_operation(resolved, scope, head);
        if (aws::body_can_change_tier(operation, resolved.service->protocol)) return true;
    }
    return false;
}

}  // namespace

extern const Provider kAwsProvider;  // declared for registry.cpp; `extern` gives it external linkage
const Provider kAwsProvider{"aws", aws_matches, aws_classify, aws_needs_body};

}  // namespace askfirst::classifiers

namespace askfirst::classifiers {

// Resolved as aws_classify() does; the first operation named decides (several
// only when a query request repeats Action, all of one service).
std::string_view wire_protocol(const HttpRequest& request) {
    if (!aws_matches(request)) return {};
    const aws::CredentialScope scope = aws::credential_scope(request);
    const auto candidates = aws::candidate_services(request, scope);
    const aws::RequestParameters parameters(request, aws::body_format_for(request, candidates));
    return wire_protocol_name(aws::resolve_operations(request, candidates, parameters).front());
}

}  // namespace askfirst::classifiers
