// classifiers/classification.h — the one interface between the HTTP decision
// point (src/) and the per-provider classifiers.
//
// A classifier is a pure function: an HTTP request in, a Classification out.
// It knows nothing of sockets, modes or consent (../shared/design.md, layers).
// `askfirst classify` and askfirstd call exactly these functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace askfirst::classifiers {

// Ordered: a batch or a multi-operation request takes the maximum. Keep
// `destructive` last: kTierNames (classification.cpp) asserts its size by it.
enum class Tier : std::uint8_t { read = 0, write = 1, destructive = 2 };

// ASCII case folding for protocol tokens (header names, hosts, verbs):
// locale-free and inline, because it runs for every header of every request.
inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
inline bool equals_ignoring_ascii_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

std::string_view tier_name(Tier tier);                      // "read" | "write" | "destructive"
std::optional<Tier> parse_tier(std::string_view name);
inline Tier max_tier(Tier a, Tier b) { return a < b ? b : a; }

struct Header {
    std::string name;   // as sent
    std::string value;  // as sent, surrounding whitespace trimmed
};

struct HttpRequest {
    std::string method;            // as sent, e.g. "POST"
    std::string host;              // the Host header (or :authority), lower-cased, port removed
    std::string path;              // the target's path, still percent-encoded, without the query
    std::string query;             // the raw query string without the leading '?'
    std::vector<Header> headers;   // in order; duplicates kept
    std::string body;              // the body bytes that were inspected (may be empty)
    // False when the body was longer than http.max_inspect_bytes and `body`
    // holds only its beginning. A classifier that needs the body must then
    // judge the request as the worst it could be (invariant 6).
    bool body_complete = true;

    // First header with this name, compared case-insensitively; empty if absent.
    std::string_view header(std::string_view name) const;
    bool has_header(std::string_view name) const;
};

struct Classification {
    std::string provider;            // "aws", "kubernetes", "github", ..., "generic"
    std::string operation;           // canonical operation name, e.g. "rds:DeleteDBInstance"
    Tier tier = Tier::write;
    std::string detail;              // one line for a person: operation, key target, parameters
    std::vector<std::string> flags;  // risk notes, e.g. "skips-final-snapshot", "force"
};

// Picks the provider and classifies. Never throws; never returns read for a
// request a known provider's classifier could not understand.
Classification classify(const HttpRequest& request);

// The wire protocol the request speaks, for providers that have several:
// AWS (botocore's metadata.protocol: "query", "ec2", "json", "rest-json",
// "rest-xml"). Empty when the request is not AWS or its service is unknown.
// src/ calls it for refused AWS requests only, to shape the 403 body so the
// agent's client can parse it (src/http/http_responses.h, RefusalShape).
std::string_view wire_protocol(const HttpRequest& request);

// Given only the head of a request (method, host, path, query, headers; body
// empty), does the classifier need to see the body to judge it? The HTTP layer
// buffers the body (up to http.max_inspect_bytes) only when this is true.
bool needs_body(const HttpRequest& head);

}  // namespace askfirst::classifiers
