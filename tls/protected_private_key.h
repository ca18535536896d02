// tls/protected_private_key.h — a private key whose secret numbers live in
// pages excluded from core dumps (issue 13, "Secrets in memory"): the real
// client key of a kube credential, which askfirstd keeps for its upstream
// handshakes (tls/upstream_tls_client.h) for as long as it runs.
//
// mbedTLS 2.28 keeps a parsed key's numbers (EC: d; RSA: D, P, Q, DP, DQ,
// QP) in limbs on its ordinary heap, which a core dump holds (the kube test
// found the EC scalar there, limb order). After parsing, this class moves
// those limbs into its own anonymous pages, marked MADV_DONTDUMP and locked
// where mlock is allowed; the heap copies are zeroed and freed. mbedTLS
// only reads these numbers when it signs (they are const inputs of ECDSA
// and of the RSA private operation), so their storage never has to grow.
// On destruction the pages are wiped and unmapped and the numbers are
// detached before mbedTLS frees the key (it must not free our pages).
//
// Limits: the temporaries mbedTLS makes while signing are zeroed by it when
// freed; the RSA private operation's cached Montgomery constants (RP, RQ)
// stay on the heap (they are derived from P and Q, not the key itself).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "src/base/result.h"
#include "tls/mbedtls_handles.h"

namespace askfirst::tls {

class ProtectedPrivateKey {
public:
    ProtectedPrivateKey() = default;
    ~ProtectedPrivateKey();
    ProtectedPrivateKey(const ProtectedPrivateKey&) = delete;
    ProtectedPrivateKey& operator=(const ProtectedPrivateKey&) = delete;

    // Parses an unencrypted PEM or DER key and moves its secret numbers
    // into the protected pages. `pem` is only read (copied into a wiped buffer).
    Status parse(std::string_view pem);
    mbedtls_pk_context* get() { return key_.get(); }
    bool excluded_from_core_dumps() const { return dontdump_; }

private:
    PrivateKey key_;
    std::vector<mbedtls_mpi*> moved_;  // numbers whose limbs point into pages_
    void* pages_ = nullptr;
    std::size_t mapped_ = 0;
    bool dontdump_ = false;
};

}  // namespace askfirst::tls
