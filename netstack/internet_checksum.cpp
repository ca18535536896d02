// netstack/internet_checksum.cpp — the sums of netstack/internet_checksum.h.
// Written here rather than taken from a package: the kernel's csum_partial is
// not exported to user space and no Debian library offers one over a plain
// buffer; the loop is a few lines.
#include "netstack/internet_checksum.h"

#include <bit>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace askfirst::netstack {
namespace {

std::uint64_t load_u64(const std::uint8_t* at) {
    std::uint64_t word;
    std::memcpy(&word, at, sizeof word);
    return word;
}

// An 8-byte load holds four 16-bit words w0..w3 as w0 + w1·2^16 + w2·2^32 +
// w3·2^48; since 2^16 ≡ 1 (mod 2^16 − 1), its two 32-bit halves added up are
// congruent to w0 + w1 + w2 + w3 — the one's-complement sum only needs the
// value mod 2^16 − 1. Each step adds below 2^33 to a 64-bit accumulator, so
// nothing overflows before 2^31 steps (16 GiB), far beyond any packet.
std::uint64_t halves(std::uint64_t word) { return (word & 0xffffffffu) + (word >> 32); }

std::uint16_t fold_to_16(std::uint64_t sum) {
    while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(sum);
}

#if defined(__x86_64__)
// 128 bytes per step in AVX2, where the CPU has it (checked once at run time;
// the build targets baseline x86-64): the 32-bit lanes of each 32-byte load
// are zero-extended into 64-bit lanes and added, the halves argument above.
// Returns the bytes it covered (a multiple of 128); the 8-byte loop takes the
// rest, and everything on CPUs without AVX2.
template <bool kCopy>
__attribute__((target("avx2"))) std::size_t sum_blocks_avx2(std::uint8_t* destination, const std::uint8_t* source,
                                                             std::size_t length, std::uint64_t& sum) {
    const __m256i zero = _mm256_setzero_si256();
    __m256i low = zero, high = zero;
    std::size_t done = 0;
    for (; length - done >= 128; done += 128) {
        for (std::size_t part = 0; part < 128; part += 32) {
            const __m256i block = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(source + done + part));
            if constexpr (kCopy) _mm256_storeu_si256(reinterpret_cast<__m256i*>(destination + done + part), block);
            low = _mm256_add_epi64(low, _mm256_unpacklo_epi32(block, zero));
            high = _mm256_add_epi64(high, _mm256_unpackhi_epi32(block, zero));
        }
    }
    std::uint64_t lanes[8];
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(lanes), low);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(lanes + 4), high);
    for (const std::uint64_t lane : lanes) sum += halves(lane);
    return done;
}

// (__builtin_cpu_init: this may run among other static initializers.)
const bool kCpuHasAvx2 = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
}();
#endif

// The sum of `length` bytes from `source`, copied to `destination` on the way
// when kCopy (one pass over the bytes instead of a copy and then a sum).
template <bool kCopy>
std::uint16_t sum_host_order(std::uint8_t* destination, const std::uint8_t* source, std::size_t length) {
    std::uint64_t sum = 0;
    std::size_t done = 0;
#if defined(__x86_64__)
    if (kCpuHasAvx2) done = sum_blocks_avx2<kCopy>(destination, source, length, sum);
#endif
    for (; length - done >= 8; done += 8) {
        const std::uint64_t word = load_u64(source + done);
        if constexpr (kCopy) std::memcpy(destination + done, &word, sizeof word);
        sum += halves(word);
    }
    if (done < length) {
        // Every load above started at an even offset, so the tail keeps its
        // bytes' places in their words; zeros after it add nothing.
        std::uint64_t tail = 0;
        std::memcpy(&tail, source + done, length - done);
        if constexpr (kCopy) std::memcpy(destination + done, source + done, length - done);
        sum += halves(tail);
    }
    return fold_to_16(sum);
}

}  // namespace

std::uint16_t ones_complement_sum_host_order(std::span<const std::uint8_t> bytes) {
    return sum_host_order<false>(nullptr, bytes.data(), bytes.size());
}

std::uint16_t copy_and_sum_host_order(std::uint8_t* destination, std::span<const std::uint8_t> source) {
    return sum_host_order<true>(destination, source.data(), source.size());
}

std::uint32_t checksum_add(std::uint32_t partial, std::span<const std::uint8_t> bytes) {
    // Swapping the bytes of every word swaps the bytes of their sum.
    std::uint16_t sum = ones_complement_sum_host_order(bytes);
    if constexpr (std::endian::native == std::endian::little) sum = static_cast<std::uint16_t>((sum << 8) | (sum >> 8));
    return partial + sum;
}

std::uint16_t checksum_fold(std::uint32_t partial) { return static_cast<std::uint16_t>(~fold_to_16(partial)); }

std::uint32_t pseudo_header_sum(const IpAddress& source, const IpAddress& destination, std::uint8_t protocol,
                                std::size_t upper_layer_bytes) {
    const std::size_t address_bytes = source.is_v4() ? 4 : 16;
    std::uint32_t sum = checksum_add(0, {source.bytes.data(), address_bytes});
    sum = checksum_add(sum, {destination.bytes.data(), address_bytes});
    sum += protocol;
    sum += static_cast<std::uint32_t>(upper_layer_bytes & 0xffff);
    sum += static_cast<std::uint32_t>(upper_layer_bytes >> 16);
    return sum;
}

}  // namespace askfirst::netstack
