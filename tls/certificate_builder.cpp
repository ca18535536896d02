// tls/certificate_builder.cpp — key generation, x509write, and the two
// extensions mbedTLS 2.28 cannot write by itself.
#include "tls/certificate_builder.h"

#include <arpa/inet.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/sha256.h>

#include <array>
#include <cstdio>

#include "tls/random_source.h"

namespace askfirst::tls {
namespace {

// Room for a certificate with one SAN of up to 253 bytes (~700 bytes in practice).
constexpr std::size_t kMaxCertificateDer = 2048;
constexpr std::size_t kSerialBytes = 16;  // RFC 5280 §4.1.2.2 allows up to 20 octets

std::string x509_time(std::time_t when) {
    std::tm utc{};
    gmtime_r(&when, &utc);
    char text[64];
    std::snprintf(text, sizeof text, "%04d%02d%02d%02d%02d%02d", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                  utc.tm_hour, utc.tm_min, utc.tm_sec);
    return text;
}

// GeneralNames ::= SEQUENCE { dNSName [2] IA5String | iPAddress [7] OCTET STRING }
Result<std::vector<std::uint8_t>> subject_alt_name_der(const LeafName& name) {
    std::array<unsigned char, 512> buffer{};
    unsigned char* cursor = buffer.data() + buffer.size();
    const bool is_ip = name.ip.has_value();
    const auto* bytes = is_ip ? name.ip->data() : reinterpret_cast<const unsigned char*>(name.text.data());
    const std::size_t size = is_ip ? name.ip->size() : name.text.size();
    int length = mbedtls_asn1_write_raw_buffer(&cursor, buffer.data(), bytes, size);
    const unsigned char tag = MBEDTLS_ASN1_CONTEXT_SPECIFIC | (is_ip ? 7 : 2);
    int total = length;
    if (length >= 0 && (length = mbedtls_asn1_write_len(&cursor, buffer.data(), size)) >= 0) total += length;
    if (length >= 0 && (length = mbedtls_asn1_write_tag(&cursor, buffer.data(), tag)) >= 0) total += length;
    if (length >= 0 && (length = mbedtls_asn1_write_len(&cursor, buffer.data(), static_cast<std::size_t>(total))) >= 0) total += length;
    if (length >= 0 && (length = mbedtls_asn1_write_tag(&cursor, buffer.data(), MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) >= 0) total += length;
    if (length < 0) return Result<std::vector<std::uint8_t>>::failure("cannot encode subjectAltName for " + name.text);
    return Result<std::vector<std::uint8_t>>::success({cursor, cursor + total});
}

Status add_extensions(mbedtls_x509write_cert* writer, const CertificateRequest& request) {
    auto fail = [](int rc) { return Status::failure("cannot write certificate extensions: " + mbedtls_error_text(rc)); };
    int rc = mbedtls_x509write_crt_set_basic_constraints(writer, request.is_ca ? 1 : 0, request.is_ca ? request.max_path_length : -1);
    if (rc == 0) rc = mbedtls_x509write_crt_set_subject_key_identifier(writer);
    if (rc == 0) rc = mbedtls_x509write_crt_set_authority_key_identifier(writer);
    if (rc == 0) {
        const unsigned usage = request.is_ca ? (MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN)
                                             : MBEDTLS_X509_KU_DIGITAL_SIGNATURE;
        rc = mbedtls_x509write_crt_set_key_usage(writer, usage);
    }
    if (rc != 0) return fail(rc);
    if (request.is_ca) return ok_status();
    // ExtKeyUsageSyntax ::= SEQUENCE { id-kp-serverAuth }: Apple's and
    // OpenSSL's strict modes want it on every TLS server leaf.
    static constexpr unsigned char kServerAuthOnly[] = {0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01};
    rc = mbedtls_x509write_crt_set_extension(writer, MBEDTLS_OID_EXTENDED_KEY_USAGE,
                                             MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE), 0, kServerAuthOnly,
                                             sizeof kServerAuthOnly);
    if (rc != 0) return fail(rc);
    if (!request.alt_name) return ok_status();
    auto san = subject_alt_name_der(*request.alt_name);
    if (!san) return Status::failure(san.error());
    rc = mbedtls_x509write_crt_set_extension(writer, MBEDTLS_OID_SUBJECT_ALT_NAME,
                                             MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0, san.value().data(),
                                             san.value().size());
    return rc == 0 ? ok_status() : fail(rc);
}

Status set_random_serial(mbedtls_x509write_cert* writer) {
    std::array<unsigned char, kSerialBytes> bytes{};
    if (RandomSource::generate(RandomSource::process().context(), bytes.data(), bytes.size()) != 0)
        return Status::failure("the random generator failed while making a certificate serial");
    bytes[0] &= 0x7f;  // positive INTEGER
    bytes[0] |= 0x01;  // and no leading zero octet to trim
    BigNumber serial;
    const int rc = mbedtls_mpi_read_binary(serial.get(), bytes.data(), bytes.size());
    if (rc == 0 && mbedtls_x509write_crt_set_serial(writer, serial.get()) == 0) return ok_status();
    return Status::failure("cannot set a certificate serial");
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
    using R = Result<std::vector<std::uint8_t>>;
    X509CertificateWriter writer;
    mbedtls_x509write_crt_set_version(writer.get(), MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(writer.get(), MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(writer.get(), subject_key.get());
    mbedtls_x509write_crt_set_issuer_key(writer.get(), issuer_key.get());
    if (auto serial = set_random_serial(writer.get()); !serial) return R::failure(serial.error());
    int rc = mbedtls_x509write_crt_set_subject_name(writer.get(), request.subject.c_str());
    if (rc == 0) rc = mbedtls_x509write_crt_set_issuer_name(writer.get(), issuer_subject.c_str());
    if (rc == 0)
        rc = mbedtls_x509write_crt_set_validity(writer.get(), x509_time(request.not_before).c_str(),
                                                x509_time(request.not_after).c_str());
    if (rc != 0) return R::failure("cannot set certificate names or validity: " + mbedtls_error_text(rc));
    if (auto extensions = add_extensions(writer.get(), request); !extensions) return R::failure(extensions.error());
    std::array<unsigned char, kMaxCertificateDer> buffer{};
    rc = mbedtls_x509write_crt_der(writer.get(), buffer.data(), buffer.size(), RandomSource::generate,
                                   RandomSource::process().context());
    if (rc < 0) return R::failure("cannot sign the certificate: " + mbedtls_error_text(rc));
    return R::success({buffer.end() - rc, buffer.end()});
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
