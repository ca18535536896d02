// Unit tests for tls/modular_inverse_offload.h: libcrypto's modular inverse
// against libmbedcrypto's own (reached with dlsym RTLD_NEXT) on random
// operands of the moduli ECDSA uses; the cases left to the original, with
// its own result or error code; and that mbedTLS's ECDSA really calls ours.
#include <doctest.h>
#include <mbedtls/ecdsa.h>

#include <array>
#include <random>
#include <string>
#include <vector>

#include "tls/modular_inverse_offload.h"

using namespace askfirst::tls;
namespace detail = askfirst::tls::modular_inverse_offload_detail;

namespace {

struct Integer {
    mbedtls_mpi value;
    Integer() { mbedtls_mpi_init(&value); }
    explicit Integer(const char* hex) : Integer() { REQUIRE(mbedtls_mpi_read_string(&value, 16, hex) == 0); }
    ~Integer() { mbedtls_mpi_free(&value); }
};

int seeded_bytes(void* state, unsigned char* out, std::size_t length) {
    auto& generator = *static_cast<std::mt19937_64*>(state);
    for (std::size_t i = 0; i < length; ++i) out[i] = static_cast<unsigned char>(generator());
    return 0;
}

// The orders of the curves whose ECDSA askfirst checks, and one odd composite.
struct NamedModulus {
    const char* name;
    mbedtls_ecp_group_id curve;  // MBEDTLS_ECP_DP_NONE: `hex` instead
    const char* hex;
};
constexpr NamedModulus kModuli[] = {
    {"P-256 order (ECDSA on our leaf and most upstream chains)", MBEDTLS_ECP_DP_SECP256R1, nullptr},
    {"P-384 order", MBEDTLS_ECP_DP_SECP384R1, nullptr},
    {"P-521 order (521 bits: the largest offloaded)", MBEDTLS_ECP_DP_SECP521R1, nullptr},
    {"an odd composite modulus (3 · 5 · 7 · 11 · 13 · 17 · 19 · 23 · 29)", MBEDTLS_ECP_DP_NONE, "C0CFD797"},
};

void load_modulus(const NamedModulus& modulus, mbedtls_mpi& N) {
    if (modulus.curve == MBEDTLS_ECP_DP_NONE) {
        REQUIRE(mbedtls_mpi_read_string(&N, 16, modulus.hex) == 0);
        return;
    }
    mbedtls_ecp_group group;
    mbedtls_ecp_group_init(&group);
    REQUIRE(mbedtls_ecp_group_load(&group, modulus.curve) == 0);
    REQUIRE(mbedtls_mpi_copy(&N, &group.N) == 0);
    mbedtls_ecp_group_free(&group);
}

}  // namespace

TEST_CASE("the self-check passes and our definition is the one the process calls") {
    CHECK(modular_inverse_offload_name(modular_inverse_offload_status()) == "in_effect");
}

TEST_CASE("libcrypto's inverse equals mbedTLS's on random operands, below and above the modulus") {
    std::mt19937_64 generator(11);
    for (const auto& modulus : kModuli) {
        const std::string name = modulus.name;
        CAPTURE(name);
        Integer N;
        load_modulus(modulus, N.value);
        for (int i = 0; i < 64; ++i) {
            CAPTURE(i);
            Integer A;
            const std::size_t bytes = mbedtls_mpi_size(&N.value) + (i % 4 == 0 ? 3 : 0);
            REQUIRE(mbedtls_mpi_fill_random(&A.value, bytes, seeded_bytes, &generator) == 0);
            Integer theirs;
            const int original = detail::original_inverse(theirs.value, A.value, N.value);
            Integer ours;
            int result = -1;
            if (original == MBEDTLS_ERR_MPI_NOT_ACCEPTABLE) {  // no inverse (the composite modulus): left to the original
                CHECK_FALSE(detail::offloaded_inverse(ours.value, A.value, N.value, result));
                continue;
            }
            REQUIRE(original == 0);
            REQUIRE(detail::offloaded_inverse(ours.value, A.value, N.value, result));
            CHECK(result == 0);
            CHECK(mbedtls_mpi_cmp_mpi(&ours.value, &theirs.value) == 0);
        }
    }
}

