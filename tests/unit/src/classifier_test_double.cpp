// tests/unit/src/classifier_test_double.cpp — A TEST DOUBLE of the classifier
// interface (classifiers/classification.h), linked into the src/ unit tests
// only. The real classifiers are built on another branch; the HTTP session
// and the decision glue must be tested without them. Never link this into
// askfirstd or the CLI.
//
// What it does, so tests can steer it through the request alone:
//   needs_body: true for paths that start with "/inspect".
//   classify:   provider "testprov"; the tier comes from the first path
//               segment: /read..., /write..., /destroy...; otherwise GET and
//               HEAD are reads, DELETE is destructive, the rest writes.
//               A body that was not complete makes it destructive (the worst).
//               detail: the operation and " target", except for paths that
//               start with "/untargeted" (the head names no target): the body's
//               first line when it has one, else only the operation; a body
//               "lower-me" judges it read (a classifier whose body lowers the tier).
//   wire_protocol: the X-Test-Wire-Protocol header.
#include <algorithm>
#include <cctype>

#include "classifiers/classification.h"

namespace askfirst::classifiers {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

}  // namespace

std::string_view tier_name(Tier tier) {
    switch (tier) {
        case Tier::read: return "read";
        case Tier::write: return "write";
        case Tier::destructive: return "destructive";
    }
    return "destructive";
}

std::optional<Tier> parse_tier(std::string_view name) {
    for (Tier tier : {Tier::read, Tier::write, Tier::destructive}) {
        if (tier_name(tier) == name) return tier;
    }
    return std::nullopt;
}

std::string_view HttpRequest::header(std::string_view name) const {
    for (const Header& h : headers) {
        if (iequals(h.name, name)) return h.value;
    }
    return {};
}

bool HttpRequest::has_header(std::string_view name) const {
    return std::any_of(headers.begin(), headers.end(), [&](const Header& h) { return iequals(h.name, name); });
}

bool needs_body(const HttpRequest& head) { return starts_with(head.path, "/inspect"); }

// The protocol a test names in the X-Test-Wire-Protocol header (refusal shapes).
std::string_view wire_protocol(const HttpRequest& request) { return request.header("x-test-wire-protocol"); }

Classification classify(const HttpRequest& request) {
    Classification out;
    out.provider = "testprov";
    out.operation = request.method + " " + request.path;
    if (starts_with(request.path, "/read")) out.tier = Tier::read;
    else if (starts_with(request.path, "/write")) out.tier = Tier::write;
    else if (starts_with(request.path, "/destroy")) out.tier = Tier::destructive;
    else if (request.method == "GET" || request.method == "HEAD") out.tier = Tier::read;
    else if (request.method == "DELETE") out.tier = Tier::destructive;
    else out.tier = Tier::write;
    if (needs_body(request) && !request.body_complete) out.tier = Tier::destructive;
    out.detail = out.operation + " target";
    if (starts_with(request.path, "/untargeted") && request.body == "lower-me") out.tier = Tier::read;
    if (starts_with(request.path, "/untargeted"))
        out.detail = request.body.empty() ? out.operation : out.operation + " " + request.body.substr(0, request.body.find('\n'));
    return out;
}

}  // namespace askfirst::classifiers
