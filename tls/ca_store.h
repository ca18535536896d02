// tls/ca_store.h — askfirst's certificate authority on disk: an ECDSA P-256
// root that signs every leaf the guest sees.
//
// Where: $XDG_DATA_HOME/askfirst/ca/ (default ~/.local/share/askfirst/ca/),
// directory 0700, `askfirst-ca.key` (PEM, 0600) and `askfirst-ca.pem` (the
// certificate guests install). Nothing is written anywhere else.
//
// Lifecycle (decided here):
//   askfirstd and `askfirst ca path|export` call load_or_create(): a missing
//   directory or an empty one means "first use": a new CA is made. Any other
//   state (only one of the two files, a key others can read, a file that
//   does not parse, a pair that does not match, an expired root) is an error
//   that names the file and the fix; a new CA is never made silently,
//   because every guest that trusted the old one would break.
//   `askfirst ca rotate` calls rotate(): a fresh pair replaces the old one
//   (written to temporary files, then renamed into place); a running
//   askfirstd keeps its CA in memory until it restarts.
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "tls/mbedtls_handles.h"
#include "src/base/result.h"

namespace askfirst::tls {

// Root validity: ten years, so a guest image that trusts it keeps working;
// backdated like the leaves (see leaf_cache.h) for guests with a stale clock.
constexpr std::time_t kCaValiditySeconds = 10 * 365 * 24 * 3600;

struct CaLocation {
    std::string directory;         // .../askfirst/ca
    std::string certificate_file;  // .../askfirst/ca/askfirst-ca.pem
    std::string key_file;          // .../askfirst/ca/askfirst-ca.key

    // From $XDG_DATA_HOME (if absolute) or $HOME/.local/share.
    static Result<CaLocation> from_environment();
    static CaLocation in_directory(const std::string& directory);
};

class CertificateAuthority {
public:
    static Result<std::unique_ptr<CertificateAuthority>> load_or_create(const CaLocation& location);
    static Result<std::unique_ptr<CertificateAuthority>> rotate(const CaLocation& location);

    mbedtls_x509_crt* certificate() { return certificate_.get(); }
    PrivateKey& key() { return *key_; }
    const std::string& subject() const { return subject_; }  // mbedTLS name string, the leaves' issuer
    const std::vector<std::uint8_t>& der() const { return der_; }
    std::string pem() const;
    std::string sha256_fingerprint() const;
    bool created_now() const { return created_now_; }
    // Non-empty when this CA should be rotated for strict clients (rustls):
    // the sentence to show, naming the file and `askfirst ca rotate`.
    const std::string& strict_client_warning() const { return strict_client_warning_; }
    const CaLocation& location() const { return location_; }

private:
    CertificateAuthority() = default;
    static Result<std::unique_ptr<CertificateAuthority>> create(const CaLocation& location);
    static Result<std::unique_ptr<CertificateAuthority>> load(const CaLocation& location);

    CaLocation location_;
    X509Certificate certificate_;
    std::unique_ptr<PrivateKey> key_;
    std::string subject_;
    std::vector<std::uint8_t> der_;
    bool created_now_ = false;
    std::string strict_client_warning_;
};

}  // namespace askfirst::tls
