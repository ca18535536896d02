// tls/upstream_verification.cpp — the iPAddress SAN check mbedTLS 2.28
// lacks, and the sentences for a failed upstream verification. The SAN walk
// reads the certificate's extensions with mbedTLS's ASN.1 getters: mbedTLS
// 2.28 keeps only dNSName and otherName entries in subject_alt_names.
#include "tls/upstream_verification.h"

#include <mbedtls/asn1.h>
#include <mbedtls/oid.h>

#include <cstdio>
#include <cstring>

namespace askfirst::tls {
namespace {

// Within one GeneralNames SEQUENCE: any [7] entry equal to `ip`?
bool general_names_contain_ip(unsigned char* p, const unsigned char* end, const std::vector<std::uint8_t>& ip) {
    std::size_t length = 0;
    if (mbedtls_asn1_get_tag(&p, end, &length, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0) return false;
    const unsigned char* names_end = p + length;
    while (p < names_end) {
        const unsigned char tag = *p++;
        if (mbedtls_asn1_get_len(&p, names_end, &length) != 0) return false;
        if (tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) && length == ip.size() && std::memcmp(p, ip.data(), length) == 0)
            return true;
        p += length;
    }
    return false;
}

std::string time_text(const mbedtls_x509_time& time) {
    char text[96];
    std::snprintf(text, sizeof text, "%04d-%02d-%02d %02d:%02d:%02d UTC", time.year, time.mon, time.day, time.hour,
                  time.min, time.sec);
    return text;
}

std::string name_text(const mbedtls_x509_name* name) {
    char text[256];
    return mbedtls_x509_dn_gets(text, sizeof text, name) < 0 ? std::string("?") : std::string(text);
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
    return out.empty() ? "no DNS names" : out;
}

const ChainCertificateNote* first_with(const std::vector<ChainCertificateNote>& chain, std::uint32_t flag) {
    for (const auto& note : chain)
        if ((note.flags & flag) != 0) return &note;
    return nullptr;
}

}  // namespace

bool certificate_names_ip(const mbedtls_x509_crt* certificate, const std::vector<std::uint8_t>& ip) {
    unsigned char* p = certificate->v3_ext.p;
    if (p == nullptr || certificate->v3_ext.len == 0) return false;
    const unsigned char* end = p + certificate->v3_ext.len;
    std::size_t length = 0;
    if (*p == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 3) &&
        mbedtls_asn1_get_tag(&p, end, &length, MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 3) != 0)
        return false;
    if (mbedtls_asn1_get_tag(&p, end, &length, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0) return false;
    // Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
    while (p < end) {
        if (mbedtls_asn1_get_tag(&p, end, &length, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0) return false;
        unsigned char* next = p + length;
        mbedtls_x509_buf oid{};
        if (mbedtls_asn1_get_tag(&p, next, &oid.len, MBEDTLS_ASN1_OID) != 0) return false;
        oid.p = p;
        p += oid.len;
        int critical = 0;
        if (p < next && *p == MBEDTLS_ASN1_BOOLEAN && mbedtls_asn1_get_bool(&p, next, &critical) != 0) return false;
        if (mbedtls_asn1_get_tag(&p, next, &length, MBEDTLS_ASN1_OCTET_STRING) != 0) return false;
        if (MBEDTLS_OID_CMP(MBEDTLS_OID_SUBJECT_ALT_NAME, &oid) == 0) return general_names_contain_ip(p, p + length, ip);
        p = next;
    }
    return false;
}

ChainCertificateNote note_certificate(const mbedtls_x509_crt* certificate, int depth, std::uint32_t flags) {
    ChainCertificateNote note;
    note.depth = depth;
    note.flags = flags;
    note.subject = name_text(&certificate->subject);
    note.issuer = name_text(&certificate->issuer);
    note.valid_from = time_text(certificate->valid_from);
    note.valid_to = time_text(certificate->valid_to);
    note.self_signed = certificate->issuer_raw.len == certificate->subject_raw.len &&
                       std::memcmp(certificate->issuer_raw.p, certificate->subject_raw.p, certificate->subject_raw.len) == 0;
    if (depth == 0) {
        for (const mbedtls_x509_sequence* san = &certificate->subject_alt_names; san != nullptr; san = san->next)
            if (san->buf.p != nullptr && san->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2))
                note.dns_names.emplace_back(reinterpret_cast<const char*>(san->buf.p), san->buf.len);
    }
    return note;
}

std::string explain_verification_failure(const std::string& expected_name, std::uint32_t flags,
                                         const std::vector<ChainCertificateNote>& chain) {
    const std::string head = "the upstream certificate for " + expected_name + " is not valid: ";
    const std::string trust_advice = "; if this server is meant to be trusted, add its CA certificate to the profile's tls.extra_ca";
    if (const auto* note = first_with(chain, MBEDTLS_X509_BADCERT_EXPIRED))
        return head + "it expired on " + note->valid_to + " (" + note->subject + "); the server must renew it";
    if (const auto* note = first_with(chain, MBEDTLS_X509_BADCERT_FUTURE))
        return head + "it is not valid before " + note->valid_from + " (" + note->subject +
               "); check the clocks of this host and of the server";
    if ((flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) != 0) {
        const ChainCertificateNote* leaf = chain.empty() ? nullptr : &chain.back();
        for (const auto& note : chain) if (note.depth == 0) leaf = &note;
        return head + "wrong name: it is for " + (leaf ? joined(leaf->dns_names) + " (" + leaf->subject + ")" : "another name") +
               ", not " + expected_name + "; the guest may be dialing the wrong address (check upstream.map and dns.hosts)";
    }
    if ((flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) != 0) {
        const ChainCertificateNote* top = nullptr;
        for (const auto& note : chain) if (top == nullptr || note.depth > top->depth) top = &note;
        if (top != nullptr && top->self_signed && top->depth == 0)
            return head + "it is self-signed (" + top->subject + ") and not in the trust store" + trust_advice;
        return head + "unknown issuer: " + (top ? top->issuer : std::string("?")) + " is not in the trust store" + trust_advice;
    }
    char details[512];
    if (mbedtls_x509_crt_verify_info(details, sizeof details, "", flags) < 0) details[0] = '\0';
    std::string text(details);
    for (char& c : text) if (c == '\n') c = ';';
    return head + (text.empty() ? "verification failed" : text);
}

}  // namespace askfirst::tls
