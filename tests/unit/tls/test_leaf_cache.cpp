// Tests for tls/leaf_cache.h: what a minted leaf contains (names, usage,
// validity window) and how the bounded LRU keeps and drops leaves.
#include <doctest.h>

#include <mbedtls/oid.h>

#include "tests/unit/tls/tls_test_peers.h"
#include "tls/ca_store.h"
#include "tls/leaf_cache.h"
#include "tls/upstream_verification.h"

using namespace askfirst::tls;
using namespace askfirst::tls::testing;

namespace {

struct MintFixture {
    TemporaryDirectory directory;
    std::unique_ptr<CertificateAuthority> ca = CertificateAuthority::load_or_create(CaLocation::in_directory(directory.path() + "/ca")).take();
    std::unique_ptr<PrivateKey> leaf_key = generate_p256_key().take();
    LeafMinter minter{*ca, *leaf_key};

    std::shared_ptr<LeafCertificate> mint(const std::string& host, std::time_t now = std::time(nullptr)) {
        auto leaf = minter.mint(LeafName::parse(host).take(), now);
        REQUIRE(leaf.ok());
        return leaf.take();
    }
};

std::time_t as_time_t(const mbedtls_x509_time& t) {
    std::tm tm{};
    tm.tm_year = t.year - 1900;
    tm.tm_mon = t.mon - 1;
    tm.tm_mday = t.day;
    tm.tm_hour = t.hour;
    tm.tm_min = t.min;
    tm.tm_sec = t.sec;
    return timegm(&tm);
}

}  // namespace

TEST_CASE("a minted leaf names its host in the SAN, serves TLS only, and chains to the CA") {
    MintFixture f;
    auto leaf = f.mint("api.example.com");
    mbedtls_x509_crt* crt = leaf->certificate.get();
    CHECK(crt->ca_istrue == 0);
    CHECK(crt->subject_alt_names.buf.len == std::string("api.example.com").size());
    CHECK((crt->key_usage & MBEDTLS_X509_KU_DIGITAL_SIGNATURE) != 0);
    CHECK((crt->key_usage & MBEDTLS_X509_KU_KEY_CERT_SIGN) == 0);
    CHECK(mbedtls_x509_crt_check_extended_key_usage(crt, MBEDTLS_OID_SERVER_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)) == 0);
    CHECK(mbedtls_x509_crt_check_extended_key_usage(crt, MBEDTLS_OID_CLIENT_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)) != 0);
    CHECK(mbedtls_pk_get_bitlen(&crt->pk) == 256);
    std::uint32_t flags = 0;
    CHECK(mbedtls_x509_crt_verify(crt, f.ca->certificate(), nullptr, "api.example.com", &flags, nullptr, nullptr) == 0);
    CHECK(mbedtls_x509_crt_verify(crt, f.ca->certificate(), nullptr, "www.example.com", &flags, nullptr, nullptr) != 0);
    CHECK(leaf->der.size() < 1024);
}

TEST_CASE("a leaf is valid from two days back to seven days ahead") {
    MintFixture f;
    const std::time_t now = std::time(nullptr);
    auto leaf = f.mint("api.example.com", now);
    CHECK(as_time_t(leaf->certificate.get()->valid_from) == now - kLeafBackdateSeconds);
    CHECK(as_time_t(leaf->certificate.get()->valid_to) == now + kLeafValiditySeconds);
    CHECK(leaf->not_after == now + kLeafValiditySeconds);
}

TEST_CASE("IP literals get an iPAddress SAN; names longer than a CN allows still get their SAN") {
    MintFixture f;
    auto v4 = f.mint("192.0.2.10");
    CHECK(certificate_names_ip(v4->certificate.get(), {192, 0, 2, 10}));
    auto v6 = f.mint("2001:db8::1");
    CHECK(certificate_names_ip(v6->certificate.get(), {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
    const std::string long_name = std::string(70, 'a') + ".example.com";
    auto long_leaf = f.mint(long_name);
    std::uint32_t flags = 0;
    CHECK(mbedtls_x509_crt_verify(long_leaf->certificate.get(), f.ca->certificate(), nullptr, long_name.c_str(), &flags, nullptr, nullptr) == 0);
}

TEST_CASE("LeafName refuses text that is neither a host name nor an IP") {
    for (const char* bad : {"", "a b", "a/b", "exa$mple.com", ".example.com", "example.com."}) {
        const std::string text = bad;
        CAPTURE(text);
        CHECK_FALSE(LeafName::parse(bad).ok());
    }
    CHECK(LeafName::parse("Mixed.Example.COM").value().text == "mixed.example.com");
    CHECK(LeafName::parse("2001:DB8:0:0::1").value().text == "2001:db8::1");
    CHECK(LeafName::parse("192.0.2.1").value().ip->size() == 4);
}

TEST_CASE("the leaf cache is an LRU bounded by its capacity") {
    MintFixture f;
    LeafCertificateCache cache(2);
    const std::time_t now = std::time(nullptr);
    cache.insert(f.mint("a.example", now));
    cache.insert(f.mint("b.example", now));
    CHECK(cache.find("a.example", now) != nullptr);  // a is now the most recent
    cache.insert(f.mint("c.example", now));          // evicts b
    CHECK(cache.size() == 2);
    CHECK(cache.find("b.example", now) == nullptr);
    CHECK(cache.find("a.example", now) != nullptr);
    CHECK(cache.find("c.example", now) != nullptr);
    CHECK(cache.hits() == 3);
    CHECK(cache.misses() == 1);
}

TEST_CASE("a cached leaf near its end is dropped so that it is minted again") {
    MintFixture f;
    LeafCertificateCache cache;
    const std::time_t now = std::time(nullptr);
    cache.insert(f.mint("a.example", now));
    CHECK(cache.find("a.example", now + kLeafValiditySeconds - kLeafRenewBeforeSeconds - 60) != nullptr);
    CHECK(cache.find("a.example", now + kLeafValiditySeconds - kLeafRenewBeforeSeconds + 60) == nullptr);
    CHECK(cache.size() == 0);
}

TEST_CASE("an evicted leaf stays alive while a session still holds it") {
    MintFixture f;
    LeafCertificateCache cache(1);
    auto held = f.mint("a.example");
    cache.insert(held);
    cache.insert(f.mint("b.example"));
    CHECK(cache.find("a.example", std::time(nullptr)) == nullptr);
    CHECK(held.use_count() == 1);
    CHECK(held->certificate.get()->raw.len == held->der.size());
}
