// tls/sha256_block_offload.cpp — libmbedcrypto's SHA-256 block function,
// redefined in our executable and computed with libcrypto. See the header for
// the theory, the fail-safe and the limits.
// SHA256_Transform is deprecated in OpenSSL 3 but exported: see the header.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "tls/sha256_block_offload.h"

#include <dlfcn.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <openssl/sha.h>

#include <atomic>
#include <cstddef>
#include <cstring>

namespace askfirst::tls {
namespace {

using BlockFunction = int (*)(mbedtls_sha256_context*, const unsigned char*);

static_assert(sizeof(SHA256_CTX::h) == sizeof(mbedtls_sha256_context::state), "the same eight 32-bit state words");

// libmbedcrypto's definition: the next one after ours in the lookup order.
BlockFunction original_function() {
    static const auto found = reinterpret_cast<BlockFunction>(dlsym(RTLD_NEXT, "mbedtls_internal_sha256_process"));
    return found;
}

void offloaded_block(mbedtls_sha256_context& context, const unsigned char* block) {
    SHA256_CTX libcrypto_context;
    std::memcpy(libcrypto_context.h, context.state, sizeof context.state);
    SHA256_Transform(&libcrypto_context, block);
    std::memcpy(context.state, libcrypto_context.h, sizeof context.state);
    mbedtls_platform_zeroize(&libcrypto_context, sizeof libcrypto_context);
}

// ---- the self-check ----------------------------------------------------------

constexpr int kSelfCheckBlocks = 16;

bool self_check_passes() {
    if (original_function() == nullptr) return false;
    std::uint64_t stream = 0x736861323536;  // "sha256": a fixed xorshift64 stream, not secret
    auto next_byte = [&stream] {
        stream ^= stream << 13, stream ^= stream >> 7, stream ^= stream << 17;
        return static_cast<unsigned char>(stream);
    };
    for (int i = 0; i < kSelfCheckBlocks; ++i) {
        mbedtls_sha256_context ours{}, theirs{};
        unsigned char block[64];
        for (auto& byte : block) byte = next_byte();
        for (auto& word : ours.state) word = static_cast<std::uint32_t>(next_byte()) << 24 | next_byte() << 16 | next_byte() << 8 | next_byte();
        std::memcpy(theirs.state, ours.state, sizeof ours.state);
        offloaded_block(ours, block);
        if (original_function()(&theirs, block) != 0 || std::memcmp(ours.state, theirs.state, sizeof ours.state) != 0)
            return false;
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
}  // namespace askfirst::tls

// ---- the interposed definition -----------------------------------------------
// Same signature as <mbedtls/sha256.h>. Exported from the executable, it takes
// the place of libmbedcrypto's for every caller that goes through a PLT.

extern "C" __attribute__((visibility("default"))) int mbedtls_internal_sha256_process(mbedtls_sha256_context* ctx,
                                                                                      const unsigned char data[64]) {
    using namespace askfirst::tls;
    if (ctx == nullptr || data == nullptr || !offload_in_use()) return original_function()(ctx, data);
    offloaded_block(*ctx, data);
    offloaded_calls.fetch_add(1, std::memory_order_relaxed);
    return 0;
}

namespace askfirst::tls {

Sha256BlockOffload sha256_block_offload_status() {
    if (dlsym(RTLD_DEFAULT, "mbedtls_internal_sha256_process") != reinterpret_cast<void*>(&mbedtls_internal_sha256_process))
        return Sha256BlockOffload::not_interposed;
    if (!self_check_passed()) return Sha256BlockOffload::self_check_failed;
    if (!offload_enabled.load(std::memory_order_relaxed)) return Sha256BlockOffload::switched_off;
    return Sha256BlockOffload::in_effect;
}

void set_sha256_block_offload_enabled(bool enabled) { offload_enabled.store(enabled, std::memory_order_relaxed); }

std::uint64_t sha256_block_offload_count() { return offloaded_calls.load(std::memory_order_relaxed); }

}  // namespace askfirst::tls
