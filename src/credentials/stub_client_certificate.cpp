// src/credentials/stub_client_certificate.cpp — minting the stub client
// certificate of a kube entry (see the header).
#include "src/credentials/stub_client_certificate.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <memory>

namespace askfirst::credentials {
namespace {

struct KeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertificateFree {
    void operator()(X509* certificate) const { X509_free(certificate); }
};
struct BioFree {
    void operator()(BIO* bio) const { BIO_free(bio); }
};
using KeyHandle = std::unique_ptr<EVP_PKEY, KeyFree>;
using CertificateHandle = std::unique_ptr<X509, CertificateFree>;
using BioHandle = std::unique_ptr<BIO, BioFree>;

// A stub is used for the life of one askfirstd; a year is far beyond it and
// an hour back covers a guest clock somewhat behind the host's.
constexpr long kValidBeforeNowSeconds = 3600;
constexpr long kValidAfterNowSeconds = 365L * 24 * 3600;
// RFC 5280 §4.1.2.2: positive, at most 20 octets; 16 random ones.
constexpr int kSerialBytes = 16;

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

bool set_random_serial(X509* certificate) {
    unsigned char serial[kSerialBytes];
    if (RAND_bytes(serial, sizeof serial) != 1) return false;
    serial[0] &= 0x7f;  // positive
    serial[0] |= 0x01;  // and not shorter than its length says
    BIGNUM* number = BN_bin2bn(serial, sizeof serial, nullptr);
    const bool ok = number != nullptr && BN_to_ASN1_INTEGER(number, X509_get_serialNumber(certificate)) != nullptr;
    BN_free(number);
    return ok;
}

}  // namespace

Result<StubCertificatePair> mint_stub_client_certificate(const std::string& entry_name) {
    const auto failed = Result<StubCertificatePair>::failure(
        "cannot mint a stub client certificate for credentials \"" + entry_name + "\" (libcrypto failed)");
    KeyHandle key(EVP_EC_gen("P-256"));
    CertificateHandle certificate(X509_new());
    if (!key || !certificate) return failed;
    X509_NAME* name = X509_get_subject_name(certificate.get());
    const std::string common_name = "askfirst stub for " + entry_name.substr(0, 40);  // CN: at most 64
    if (X509_set_version(certificate.get(), 2) != 1 || !set_random_serial(certificate.get()) ||
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("askfirst"), -1,
                                   -1, 0) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) != 1 ||
        X509_set_issuer_name(certificate.get(), name) != 1 ||
        X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -kValidBeforeNowSeconds) == nullptr ||
        X509_gmtime_adj(X509_getm_notAfter(certificate.get()), kValidAfterNowSeconds) == nullptr ||
        X509_set_pubkey(certificate.get(), key.get()) != 1 || X509_sign(certificate.get(), key.get(), EVP_sha256()) <= 0)
        return failed;
    BioHandle certificate_bio(BIO_new(BIO_s_mem()));
    BioHandle key_bio(BIO_new(BIO_s_mem()));
    if (!certificate_bio || !key_bio || PEM_write_bio_X509(certificate_bio.get(), certificate.get()) != 1 ||
        PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
        return failed;
    StubCertificatePair pair{bio_text(certificate_bio.get()), bio_text(key_bio.get())};
    if (pair.certificate_pem.empty() || pair.key_pem.empty()) return failed;
    return Result<StubCertificatePair>::success(std::move(pair));
}

}  // namespace askfirst::credentials
