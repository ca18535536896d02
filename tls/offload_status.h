// tls/offload_status.h — the state of one of askfirst's libcrypto offloads
// (tls/elliptic_curve_offload, tls/modular_inverse_offload,
// tls/sha256_block_offload): each interposes an mbedTLS function, checks
// itself once against mbedTLS, and can be switched off for benchmarks.
#pragma once

#include <string_view>

namespace askfirst::tls {

enum class OffloadStatus {
    in_effect,          // the self-check passed and our definitions are the ones called
    not_interposed,     // libmbedcrypto's callers reach its own definitions, not ours
    self_check_failed,  // ours disagreed with mbedTLS on a fixed vector: the originals are in use
    switched_off,       // switched off by its set_..._enabled(false)
};

// "in_effect", "not_interposed", ... (askfirstd's slow_* log lines).
constexpr std::string_view offload_status_name(OffloadStatus status) {
    switch (status) {
    case OffloadStatus::in_effect: return "in_effect";
    case OffloadStatus::not_interposed: return "not_interposed";
    case OffloadStatus::self_check_failed: return "self_check_failed";
    case OffloadStatus::switched_off: return "switched_off";
    }
    return "unknown";
}

}  // namespace askfirst::tls
