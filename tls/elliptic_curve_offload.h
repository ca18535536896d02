// tls/elliptic_curve_offload.h — mbedTLS's elliptic-curve scalar
// multiplications done by OpenSSL's libcrypto, for every TLS handshake in the
// process (both legs of an intercepted flow, and leaf key generation).
//
// Why: a full handshake on both legs cost ~2.7 ms of one core, mostly
// mbedTLS 2.28's generic bignum arithmetic (perf on tests/bench/tls_bench:
// mbedtls_mpi_* well over half of the samples): ECDHE key generation and
// shared secret (X25519, P-256), ECDSA P-256 signing with the leaf key, ECDSA
// verification of the upstream chain. Debian's mbedTLS has no ALT hooks and
// no asynchronous private-key callbacks, so the calls cannot be redirected
// through its API. libcrypto's P-256 (x86-64 assembly) and X25519 are several
// times faster and constant-time.
//
// How (theory): every one of those operations ends in two functions of
// libmbedcrypto, `mbedtls_ecp_mul_restartable` (R = m·P: ECDH key generation
// and shared secret, ECDSA's k·G, key generation) and
// `mbedtls_ecp_muladd_restartable` (R = m·P + n·Q: ECDSA verification).
// Debian builds libmbedcrypto without -Bsymbolic, so even its internal calls
// to them (ecdh.c, ecdsa.c, the mbedtls_ecp_mul wrapper) go through its PLT
// (checked with objdump -d). This file defines both in our executable: ELF
// symbol interposition makes the executable's definition the one every caller
// reaches (the same technique as netstack/lwip_adapter.cpp for lwIP's
// checksum). Ours computes on libcrypto — P-256, P-384, P-521 through
// EC_POINT_mul, X25519 through EVP_PKEY raw keys — with mbedTLS's exact
// contract: mbedTLS's own mbedtls_ecp_check_privkey/_check_pubkey first,
// big-endian coordinates with Z = 1 for short Weierstrass curves, the
// little-endian x-only coordinate with Z = 1 and Y emptied for Curve25519.
//
// Fails safe: anything we do not handle (another curve, a restart context,
// a scalar or point mbedTLS would refuse, a result at infinity, any libcrypto
// error) is passed to the original function, found with dlsym(RTLD_NEXT), so
// the caller gets mbedTLS's own result or error code. Before the first
// offloaded call, a self-check compares ours with the originals on fixed
// vectors of every curve; on any mismatch the offload stays off for the life
// of the process (elliptic_curve_offload_status() says why; askfirstd logs
// `event=slow_ecp`).
//
// Limits: only what the two functions compute moves; the rest of ECDSA
// (k⁻¹, hashing) and the handshake stays on mbedTLS. A build that hides our
// definitions (static linking, -Bsymbolic libmbedcrypto) silently keeps
// mbedTLS's arithmetic: the status then says `not_interposed`.
#pragma once

#include <mbedtls/ecp.h>

#include <cstdint>
#include <string_view>

#include "tls/offload_status.h"

namespace askfirst::tls {

using EllipticCurveOffload = OffloadStatus;

// Runs the self-check once (thread-safe) and says whether the offload is in effect.
EllipticCurveOffload elliptic_curve_offload_status();
inline std::string_view elliptic_curve_offload_name(EllipticCurveOffload status) { return offload_status_name(status); }

// For benchmarks and tests: route every call to the originals (false) or to
// libcrypto again (true), in this process, at any time.
void set_elliptic_curve_offload_enabled(bool enabled);

// How many scalar multiplications libcrypto has done in this process.
std::uint64_t elliptic_curve_offload_count();

namespace elliptic_curve_offload_detail {

// libcrypto's computation alone. Returns false when it does not handle the
// case (the caller then uses the original), else true with mbedTLS's result
// code in `result` (0, or an error from writing R).
bool offloaded_mul(const mbedtls_ecp_group& group, mbedtls_ecp_point& R, const mbedtls_mpi& m,
                   const mbedtls_ecp_point& P, int& result);
bool offloaded_muladd(const mbedtls_ecp_group& group, mbedtls_ecp_point& R, const mbedtls_mpi& m,
                      const mbedtls_ecp_point& P, const mbedtls_mpi& n, const mbedtls_ecp_point& Q, int& result);

// libmbedcrypto's own definitions (dlsym RTLD_NEXT); blinding from a fixed
// generator: the results do not depend on it.
int original_mul(mbedtls_ecp_group& group, mbedtls_ecp_point& R, const mbedtls_mpi& m, const mbedtls_ecp_point& P);
int original_muladd(mbedtls_ecp_group& group, mbedtls_ecp_point& R, const mbedtls_mpi& m, const mbedtls_ecp_point& P,
                    const mbedtls_mpi& n, const mbedtls_ecp_point& Q);

}  // namespace elliptic_curve_offload_detail

}  // namespace askfirst::tls
