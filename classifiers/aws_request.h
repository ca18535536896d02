// classifiers/aws_request.h — what an AWS request says about itself before
// any model lookup: its SigV4 credential scope (header or presigned query),
// its form parameters (query string and x-www-form-urlencoded body, decoded),
// and its host shape. Used by the AWS provider (classifiers/aws.cpp).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "classifiers/classification.h"
#include "classifiers/text_decoding.h"  // percent_decode, for the form and REST labels

namespace askfirst::classifiers::aws {

// Decoded `key=value` pairs in order; duplicates kept. A pair without '='
// has an empty value ("?delete").
using FormPairs = std::vector<std::pair<std::string, std::string>>;
FormPairs parse_form(std::string_view encoded);

// `Credential=AKID/20250603/us-west-2/rds/aws4_request`.
struct CredentialScope {
    std::string region;
    std::string service;
};

// Does the request carry a SigV4 signature (Authorization header or
// presigned X-Amz-Algorithm/X-Amz-Credential query)?
bool is_sigv4_signed(const HttpRequest& request);
// The credential scope of the signature; empty fields if there is none.
CredentialScope credential_scope(const HttpRequest& request);

// Is the body an HTML form (Content-Type application/x-www-form-urlencoded)?
bool has_form_body(const HttpRequest& request);

// Host shape helpers for *.amazonaws.com(.cn) and *.api.aws.
// The part before the AWS domain suffix, e.g. "rds.us-west-2" (or the whole
// host when it is not an AWS domain).
std::string_view host_without_aws_suffix(std::string_view host);
bool is_aws_domain(std::string_view host);
// Does the host begin with `prefix` followed by '.'?
bool host_starts_with_label(std::string_view host, std::string_view prefix);

// Case-insensitive ASCII equality.
bool equals_ignoring_case(std::string_view a, std::string_view b);

}  // namespace askfirst::classifiers::aws
