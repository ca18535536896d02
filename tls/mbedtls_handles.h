// tls/mbedtls_handles.h — one RAII owner for every mbedTLS context type the
// tls/ layer uses. A handle inits its context on construction and frees it
// on destruction; it neither copies nor moves, because mbedTLS contexts are
// referenced by address (an ssl_context points at its config, BIO callbacks
// at their session). Owners that must move hold handles in std::unique_ptr.
#pragma once

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>

#include <string>

namespace askfirst::tls {

template <typename Context, void (*Init)(Context*), void (*Free)(Context*)>
class MbedtlsHandle {
public:
    MbedtlsHandle() { Init(&context_); }
    ~MbedtlsHandle() { Free(&context_); }
    MbedtlsHandle(const MbedtlsHandle&) = delete;
    MbedtlsHandle& operator=(const MbedtlsHandle&) = delete;

    Context* get() { return &context_; }
    const Context* get() const { return &context_; }

private:
    Context context_;
};

using SslContext = MbedtlsHandle<mbedtls_ssl_context, mbedtls_ssl_init, mbedtls_ssl_free>;
using SslConfig = MbedtlsHandle<mbedtls_ssl_config, mbedtls_ssl_config_init, mbedtls_ssl_config_free>;
using X509Certificate = MbedtlsHandle<mbedtls_x509_crt, mbedtls_x509_crt_init, mbedtls_x509_crt_free>;
using PrivateKey = MbedtlsHandle<mbedtls_pk_context, mbedtls_pk_init, mbedtls_pk_free>;
using EntropySource = MbedtlsHandle<mbedtls_entropy_context, mbedtls_entropy_init, mbedtls_entropy_free>;
using CtrDrbg = MbedtlsHandle<mbedtls_ctr_drbg_context, mbedtls_ctr_drbg_init, mbedtls_ctr_drbg_free>;
using TicketKeys = MbedtlsHandle<mbedtls_ssl_ticket_context, mbedtls_ssl_ticket_init, mbedtls_ssl_ticket_free>;
using ServerSessionCache = MbedtlsHandle<mbedtls_ssl_cache_context, mbedtls_ssl_cache_init, mbedtls_ssl_cache_free>;
using SslSession = MbedtlsHandle<mbedtls_ssl_session, mbedtls_ssl_session_init, mbedtls_ssl_session_free>;

// mbedTLS's text for an error code, e.g. "SSL - Verification of the
// message MAC failed (-0x7180)".
std::string mbedtls_error_text(int code);

}  // namespace askfirst::tls
