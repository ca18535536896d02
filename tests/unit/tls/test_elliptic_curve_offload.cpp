// Unit tests for tls/elliptic_curve_offload.h: libcrypto's scalar
// multiplications against libmbedcrypto's own (reached with dlsym RTLD_NEXT)
// on random scalars and points of every curve askfirst negotiates; the cases
// left to the originals; and that the interposition is what mbedTLS's ECDH,
// ECDSA and whole handshakes really call.
#include <doctest.h>
#include <dlfcn.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>

#include <array>
#include <cstring>
#include <random>
#include <string>

#include "tests/unit/tls/tls_test_peers.h"
#include "tls/ca_store.h"
#include "tls/client_hello.h"
#include "tls/elliptic_curve_offload.h"
#include "tls/guest_tls_server.h"

using namespace askfirst::tls;
using namespace askfirst::tls::testing;
namespace detail = askfirst::tls::elliptic_curve_offload_detail;

namespace {

constexpr int kRandomCasesPerCurve = 24;

// mbedTLS's f_rng over a seeded generator: reproducible random scalars.
int seeded_bytes(void* state, unsigned char* out, std::size_t length) {
    auto& generator = *static_cast<std::mt19937_64*>(state);
    for (std::size_t i = 0; i < length; ++i) out[i] = static_cast<unsigned char>(generator());
    return 0;
}

struct Curve {
    mbedtls_ecp_group group;
    explicit Curve(mbedtls_ecp_group_id id) {
        mbedtls_ecp_group_init(&group);
        REQUIRE(mbedtls_ecp_group_load(&group, id) == 0);
    }
    ~Curve() { mbedtls_ecp_group_free(&group); }
    bool weierstrass() const { return mbedtls_ecp_get_type(&group) == MBEDTLS_ECP_TYPE_SHORT_WEIERSTRASS; }
};
struct EcPoint {
    mbedtls_ecp_point value;
    EcPoint() { mbedtls_ecp_point_init(&value); }
    ~EcPoint() { mbedtls_ecp_point_free(&value); }
};
struct Integer {
    mbedtls_mpi value;
    Integer() { mbedtls_mpi_init(&value); }
    explicit Integer(long small) : Integer() { REQUIRE(mbedtls_mpi_lset(&value, small) == 0); }
    ~Integer() { mbedtls_mpi_free(&value); }
};

// The offloaded R = m·P must equal the original's, code and point.
void check_mul_agrees(Curve& curve, const mbedtls_mpi& m, const mbedtls_ecp_point& P) {
    EcPoint ours, theirs;
    int ours_result = -1;
    REQUIRE(detail::offloaded_mul(curve.group, ours.value, m, P, ours_result));
    CHECK(ours_result == 0);
    REQUIRE(detail::original_mul(curve.group, theirs.value, m, P) == 0);
    CHECK(mbedtls_ecp_point_cmp(&ours.value, &theirs.value) == 0);
    CHECK(mbedtls_mpi_cmp_mpi(&ours.value.Y, &theirs.value.Y) == 0);  // emptied on Curve25519 by both
}

void check_muladd_agrees(Curve& curve, const mbedtls_mpi& m, const mbedtls_ecp_point& P, const mbedtls_mpi& n,
                         const mbedtls_ecp_point& Q) {
    EcPoint ours, theirs;
    int ours_result = -1;
    REQUIRE(detail::offloaded_muladd(curve.group, ours.value, m, P, n, Q, ours_result));
    CHECK(ours_result == 0);
    REQUIRE(detail::original_muladd(curve.group, theirs.value, m, P, n, Q) == 0);
    CHECK(mbedtls_ecp_point_cmp(&ours.value, &theirs.value) == 0);
}

struct NamedCurve {
    const char* name;
    mbedtls_ecp_group_id id;
};
constexpr NamedCurve kCurves[] = {
    {"X25519 (both legs' preferred ECDHE)", MBEDTLS_ECP_DP_CURVE25519},
    {"P-256 (ECDHE, our leaf and CA keys, most upstream chains)", MBEDTLS_ECP_DP_SECP256R1},
    {"P-384 (upstream ECDHE and chains)", MBEDTLS_ECP_DP_SECP384R1},
    {"P-521 (offloaded too; no leg offers it)", MBEDTLS_ECP_DP_SECP521R1},
};

// The interposed function, reached the way libmbedcrypto's callers reach it.
int interposed_mul(Curve& curve, mbedtls_ecp_point& R, const mbedtls_mpi& m, const mbedtls_ecp_point& P) {
    std::mt19937_64 blinding(7);
    return mbedtls_ecp_mul(&curve.group, &R, &m, &P, seeded_bytes, &blinding);
}

}  // namespace

