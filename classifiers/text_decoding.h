// classifiers/text_decoding.h — the one home of the small text decoders the
// classifiers share: hex digits (percent escapes, pkt-line lengths, GraphQL
// \u escapes, hex identifiers) and percent-decoding (query strings, AWS
// forms and REST labels, path segments of Kubernetes, Redis and route
// templates).
//
// Data path: every classifier that reads a URL, a form body or an escaped
// token calls these, so that one request is decoded the same way whichever
// provider judges it (a provider decoding "%2F" differently from another
// would judge a different name than the server routes by).
//
// Written by hand: a dozen lines that the project's Debian dependencies
// (cJSON, libpg_query, llhttp) do not export; a URL library for them would
// be a new dependency for two loops.
#pragma once

#include <string>
#include <string_view>

namespace askfirst::classifiers {

// The value of one hex digit (0-9, a-f, A-F), or -1 for any other character.
constexpr int hex_digit_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
constexpr bool is_hex_digit(char c) { return hex_digit_value(c) >= 0; }
// Object ids and pkt-line payloads are lower-case hex only.
constexpr bool is_lower_hex_digit(char c) { return is_hex_digit(c) && !(c >= 'A' && c <= 'F'); }

// The byte that a "%XX" escape at text[at] encodes, or -1 when there is no
// complete escape there.
int percent_escape_at(std::string_view text, std::size_t at);

// Decodes %XX and, when plus_is_space, '+' (form and query encoding). A
// malformed escape is kept as written (servers differ; the classifiers only
// compare decoded values against known words).
std::string percent_decode(std::string_view text, bool plus_is_space = true);

}  // namespace askfirst::classifiers
