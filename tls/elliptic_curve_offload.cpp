// tls/elliptic_curve_offload.cpp — libmbedcrypto's two scalar-multiplication
// entry points, redefined in our executable and computed with libcrypto. See
// the header for the theory, the fail-safe and the limits.
#include "tls/elliptic_curve_offload.h"

#include <dlfcn.h>
#include <mbedtls/bignum.h>
#include <mbedtls/platform_util.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>

namespace askfirst::tls {
namespace {

using MulFunction = int (*)(mbedtls_ecp_group*, mbedtls_ecp_point*, const mbedtls_mpi*, const mbedtls_ecp_point*,
                            int (*)(void*, unsigned char*, std::size_t), void*, mbedtls_ecp_restart_ctx*);
using MuladdFunction = int (*)(mbedtls_ecp_group*, mbedtls_ecp_point*, const mbedtls_mpi*, const mbedtls_ecp_point*,
                               const mbedtls_mpi*, const mbedtls_ecp_point*, mbedtls_ecp_restart_ctx*);

// libmbedcrypto's definitions: the next ones after ours in the lookup order.
struct OriginalFunctions {
    MulFunction mul = reinterpret_cast<MulFunction>(dlsym(RTLD_NEXT, "mbedtls_ecp_mul_restartable"));
    MuladdFunction muladd = reinterpret_cast<MuladdFunction>(dlsym(RTLD_NEXT, "mbedtls_ecp_muladd_restartable"));
};
const OriginalFunctions& originals() {
    static const OriginalFunctions found;
    return found;
}

struct BignumFree {
    void operator()(BIGNUM* number) const { BN_clear_free(number); }
};
struct BignumContextFree {
    void operator()(BN_CTX* context) const { BN_CTX_free(context); }
};
struct PointFree {
    void operator()(EC_POINT* point) const { EC_POINT_clear_free(point); }
};
struct GroupFree {
    void operator()(EC_GROUP* group) const { EC_GROUP_free(group); }
};
struct KeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct KeyContextFree {
    void operator()(EVP_PKEY_CTX* context) const { EVP_PKEY_CTX_free(context); }
};
using Bignum = std::unique_ptr<BIGNUM, BignumFree>;
using BignumContext = std::unique_ptr<BN_CTX, BignumContextFree>;
using Point = std::unique_ptr<EC_POINT, PointFree>;
using Group = std::unique_ptr<EC_GROUP, GroupFree>;
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using KeyContext = std::unique_ptr<EVP_PKEY_CTX, KeyContextFree>;

// The short Weierstrass curves handed to libcrypto (RFC 8422 §5.1.1's NIST
// curves; askfirst offers P-256 on both legs and accepts P-384 upstream).
struct WeierstrassCurve {
    mbedtls_ecp_group_id mbedtls_id;
    int openssl_nid;
};
constexpr WeierstrassCurve kWeierstrassCurves[] = {
    {MBEDTLS_ECP_DP_SECP256R1, NID_X9_62_prime256v1},
    {MBEDTLS_ECP_DP_SECP384R1, NID_secp384r1},
    {MBEDTLS_ECP_DP_SECP521R1, NID_secp521r1},
};
constexpr std::size_t kLargestFieldBytes = 66;  // P-521: 521 bits for p and for n
constexpr std::size_t kX25519Bytes = 32;        // RFC 7748 §5

// libcrypto's group for an mbedTLS group id, built once; null when not handled.
const EC_GROUP* openssl_group(mbedtls_ecp_group_id id) {
    static const auto groups = [] {
        std::array<Group, std::size(kWeierstrassCurves)> made;
        for (std::size_t i = 0; i < made.size(); ++i) made[i].reset(EC_GROUP_new_by_curve_name(kWeierstrassCurves[i].openssl_nid));
        return made;
    }();
    for (std::size_t i = 0; i < groups.size(); ++i)
        if (kWeierstrassCurves[i].mbedtls_id == id) return groups[i].get();
    return nullptr;
}

std::size_t bytes_for_bits(std::size_t bits) { return (bits + 7) / 8; }

// An mbedTLS integer as a libcrypto one, through `length` big-endian bytes;
// null when it does not fit. `secret`: libcrypto is told to keep it constant-time.
Bignum to_bignum(const mbedtls_mpi& value, std::size_t length, bool secret) {
    std::array<unsigned char, kLargestFieldBytes> bytes{};
    Bignum out;
    if (length <= bytes.size() && mbedtls_mpi_write_binary(&value, bytes.data(), length) == 0) {
        out.reset(BN_bin2bn(bytes.data(), static_cast<int>(length), nullptr));
        if (out && secret) BN_set_flags(out.get(), BN_FLG_CONSTTIME);
    }
    mbedtls_platform_zeroize(bytes.data(), bytes.size());
    return out;
}

Point to_point(const EC_GROUP* curve, const mbedtls_ecp_point& P, std::size_t coordinate_bytes, BN_CTX* context) {
    const Bignum x = to_bignum(P.X, coordinate_bytes, false);
    const Bignum y = to_bignum(P.Y, coordinate_bytes, false);
    Point point(EC_POINT_new(curve));
    if (!x || !y || !point || EC_POINT_set_affine_coordinates(curve, point.get(), x.get(), y.get(), context) != 1) return {};
    return point;
}

// Writes an affine result into R (Z = 1), as mbedTLS's normalisation leaves
// it. False (R untouched) when libcrypto cannot give affine coordinates
// (the point at infinity); else `result` is mbedTLS's code for the writes.
bool store_affine(const EC_GROUP* curve, const EC_POINT* point, std::size_t coordinate_bytes, BN_CTX* context,
                  mbedtls_ecp_point& R, int& result) {
    const Bignum x(BN_new()), y(BN_new());
    std::array<unsigned char, kLargestFieldBytes> x_bytes{}, y_bytes{};
    if (!x || !y || EC_POINT_get_affine_coordinates(curve, point, x.get(), y.get(), context) != 1 ||
        BN_bn2binpad(x.get(), x_bytes.data(), static_cast<int>(coordinate_bytes)) < 0 ||
        BN_bn2binpad(y.get(), y_bytes.data(), static_cast<int>(coordinate_bytes)) < 0)
        return false;
    result = mbedtls_mpi_read_binary(&R.X, x_bytes.data(), coordinate_bytes);
    if (result == 0) result = mbedtls_mpi_read_binary(&R.Y, y_bytes.data(), coordinate_bytes);
    if (result == 0) result = mbedtls_mpi_lset(&R.Z, 1);
    return true;
}

bool is_generator(const mbedtls_ecp_group& group, const mbedtls_ecp_point& P) {
    return mbedtls_ecp_point_cmp(&P, &group.G) == 0;
}

// mbedTLS's own preconditions of R = m·P; the group's generator needs no check.
bool valid_scalar_and_point(const mbedtls_ecp_group& group, const mbedtls_mpi& m, const mbedtls_ecp_point& P) {
    return mbedtls_ecp_check_privkey(&group, &m) == 0 && (is_generator(group, P) || mbedtls_ecp_check_pubkey(&group, &P) == 0);
}

bool weierstrass_mul(const mbedtls_ecp_group& group, mbedtls_ecp_point& R, const mbedtls_mpi& m,
                     const mbedtls_ecp_point& P, int& result) {
    const EC_GROUP* curve = openssl_group(group.id);
    if (curve == nullptr || !valid_scalar_and_point(group, m, P)) return false;
    const std::size_t coordinate_bytes = bytes_for_bits(group.pbits);
    const BignumContext context(BN_CTX_new());
    const Bignum scalar = to_bignum(m, bytes_for_bits(group.nbits), true);
    const Point product(EC_POINT_new(curve));
    if (!context || !scalar || !product) return false;
    // libcrypto's fixed-base table for k·G (ECDSA, key generation); its
    // constant-time single-point multiplication for the peer's point (ECDH).
    if (is_generator(group, P)) {
        if (EC_POINT_mul(curve, product.get(), scalar.get(), nullptr, nullptr, context.get()) != 1) return false;
    } else {
        const Point base = to_point(curve, P, coordinate_bytes, context.get());
        if (!base || EC_POINT_mul(curve, product.get(), nullptr, base.get(), scalar.get(), context.get()) != 1) return false;
    }
    return store_affine(curve, product.get(), coordinate_bytes, context.get(), R, result);
}

// 2 ≤ value < n: what ECDSA verification passes; 0, 1, −1 and anything
// mbedTLS would refuse go to the original (its shortcuts and error codes).
bool ordinary_scalar(const mbedtls_ecp_group& group, const mbedtls_mpi& value) {
    return mbedtls_mpi_cmp_int(&value, 1) > 0 && mbedtls_mpi_cmp_mpi(&value, &group.N) < 0;
}

// R = m·P + n·Q on public values (ECDSA verification): variable time is fine.
bool weierstrass_muladd(const mbedtls_ecp_group& group, mbedtls_ecp_point& R, const mbedtls_mpi& m,
                        const mbedtls_ecp_point& P, const mbedtls_mpi& n, const mbedtls_ecp_point& Q, int& result) {
    const EC_GROUP* curve = openssl_group(group.id);
    if (curve == nullptr || !ordinary_scalar(group, m) || !ordinary_scalar(group, n)) return false;
    const bool p_is_generator = is_generator(group, P), q_is_generator = is_generator(group, Q);
    if ((!p_is_generator && mbedtls_ecp_check_pubkey(&group, &P) != 0) ||
        (!q_is_generator && mbedtls_ecp_check_pubkey(&group, &Q) != 0))
        return false;
    const std::size_t coordinate_bytes = bytes_for_bits(group.pbits);
    const std::size_t scalar_bytes = bytes_for_bits(group.nbits);
    const BignumContext context(BN_CTX_new());
    const Bignum m_scalar = to_bignum(m, scalar_bytes, false), n_scalar = to_bignum(n, scalar_bytes, false);
    const Point sum(EC_POINT_new(curve));
    if (!context || !m_scalar || !n_scalar || !sum) return false;
    if (p_is_generator || q_is_generator) {
        // One call: libcrypto multiplies the generator from its table.
        const mbedtls_ecp_point& other = p_is_generator ? Q : P;
        const BIGNUM* generator_scalar = p_is_generator ? m_scalar.get() : n_scalar.get();
        const BIGNUM* other_scalar = p_is_generator ? n_scalar.get() : m_scalar.get();
        const Point other_point = to_point(curve, other, coordinate_bytes, context.get());
        if (!other_point ||
            EC_POINT_mul(curve, sum.get(), generator_scalar, other_point.get(), other_scalar, context.get()) != 1)
            return false;
    } else {
        const Point p_point = to_point(curve, P, coordinate_bytes, context.get());
        const Point q_point = to_point(curve, Q, coordinate_bytes, context.get());
        const Point n_times_q(EC_POINT_new(curve));
        if (!p_point || !q_point || !n_times_q ||
            EC_POINT_mul(curve, sum.get(), nullptr, p_point.get(), m_scalar.get(), context.get()) != 1 ||
            EC_POINT_mul(curve, n_times_q.get(), nullptr, q_point.get(), n_scalar.get(), context.get()) != 1 ||
            EC_POINT_add(curve, sum.get(), sum.get(), n_times_q.get(), context.get()) != 1)
            return false;
    }
    return store_affine(curve, sum.get(), coordinate_bytes, context.get(), R, result);
}

// An X25519 key of libcrypto's holding the private scalar `k` and, as its
// public half, `public_bytes` taken as given. libcrypto derives the public
// half (a whole fixed-base multiplication) only when none is given; a
// derivation (k·u) reads the private half alone, so for it we pass the
// peer's u and skip that multiplication: 2 of 3 X25519 multiplications per
// ECDHE instead of 3 (perf on askfirstd: the import was 2/3 of X25519's time).
Key x25519_key_for_derivation(const std::array<unsigned char, kX25519Bytes>& k,
                              const std::array<unsigned char, kX25519Bytes>& public_bytes) {
    // One import context per thread (a context is not shared across threads), kept: a fetch per call costs.
    thread_local const KeyContext import_context(EVP_PKEY_CTX_new_from_name(nullptr, "X25519", nullptr));
    EVP_PKEY_CTX* const importer = import_context.get();
    // OSSL_PARAM wants non-const buffers; libcrypto copies them and never writes.
    std::array<unsigned char, kX25519Bytes> private_copy = k, public_copy = public_bytes;
    OSSL_PARAM parameters[] = {
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, private_copy.data(), private_copy.size()),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, public_copy.data(), public_copy.size()),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY* made = nullptr;
    const bool imported = importer != nullptr && EVP_PKEY_fromdata_init(importer) == 1 &&
                          EVP_PKEY_fromdata(importer, &made, EVP_PKEY_KEYPAIR, parameters) == 1;
    mbedtls_platform_zeroize(private_copy.data(), private_copy.size());
    if (!imported) EVP_PKEY_free(made);
    return Key(imported ? made : nullptr);
}

// X25519(k, u) (RFC 7748 §5) into `u_out`, little-endian; u = 9 (the base
// point) through libcrypto's fixed-base public-key derivation.
bool x25519(const std::array<unsigned char, kX25519Bytes>& k, const mbedtls_mpi& u, bool u_is_base_point,
            std::array<unsigned char, kX25519Bytes>& u_out) {
    std::size_t length = u_out.size();
    if (u_is_base_point) {
        const Key own(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, k.data(), k.size()));
        return own && EVP_PKEY_get_raw_public_key(own.get(), u_out.data(), &length) == 1 && length == u_out.size();
    }
    std::array<unsigned char, kX25519Bytes> peer_bytes{};
    if (mbedtls_mpi_write_binary_le(&u, peer_bytes.data(), peer_bytes.size()) != 0) return false;
    const Key own = x25519_key_for_derivation(k, peer_bytes);
    if (!own) return false;
    const Key peer(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer_bytes.data(), peer_bytes.size()));
    const KeyContext derivation(EVP_PKEY_CTX_new(own.get(), nullptr));
    // libcrypto refuses an all-zero result (a low-order u): the original decides then.
    return peer && derivation && EVP_PKEY_derive_init(derivation.get()) == 1 &&
           EVP_PKEY_derive_set_peer_ex(derivation.get(), peer.get(), 0) == 1 &&
           EVP_PKEY_derive(derivation.get(), u_out.data(), &length) == 1 && length == u_out.size();
}