TEST_CASE("the self-check passes and our definitions are the ones the process calls") {
    CHECK(elliptic_curve_offload_name(elliptic_curve_offload_status()) == "in_effect");
    CHECK(dlsym(RTLD_DEFAULT, "mbedtls_ecp_mul_restartable") != dlsym(RTLD_NEXT, "mbedtls_ecp_mul_restartable"));
}

TEST_CASE("libcrypto's m·P and m·P + n·Q equal mbedTLS's on random scalars and points of every curve") {
    for (const auto& named : kCurves) {
        CAPTURE(named.name);
        Curve curve(named.id);
        std::mt19937_64 generator(named.id * 1000003ull);
        for (int i = 0; i < kRandomCasesPerCurve; ++i) {
            CAPTURE(i);
            Integer a, b;
            REQUIRE(mbedtls_ecp_gen_privkey(&curve.group, &a.value, seeded_bytes, &generator) == 0);
            REQUIRE(mbedtls_ecp_gen_privkey(&curve.group, &b.value, seeded_bytes, &generator) == 0);
            EcPoint A, B;
            REQUIRE(detail::original_mul(curve.group, A.value, a.value, curve.group.G) == 0);
            REQUIRE(detail::original_mul(curve.group, B.value, b.value, A.value) == 0);
            check_mul_agrees(curve, a.value, curve.group.G);  // key generation, ECDSA's k·G
            check_mul_agrees(curve, b.value, A.value);        // ECDH shared secret
            if (!curve.weierstrass()) continue;
            check_muladd_agrees(curve, a.value, curve.group.G, b.value, A.value);  // ECDSA verification
            check_muladd_agrees(curve, a.value, A.value, b.value, curve.group.G);
            check_muladd_agrees(curve, a.value, A.value, b.value, B.value);
        }
    }
}

TEST_CASE("the result may overwrite its input point, as mbedTLS allows") {
    for (const auto& named : kCurves) {
        CAPTURE(named.name);
        Curve curve(named.id);
        std::mt19937_64 generator(99);
        Integer a;
        REQUIRE(mbedtls_ecp_gen_privkey(&curve.group, &a.value, seeded_bytes, &generator) == 0);
        EcPoint expected, in_place;
        REQUIRE(detail::original_mul(curve.group, in_place.value, a.value, curve.group.G) == 0);
        REQUIRE(detail::original_mul(curve.group, expected.value, a.value, in_place.value) == 0);
        int result = -1;
        REQUIRE(detail::offloaded_mul(curve.group, in_place.value, a.value, in_place.value, result));
        CHECK(result == 0);
        CHECK(mbedtls_ecp_point_cmp(&in_place.value, &expected.value) == 0);
    }
}

