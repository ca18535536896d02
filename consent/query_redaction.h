// consent/query_redaction.h — keeping secrets out of the audit log: the
// values of query parameters that carry credentials are replaced before a
// request target is written anywhere (pre-signed URLs, OAuth tokens, API keys).
//
// Only the query is redacted. A secret the guest puts in the path itself
// (e.g. a bot token as a path segment) is not recognised here.
#pragma once

#include <string>
#include <string_view>

namespace askfirst::consent {

inline constexpr std::string_view kRedactedValue = "REDACTED";

// Is this query parameter name (as sent; percent-escapes and '+' are decoded
// before comparing, case-insensitively) one whose value is a secret?
bool is_secret_query_name(std::string_view raw_name);

// "a=1&X-Amz-Signature=abc&token" -> "a=1&X-Amz-Signature=REDACTED&token".
// Names, order and separators are kept.
std::string redact_query(std::string_view query);

// path + ("?" + redacted query, if there is a query).
std::string redacted_target(std::string_view path, std::string_view query);

}  // namespace askfirst::consent
