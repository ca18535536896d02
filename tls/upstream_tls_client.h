// tls/upstream_tls_client.h — the TLS client askfirst opens to the real
// server for each intercepted flow: one per askfirstd process (its trust
// store and config are shared), one TlsSession per flow.
//
// Verification (invariant 5, ../shared/design.md): the chain must lead to
// /etc/ssl/certs/ca-certificates.crt or to one of the profile's
// `tls.extra_ca` files, and the leaf must be valid for the name the guest
// asked for: SNI = the guest's SNI and hostname checked against it; with no
// SNI, the destination IP is checked against the leaf's iPAddress SANs
// (mbedTLS 2.28 does not check IP SANs itself, upstream_verification.cpp
// does). A failure leaves the session in state failed with kind
// upstream_certificate_invalid and a reason a person can act on; the shell
// relays nothing and answers each guest request with a 502 carrying it.
//
// The flow shell, once the guest's ClientHello is parsed and the upstream
// TCP connection is up:
//     auto session = upstream_tls_client.start_session(hello.server_name, destination_ip);
//     session.value()->advance();   // queues our ClientHello; flush it
//     then drive it as tls_session.h describes.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tls/mbedtls_handles.h"
#include "tls/tls_result.h"
#include "tls/tls_session.h"

namespace askfirst::tls {

constexpr const char* kSystemTrustBundle = "/etc/ssl/certs/ca-certificates.crt";

struct UpstreamTrust {
    std::string system_bundle = kSystemTrustBundle;  // "" for none (tests)
    std::vector<std::string> extra_ca_files;         // the profile's tls.extra_ca
};

class UpstreamTlsClient {
public:
    static Result<std::unique_ptr<UpstreamTlsClient>> create(const UpstreamTrust& trust);

    // `server_name` is the guest's SNI ("" when it sent none); then the
    // certificate must name `destination_ip`.
    Result<std::unique_ptr<TlsSession>> start_session(std::string_view server_name, std::string_view destination_ip);

    std::size_t trusted_certificate_count() const;

private:
    UpstreamTlsClient() = default;
    X509Certificate trust_anchors_;
    SslConfig config_;
};

}  // namespace askfirst::tls
