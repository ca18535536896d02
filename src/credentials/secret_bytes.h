// src/credentials/secret_bytes.h — where askfirstd keeps a real secret
// (issue 13, "Secrets in memory"): its own anonymous pages, never swapped
// out when mlock is allowed, excluded from core dumps (MADV_DONTDUMP), and
// overwritten before they are unmapped. Nothing else owns a real secret for
// longer than one request's re-signing or header edit.
//
// Limits: a copy made to build the edited head (src/http/head_edits.h) and
// what the TLS layer encrypts live on the ordinary heap for the moment they
// are in flight; they are wiped where askfirstd owns them, not in libcrypto's
// or the kernel's buffers.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace askfirst::credentials {

class SecretBytes {
public:
    SecretBytes() = default;
    // Copies `value` into fresh protected pages; the caller wipes its own copy.
    // Stays empty if the pages cannot be mapped (the caller checks empty()).
    explicit SecretBytes(std::string_view value);
    ~SecretBytes();
    SecretBytes(SecretBytes&& other) noexcept;
    SecretBytes& operator=(SecretBytes&& other) noexcept;
    SecretBytes(const SecretBytes&) = delete;
    SecretBytes& operator=(const SecretBytes&) = delete;

    std::string_view view() const { return {static_cast<const char*>(pages_), size_}; }
    bool empty() const { return size_ == 0; }
    // The pages were marked MADV_DONTDUMP (false where the kernel refused).
    bool excluded_from_core_dumps() const { return dontdump_; }

private:
    void release();

    void* pages_ = nullptr;
    std::size_t size_ = 0;
    std::size_t mapped_ = 0;
    bool dontdump_ = false;
};

}  // namespace askfirst::credentials
