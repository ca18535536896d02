// tls/certificate_builder.cpp — key generation (mbedTLS) and certificates
// written and signed by libcrypto (see the header for why).
#include "tls/certificate_builder.h"

#include <arpa/inet.h>
#include <mbedtls/pem.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <span>

#include "tls/random_source.h"

namespace askfirst::tls {
namespace {

constexpr std::size_t kSerialBytes = 16;  // RFC 5280 §4.1.2.2 allows up to 20 octets

struct OpensslFree {
    void operator()(X509* certificate) const { X509_free(certificate); }
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
    void operator()(X509_NAME* name) const { X509_NAME_free(name); }
    void operator()(X509_EXTENSION* extension) const { X509_EXTENSION_free(extension); }
    void operator()(X509_PUBKEY* key) const { X509_PUBKEY_free(key); }
    // ASN1_OCTET_STRING and ASN1_INTEGER are both ASN1_STRING.
    void operator()(ASN1_STRING* text) const { ASN1_STRING_free(text); }
    void operator()(AUTHORITY_KEYID* keyid) const { AUTHORITY_KEYID_free(keyid); }
    void operator()(BIGNUM* number) const { BN_free(number); }
};
template <typename T>
using OpensslPtr = std::unique_ptr<T, OpensslFree>;

using Der = std::vector<std::uint8_t>;
using DerResult = Result<Der>;

// An mbedTLS key as libcrypto's EVP_PKEY, through its DER encoding.
Result<OpensslPtr<EVP_PKEY>> to_evp_key(PrivateKey& key) {
    std::array<unsigned char, 512> buffer{};  // a P-256 key is ~121 bytes of DER
    const int length = mbedtls_pk_write_key_der(key.get(), buffer.data(), buffer.size());
    if (length <= 0) return Result<OpensslPtr<EVP_PKEY>>::failure("cannot encode a key for signing: " + mbedtls_error_text(length));
    const unsigned char* cursor = buffer.data() + buffer.size() - length;
    OpensslPtr<EVP_PKEY> converted(d2i_AutoPrivateKey(nullptr, &cursor, length));
    mbedtls_platform_zeroize(buffer.data(), buffer.size());
    if (!converted) return Result<OpensslPtr<EVP_PKEY>>::failure("libcrypto could not read an ECDSA key made by mbedTLS");
    return Result<OpensslPtr<EVP_PKEY>>::success(std::move(converted));
}

// "CN=a,O=b" (the name string askfirst keeps) → an X509_NAME in that order.
Result<OpensslPtr<X509_NAME>> name_from_string(const std::string& text) {
    using R = Result<OpensslPtr<X509_NAME>>;
    OpensslPtr<X509_NAME> name(X509_NAME_new());
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find(',', start);
        if (end == std::string::npos) end = text.size();
        const std::string part = text.substr(start, end - start);
        const std::size_t equals = part.find('=');
        if (equals == std::string::npos || equals == 0) return R::failure("\"" + text + "\" is not a name string (TYPE=value,...)");
        const std::string type = part.substr(0, equals);
        const std::string value = part.substr(equals + 1);
        if (X509_NAME_add_entry_by_txt(name.get(), type.c_str(), MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0) != 1)
            return R::failure("cannot encode the name attribute " + type + " of \"" + text + "\"");
        start = end + 1;
    }
    return R::success(std::move(name));
}

// RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING.
Result<OpensslPtr<ASN1_OCTET_STRING>> key_identifier(EVP_PKEY* key) {
    using R = Result<OpensslPtr<ASN1_OCTET_STRING>>;
    X509_PUBKEY* raw = nullptr;
    if (X509_PUBKEY_set(&raw, key) != 1) return R::failure("cannot encode a public key for its identifier");
    OpensslPtr<X509_PUBKEY> public_key(raw);
    const unsigned char* bits = nullptr;
    int length = 0;
    if (X509_PUBKEY_get0_param(nullptr, &bits, &length, nullptr, public_key.get()) != 1)
        return R::failure("cannot read a public key for its identifier");
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(bits, static_cast<std::size_t>(length), digest);
    OpensslPtr<ASN1_OCTET_STRING> identifier(ASN1_OCTET_STRING_new());
    if (!identifier || ASN1_OCTET_STRING_set(identifier.get(), digest, sizeof digest) != 1)
        return R::failure("cannot encode a key identifier");
    return R::success(std::move(identifier));
}

Status add_text_extension(X509* certificate, int nid, const std::string& value) {
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, nullptr, certificate, nullptr, nullptr, 0);
    OpensslPtr<X509_EXTENSION> extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
    if (!extension || X509_add_ext(certificate, extension.get(), -1) != 1)
        return Status::failure(std::string("cannot write the ") + OBJ_nid2sn(nid) + " extension (" + value + ")");
    return ok_status();
}

