// tls/sha256_block_offload.h — mbedTLS's SHA-256 block function
// (mbedtls_internal_sha256_process, one 64-byte block into the eight state
// words) computed by OpenSSL's libcrypto, for every SHA-256 and SHA-224
// mbedTLS computes in the process: the handshake transcripts and the TLS 1.2
// PRF of both legs, deterministic ECDSA's HMAC-DRBG on the guest leg, the
// certificate signatures checked upstream, session-ticket keys.
//
// Why: with the elliptic curves and the modular inverse on libcrypto
// (elliptic_curve_offload.h, modular_inverse_offload.h), mbedTLS 2.28's
// portable C SHA-256 was ~7 % of askfirstd's samples per new intercepted
// flow (perf during tests/bench/tls_compare.sh's no-resumption run);
// libcrypto's block function uses the CPU's SHA extensions or AVX2.
//
// How: the same ELF symbol interposition as elliptic_curve_offload.cpp
// (libmbedcrypto's mbedtls_sha256_update_ret and _finish_ret call the block
// function through its PLT, checked with objdump -d). Ours runs libcrypto's
// SHA256_Transform on the same state words: only the compression function
// moves; padding, lengths and SHA-224's initial state stay mbedTLS's.
// SHA256_Transform is deprecated in OpenSSL 3 (still exported, and the only
// public entry to the bare compression function); if a later libcrypto drops
// it, this file stops building rather than misbehaving.
//
// Fails safe: a self-check compares ours with the original (dlsym
// RTLD_NEXT) on fixed states and blocks before the first offloaded call; on
// any mismatch the original is used for the life of the process (askfirstd
// logs `event=slow_sha256`).
#pragma once

#include <cstdint>
#include <string_view>

#include "tls/offload_status.h"

namespace askfirst::tls {

using Sha256BlockOffload = OffloadStatus;

// Runs the self-check once (thread-safe) and says whether the offload is in effect.
Sha256BlockOffload sha256_block_offload_status();
inline std::string_view sha256_block_offload_name(Sha256BlockOffload status) { return offload_status_name(status); }

// For benchmarks and tests: route every call to the original (false) or to libcrypto again (true).
void set_sha256_block_offload_enabled(bool enabled);

// How many blocks libcrypto has compressed in this process.
std::uint64_t sha256_block_offload_count();

}  // namespace askfirst::tls