TEST_CASE("what mbedTLS refuses or shortcuts is left to it, and the interposed call returns its own answer") {
    Curve p256(MBEDTLS_ECP_DP_SECP256R1);
    Curve x25519(MBEDTLS_ECP_DP_CURVE25519);
    EcPoint R;
    int result = 0;
    SUBCASE("scalar 0 and scalar n on P-256") {
        Integer zero(0), order;
        REQUIRE(mbedtls_mpi_copy(&order.value, &p256.group.N) == 0);
        CHECK_FALSE(detail::offloaded_mul(p256.group, R.value, zero.value, p256.group.G, result));
        CHECK_FALSE(detail::offloaded_mul(p256.group, R.value, order.value, p256.group.G, result));
        CHECK(interposed_mul(p256, R.value, zero.value, p256.group.G) == MBEDTLS_ERR_ECP_INVALID_KEY);
    }
    SUBCASE("a point off the curve on P-256") {
        Integer two(2);
        EcPoint off;
        REQUIRE(mbedtls_ecp_copy(&off.value, &p256.group.G) == 0);
        REQUIRE(mbedtls_mpi_add_int(&off.value.Y, &off.value.Y, 1) == 0);
        CHECK_FALSE(detail::offloaded_mul(p256.group, R.value, two.value, off.value, result));
        CHECK(interposed_mul(p256, R.value, two.value, off.value) == MBEDTLS_ERR_ECP_INVALID_KEY);
        CHECK_FALSE(detail::offloaded_muladd(p256.group, R.value, two.value, p256.group.G, two.value, off.value, result));
    }
    SUBCASE("muladd with 0, 1 or a sum at infinity on P-256") {
        Integer zero(0), one(1), two(2), minus_two;
        REQUIRE(mbedtls_mpi_sub_int(&minus_two.value, &p256.group.N, 2) == 0);
        CHECK_FALSE(detail::offloaded_muladd(p256.group, R.value, zero.value, p256.group.G, two.value, p256.group.G, result));
        CHECK_FALSE(detail::offloaded_muladd(p256.group, R.value, one.value, p256.group.G, two.value, p256.group.G, result));
        // 2·G + (n−2)·G is the point at infinity: the original gives mbedTLS's zero point.
        CHECK_FALSE(detail::offloaded_muladd(p256.group, R.value, two.value, p256.group.G, minus_two.value, p256.group.G, result));
        CHECK(mbedtls_ecp_muladd(&p256.group, &R.value, &two.value, &p256.group.G, &minus_two.value, &p256.group.G) == 0);
        CHECK(mbedtls_ecp_is_zero(&R.value) == 1);
    }
    SUBCASE("an unclamped X25519 scalar and the low-order u = 0 and u = 1") {
        std::mt19937_64 generator(5);
        Integer clamped, unclamped;
        REQUIRE(mbedtls_ecp_gen_privkey(&x25519.group, &clamped.value, seeded_bytes, &generator) == 0);
        REQUIRE(mbedtls_mpi_copy(&unclamped.value, &clamped.value) == 0);
        REQUIRE(mbedtls_mpi_set_bit(&unclamped.value, 0, 1) == 0);
        CHECK_FALSE(detail::offloaded_mul(x25519.group, R.value, unclamped.value, x25519.group.G, result));
        CHECK(interposed_mul(x25519, R.value, unclamped.value, x25519.group.G) == MBEDTLS_ERR_ECP_INVALID_KEY);
        for (const long low_order_u : {0L, 1L}) {
            CAPTURE(low_order_u);
            EcPoint low;
            REQUIRE(mbedtls_mpi_lset(&low.value.X, low_order_u) == 0);
            REQUIRE(mbedtls_mpi_lset(&low.value.Z, 1) == 0);
            CHECK_FALSE(detail::offloaded_mul(x25519.group, R.value, clamped.value, low.value, result));
            EcPoint theirs;
            CHECK(interposed_mul(x25519, R.value, clamped.value, low.value) ==
                  detail::original_mul(x25519.group, theirs.value, clamped.value, low.value));
        }
    }
}

TEST_CASE("X25519 u-coordinates at or above p agree with mbedTLS (reduced mod p by both)") {
    Curve curve(MBEDTLS_ECP_DP_CURVE25519);
    std::mt19937_64 generator(11);
    Integer k;
    REQUIRE(mbedtls_ecp_gen_privkey(&curve.group, &k.value, seeded_bytes, &generator) == 0);
    for (const long above_p : {2L, 9L, 17L}) {
        CAPTURE(above_p);
        EcPoint u;
        REQUIRE(mbedtls_mpi_add_int(&u.value.X, &curve.group.P, above_p) == 0);
        REQUIRE(mbedtls_mpi_lset(&u.value.Z, 1) == 0);
        EcPoint theirs;
        const int original = detail::original_mul(curve.group, theirs.value, k.value, u.value);
        int result = -1;
        EcPoint ours;
        REQUIRE(original == 0);
        REQUIRE(detail::offloaded_mul(curve.group, ours.value, k.value, u.value, result));
        CHECK(result == 0);
        CHECK(mbedtls_ecp_point_cmp(&ours.value, &theirs.value) == 0);
    }
}

