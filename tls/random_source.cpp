// tls/random_source.cpp — seeding of the process CTR_DRBG, and
// mbedtls_error_text() (a small home for the one strerror of the layer).
#include "tls/random_source.h"

#include <mbedtls/error.h>

#include <cstdio>
#include <cstdlib>

namespace askfirst::tls {

std::string mbedtls_error_text(int code) {
    char text[160];
    mbedtls_strerror(code, text, sizeof text);
    char suffix[24];
    std::snprintf(suffix, sizeof suffix, " (-0x%04x)", static_cast<unsigned>(-code));
    return std::string(text) + suffix;
}

RandomSource::RandomSource() {
    static constexpr unsigned char kPersonalisation[] = "askfirst tls drbg";
    const int rc = mbedtls_ctr_drbg_seed(drbg_.get(), mbedtls_entropy_func, entropy_.get(), kPersonalisation,
                                         sizeof kPersonalisation - 1);
    if (rc != 0) {
        std::fprintf(stderr, "askfirst: cannot seed the random generator from the OS: %s\n",
                     mbedtls_error_text(rc).c_str());
        std::abort();
    }
}

RandomSource& RandomSource::process() {
    static RandomSource instance;
    return instance;
}

int RandomSource::generate(void* self, unsigned char* out, std::size_t length) {
    return mbedtls_ctr_drbg_random(static_cast<RandomSource*>(self)->drbg_.get(), out, length);
}

}  // namespace askfirst::tls
