// classifiers/url_query.h — reading a raw query string (no leading '?') the
// way servers do: '&'-separated pairs, percent-decoding, '+' as a space.
// Used by the forge, Kubernetes and GraphQL classifiers (GET ?query=,
// ?dryRun=All, ?service=git-receive-pack). Sans-io, allocation per value only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "classifiers/classification.h"
#include "classifiers/text_decoding.h"  // percent_decode

namespace askfirst::classifiers {

// The first value of `name` (decoded), or nullopt when absent. A key without
// '=' has the empty value.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

// Every value of `name`, in order (e.g. repeated `command=` or `tag=`).
std::vector<std::string> query_params(std::string_view query, std::string_view name);

// RFC 3986 §2.3: a percent-encoded unreserved character (ALPHA, DIGIT,
// '-', '.', '_', '~') means the same as the character, and servers route
// "/rep%6Fs/a/b" as "/repos/a/b". Decodes only those, so "%2F" inside a
// segment stays one segment.
bool has_encoded_unreserved(std::string_view path);
std::string decode_unreserved(std::string_view path);

// True when the body carries a Content-Encoding other than identity (gzip,
// deflate, br, ...): the classifier cannot read it, so a provider that needs
// the body judges it as the worst it could be (design.md invariant 6).
bool body_is_encoded(const HttpRequest& request);

// Calls `classify_fn` on the request with its path's unreserved escapes
// decoded (a copy only when there are any), so that route tables and path
// rules see the path the server routes by.
template <typename Result>
Result on_normalized_path(const HttpRequest& request, Result (*classify_fn)(const HttpRequest&)) {
    if (!has_encoded_unreserved(request.path)) return classify_fn(request);
    HttpRequest normalized = request;
    normalized.path = decode_unreserved(request.path);
    return classify_fn(normalized);
}

}  // namespace askfirst::classifiers