TEST_CASE("mbedTLS's ECDH and ECDSA reach libcrypto through the interposition and agree with the originals") {
    Curve p256(MBEDTLS_ECP_DP_SECP256R1);
    std::mt19937_64 generator(3);
    struct Party {
        mbedtls_mpi d;
        mbedtls_ecp_point Q;
        Party() { mbedtls_mpi_init(&d), mbedtls_ecp_point_init(&Q); }
        ~Party() { mbedtls_mpi_free(&d), mbedtls_ecp_point_free(&Q); }
    } alice, bob;
    const auto before = elliptic_curve_offload_count();
    REQUIRE(mbedtls_ecdh_gen_public(&p256.group, &alice.d, &alice.Q, seeded_bytes, &generator) == 0);
    CHECK(elliptic_curve_offload_count() == before + 1);
    set_elliptic_curve_offload_enabled(false);
    CHECK(elliptic_curve_offload_name(elliptic_curve_offload_status()) == "switched_off");
    REQUIRE(mbedtls_ecdh_gen_public(&p256.group, &bob.d, &bob.Q, seeded_bytes, &generator) == 0);
    Integer secret_by_original;
    REQUIRE(mbedtls_ecdh_compute_shared(&p256.group, &secret_by_original.value, &bob.Q, &alice.d, seeded_bytes, &generator) == 0);
    CHECK(elliptic_curve_offload_count() == before + 1);
    set_elliptic_curve_offload_enabled(true);
    Integer secret_by_libcrypto;
    REQUIRE(mbedtls_ecdh_compute_shared(&p256.group, &secret_by_libcrypto.value, &alice.Q, &bob.d, seeded_bytes, &generator) == 0);
    CHECK(elliptic_curve_offload_count() == before + 2);
    CHECK(mbedtls_mpi_cmp_mpi(&secret_by_original.value, &secret_by_libcrypto.value) == 0);

    // A signature made on one side verifies on the other, and a wrong hash fails on both.
    std::array<unsigned char, 32> hash{};
    hash.fill(0x5a);
    Integer r, s;
    REQUIRE(mbedtls_ecdsa_sign(&p256.group, &r.value, &s.value, &alice.d, hash.data(), hash.size(), seeded_bytes, &generator) == 0);
    set_elliptic_curve_offload_enabled(false);
    CHECK(mbedtls_ecdsa_verify(&p256.group, hash.data(), hash.size(), &alice.Q, &r.value, &s.value) == 0);
    REQUIRE(mbedtls_ecdsa_sign(&p256.group, &r.value, &s.value, &alice.d, hash.data(), hash.size(), seeded_bytes, &generator) == 0);
    set_elliptic_curve_offload_enabled(true);
    const auto before_verify = elliptic_curve_offload_count();
    CHECK(mbedtls_ecdsa_verify(&p256.group, hash.data(), hash.size(), &alice.Q, &r.value, &s.value) == 0);
    CHECK(elliptic_curve_offload_count() == before_verify + 1);
    hash[0] ^= 1;
    CHECK(mbedtls_ecdsa_verify(&p256.group, hash.data(), hash.size(), &alice.Q, &r.value, &s.value) ==
          MBEDTLS_ERR_ECP_VERIFY_FAILED);
}

TEST_CASE("a whole handshake with our guest-side server runs its elliptic curves on libcrypto") {
    TemporaryDirectory directory;
    auto ca = CertificateAuthority::load_or_create(CaLocation::in_directory(directory.path() + "/ca")).take();
    auto server = GuestTlsServer::create(*ca).take();
    TestClientOptions options;
    options.trust = ca->certificate();
    options.server_name = "offload.example";
    auto client = TestPeer::client(options);
    client->advance();
    const auto hello = client->take_ciphertext();
    const auto before = elliptic_curve_offload_count();
    auto session = server->start_session(parse_client_hello(hello).hello, "192.0.2.7").take();
    pump(*client, *session);
    REQUIRE(client->is_established());
    // ECDHE on both ends (key and secret each), our signature of the key
    // exchange, the client's two verifications (leaf, key exchange).
    CHECK(elliptic_curve_offload_count() >= before + 7);
}
