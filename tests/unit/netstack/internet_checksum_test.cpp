// tests/unit/netstack/internet_checksum_test.cpp — netstack's internet
// checksum against independent answers: RFC 1071's worked example, a plain
// 2-bytes-at-a-time reference, and liblwip's own lwip_standard_chksum (looked
// up inside liblwip, past our override) on every length and alignment; and
// that liblwip's calls really reach ours (lwip_adapter's interposition).
#include <doctest.h>
#include <dlfcn.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "netstack/internet_checksum.h"
#include "netstack/lwip_adapter.h"

namespace askfirst::netstack {
namespace {

using LwipSum = std::uint16_t (*)(const void*, int);

// liblwip's own checksum: dlsym on liblwip's handle searches liblwip first,
// so it finds the library's definition, not the executable's override.
LwipSum liblwip_own_sum() {
    void* library = dlopen("liblwip.so.0", RTLD_NOW | RTLD_NOLOAD);
    REQUIRE_MESSAGE(library != nullptr, "liblwip.so.0 is not loaded: ", dlerror());
    auto* own = reinterpret_cast<LwipSum>(dlsym(library, "lwip_standard_chksum"));
    dlclose(library);
    REQUIRE(reinterpret_cast<void*>(own) != nullptr);
    REQUIRE_MESSAGE(reinterpret_cast<void*>(own) != dlsym(RTLD_DEFAULT, "lwip_standard_chksum"),
                    "found our own override instead of liblwip's: the comparison would prove nothing");
    return own;
}

// RFC 1071 as written: 16-bit words in host order, carries folded back.
std::uint16_t reference_sum(const std::uint8_t* bytes, std::size_t length) {
    std::uint32_t sum = 0;
    std::size_t at = 0;
    for (; at + 1 < length; at += 2) {
        std::uint16_t word;
        std::memcpy(&word, bytes + at, 2);
        sum += word;
    }
    if (at < length) {
        std::uint8_t last[2] = {bytes[at], 0};
        std::uint16_t word;
        std::memcpy(&word, last, 2);
        sum += word;
    }
    while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(sum);
}

std::vector<std::uint8_t> pattern(std::size_t length, std::uint32_t seed) {
    std::vector<std::uint8_t> bytes(length);
    for (auto& byte : bytes) {
        seed = seed * 1664525u + 1013904223u;
        byte = static_cast<std::uint8_t>(seed >> 24);
    }
    return bytes;
}

}  // namespace

TEST_CASE("RFC 1071's worked example sums to 0xddf2 in network order") {
    const std::uint8_t example[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    CHECK(checksum_add(0, example) == 0xddf2);
    CHECK(checksum_fold(checksum_add(0, example)) == static_cast<std::uint16_t>(~0xddf2));
}

TEST_CASE("the fast sum equals liblwip's own and the reference on every length to 300 and every alignment") {
    const LwipSum liblwip_sum = liblwip_own_sum();
    const auto bytes = pattern(300 + 8, 7);
    for (std::size_t offset = 0; offset < 8; ++offset) {
        for (std::size_t length = 0; length <= 300; ++length) {
            CAPTURE(offset);
            CAPTURE(length);
            const std::uint8_t* start = bytes.data() + offset;
            const std::uint16_t ours = ones_complement_sum_host_order({start, length});
            REQUIRE(ours == reference_sum(start, length));
            REQUIRE(ours == liblwip_sum(start, static_cast<int>(length)));
        }
    }
}

TEST_CASE("segment-sized inputs: random, all ones, all zeros and carry-heavy bytes sum as liblwip's own does") {
    const LwipSum liblwip_sum = liblwip_own_sum();
    struct Input { const char* name; std::vector<std::uint8_t> bytes; };
    const Input inputs[] = {
        {"random 64 KiB - 1", pattern(65535, 99)},
        {"random 1460", pattern(1460, 5)},
        {"all 0xff", std::vector<std::uint8_t>(65535, 0xff)},
        {"all zero", std::vector<std::uint8_t>(65535, 0)},
        {"0xff then one 0x01", [] { std::vector<std::uint8_t> v(4097, 0xff); v.back() = 1; return v; }()},
    };
    for (const Input& input : inputs) {
        CAPTURE(input.name);
        const std::uint16_t ours = ones_complement_sum_host_order(input.bytes);
        CHECK(ours == liblwip_sum(input.bytes.data(), static_cast<int>(input.bytes.size())));
        CHECK(ours == reference_sum(input.bytes.data(), input.bytes.size()));
    }
    CHECK(ones_complement_sum_host_order(std::vector<std::uint8_t>(65535, 0)) == 0);  // 0 only for all-zero input
}

TEST_CASE("copy_and_sum copies exactly and returns the same sum, at any alignment of either side") {
    const auto source = pattern(5000 + 8, 3);
    for (std::size_t source_offset : {0, 1, 3, 7}) {
        for (std::size_t destination_offset : {0, 1, 6}) {
            for (std::size_t length : {0, 1, 7, 63, 64, 65, 1460, 4999}) {
                CAPTURE(source_offset);
                CAPTURE(destination_offset);
                CAPTURE(length);
                std::vector<std::uint8_t> destination(length + 16, 0xaa);
                const std::uint8_t* from = source.data() + source_offset;
                const std::uint16_t sum = copy_and_sum_host_order(destination.data() + destination_offset, {from, length});
                REQUIRE(sum == reference_sum(from, length));
                REQUIRE(std::memcmp(destination.data() + destination_offset, from, length) == 0);
                for (std::size_t i = 0; i < destination_offset; ++i) REQUIRE(destination[i] == 0xaa);
                for (std::size_t i = destination_offset + length; i < destination.size(); ++i) REQUIRE(destination[i] == 0xaa);
            }
        }
    }
}

TEST_CASE("liblwip's checksum calls reach netstack's sum (the interposition is in effect)") {
    CHECK(lwip_checksum_is_ours());
}

}  // namespace askfirst::netstack
