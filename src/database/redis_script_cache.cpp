// src/database/redis_script_cache.cpp — see the header. SHA1 from OpenSSL's
// libcrypto (already linked for the TLS records), as Redis computes it.
#include "src/database/redis_script_cache.h"

#include <openssl/evp.h>

#include <cctype>

namespace askfirst::database {

std::string RedisScriptCache::sha1_hex(std::string_view text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha1(), nullptr) != 1) return {};
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < length; ++i) {
        hex += kHex[digest[i] >> 4];
        hex += kHex[digest[i] & 0x0f];
    }
    return hex;
}

void RedisScriptCache::remember(std::string_view body) {
    std::string sha = sha1_hex(body);
    if (sha.empty() || bodies_.count(sha) != 0) return;
    if (bodies_.size() >= kMaxRememberedScripts || bytes_ + body.size() > kMaxRememberedBytes) {
        overflowed_ = true;
        return;
    }
    bytes_ += body.size();
    bodies_.emplace(std::move(sha), std::string(body));
}

std::optional<std::string> RedisScriptCache::body_of(std::string_view sha_hex) const {
    std::string lowered(sha_hex);
    for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto found = bodies_.find(lowered);
    if (found == bodies_.end()) return std::nullopt;
    return found->second;
}

}  // namespace askfirst::database
