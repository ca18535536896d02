// tls/protected_private_key.cpp — a parsed private key with its secret
// numbers in pages excluded from core dumps (see the header).
#include "tls/protected_private_key.h"

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <string>



namespace askfirst::tls {
namespace {

std::vector<mbedtls_mpi*> secret_numbers(mbedtls_pk_context* key) {
    switch (mbedtls_pk_get_type(key)) {
    case MBEDTLS_PK_ECKEY:
    case MBEDTLS_PK_ECKEY_DH:
    case MBEDTLS_PK_ECDSA: return {&mbedtls_pk_ec(*key)->d};
    case MBEDTLS_PK_RSA: {
        mbedtls_rsa_context* rsa = mbedtls_pk_rsa(*key);
        return {&rsa->D, &rsa->P, &rsa->Q, &rsa->DP, &rsa->DQ, &rsa->QP};
    }
    default: return {};
    }
}

}  // namespace

Status ProtectedPrivateKey::parse(std::string_view pem) {
    if (pages_ != nullptr) return Status::failure("a private key is already loaded");
    std::string copy(pem);  // mbedTLS parses PEM from a NUL-terminated buffer
    int rc = mbedtls_pk_parse_key(key_.get(), reinterpret_cast<const unsigned char*>(copy.c_str()), copy.size() + 1,
                                  nullptr, 0);
    mbedtls_platform_zeroize(copy.data(), copy.size());
    if (rc != 0) return Status::failure(mbedtls_error_text(rc) + "; give an unencrypted PEM key");
    const std::vector<mbedtls_mpi*> numbers = secret_numbers(key_.get());
    if (numbers.empty()) return Status::failure("the key is neither EC nor RSA");
    std::size_t bytes = 0;
    for (const mbedtls_mpi* number : numbers) bytes += number->n * sizeof(mbedtls_mpi_uint);
    const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    mapped_ = (bytes + page - 1) / page * page;
    if (mapped_ == 0) mapped_ = page;
    void* pages = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pages == MAP_FAILED) return Status::failure("cannot map protected pages for the key");
    pages_ = pages;
    dontdump_ = madvise(pages_, mapped_, MADV_DONTDUMP) == 0;
    (void)mlock(pages_, mapped_);  // best effort: RLIMIT_MEMLOCK may refuse
    auto* at = static_cast<mbedtls_mpi_uint*>(pages_);
    for (mbedtls_mpi* number : numbers) {
        if (number->p == nullptr || number->n == 0) continue;
        std::memcpy(at, number->p, number->n * sizeof(mbedtls_mpi_uint));
        mbedtls_platform_zeroize(number->p, number->n * sizeof(mbedtls_mpi_uint));
        mbedtls_free(number->p);
        number->p = at;
        at += number->n;
        moved_.push_back(number);
    }
    return ok_status();
}

ProtectedPrivateKey::~ProtectedPrivateKey() {
    // Detached first: mbedTLS frees the key after this body and must not free our pages.
    for (mbedtls_mpi* number : moved_) {
        number->p = nullptr;
        number->n = 0;
    }
    if (pages_ != nullptr) {
        mbedtls_platform_zeroize(pages_, mapped_);
        munlock(pages_, mapped_);
        munmap(pages_, mapped_);
    }
}

}  // namespace askfirst::tls
