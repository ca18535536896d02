// Unit tests for tls/sha256_block_offload.h: mbedTLS's SHA-256 and SHA-224
// through the interposed block function give the FIPS 180-4 example digests
// and the same digests as mbedTLS's own block function, on every length
// around the block boundaries.
#include <doctest.h>
#include <mbedtls/sha256.h>

#include <array>
#include <cstdio>
#include <random>
#include <string>

#include "tls/sha256_block_offload.h"

using namespace askfirst::tls;

namespace {

std::string hex_digest(std::string_view message, bool is224 = false) {
    std::array<unsigned char, 32> digest{};
    REQUIRE(mbedtls_sha256_ret(reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest.data(),
                               is224 ? 1 : 0) == 0);
    std::string out;
    char two[3];
    for (std::size_t i = 0; i < (is224 ? 28u : 32u); ++i) {
        std::snprintf(two, sizeof two, "%02x", digest[i]);
        out += two;
    }
    return out;
}

}  // namespace

TEST_CASE("the SHA-256 block offload's self-check passes and our definition is the one the process calls") {
    CHECK(sha256_block_offload_name(sha256_block_offload_status()) == "in_effect");
}

TEST_CASE("SHA-256 and SHA-224 through the offload give FIPS 180-4's example digests") {
    const auto before = sha256_block_offload_count();
    CHECK(hex_digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(hex_digest("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(hex_digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(hex_digest(std::string(1000000, 'a')) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    CHECK(hex_digest("abc", true) == "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7");
    CHECK(sha256_block_offload_count() > before + 15625);  // a million bytes are 15625 blocks
}

TEST_CASE("every length around the block boundaries hashes alike with mbedTLS's own block function") {
    std::mt19937_64 generator(17);
    std::string message;
    for (std::size_t length = 0; length <= 200; ++length) {
        CAPTURE(length);
        message.resize(length);
        for (auto& c : message) c = static_cast<char>(generator());
        const std::string ours = hex_digest(message);
        set_sha256_block_offload_enabled(false);
        const auto before = sha256_block_offload_count();
        const std::string theirs = hex_digest(message);
        CHECK(sha256_block_offload_count() == before);
        set_sha256_block_offload_enabled(true);
        CHECK(ours == theirs);
    }
    CHECK(sha256_block_offload_name(sha256_block_offload_status()) == "in_effect");
}