bool curve25519_mul(const mbedtls_ecp_group& group, mbedtls_ecp_point& R, const mbedtls_mpi& m,
                    const mbedtls_ecp_point& P, int& result) {
    if (group.id != MBEDTLS_ECP_DP_CURVE25519) return false;
    if (mbedtls_ecp_check_privkey(&group, &m) != 0 || mbedtls_ecp_check_pubkey(&group, &P) != 0) return false;
    // libcrypto ignores bit 255 of u (RFC 7748 §5); mbedTLS's ladder would not.
    if (mbedtls_mpi_bitlen(&P.X) > 255) return false;
    std::array<unsigned char, kX25519Bytes> scalar{}, product{};
    bool computed = mbedtls_mpi_write_binary_le(&m, scalar.data(), scalar.size()) == 0 &&
                    x25519(scalar, P.X, mbedtls_mpi_cmp_int(&P.X, 9) == 0, product);
    mbedtls_platform_zeroize(scalar.data(), scalar.size());
    if (!computed) return false;
    // mbedTLS's x-only result: X normalised, Z = 1, Y emptied (ecp_mul_mxz).
    result = mbedtls_mpi_read_binary_le(&R.X, product.data(), product.size());
    if (result == 0) result = mbedtls_mpi_lset(&R.Z, 1);
    mbedtls_mpi_free(&R.Y);
    return true;
}

