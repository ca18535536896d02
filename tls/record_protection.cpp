// tls/record_protection.cpp — sealing and opening TLS 1.2 AEAD records with
// libcrypto's EVP interface (see the header for why and where it is used).
#include "tls/record_protection.h"

#include <mbedtls/ssl_ciphersuites.h>
#include <openssl/evp.h>

namespace askfirst::tls {
namespace {

constexpr std::size_t kTagBytes = 16;          // RFC 5116 AEAD_AES_*_GCM, RFC 8439: 16-byte tags
constexpr std::size_t kNonceBytes = 12;        // RFC 5288 §3 (4 fixed + 8 explicit), RFC 7905 §2
constexpr std::uint8_t kTls12Major = 3, kTls12Minor = 3;

struct CipherContextFree {
    void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextFree>;

// Fetched once per process: OpenSSL 3 would look a legacy EVP_aes_*()
// cipher up in its provider store again on every context's init, four
// times per intercepted flow. Kept until exit (reachable, not a leak).
const EVP_CIPHER* evp_cipher(RecordAead aead) {
    static EVP_CIPHER* const aes_128_gcm = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
    static EVP_CIPHER* const aes_256_gcm = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    static EVP_CIPHER* const chacha20_poly1305 = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
    switch (aead) {
    case RecordAead::aes_128_gcm: return aes_128_gcm;
    case RecordAead::aes_256_gcm: return aes_256_gcm;
    case RecordAead::chacha20_poly1305: return chacha20_poly1305;
    }
    return nullptr;
}

CipherContext keyed_context(RecordAead aead, const std::vector<std::uint8_t>& key, bool encrypt) {
    const EVP_CIPHER* cipher = evp_cipher(aead);
    if (cipher == nullptr || key.size() != static_cast<std::size_t>(EVP_CIPHER_get_key_length(cipher))) return nullptr;
    CipherContext context(EVP_CIPHER_CTX_new());
    if (!context || EVP_CipherInit_ex(context.get(), cipher, nullptr, key.data(), nullptr, encrypt ? 1 : 0) != 1)
        return nullptr;
    return context;
}

void put_u64(std::uint64_t value, std::uint8_t* out) {
    for (int i = 7; i >= 0; --i, value >>= 8) out[i] = static_cast<std::uint8_t>(value);
}

// RFC 5246 §6.2.3.3: additional_data = seq_num + type + version + length (of the plaintext).
void make_additional_data(std::uint64_t sequence, std::uint8_t type, std::size_t length, std::uint8_t (&aad)[13]) {
    put_u64(sequence, aad);
    aad[8] = type;
    aad[9] = kTls12Major;
    aad[10] = kTls12Minor;
    aad[11] = static_cast<std::uint8_t>(length >> 8);
    aad[12] = static_cast<std::uint8_t>(length);
}

}  // namespace

struct RecordProtection::CipherContexts {
    CipherContext write;
    CipherContext read;
};

std::optional<RecordAead> record_aead_for_suite(int suite) {
    switch (suite) {
    case MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:
    case MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: return RecordAead::aes_128_gcm;
    case MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:
    case MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: return RecordAead::aes_256_gcm;
    case MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256:
    case MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: return RecordAead::chacha20_poly1305;
    default: return std::nullopt;
    }
}

bool cpu_has_fast_aes_gcm() {
#if defined(__x86_64__) || defined(__i386__)
    return __builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul");
#else
    return false;  // elsewhere ChaCha20-Poly1305 is the safe choice without AES instructions
#endif
}

Result<std::unique_ptr<RecordProtection>> RecordProtection::create(RecordAead aead, const TrafficSecret& write,
                                                                   const TrafficSecret& read) {
    using Created = Result<std::unique_ptr<RecordProtection>>;
    const std::size_t iv_bytes = aead == RecordAead::chacha20_poly1305 ? kNonceBytes : 4;
    if (write.fixed_iv.size() != iv_bytes || read.fixed_iv.size() != iv_bytes)
        return Created::failure("TLS record protection: a fixed IV of the wrong length for its AEAD");
    auto contexts = std::make_unique<CipherContexts>();
    contexts->write = keyed_context(aead, write.key, true);
    contexts->read = keyed_context(aead, read.key, false);
    if (!contexts->write || !contexts->read)
        return Created::failure("TLS record protection: libcrypto refused a key (a length that does not fit the AEAD)");
    return Created::success(std::unique_ptr<RecordProtection>(new RecordProtection(aead, std::move(contexts), write, read)));
}

RecordProtection::RecordProtection(RecordAead aead, std::unique_ptr<CipherContexts> contexts, const TrafficSecret& write,
                                   const TrafficSecret& read)
    : aead_(aead), contexts_(std::move(contexts)), write_iv_(write.fixed_iv), read_iv_(read.fixed_iv),
      write_sequence_(write.sequence), read_sequence_(read.sequence) {}

RecordProtection::~RecordProtection() = default;

std::optional<std::size_t> RecordProtection::opened_size(std::size_t body) const {
    if (body < overhead()) return std::nullopt;
    return body - overhead();
}

// GCM: fixed IV + the record's explicit nonce. ChaCha20-Poly1305: the IV
// XOR the sequence number, right-aligned (RFC 7905 §2).
void RecordProtection::make_nonce(const std::vector<std::uint8_t>& fixed_iv, std::uint64_t sequence,
                                  std::span<const std::uint8_t> explicit_nonce, std::uint8_t (&nonce)[12]) const {
    if (aead_ == RecordAead::chacha20_poly1305) {
        std::uint8_t counter[kNonceBytes] = {};
        put_u64(sequence, counter + 4);
        for (std::size_t i = 0; i < kNonceBytes; ++i) nonce[i] = fixed_iv[i] ^ counter[i];
        return;
    }
    for (std::size_t i = 0; i < 4; ++i) nonce[i] = fixed_iv[i];
    for (std::size_t i = 0; i < 8; ++i) nonce[4 + i] = explicit_nonce[i];
}

bool RecordProtection::seal(std::uint8_t type, std::span<const std::uint8_t> plaintext, std::span<std::uint8_t> out) {
    if (plaintext.size() > kMaxRecordPlaintext || out.size() != sealed_size(plaintext.size())) return false;
    const std::size_t body = overhead() + plaintext.size();
    out[0] = type;
    out[1] = kTls12Major;
    out[2] = kTls12Minor;
    out[3] = static_cast<std::uint8_t>(body >> 8);
    out[4] = static_cast<std::uint8_t>(body);
    std::uint8_t* explicit_nonce = out.data() + kRecordHeaderBytes;
    put_u64(write_sequence_, explicit_nonce);  // GCM: the sequence number is a unique explicit nonce
    std::uint8_t nonce[kNonceBytes];
    make_nonce(write_iv_, write_sequence_, {explicit_nonce, 8}, nonce);
    std::uint8_t aad[13];
    make_additional_data(write_sequence_, type, plaintext.size(), aad);
    EVP_CIPHER_CTX* context = contexts_->write.get();
    std::uint8_t* ciphertext = explicit_nonce + explicit_nonce_bytes();
    int length = 0, final_length = 0;
    if (EVP_EncryptInit_ex(context, nullptr, nullptr, nullptr, nonce) != 1 ||
        EVP_EncryptUpdate(context, nullptr, &length, aad, sizeof aad) != 1 ||
        EVP_EncryptUpdate(context, ciphertext, &length, plaintext.data(), static_cast<int>(plaintext.size())) != 1 ||
        EVP_EncryptFinal_ex(context, ciphertext + length, &final_length) != 1 ||
        EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, kTagBytes, ciphertext + plaintext.size()) != 1)
        return false;
    ++write_sequence_;
    return true;
}

bool RecordProtection::open(std::uint8_t type, std::span<const std::uint8_t> body, std::span<std::uint8_t> out) {
    const auto plaintext_size = opened_size(body.size());
    if (!plaintext_size || *plaintext_size > kMaxRecordPlaintext || out.size() < *plaintext_size) return false;
    std::uint8_t nonce[kNonceBytes];
    make_nonce(read_iv_, read_sequence_, body.first(explicit_nonce_bytes()), nonce);
    std::uint8_t aad[13];
    make_additional_data(read_sequence_, type, *plaintext_size, aad);
    const std::uint8_t* ciphertext = body.data() + explicit_nonce_bytes();
    EVP_CIPHER_CTX* context = contexts_->read.get();
    int length = 0, final_length = 0;
    if (EVP_DecryptInit_ex(context, nullptr, nullptr, nullptr, nonce) != 1 ||
        EVP_DecryptUpdate(context, nullptr, &length, aad, sizeof aad) != 1 ||
        EVP_DecryptUpdate(context, out.data(), &length, ciphertext, static_cast<int>(*plaintext_size)) != 1 ||
        EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, kTagBytes,
                            const_cast<std::uint8_t*>(ciphertext + *plaintext_size)) != 1 ||
        EVP_DecryptFinal_ex(context, out.data() + length, &final_length) != 1)
        return false;
    ++read_sequence_;
    return true;
}

}  // namespace askfirst::tls
