// classifiers/generic.cpp — the fallback for hosts no provider claims: the
// HTTP method alone decides (GET/HEAD/OPTIONS read, DELETE destructive,
// everything else write). It never needs the body.
#include <string>

#include "classifiers/registry.h"

namespace askfirst::classifiers {
namespace {

bool generic_matches(const HttpRequest&) { return true; }

Tier tier_for_method(std::string_view method) {
    if (method == "GET" || method == "HEAD" || method == "OPTIONS") return Tier::read;
    if (method == "DELETE") return Tier::destructive;
    return Tier::write;  // POST, PUT, PATCH, and any unknown method: fail closed to "ask"
}

Classification generic_classify(const HttpRequest& request) {
    Classification result;
    result.provider = "generic";
    result.operation = request.method + " " + request.path;
    result.tier = tier_for_method(request.method);
    result.detail = request.method + " " + request.host + request.path;
    return result;
}

bool generic_needs_body(const HttpRequest&) { return false; }

}  // namespace

const Provider kGenericProvider{"generic", generic_matches, generic_classify, generic_needs_body};

}  // namespace askfirst::classifiers