// ---- the self-check ----------------------------------------------------------

// A fixed byte stream for scalars and blinding in the self-check (xorshift64):
// the vectors must be the same in every run, not secret.
int fixed_bytes(void* state, unsigned char* out, std::size_t length) {
    auto& x = *static_cast<std::uint64_t*>(state);
    for (std::size_t i = 0; i < length; ++i) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        out[i] = static_cast<unsigned char>(x);
    }
    return 0;
}

struct GroupHolder {
    mbedtls_ecp_group group;
    GroupHolder() { mbedtls_ecp_group_init(&group); }
    ~GroupHolder() { mbedtls_ecp_group_free(&group); }
};
struct PointHolder {
    mbedtls_ecp_point point;
    PointHolder() { mbedtls_ecp_point_init(&point); }
    ~PointHolder() { mbedtls_ecp_point_free(&point); }
};
struct ScalarHolder {
    mbedtls_mpi value;
    ScalarHolder() { mbedtls_mpi_init(&value); }
    ~ScalarHolder() { mbedtls_mpi_free(&value); }
};

bool same_mul(mbedtls_ecp_group& group, const mbedtls_mpi& m, const mbedtls_ecp_point& P, mbedtls_ecp_point& out) {
    PointHolder ours;
    int ours_result = 0;
    if (!elliptic_curve_offload_detail::offloaded_mul(group, ours.point, m, P, ours_result) || ours_result != 0) return false;
    return elliptic_curve_offload_detail::original_mul(group, out, m, P) == 0 && mbedtls_ecp_point_cmp(&ours.point, &out) == 0;
}

