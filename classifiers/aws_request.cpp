// classifiers/aws_request.cpp — SigV4 scope, form decoding and host shapes
// for the AWS provider (classifiers/aws_request.h).
//
// The form decoder is hand-written: the query protocol's
// application/x-www-form-urlencoded body is a flat list of pairs, and no
// Debian package the project already links decodes it without a URL library;
// its escapes are decoded by classifiers/text_decoding.h.
#include "classifiers/aws_request.h"

#include <array>

namespace askfirst::classifiers::aws {
namespace {

constexpr std::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";
constexpr std::array<std::string_view, 3> kAwsDomainSuffixes = {".amazonaws.com", ".amazonaws.com.cn",
                                                                ".api.aws"};

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() && equals_ignoring_case(text.substr(0, prefix.size()), prefix);
}

// "AKID/20250603/us-west-2/rds/aws4_request" -> region, service.
CredentialScope scope_from_credential(std::string_view credential) {
    CredentialScope scope;
    std::array<std::string_view, 5> parts{};
    std::size_t count = 0;
    while (count < parts.size()) {
        const auto slash = credential.find('/');
        parts[count++] = credential.substr(0, slash);
        if (slash == std::string_view::npos) break;
        credential.remove_prefix(slash + 1);
    }
    if (count == parts.size()) {
        scope.region = std::string(parts[2]);
        scope.service = std::string(parts[3]);
    }
    return scope;
}

// The value of `Credential=` in an Authorization header, up to ',' or space.
std::string_view credential_in_authorization(std::string_view authorization) {
    const auto at = authorization.find("Credential=");
    if (at == std::string_view::npos) return {};
    std::string_view rest = authorization.substr(at + 11);
    const auto end = rest.find_first_of(", ");
    return rest.substr(0, end);
}

}  // namespace

bool equals_ignoring_case(std::string_view a, std::string_view b) { return equals_ignoring_ascii_case(a, b); }

FormPairs parse_form(std::string_view encoded) {
    FormPairs pairs;
    while (!encoded.empty()) {
        const auto amp = encoded.find('&');
        const std::string_view pair = encoded.substr(0, amp);
        if (!pair.empty()) {
            const auto eq = pair.find('=');
            if (eq == std::string_view::npos)
                pairs.emplace_back(percent_decode(pair, true), std::string());
            else
                pairs.emplace_back(percent_decode(pair.substr(0, eq), true),
                                   percent_decode(pair.substr(eq + 1), true));
        }
        if (amp == std::string_view::npos) break;
        encoded.remove_prefix(amp + 1);
    }
    return pairs;
}

bool is_sigv4_signed(const HttpRequest& request) {
    if (starts_with_ignoring_case(request.header("Authorization"), kSigV4Algorithm)) return true;
    for (const auto& [key, value] : parse_form(request.query))
        if (equals_ignoring_case(key, "X-Amz-Algorithm") && value == kSigV4Algorithm) return true;
    return false;
}

CredentialScope credential_scope(const HttpRequest& request) {
    const std::string_view authorization = request.header("Authorization");
    if (starts_with_ignoring_case(authorization, kSigV4Algorithm))
        return scope_from_credential(credential_in_authorization(authorization));
    if (request.query.find("Credential") == std::string::npos) return {};
    for (const auto& [key, value] : parse_form(request.query))
        if (equals_ignoring_case(key, "X-Amz-Credential")) return scope_from_credential(value);
    return {};
}

bool has_form_body(const HttpRequest& request) {
    return starts_with_ignoring_case(request.header("Content-Type"), "application/x-www-form-urlencoded");
}

bool is_aws_domain(std::string_view host) {
    for (const std::string_view suffix : kAwsDomainSuffixes)
        if (host.size() > suffix.size() && equals_ignoring_case(host.substr(host.size() - suffix.size()), suffix))
            return true;
    return false;
}

std::string_view host_without_aws_suffix(std::string_view host) {
    for (const std::string_view suffix : kAwsDomainSuffixes)
        if (host.size() > suffix.size() && equals_ignoring_case(host.substr(host.size() - suffix.size()), suffix))
            return host.substr(0, host.size() - suffix.size());
    return host;
}

bool host_starts_with_label(std::string_view host, std::string_view prefix) {
    return host.size() > prefix.size() && host[prefix.size()] == '.' &&
           equals_ignoring_case(host.substr(0, prefix.size()), prefix);
}

}  // namespace askfirst::classifiers::aws
