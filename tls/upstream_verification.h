// tls/upstream_verification.h — what the upstream session checks beyond
// mbedTLS's chain verification, and how a failed verification is told to a
// person. Used by upstream_tls_client.cpp's verify callback.
#pragma once

#include <mbedtls/x509_crt.h>

#include <cstdint>
#include <string>
#include <vector>

namespace askfirst::tls {

// True when the certificate carries `ip` (4 or 16 bytes) as an iPAddress
// subjectAltName (RFC 5280 §4.2.1.6).
bool certificate_names_ip(const mbedtls_x509_crt* certificate, const std::vector<std::uint8_t>& ip);

// What the verify callback saw of one certificate of the upstream chain.
struct ChainCertificateNote {
    int depth = 0;
    std::uint32_t flags = 0;  // MBEDTLS_X509_BADCERT_* for this certificate
    std::string subject, issuer;
    std::string valid_from, valid_to;  // "2026-11-26 10:00:00 UTC"
    bool self_signed = false;
    std::vector<std::string> dns_names;  // depth 0 only
    bool names_given_ip = false;
};

ChainCertificateNote note_certificate(const mbedtls_x509_crt* certificate, int depth, std::uint32_t flags);

// "upstream certificate for api.example.com is not valid: it expired on
// 2024-01-01 00:00:00 UTC (...)". `expected_name` is the SNI or the IP.
std::string explain_verification_failure(const std::string& expected_name, std::uint32_t flags,
                                         const std::vector<ChainCertificateNote>& chain);

}  // namespace askfirst::tls