bool same_muladd(mbedtls_ecp_group& group, const mbedtls_mpi& m, const mbedtls_ecp_point& P, const mbedtls_mpi& n,
                 const mbedtls_ecp_point& Q) {
    PointHolder ours, theirs;
    int ours_result = 0;
    if (!elliptic_curve_offload_detail::offloaded_muladd(group, ours.point, m, P, n, Q, ours_result) || ours_result != 0)
        return false;
    return elliptic_curve_offload_detail::original_muladd(group, theirs.point, m, P, n, Q) == 0 &&
           mbedtls_ecp_point_cmp(&ours.point, &theirs.point) == 0;
}

// For each curve: A = a·G, B = b·A, then (Weierstrass) a·G + b·A and a·A + b·B.
bool curve_agrees(mbedtls_ecp_group_id id, std::uint64_t& stream) {
    GroupHolder curve;
    ScalarHolder a, b;
    PointHolder A, B;
    if (mbedtls_ecp_group_load(&curve.group, id) != 0 ||
        mbedtls_ecp_gen_privkey(&curve.group, &a.value, fixed_bytes, &stream) != 0 ||
        mbedtls_ecp_gen_privkey(&curve.group, &b.value, fixed_bytes, &stream) != 0)
        return false;
    if (!same_mul(curve.group, a.value, curve.group.G, A.point) || !same_mul(curve.group, b.value, A.point, B.point))
        return false;
    if (mbedtls_ecp_get_type(&curve.group) != MBEDTLS_ECP_TYPE_SHORT_WEIERSTRASS) return true;
    return same_muladd(curve.group, a.value, curve.group.G, b.value, A.point) &&
           same_muladd(curve.group, a.value, A.point, b.value, B.point);
}

