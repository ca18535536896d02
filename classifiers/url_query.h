// classifiers/url_query.h — reading a raw query string (no leading '?') the
// way servers do: '&'-separated pairs, percent-decoding, '+' as a space.
// Used by the forge, Kubernetes and GraphQL classifiers (GET ?query=,
// ?dryRun=All, ?service=git-receive-pack). Sans-io, allocation per value only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace askfirst::classifiers {

// Decodes %XX and '+'. A malformed escape is kept as written (servers differ;
// the classifier only compares decoded values against known words).
std::string percent_decode(std::string_view text, bool plus_is_space = true);

// The first value of `name` (decoded), or nullopt when absent. A key without
// '=' has the empty value.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

// Every value of `name`, in order (e.g. repeated `command=` or `tag=`).
std::vector<std::string> query_params(std::string_view query, std::string_view name);

}  // namespace askfirst::classifiers