Status add_key_identifiers(X509* certificate, EVP_PKEY* subject_key, EVP_PKEY* issuer_key) {
    auto subject_id = key_identifier(subject_key);
    if (!subject_id) return Status::failure(subject_id.error());
    if (X509_add1_ext_i2d(certificate, NID_subject_key_identifier, subject_id.value().get(), 0, X509V3_ADD_DEFAULT) != 1)
        return Status::failure("cannot write the subjectKeyIdentifier extension");
    auto issuer_id = key_identifier(issuer_key);
    if (!issuer_id) return Status::failure(issuer_id.error());
    OpensslPtr<AUTHORITY_KEYID> authority(AUTHORITY_KEYID_new());
    authority->keyid = issuer_id.value().release();  // owned by `authority` from here
    if (X509_add1_ext_i2d(certificate, NID_authority_key_identifier, authority.get(), 0, X509V3_ADD_DEFAULT) != 1)
        return Status::failure("cannot write the authorityKeyIdentifier extension");
    return ok_status();
}

Status add_extensions(X509* certificate, const CertificateRequest& request, EVP_PKEY* subject_key, EVP_PKEY* issuer_key) {
    std::vector<std::pair<int, std::string>> extensions;
    if (request.is_ca) {
        extensions.emplace_back(NID_basic_constraints, "critical,CA:TRUE,pathlen:" + std::to_string(request.max_path_length));
        extensions.emplace_back(NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        extensions.emplace_back(NID_basic_constraints, "critical,CA:FALSE");
        extensions.emplace_back(NID_key_usage, "critical,digitalSignature");
        // Apple's and OpenSSL's strict modes want serverAuth on every TLS server leaf.
        extensions.emplace_back(NID_ext_key_usage, "serverAuth");
        if (request.alt_name)
            extensions.emplace_back(NID_subject_alt_name, (request.alt_name->ip ? "IP:" : "DNS:") + request.alt_name->text);
    }
    for (const auto& [nid, value] : extensions)
        if (auto added = add_text_extension(certificate, nid, value); !added) return added;
    return add_key_identifiers(certificate, subject_key, issuer_key);
}

Status set_random_serial(X509* certificate) {
    std::array<unsigned char, kSerialBytes> bytes{};
    if (RandomSource::generate(RandomSource::process().context(), bytes.data(), bytes.size()) != 0)
        return Status::failure("the random generator failed while making a certificate serial");
    bytes[0] &= 0x7f;  // positive INTEGER
    bytes[0] |= 0x01;  // and no leading zero octet to trim
    OpensslPtr<BIGNUM> number(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
    OpensslPtr<ASN1_INTEGER> serial(number ? BN_to_ASN1_INTEGER(number.get(), nullptr) : nullptr);
    if (!serial || X509_set_serialNumber(certificate, serial.get()) != 1) return Status::failure("cannot set a certificate serial");
    return ok_status();
}

Status set_names(X509* certificate, const CertificateRequest& request, const std::string& issuer_subject) {
    auto subject = name_from_string(request.subject);
    if (!subject) return Status::failure(subject.error());
    if (X509_set_subject_name(certificate, subject.value().get()) != 1) return Status::failure("cannot set the subject name");
    OpensslPtr<X509_NAME> issuer;
    if (!request.issuer_name_der.empty()) {
        const unsigned char* cursor = request.issuer_name_der.data();
        issuer.reset(d2i_X509_NAME(nullptr, &cursor, static_cast<long>(request.issuer_name_der.size())));
        if (!issuer) return Status::failure("the issuer's encoded name does not parse");
    } else {
        auto built = name_from_string(issuer_subject);
        if (!built) return Status::failure(built.error());
        issuer = built.take();
    }
    if (X509_set_issuer_name(certificate, issuer.get()) != 1) return Status::failure("cannot set the issuer name");
    return ok_status();
}

// DER of one element at `at` in `der` (tag, length, contents), or an empty span.
std::span<const std::uint8_t> der_element(std::span<const std::uint8_t> der, std::size_t at, std::size_t* next = nullptr) {
    if (at + 2 > der.size()) return {};
    std::size_t length = der[at + 1];
    std::size_t header = 2;
    if (length & 0x80) {
        const std::size_t count = length & 0x7f;
        if (count == 0 || count > 3 || at + 2 + count > der.size()) return {};
        length = 0;
        for (std::size_t i = 0; i < count; ++i) length = (length << 8) | der[at + 2 + i];
        header += count;
    }
    if (at + header + length > der.size()) return {};
    if (next) *next = at + header + length;
    return der.subspan(at, header + length);
}

// The tag and length octets of an element that der_element() returned whole.
std::size_t der_header_size(std::span<const std::uint8_t> element) {
    return element[1] & 0x80 ? 2 + (element[1] & 0x7f) : 2;
}

// An AlgorithmIdentifier with an ecdsa-with-SHA* OID (1.2.840.10045.4.3.*) and a parameter after it.
bool is_ecdsa_with_parameters(std::span<const std::uint8_t> algorithm) {
    static constexpr std::uint8_t kEcdsaWithShaPrefix[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03};
    if (algorithm.size() < 2 || algorithm[0] != 0x30) return false;
    const auto contents = algorithm.subspan(der_header_size(algorithm));
    if (contents.size() < sizeof kEcdsaWithShaPrefix + 1 ||
        !std::equal(std::begin(kEcdsaWithShaPrefix), std::end(kEcdsaWithShaPrefix), contents.begin()))
        return false;
    return contents.size() > sizeof kEcdsaWithShaPrefix + 1;  // OID of 10 bytes, then anything = a parameter
}

}  // namespace

Result<LeafName> LeafName::parse(std::string_view host) {
    LeafName name;
    name.text.assign(host);
    std::array<unsigned char, 16> address{};
    char canonical[INET6_ADDRSTRLEN];
    if (inet_pton(AF_INET, name.text.c_str(), address.data()) == 1) {
        name.ip.emplace(address.begin(), address.begin() + 4);
    } else if (inet_pton(AF_INET6, name.text.c_str(), address.data()) == 1) {
        name.ip.emplace(address.begin(), address.end());
        // One spelling per address ("2001:DB8:0::1" → "2001:db8::1"): it is the cache key.
        if (inet_ntop(AF_INET6, address.data(), canonical, sizeof canonical) != nullptr) name.text = canonical;
    } else {
        for (char& c : name.text) {
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            const bool allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
            if (!allowed) return Result<LeafName>::failure("\"" + std::string(host) + "\" is neither a host name nor an IP literal");
        }
        if (name.text.empty() || name.text.size() > 253 || name.text.front() == '.' || name.text.back() == '.')
            return Result<LeafName>::failure("\"" + std::string(host) + "\" is not a usable host name");
    }
    return Result<LeafName>::success(std::move(name));
}

Result<std::unique_ptr<PrivateKey>> generate_p256_key() {
    auto key = std::make_unique<PrivateKey>();
    int rc = mbedtls_pk_setup(key->get(), mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
    if (rc == 0)
        rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*key->get()), RandomSource::generate,
                                 RandomSource::process().context());
    if (rc != 0) return Result<std::unique_ptr<PrivateKey>>::failure("cannot generate an ECDSA P-256 key: " + mbedtls_error_text(rc));
    return Result<std::unique_ptr<PrivateKey>>::success(std::move(key));
}

