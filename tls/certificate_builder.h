// tls/certificate_builder.h — writing X.509 certificates: the CA's
// self-signed root and the leaves minted per guest server name. Both use
// ECDSA P-256 keys (mbedTLS contexts: the handshakes sign with them) and
// ecdsa-with-SHA256 signatures.
//
// Why libcrypto writes them: mbedTLS 2.28's x509write always encodes the
// signature AlgorithmIdentifier with an explicit NULL parameter (its
// mbedtls_asn1_write_algorithm_identifier has no "absent" form), which RFC
// 5758 §3.2 forbids for ECDSA and which rustls/webpki refuse (Codex CLI:
// UnsupportedSignatureAlgorithmContext, alert 51). OpenSSL's X509 writer
// (libcrypto, already a dependency) omits the parameter as the RFC asks. The
// keys are carried over as DER; nothing else about the handshakes changes.
//
// What every certificate carries (RFC 5280, and the CA/Browser Forum
// baseline a private CA and its leaves are held to by strict verifiers):
//   CA:   v3, random positive 16-byte serial, basicConstraints critical
//         CA:TRUE with pathLen, keyUsage critical keyCertSign+cRLSign,
//         subjectKeyIdentifier, authorityKeyIdentifier.
//   leaf: v3, random serial, basicConstraints critical CA:FALSE, keyUsage
//         critical digitalSignature, extKeyUsage serverAuth, subjectAltName
//         (the name is always in the SAN; the CN repeats it only when it
//         fits in 64 characters), SKI, AKI; validity well under 398 days.
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tls/mbedtls_handles.h"
#include "src/base/result.h"

namespace askfirst::tls {

// The name a leaf is minted for: a DNS name (from SNI) or an IP literal
// (the destination address when the guest sent no SNI).
struct LeafName {
    std::string text;                       // lower-case DNS name, or the IP in text
    std::optional<std::vector<std::uint8_t>> ip;  // 4 or 16 bytes when an IP literal

    // Accepts host names and IPv4/IPv6 literals; refuses empty or odd text.
    static Result<LeafName> parse(std::string_view host);
};

Result<std::unique_ptr<PrivateKey>> generate_p256_key();

struct CertificateRequest {
    std::string subject;        // mbedTLS name string: "CN=...,O=..."
    std::time_t not_before = 0;
    std::time_t not_after = 0;
    bool is_ca = false;
    std::optional<LeafName> alt_name;  // leaves only
    // CAs only: how many intermediates may follow. askfirst's CA signs
    // leaves directly, hence 0; tests build deeper chains.
    int max_path_length = 0;
    // The issuer's Name exactly as its certificate encodes it (DER, with the
    // SEQUENCE header). Empty: built from `issuer_subject`. Leaves of an
    // existing CA pass it so the issuer bytes equal the CA's subject bytes,
    // which Go's crypto/x509 compares byte for byte when it builds a chain.
    std::vector<std::uint8_t> issuer_name_der{};
};

// Signs `request` for `subject_key` with `issuer_key`; `issuer_subject` is
// the issuer's name string (the subject itself for a self-signed root).
// Returns the certificate in DER.
Result<std::vector<std::uint8_t>> write_certificate(const CertificateRequest& request, PrivateKey& subject_key,
                                                    PrivateKey& issuer_key, const std::string& issuer_subject);

// "AB:CD:..." over the DER, as `openssl x509 -fingerprint -sha256` prints it.
std::string sha256_fingerprint(const std::vector<std::uint8_t>& der);

// PEM text ("-----BEGIN CERTIFICATE-----...") of a DER certificate.
std::string certificate_pem(const std::vector<std::uint8_t>& der);

// True when a certificate's signature AlgorithmIdentifier (outer, or the
// TBSCertificate's) is ecdsa-with-SHA* followed by an explicit NULL — the
// encoding askfirst's CA had before it was minted with libcrypto. Strict
// verifiers (rustls) refuse such a CA: `askfirst ca` says to rotate it.
bool has_ecdsa_null_parameters(const std::vector<std::uint8_t>& der);

}  // namespace askfirst::tls
