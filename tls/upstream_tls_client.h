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
// Lifetime: the UpstreamTlsClient must outlive every session it made (they
// use its config, trust store and resumption cache).
#pragma once

#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tls/mbedtls_handles.h"
#include "tls/passthrough_hosts.h"
#include "tls/protected_private_key.h"
#include "src/base/result.h"
#include "tls/tls_session.h"

namespace askfirst::tls {

constexpr const char* kSystemTrustBundle = "/etc/ssl/certs/ca-certificates.crt";

// Upstream sessions kept for resumption, per (name checked, address dialed):
// a resumed handshake skips ECDHE and the chain verification, the two
// costly steps of a new upstream flow. ~0.5 KiB each (session + ticket).
constexpr std::size_t kUpstreamSessionCacheEntries = 256;
// A session older than this is not offered again: one hour keeps the
// certificate check recent (a ticket skips it) while covering bursts of
// connections an agent makes.
constexpr std::time_t kUpstreamSessionMaxAgeSeconds = 3600;

// The resumable upstream sessions, least recently stored dropped first.
class UpstreamSessionCache {
public:
    // A session verified for `key` when it was made, or null.
    const mbedtls_ssl_session* find(const std::string& key, std::time_t now);
    void store(const std::string& key, const mbedtls_ssl_context* ssl, std::time_t now);
    std::size_t size() const { return entries_.size(); }

private:
    struct Entry {
        std::string key;
        std::time_t stored = 0;
        std::unique_ptr<SslSession> session;
    };
    std::vector<Entry> entries_;  // oldest first; small, so a vector is plenty
};

// A client certificate askfirstd presents to some upstream hosts (a kube
// credential, src/credentials/credential_broker.h): the real certificate
// and key, which never enter the sandbox. `hosts` are patterns as in
// tls.passthrough, matched against the name the session checks (the SNI, or
// the dialed IP without one), so only a server that proved it is a listed
// host ever sees the certificate or a signature of its key.
struct UpstreamClientCertificate {
    std::string label;                // "credentials \"kube\"", for errors
    std::vector<std::string> hosts;
    std::string_view certificate_pem;
    std::string_view key_pem;         // the caller's secret; only parsed, never copied beyond a wiped buffer
};

struct UpstreamTrust {
    std::string system_bundle = kSystemTrustBundle;  // "" for none (tests)
    std::vector<std::string> extra_ca_files;         // the profile's tls.extra_ca
};

class UpstreamTlsClient {
public:
    static Result<std::unique_ptr<UpstreamTlsClient>> create(const UpstreamTrust& trust);

    // `server_name` is the guest's SNI ("" when it sent none); then the
    // certificate must name `destination_ip`, the address the guest dialed
    // (before any upstream.map rewrite: the name checked is the guest's).
    // The TCP connection itself is the shell's, to wherever the map says.
    // `offer_h2`: ALPN offers h2 before http/1.1 (a guest speaking HTTP/2).
    Result<std::unique_ptr<TlsSession>> start_session(std::string_view server_name, std::string_view destination_ip,
                                                      bool offer_h2 = false);

    // From now on sessions to `certificate.hosts` present it. Fails (naming
    // the label) when the certificate or key does not parse, they are not a
    // pair, or a host pattern is not one; a host already covered is refused.
    // The parsed key's secret numbers are kept in pages excluded from core
    // dumps (tls/protected_private_key.h).
    Status add_client_certificate(const UpstreamClientCertificate& certificate);
    bool presents_client_certificate_to(std::string_view checked_name) const;

    std::size_t trusted_certificate_count() const;
    std::size_t resumable_sessions() const { return sessions_.size(); }

private:
    UpstreamTlsClient() = default;
    X509Certificate trust_anchors_;
    SslConfig config_;
    SslConfig config_h2_;
    // Two more configs per client certificate (mbedTLS 2.28 sets a client's
    // own certificate per config only).
    struct ClientCertificateConfigs {
        PassthroughHosts hosts;
        X509Certificate certificate;
        ProtectedPrivateKey key;  // its secret numbers excluded from core dumps
        SslConfig config;
        SslConfig config_h2;
    };
    const ClientCertificateConfigs* client_certificate_for(std::string_view checked_name) const;
    std::vector<std::unique_ptr<ClientCertificateConfigs>> client_certificates_;
    UpstreamSessionCache sessions_;
};

}  // namespace askfirst::tls