Result<std::vector<std::uint8_t>> write_certificate(const CertificateRequest& request, PrivateKey& subject_key,
                                                    PrivateKey& issuer_key, const std::string& issuer_subject) {
    auto subject_evp = to_evp_key(subject_key);
    if (!subject_evp) return DerResult::failure(subject_evp.error());
    auto issuer_evp = &issuer_key == &subject_key ? Result<OpensslPtr<EVP_PKEY>>::success(nullptr) : to_evp_key(issuer_key);
    if (!issuer_evp) return DerResult::failure(issuer_evp.error());
    EVP_PKEY* signer = issuer_evp.value() ? issuer_evp.value().get() : subject_evp.value().get();

    OpensslPtr<X509> certificate(X509_new());
    if (!certificate || X509_set_version(certificate.get(), X509_VERSION_3) != 1)
        return DerResult::failure("cannot start a certificate (libcrypto out of memory?)");
    if (auto serial = set_random_serial(certificate.get()); !serial) return DerResult::failure(serial.error());
    if (auto names = set_names(certificate.get(), request, issuer_subject); !names) return DerResult::failure(names.error());
    if (ASN1_TIME_set(X509_getm_notBefore(certificate.get()), request.not_before) == nullptr ||
        ASN1_TIME_set(X509_getm_notAfter(certificate.get()), request.not_after) == nullptr)
        return DerResult::failure("cannot set the certificate's validity");
    if (X509_set_pubkey(certificate.get(), subject_evp.value().get()) != 1)
        return DerResult::failure("cannot set the certificate's public key");
    if (auto extensions = add_extensions(certificate.get(), request, subject_evp.value().get(), signer); !extensions)
        return DerResult::failure(extensions.error());
    // For an EC key, X509_sign writes ecdsa-with-SHA256 with no parameter (RFC 5758 §3.2).
    if (X509_sign(certificate.get(), signer, EVP_sha256()) <= 0) return DerResult::failure("cannot sign the certificate");
    unsigned char* encoded = nullptr;
    const int length = i2d_X509(certificate.get(), &encoded);
    if (length <= 0) return DerResult::failure("cannot encode the certificate");
    Der der(encoded, encoded + length);
    OPENSSL_free(encoded);
    return DerResult::success(std::move(der));
}

