// tls/modular_inverse_offload.h — mbedTLS's modular inverse
// (mbedtls_mpi_inv_mod) computed by OpenSSL's libcrypto, for every TLS
// handshake in the process: ECDSA signing with the leaf key on the guest leg
// (k⁻¹ mod n, blinded by mbedTLS) and ECDSA verification of the upstream
// chain and key exchange (s⁻¹ mod n, two or three per upstream handshake).
//
// Why: with the scalar multiplications on libcrypto
// (tls/elliptic_curve_offload.h), mbedTLS 2.28's binary extended Euclid on
// its generic bignums became the largest mbedTLS cost left in a new
// intercepted flow (perf on askfirstd during tests/bench/tls_compare.sh's
// no-resumption run: mbedtls_mpi_inv_mod ~9 % of askfirstd's samples, some
// 30–40 µs per call against a few µs for libcrypto's BN_mod_inverse).
//
// How: the same ELF symbol interposition as elliptic_curve_offload.cpp
// (libmbedcrypto calls mbedtls_mpi_inv_mod through its PLT, checked with
// objdump -d: ecdsa.c, rsa.c, ecp.c), so our executable's definition is the
// one every caller reaches. libcrypto computes with BN_FLG_CONSTTIME on the
// operand (its branch-free inverse), which is at least as careful as the
// original with secret inputs.
//
// Fails safe: what we do not handle — a negative operand or modulus, an even
// modulus, a modulus over 521 bits (RSA key completion: rare, left alone),
// an operand with no inverse, any libcrypto error — goes to the original
// (dlsym RTLD_NEXT), which returns mbedTLS's own result or error code. A
// self-check against the original on fixed vectors runs before the first
// offloaded call; on any mismatch the original is used for the life of the
// process (askfirstd logs `event=slow_inverse`).
#pragma once

#include <mbedtls/bignum.h>

#include <cstdint>
#include <string_view>

#include "tls/offload_status.h"

namespace askfirst::tls {

// The largest modulus handed to libcrypto: P-521's order (ECDSA on every curve askfirst accepts).
constexpr std::size_t kLargestOffloadedModulusBits = 521;

using ModularInverseOffload = OffloadStatus;

// Runs the self-check once (thread-safe) and says whether the offload is in effect.
ModularInverseOffload modular_inverse_offload_status();
inline std::string_view modular_inverse_offload_name(ModularInverseOffload status) { return offload_status_name(status); }

// For benchmarks and tests: route every call to the original (false) or to libcrypto again (true).
void set_modular_inverse_offload_enabled(bool enabled);

// How many inverses libcrypto has computed in this process.
std::uint64_t modular_inverse_offload_count();

namespace modular_inverse_offload_detail {

// libcrypto's computation alone: false when it does not handle the case
// (the caller then uses the original), else true with mbedTLS's code for
// writing X in `result`.
bool offloaded_inverse(mbedtls_mpi& X, const mbedtls_mpi& A, const mbedtls_mpi& N, int& result);

// libmbedcrypto's own definition (dlsym RTLD_NEXT).
int original_inverse(mbedtls_mpi& X, const mbedtls_mpi& A, const mbedtls_mpi& N);

}  // namespace modular_inverse_offload_detail

}  // namespace askfirst::tls
