// tools/exec_ca_trust.h — askfirst's CA trusted inside `askfirst exec` with
// no configuration (issue 14).
//
// Every TLS flow out of the sandbox is answered with a leaf that askfirst's
// CA signed (tls/), so a client inside must trust that CA, and most clients
// an agent is made of read one of a few places: the system bundle file
// (curl, git, Go, OpenSSL's default file), or an environment variable (Node
// adds NODE_EXTRA_CA_CERTS to its own built-in roots; Python's ssl reads
// SSL_CERT_FILE, requests REQUESTS_CA_BUNDLE, botocore AWS_CA_BUNDLE, curl
// CURL_CA_BUNDLE, git GIT_SSL_CAINFO). So exec writes one bundle — the
// host's own bundle followed by askfirst's CA — and:
//   1. on the host, before the sandbox exists: write_combined_bundle();
//   2. in the sandbox's mount namespace: bind it over every system bundle
//      path that exists (bind_over_system_bundles()); the host is untouched;
//   3. just before CMD runs: point the variables at it (export_ca_variables()),
//      unless `--no-ca-env`. A value the caller had set is replaced: inside
//      the sandbox every leaf a client meets is askfirst's (or, for a
//      tls.passthrough host, a public one the host bundle covers).
// The host's bundle is kept so passthrough hosts still verify.
#pragma once

#include <string>
#include <string_view>

#include "src/base/result.h"

namespace askfirst::exec_ca_trust {

// The system bundle files, by distribution; those that exist are covered.
inline constexpr std::string_view kSystemBundlePaths[] = {
    "/etc/ssl/certs/ca-certificates.crt",                 // Debian, Ubuntu, Alpine, Arch, Gentoo
    "/etc/pki/tls/certs/ca-bundle.crt",                   // Fedora, RHEL, CentOS
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  // Fedora, RHEL (the extracted store)
    "/etc/ssl/ca-bundle.pem",                             // openSUSE
    "/etc/pki/tls/cacert.pem",                            // OpenELEC
    "/etc/ssl/cert.pem",                                  // Alpine, Arch (and Go's list)
};

// The variables set to the bundle, as their clients spell them.
inline constexpr std::string_view kCaVariables[] = {
    "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "AWS_CA_BUNDLE", "GIT_SSL_CAINFO",
};

// Loads (or makes, on first use, as askfirstd would) askfirst's CA from
// $XDG_DATA_HOME/askfirst/ca and writes the host's first existing system
// bundle plus that CA to a fresh 0644 file under /tmp. Returns its path, or
// a failure saying what failed and what to do.
Result<std::string> write_combined_bundle();

// In the sandbox's (private) mount namespace: bind-mounts `bundle_path` over
// each system bundle that exists (symlinks resolved, each target once).
Status bind_over_system_bundles(const std::string& bundle_path);

// setenv() of each kCaVariables name to `bundle_path`.
void export_ca_variables(const std::string& bundle_path);

}  // namespace askfirst::exec_ca_trust