bool has_ecdsa_null_parameters(const std::vector<std::uint8_t>& der) {
    // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }
    // TBSCertificate ::= SEQUENCE { [0] version, serialNumber, signature, ... }
    const std::span<const std::uint8_t> all(der);
    const auto certificate = der_element(all, 0);
    if (certificate.empty() || certificate[0] != 0x30) return false;
    const std::size_t header = der_header_size(certificate);
    std::size_t after_tbs = 0;
    const auto tbs = der_element(all, header, &after_tbs);
    if (tbs.empty()) return false;
    const bool outer = is_ecdsa_with_parameters(der_element(all, after_tbs));
    std::size_t at = header + der_header_size(tbs);
    if (at < der.size() && der[at] == 0xa0) der_element(all, at, &at);  // [0] version
    der_element(all, at, &at);                                            // serialNumber
    return outer || is_ecdsa_with_parameters(der_element(all, at));
}

std::string sha256_fingerprint(const std::vector<std::uint8_t>& der) {
    std::array<unsigned char, 32> digest{};
    mbedtls_sha256_ret(der.data(), der.size(), digest.data(), 0);
    std::string text;
    char hex[4];
    for (std::size_t i = 0; i < digest.size(); ++i) {
        std::snprintf(hex, sizeof hex, i == 0 ? "%02X" : ":%02X", digest[i]);
        text += hex;
    }
    return text;
}

std::string certificate_pem(const std::vector<std::uint8_t>& der) {
    std::vector<unsigned char> pem(der.size() * 2 + 128);
    std::size_t written = 0;
    const int rc = mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n", "-----END CERTIFICATE-----\n", der.data(),
                                            der.size(), pem.data(), pem.size(), &written);
    if (rc != 0 || written == 0) return {};
    return std::string(reinterpret_cast<const char*>(pem.data()), written - 1);  // written counts the NUL
}

}  // namespace askfirst::tls
