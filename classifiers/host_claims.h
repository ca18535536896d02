// classifiers/host_claims.h — which provider claims a host by its name alone.
//
// The flow pipeline asks this for TLS that askfirst does not open (a host in
// tls.passthrough, or a refusal learned with tls.learn_passthrough): such a
// flow may carry any operation of the provider whose API lives there, so it
// is judged as that provider's worst tier instead of an anonymous "tcp"
// write (issue 11), and a guest's refusal of askfirst's certificate never
// turns inspection off for it.
//
// A provider claims a host when its classifier would take a request to that
// host with no path or header fingerprint to go on (GET /): its host
// patterns. Providers that recognise an API by path shape on any host
// (Kubernetes, Elasticsearch) claim only their known hosts here.
#pragma once

#include <string_view>

namespace askfirst::classifiers {

// The provider's name ("aws", "github", ...), or empty when none claims it.
std::string_view provider_claiming_host(std::string_view host);

}  // namespace askfirst::classifiers
