// Tests for tls/certificate_builder.h at the DER level (issue 11): the CA and
// every leaf encode ecdsa-with-SHA256 without parameters (RFC 5758 §3.2),
// which rustls requires, and carry what a strict verifier expects of a
// private CA and a server leaf. OpenSSL reads them back: its strict mode
// (X509_V_FLAG_X509_STRICT) verifies the chain.
#include <doctest.h>

#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "tests/unit/tls/tls_test_peers.h"
#include "tls/ca_store.h"
#include "tls/certificate_builder.h"
#include "tls/leaf_cache.h"
#include "tls/random_source.h"

using namespace askfirst::tls;
using namespace askfirst::tls::testing;

namespace {

struct X509Free {
    void operator()(X509* certificate) const { X509_free(certificate); }
    void operator()(X509_STORE* store) const { X509_STORE_free(store); }
    void operator()(X509_STORE_CTX* context) const { X509_STORE_CTX_free(context); }
};

std::unique_ptr<X509, X509Free> read_der(const std::vector<std::uint8_t>& der) {
    const unsigned char* cursor = der.data();
    return std::unique_ptr<X509, X509Free>(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
}

// The OID 1.2.840.10045.4.3.2 in DER, then NULL: the encoding rustls refuses.
bool has_oid_then_null(const std::vector<std::uint8_t>& der) {
    static const std::uint8_t kOidThenNull[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x05, 0x00};
    return std::search(der.begin(), der.end(), std::begin(kOidThenNull), std::end(kOidThenNull)) != der.end();
}

// Checks both signature AlgorithmIdentifiers through OpenSSL's own parse.
void check_ecdsa_sha256_without_parameters(X509* certificate) {
    const X509_ALGOR* outer = nullptr;
    X509_get0_signature(nullptr, &outer, certificate);
    const X509_ALGOR* inner = X509_get0_tbs_sigalg(certificate);
    for (const X509_ALGOR* algorithm : {outer, inner}) {
        const ASN1_OBJECT* oid = nullptr;
        int parameter_type = 0;
        X509_ALGOR_get0(&oid, &parameter_type, nullptr, algorithm);
        CHECK(OBJ_obj2nid(oid) == NID_ecdsa_with_SHA256);
        CHECK(parameter_type == V_ASN1_UNDEF);  // absent, not V_ASN1_NULL
    }
}

bool extension_is_critical(X509* certificate, int nid) {
    const int at = X509_get_ext_by_NID(certificate, nid, -1);
    REQUIRE(at >= 0);
    return X509_EXTENSION_get_critical(X509_get_ext(certificate, at)) == 1;
}

struct Minted {
    TemporaryDirectory directory;
    std::unique_ptr<CertificateAuthority> ca =
        CertificateAuthority::load_or_create(CaLocation::in_directory(directory.path() + "/ca")).take();
    std::unique_ptr<PrivateKey> leaf_key = generate_p256_key().take();
    LeafMinter minter{*ca, *leaf_key};
};

}  // namespace

TEST_CASE("the CA and its leaves carry ecdsa-with-SHA256 with no parameter (RFC 5758 §3.2)") {
    Minted minted;
    const auto leaf = minted.minter.mint(LeafName::parse("rds.us-east-1.amazonaws.com").take(), std::time(nullptr)).take();
    const auto ip_leaf = minted.minter.mint(LeafName::parse("198.51.100.7").take(), std::time(nullptr)).take();
    for (const std::vector<std::uint8_t>* der : {&minted.ca->der(), static_cast<const std::vector<std::uint8_t>*>(&leaf->der), static_cast<const std::vector<std::uint8_t>*>(&ip_leaf->der)}) {
        CHECK_FALSE(has_oid_then_null(*der));
        CHECK_FALSE(has_ecdsa_null_parameters(*der));
        auto parsed = read_der(*der);
        REQUIRE(parsed);
        check_ecdsa_sha256_without_parameters(parsed.get());
    }
    CHECK(minted.ca->strict_client_warning().empty());
}

TEST_CASE("a CA written with the old NULL parameter is detected and its advice names `askfirst ca rotate`") {
    // mbedTLS 2.28's x509write is what askfirst used before: it always writes the NULL.
    auto key = generate_p256_key().take();
    mbedtls_x509write_cert writer;
    mbedtls_x509write_crt_init(&writer);
    mbedtls_x509write_crt_set_version(&writer, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&writer, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&writer, key->get());
    mbedtls_x509write_crt_set_issuer_key(&writer, key->get());
    mbedtls_mpi serial;
    mbedtls_mpi_init(&serial);
    mbedtls_mpi_lset(&serial, 7);
    mbedtls_x509write_crt_set_serial(&writer, &serial);
    mbedtls_x509write_crt_set_subject_name(&writer, "CN=old askfirst CA,O=askfirst");
    mbedtls_x509write_crt_set_issuer_name(&writer, "CN=old askfirst CA,O=askfirst");
    mbedtls_x509write_crt_set_validity(&writer, "20260101000000", "20360101000000");
    mbedtls_x509write_crt_set_basic_constraints(&writer, 1, 0);
    std::vector<unsigned char> buffer(2048);
    const int length = mbedtls_x509write_crt_der(&writer, buffer.data(), buffer.size(), RandomSource::generate,
                                                 RandomSource::process().context());
    mbedtls_x509write_crt_free(&writer);
    mbedtls_mpi_free(&serial);
    REQUIRE(length > 0);
    const std::vector<std::uint8_t> old_der(buffer.end() - length, buffer.end());
    CHECK(has_oid_then_null(old_der));
    CHECK(has_ecdsa_null_parameters(old_der));

    // On disk as an old askfirst left it: load() keeps it usable and says to rotate.
    TemporaryDirectory directory;
    const auto location = CaLocation::in_directory(directory.path() + "/ca");
    REQUIRE(CertificateAuthority::load_or_create(location).ok());  // makes the directory and a new pair
    std::string key_pem(1024, '\0');
    REQUIRE(mbedtls_pk_write_key_pem(key->get(), reinterpret_cast<unsigned char*>(key_pem.data()), key_pem.size()) == 0);
    key_pem.resize(std::strlen(key_pem.c_str()));
    write_text_file(location.key_file, key_pem);
    write_text_file(location.certificate_file, certificate_pem(old_der) + "\n");
    auto old_ca = CertificateAuthority::load_or_create(location);
    REQUIRE_MESSAGE(old_ca.ok(), old_ca.error());
    CHECK(old_ca.value()->strict_client_warning().find("askfirst ca rotate") != std::string::npos);
    auto rotated = CertificateAuthority::rotate(location);
    REQUIRE(rotated.ok());
    CHECK(rotated.value()->strict_client_warning().empty());
    CHECK_FALSE(has_ecdsa_null_parameters(rotated.value()->der()));
}

TEST_CASE("extensions are what a strict verifier expects of a private CA and a server leaf") {
    Minted minted;
    const auto leaf = minted.minter.mint(LeafName::parse("api.github.com").take(), std::time(nullptr)).take();
    auto ca = read_der(minted.ca->der());
    auto server = read_der(leaf->der);
    REQUIRE(ca);
    REQUIRE(server);
    CHECK(X509_get_version(ca.get()) == X509_VERSION_3);
    CHECK(X509_get_version(server.get()) == X509_VERSION_3);
    CHECK(extension_is_critical(ca.get(), NID_basic_constraints));
    CHECK(extension_is_critical(ca.get(), NID_key_usage));
    CHECK((X509_get_key_usage(ca.get()) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) == (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
    CHECK(X509_check_ca(ca.get()) == 1);
    CHECK(extension_is_critical(server.get(), NID_basic_constraints));
    CHECK(extension_is_critical(server.get(), NID_key_usage));
    CHECK(X509_check_ca(server.get()) == 0);
    CHECK(X509_get_key_usage(server.get()) == KU_DIGITAL_SIGNATURE);
    CHECK((X509_get_extended_key_usage(server.get()) & XKU_SSL_SERVER) != 0);
    CHECK(X509_check_host(server.get(), "api.github.com", 0, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, nullptr) == 1);
    CHECK(X509_get0_subject_key_id(server.get()) != nullptr);
    CHECK(X509_get0_authority_key_id(server.get()) != nullptr);
    // The leaf's issuer is byte for byte the CA's subject (Go compares raw bytes).
    unsigned char* issuer = nullptr;
    unsigned char* subject = nullptr;
    const int issuer_length = i2d_X509_NAME(X509_get_issuer_name(server.get()), &issuer);
    const int subject_length = i2d_X509_NAME(X509_get_subject_name(ca.get()), &subject);
    CHECK(std::string(reinterpret_cast<char*>(issuer), issuer_length) ==
          std::string(reinterpret_cast<char*>(subject), subject_length));
    OPENSSL_free(issuer);
    OPENSSL_free(subject);
    // A serial of at most 20 octets, positive (RFC 5280 §4.1.2.2).
    const ASN1_INTEGER* serial = X509_get0_serialNumber(server.get());
    CHECK(ASN1_STRING_length(serial) <= 20);
    CHECK(ASN1_STRING_type(serial) == V_ASN1_INTEGER);

    // OpenSSL's strict mode verifies the chain for the name.
    std::unique_ptr<X509_STORE, X509Free> store(X509_STORE_new());
    X509_STORE_add_cert(store.get(), ca.get());
    std::unique_ptr<X509_STORE_CTX, X509Free> context(X509_STORE_CTX_new());
    REQUIRE(X509_STORE_CTX_init(context.get(), store.get(), server.get(), nullptr) == 1);
    X509_VERIFY_PARAM* parameters = X509_STORE_CTX_get0_param(context.get());
    X509_VERIFY_PARAM_set_flags(parameters, X509_V_FLAG_X509_STRICT);
    X509_VERIFY_PARAM_set1_host(parameters, "api.github.com", 0);
    X509_VERIFY_PARAM_set_purpose(parameters, X509_PURPOSE_SSL_SERVER);
    const int verified = X509_verify_cert(context.get());
    CHECK_MESSAGE(verified == 1, X509_verify_cert_error_string(X509_STORE_CTX_get_error(context.get())));
}
