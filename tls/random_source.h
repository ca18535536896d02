// tls/random_source.h — the process's one CTR_DRBG (AES-256), seeded from
// the OS entropy sources mbedTLS polls (getrandom(2)), with a
// personalisation string. askfirstd runs one loop on one thread, so every
// key generation, handshake and ticket shares it.
#pragma once

#include <cstddef>

#include "tls/mbedtls_handles.h"

namespace askfirst::tls {

class RandomSource {
public:
    // The process-wide instance, seeded on first use. Aborts with a message
    // if the OS gives no entropy: nothing secure can run without it.
    static RandomSource& process();

    // For mbedtls_*_conf_rng / key generation: f_rng and p_rng.
    static int generate(void* self, unsigned char* out, std::size_t length);
    void* context() { return this; }

private:
    RandomSource();
    EntropySource entropy_;
    CtrDrbg drbg_;
};

}  // namespace askfirst::tls
