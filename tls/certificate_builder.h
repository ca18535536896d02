// tls/certificate_builder.h — writing X.509 certificates with mbedTLS's
// x509write: the CA's self-signed root and the leaves minted per guest
// server name. Both use ECDSA P-256 keys and ecdsa-with-SHA256 signatures.
//
// mbedTLS 2.28 has no helpers for subjectAltName or extendedKeyUsage, so
// this file encodes those two extensions itself (RFC 5280 §4.2.1.6 and
// §4.2.1.12) with mbedTLS's ASN.1 writer.
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tls/mbedtls_handles.h"
#include "tls/tls_result.h"

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

}  // namespace askfirst::tls
