// tls/modular_inverse_offload.cpp — libmbedcrypto's mbedtls_mpi_inv_mod,
// redefined in our executable and computed with libcrypto. See the header
// for the theory, the fail-safe and the limits.
#include "tls/modular_inverse_offload.h"

#include <dlfcn.h>
#include <mbedtls/platform_util.h>
#include <openssl/bn.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

namespace askfirst::tls {
namespace {

using InverseFunction = int (*)(mbedtls_mpi*, const mbedtls_mpi*, const mbedtls_mpi*);

// libmbedcrypto's definition: the next one after ours in the lookup order.
InverseFunction original_function() {
    static const auto found = reinterpret_cast<InverseFunction>(dlsym(RTLD_NEXT, "mbedtls_mpi_inv_mod"));
    return found;
}

struct BignumFree {
    void operator()(BIGNUM* number) const { BN_clear_free(number); }
};
struct BignumContextFree {
    void operator()(BN_CTX* context) const { BN_CTX_free(context); }
};
using Bignum = std::unique_ptr<BIGNUM, BignumFree>;
using BignumContext = std::unique_ptr<BN_CTX, BignumContextFree>;

// A non-negative mbedTLS integer as a libcrypto one (its big-endian bytes,
// wiped after); null on failure.
Bignum to_bignum(const mbedtls_mpi& value, bool secret) {
    std::vector<unsigned char> bytes(mbedtls_mpi_size(&value) + 1);
    Bignum out;
    if (mbedtls_mpi_write_binary(&value, bytes.data(), bytes.size()) == 0) {
        out.reset(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
        if (out && secret) BN_set_flags(out.get(), BN_FLG_CONSTTIME);
    }
    mbedtls_platform_zeroize(bytes.data(), bytes.size());
    return out;
}

// The cases handed to libcrypto: 0 ≤ A, N odd, 1 < N, N of at most 521 bits.
bool handled(const mbedtls_mpi& A, const mbedtls_mpi& N) {
    return A.s == 1 && N.s == 1 && mbedtls_mpi_get_bit(&N, 0) == 1 && mbedtls_mpi_cmp_int(&N, 1) > 0 &&
           mbedtls_mpi_bitlen(&N) <= kLargestOffloadedModulusBits;
}

// ---- the self-check ----------------------------------------------------------

struct Integer {
    mbedtls_mpi value;
    Integer() { mbedtls_mpi_init(&value); }
    ~Integer() { mbedtls_mpi_free(&value); }
};

// A fixed byte stream (xorshift64): the vectors are the same in every run, not secret.
void fill_fixed(std::uint64_t& state, unsigned char* out, std::size_t length) {
    for (std::size_t i = 0; i < length; ++i) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        out[i] = static_cast<unsigned char>(state);
    }
}

// The orders of P-256 and P-384 and the prime of P-256 (FIPS 186-4 D.1.2), as hex.
constexpr const char* kSelfCheckModuli[] = {
    "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551",
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973",
    "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF",
};
constexpr int kSelfCheckOperandsPerModulus = 8;

bool same_inverse(const mbedtls_mpi& A, const mbedtls_mpi& N) {
    Integer ours, theirs;
    int ours_result = -1;
    if (!modular_inverse_offload_detail::offloaded_inverse(ours.value, A, N, ours_result) || ours_result != 0) return false;
    return modular_inverse_offload_detail::original_inverse(theirs.value, A, N) == 0 &&
           mbedtls_mpi_cmp_mpi(&ours.value, &theirs.value) == 0;
}

bool self_check_passes() {
    if (original_function() == nullptr) return false;
    std::uint64_t stream = 0x696e7665727365;  // "inverse"
    for (const char* hex : kSelfCheckModuli) {
        Integer modulus;
        if (mbedtls_mpi_read_string(&modulus.value, 16, hex) != 0) return false;
        for (int i = 0; i < kSelfCheckOperandsPerModulus; ++i) {
            // Operands below the modulus, one as wide as it (reduced first by both), and 2.
            std::vector<unsigned char> bytes(mbedtls_mpi_size(&modulus.value) + (i == 0 ? 1 : 0));
            fill_fixed(stream, bytes.data(), bytes.size());
            Integer operand;
            if (mbedtls_mpi_read_binary(&operand.value, bytes.data(), bytes.size()) != 0) return false;
            if (i == 1 && mbedtls_mpi_lset(&operand.value, 2) != 0) return false;
            if (!same_inverse(operand.value, modulus.value)) return false;
        }
    }
    return true;
}

bool self_check_passed() {
    static const bool passed = self_check_passes();
    return passed;
}

std::atomic<bool> offload_enabled{true};
std::atomic<std::uint64_t> offloaded_calls{0};

bool offload_in_use() { return offload_enabled.load(std::memory_order_relaxed) && self_check_passed(); }

}  // namespace

namespace modular_inverse_offload_detail {

bool offloaded_inverse(mbedtls_mpi& X, const mbedtls_mpi& A, const mbedtls_mpi& N, int& result) {
    if (!handled(A, N)) return false;
    // Kept per thread: a BN_CTX is a pool of temporaries, not thread-safe.
    thread_local const BignumContext context(BN_CTX_new());
    const Bignum operand = to_bignum(A, true), modulus = to_bignum(N, false);
    const Bignum inverse(BN_new());
    // Null when A has no inverse mod N (then the original says so, in its own words).
    if (!context || !operand || !modulus || !inverse ||
        BN_mod_inverse(inverse.get(), operand.get(), modulus.get(), context.get()) == nullptr)
        return false;
    std::vector<unsigned char> bytes(static_cast<std::size_t>(BN_num_bytes(modulus.get())));
    if (BN_bn2binpad(inverse.get(), bytes.data(), static_cast<int>(bytes.size())) < 0) return false;
    result = mbedtls_mpi_read_binary(&X, bytes.data(), bytes.size());
    mbedtls_platform_zeroize(bytes.data(), bytes.size());
    return true;
}

int original_inverse(mbedtls_mpi& X, const mbedtls_mpi& A, const mbedtls_mpi& N) { return original_function()(&X, &A, &N); }

}  // namespace modular_inverse_offload_detail

}  // namespace askfirst::tls