TEST_CASE("the result may overwrite its operand, as mbedTLS allows") {
    Integer N, A("1234567890ABCDEF"), expected;
    load_modulus(kModuli[0], N.value);
    REQUIRE(detail::original_inverse(expected.value, A.value, N.value) == 0);
    const auto before = modular_inverse_offload_count();
    REQUIRE(mbedtls_mpi_inv_mod(&A.value, &A.value, &N.value) == 0);
    CHECK(modular_inverse_offload_count() == before + 1);
    CHECK(mbedtls_mpi_cmp_mpi(&A.value, &expected.value) == 0);
}

TEST_CASE("what libcrypto is not given goes to mbedTLS, and the interposed call returns its own answer") {
    struct Case {
        const char* name;
        const char* operand;
        const char* modulus;
        bool negative_operand;
    };
    const Case cases[] = {
        {"zero has no inverse", "0", "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", false},
        {"an operand sharing a factor with the modulus", "6", "F", false},
        {"an even modulus", "3", "A", false},
        {"a negative operand", "3", "7", true},
        {"modulus 1", "3", "1", false},
        {"modulus 0", "3", "0", false},
        {"a modulus of 522 bits", "10001", "3" "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", false},
        {"a modulus over 521 bits (RSA key completion)", "10001",
         "C5D3A0B1E2F4A6B8C9D0E1F2A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D"
         "5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F7081",
         false},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        Integer A(c.operand), N(c.modulus);
        if (c.negative_operand) A.value.s = -1;
        Integer ours, theirs;
        int unused = 0;
        CHECK_FALSE(detail::offloaded_inverse(ours.value, A.value, N.value, unused));
        const int original = detail::original_inverse(theirs.value, A.value, N.value);
        const auto before = modular_inverse_offload_count();
        CHECK(mbedtls_mpi_inv_mod(&ours.value, &A.value, &N.value) == original);
        CHECK(modular_inverse_offload_count() == before);
        if (original == 0) CHECK(mbedtls_mpi_cmp_mpi(&ours.value, &theirs.value) == 0);
    }
}

TEST_CASE("mbedTLS's ECDSA signs and verifies through the offload, and a wrong hash still fails") {
    mbedtls_ecp_group group;
    mbedtls_ecp_group_init(&group);
    REQUIRE(mbedtls_ecp_group_load(&group, MBEDTLS_ECP_DP_SECP256R1) == 0);
    std::mt19937_64 generator(5);
    Integer d, r, s;
    mbedtls_ecp_point Q;
    mbedtls_ecp_point_init(&Q);
    REQUIRE(mbedtls_ecp_gen_keypair(&group, &d.value, &Q, seeded_bytes, &generator) == 0);
    std::array<unsigned char, 32> hash{};
    hash.fill(0x42);
    const auto before = modular_inverse_offload_count();
    REQUIRE(mbedtls_ecdsa_sign(&group, &r.value, &s.value, &d.value, hash.data(), hash.size(), seeded_bytes, &generator) == 0);
    CHECK(modular_inverse_offload_count() > before);  // k⁻¹ (blinded)
    const auto before_verify = modular_inverse_offload_count();
    CHECK(mbedtls_ecdsa_verify(&group, hash.data(), hash.size(), &Q, &r.value, &s.value) == 0);
    CHECK(modular_inverse_offload_count() == before_verify + 1);  // s⁻¹
    // The same signature checked by mbedTLS's own inverse.
    set_modular_inverse_offload_enabled(false);
    CHECK(modular_inverse_offload_name(modular_inverse_offload_status()) == "switched_off");
    CHECK(mbedtls_ecdsa_verify(&group, hash.data(), hash.size(), &Q, &r.value, &s.value) == 0);
    CHECK(modular_inverse_offload_count() == before_verify + 1);
    set_modular_inverse_offload_enabled(true);
    hash[0] ^= 1;
    CHECK(mbedtls_ecdsa_verify(&group, hash.data(), hash.size(), &Q, &r.value, &s.value) == MBEDTLS_ERR_ECP_VERIFY_FAILED);
    mbedtls_ecp_point_free(&Q);
    mbedtls_ecp_group_free(&group);
}