bool self_check_passes() {
    if (originals().mul == nullptr || originals().muladd == nullptr) return false;
    std::uint64_t stream = 0x61736b6669727374;  // "askfirst"
    for (const auto id : {MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_SECP384R1, MBEDTLS_ECP_DP_SECP521R1})
        if (!curve_agrees(id, stream)) return false;
    return true;
}

// Set while this thread runs the self-check: libmbedcrypto's own muladd
// calls mbedtls_ecp_mul_restartable through its PLT, i.e. ours, which must
// then be the original too.
thread_local bool running_self_check = false;

bool self_check_passed() {
    static const bool passed = [] {
        running_self_check = true;
        const bool agrees = self_check_passes();
        running_self_check = false;
        return agrees;
    }();
    return passed;
}

std::atomic<bool> offload_enabled{true};
std::atomic<std::uint64_t> offloaded_calls{0};

bool offload_in_use() {
    return !running_self_check && offload_enabled.load(std::memory_order_relaxed) && self_check_passed();
}

}  // namespace

namespace elliptic_curve_offload_detail {

bool offloaded_mul(const mbedtls_ecp_group& group, mbedtls_ecp_point& R, const mbedtls_mpi& m,
                   const mbedtls_ecp_point& P, int& result) {
    switch (mbedtls_ecp_get_type(&group)) {
    case MBEDTLS_ECP_TYPE_SHORT_WEIERSTRASS: return weierstrass_mul(group, R, m, P, result);
    case MBEDTLS_ECP_TYPE_MONTGOMERY: return curve25519_mul(group, R, m, P, result);
    default: return false;
    }
}

bool offloaded_muladd(const mbedtls_ecp_group& group, mbedtls_ecp_point& R, const mbedtls_mpi& m,
                      const mbedtls_ecp_point& P, const mbedtls_mpi& n, const mbedtls_ecp_point& Q, int& result) {
    if (mbedtls_ecp_get_type(&group) != MBEDTLS_ECP_TYPE_SHORT_WEIERSTRASS) return false;
    return weierstrass_muladd(group, R, m, P, n, Q, result);
}

int original_mul(mbedtls_ecp_group& group, mbedtls_ecp_point& R, const mbedtls_mpi& m, const mbedtls_ecp_point& P) {
    std::uint64_t blinding = 0x626c696e64696e67;  // "blinding"
    return originals().mul(&group, &R, &m, &P, fixed_bytes, &blinding, nullptr);
}

int original_muladd(mbedtls_ecp_group& group, mbedtls_ecp_point& R, const mbedtls_mpi& m, const mbedtls_ecp_point& P,
                    const mbedtls_mpi& n, const mbedtls_ecp_point& Q) {
    return originals().muladd(&group, &R, &m, &P, &n, &Q, nullptr);
}

}  // namespace elliptic_curve_offload_detail

}  // namespace askfirst::tls