// ---- the interposed definition -----------------------------------------------
// Same signature as <mbedtls/bignum.h>. Exported from the executable, it takes
// the place of libmbedcrypto's for every caller that goes through a PLT.

extern "C" __attribute__((visibility("default"))) int mbedtls_mpi_inv_mod(mbedtls_mpi* X, const mbedtls_mpi* A,
                                                                          const mbedtls_mpi* N) {
    using namespace askfirst::tls;
    int result = 0;
    if (X != nullptr && A != nullptr && N != nullptr && offload_in_use() &&
        modular_inverse_offload_detail::offloaded_inverse(*X, *A, *N, result)) {
        offloaded_calls.fetch_add(1, std::memory_order_relaxed);
        return result;
    }
    return original_function()(X, A, N);
}

namespace askfirst::tls {

ModularInverseOffload modular_inverse_offload_status() {
    if (dlsym(RTLD_DEFAULT, "mbedtls_mpi_inv_mod") != reinterpret_cast<void*>(&mbedtls_mpi_inv_mod))
        return ModularInverseOffload::not_interposed;
    if (!self_check_passed()) return ModularInverseOffload::self_check_failed;
    if (!offload_enabled.load(std::memory_order_relaxed)) return ModularInverseOffload::switched_off;
    return ModularInverseOffload::in_effect;
}

void set_modular_inverse_offload_enabled(bool enabled) { offload_enabled.store(enabled, std::memory_order_relaxed); }

std::uint64_t modular_inverse_offload_count() { return offloaded_calls.load(std::memory_order_relaxed); }

}  // namespace askfirst::tls
