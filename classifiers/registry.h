// classifiers/registry.h — the ordered provider list behind classify() and
// needs_body() (classifiers/classification.h). Exposed for tests, the
// `askfirst classify` CLI and the benchmark; askfirstd only calls classify().
#pragma once

#include <span>

#include "classifiers/provider.h"

namespace askfirst::classifiers {

// The providers in the order classify() tries them (generic not included).
std::span<const Provider* const> registered_providers();

// The method-based fallback (classifiers/generic.cpp), used when no
// registered provider matches.
extern const Provider kGenericProvider;

// The provider classify() would pick for this request: the first registered
// one that matches, else the generic fallback.
const Provider& select_provider(const HttpRequest& request);

// classify() for a given provider, with the registry's invariant-6 rule:
// an incomplete body that the provider needs makes the request destructive,
// flagged "body-not-inspected".
Classification classify_with(const Provider& provider, const HttpRequest& request);

}  // namespace askfirst::classifiers