// ---- the interposed definitions ----------------------------------------------
// Same signatures as <mbedtls/ecp.h>. Exported from the executable, they take
// the place of libmbedcrypto's for every caller that goes through a PLT.

extern "C" __attribute__((visibility("default"))) int mbedtls_ecp_mul_restartable(
    mbedtls_ecp_group* grp, mbedtls_ecp_point* R, const mbedtls_mpi* m, const mbedtls_ecp_point* P,
    int (*f_rng)(void*, unsigned char*, std::size_t), void* p_rng, mbedtls_ecp_restart_ctx* rs_ctx) {
    using namespace askfirst::tls;
    int result = 0;
    if (rs_ctx == nullptr && grp != nullptr && R != nullptr && m != nullptr && P != nullptr && offload_in_use() &&
        elliptic_curve_offload_detail::offloaded_mul(*grp, *R, *m, *P, result)) {
        offloaded_calls.fetch_add(1, std::memory_order_relaxed);
        return result;
    }
    return originals().mul(grp, R, m, P, f_rng, p_rng, rs_ctx);
}

extern "C" __attribute__((visibility("default"))) int mbedtls_ecp_muladd_restartable(
    mbedtls_ecp_group* grp, mbedtls_ecp_point* R, const mbedtls_mpi* m, const mbedtls_ecp_point* P,
    const mbedtls_mpi* n, const mbedtls_ecp_point* Q, mbedtls_ecp_restart_ctx* rs_ctx) {
    using namespace askfirst::tls;
    int result = 0;
    if (rs_ctx == nullptr && grp != nullptr && R != nullptr && m != nullptr && P != nullptr && n != nullptr &&
        Q != nullptr && offload_in_use() && elliptic_curve_offload_detail::offloaded_muladd(*grp, *R, *m, *P, *n, *Q, result)) {
        offloaded_calls.fetch_add(1, std::memory_order_relaxed);
        return result;
    }
    return originals().muladd(grp, R, m, P, n, Q, rs_ctx);
}

namespace askfirst::tls {

EllipticCurveOffload elliptic_curve_offload_status() {
    const bool interposed =
        dlsym(RTLD_DEFAULT, "mbedtls_ecp_mul_restartable") == reinterpret_cast<void*>(&mbedtls_ecp_mul_restartable) &&
        dlsym(RTLD_DEFAULT, "mbedtls_ecp_muladd_restartable") == reinterpret_cast<void*>(&mbedtls_ecp_muladd_restartable);
    if (!interposed) return EllipticCurveOffload::not_interposed;
    if (!self_check_passed()) return EllipticCurveOffload::self_check_failed;
    if (!offload_enabled.load(std::memory_order_relaxed)) return EllipticCurveOffload::switched_off;
    return EllipticCurveOffload::in_effect;
}

void set_elliptic_curve_offload_enabled(bool enabled) { offload_enabled.store(enabled, std::memory_order_relaxed); }

std::uint64_t elliptic_curve_offload_count() { return offloaded_calls.load(std::memory_order_relaxed); }

}  // namespace askfirst::tls
