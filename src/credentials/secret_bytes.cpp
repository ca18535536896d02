// src/credentials/secret_bytes.cpp — protected pages for one secret (see the header).
#include "src/credentials/secret_bytes.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include <openssl/crypto.h>

namespace askfirst::credentials {

SecretBytes::SecretBytes(std::string_view value) {
    if (value.empty()) return;
    const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    mapped_ = (value.size() + page - 1) / page * page;
    pages_ = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pages_ == MAP_FAILED) {
        pages_ = nullptr;
        mapped_ = 0;
        return;  // empty: the caller reports that the secret could not be kept
    }
    dontdump_ = madvise(pages_, mapped_, MADV_DONTDUMP) == 0;
    (void)mlock(pages_, mapped_);  // best effort: RLIMIT_MEMLOCK may be small; MADV_DONTDUMP is what matters
    std::memcpy(pages_, value.data(), value.size());
    size_ = value.size();
}

SecretBytes::~SecretBytes() { release(); }

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : pages_(std::exchange(other.pages_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, 0)),
      dontdump_(std::exchange(other.dontdump_, false)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
        release();
        pages_ = std::exchange(other.pages_, nullptr);
        size_ = std::exchange(other.size_, 0);
        mapped_ = std::exchange(other.mapped_, 0);
        dontdump_ = std::exchange(other.dontdump_, false);
    }
    return *this;
}

void SecretBytes::release() {
    if (pages_ == nullptr) return;
    OPENSSL_cleanse(pages_, mapped_);
    munlock(pages_, mapped_);
    munmap(pages_, mapped_);
    pages_ = nullptr;
    size_ = mapped_ = 0;
}

}  // namespace askfirst::credentials
