// src/credentials/stub_client_certificate.h — the stub a `kube` entry with a
// client certificate gives the sandbox (issue 13, Kubernetes): a fresh
// self-signed ECDSA P-256 certificate and its key, in PEM, minted at
// askfirstd's startup. kubectl loads a kubeconfig user's certificate and key
// as a pair and refuses one that does not match, so the stub must be a real
// pair; it proves nothing to anyone (self-signed, never asked for by
// askfirstd's guest-side TLS server) and the real certificate and key go
// upstream only in askfirstd's own handshake (tls/upstream_tls_client.h).
//
// Made with libcrypto (already a dependency) rather than mbedTLS's writer,
// for the reason tls/certificate_builder.h gives (signature parameters).
#pragma once

#include <string>

#include "src/base/result.h"

namespace askfirst::credentials {

struct StubCertificatePair {
    std::string certificate_pem;
    std::string key_pem;
};

// The subject names the entry ("askfirst stub for <entry>"), valid for a
// year from an hour ago. A failure names the entry when libcrypto fails.
Result<StubCertificatePair> mint_stub_client_certificate(const std::string& entry_name);

}  // namespace askfirst::credentials
