// tls/guest_tls_server.h — the guest-facing TLS server of every intercepted
// flow: one per askfirstd process, shared by all flows.
//
// What it holds (once per process): the CA, the one leaf key, the leaf LRU
// (each leaf with its own small server config), the session-ticket keys and
// a server session cache. What each flow holds: one TlsSession (its
// mbedtls_ssl_context and two empty-when-idle queues) and a shared_ptr to
// its leaf.
//
// The flow shell, once parse_client_hello() said complete and the SNI is
// not a passthrough host:
//     auto session = guest_tls_server.start_session(hello, destination_ip);
//     if (!session) → close the flow, log session.error()
//     then feed any stream bytes after hello.consumed_bytes, and drive the
//     session as tls_session.h describes (its ServerHello is already
//     queued in pending_ciphertext()). The ClientHello alone can fail the
//     session (no common suite, only h2, only TLS 1.3): then state() is
//     already failed; flush the queued alert, close, log failure().reason.
//
// Lifetime: the GuestTlsServer must outlive every session it made (their
// configs use its ticket keys and session cache).
//
// The guest gets TLS 1.2 only (mbedTLS 2.28), ECDHE over X25519 or P-256,
// ECDSA P-256, AES-128/256-GCM or ChaCha20-Poly1305, ALPN h2 or "http/1.1"
// (http/1.1 only for an upstream that answered h2 with it; a client that
// offers neither fails cleanly with no_application_protocol),
// and cheap resumption by session ticket or session id.
#pragma once

#include <ctime>
#include <memory>
#include <string_view>

#include "tls/ca_store.h"
#include "tls/client_hello.h"
#include "tls/leaf_cache.h"
#include "tls/mbedtls_handles.h"
#include "src/base/result.h"
#include "tls/tls_session.h"

namespace askfirst::tls {

// Session tickets: keys rotate every lifetime, and a ticket is accepted for
// one lifetime after its key is retired. One day (mbedTLS's suggested value)
// covers a working day of reconnects.
constexpr int kTicketLifetimeSeconds = 24 * 3600;
// Server-side session cache, for guests that do not take tickets: ~200 B
// per entry (no client certificates), so 1000 entries are ~200 KiB at most.
constexpr int kSessionCacheEntries = 1000;
constexpr int kSessionCacheTimeoutSeconds = 3600;

// The name of a TLS alert description (RFC 5246 §7.2), e.g. "unknown_ca"; "alert" for others.
std::string_view tls_alert_name(int alert);

// Will the handshake with this ClientHello settle on ALPN "h2"? mbedTLS
// 2.28 picks the first protocol of OUR list the guest offers, so this is
// known before the handshake (the pipeline picks the HTTP session from it).
bool negotiates_h2(const ClientHello& hello);

class GuestTlsServer {
public:
    static Result<std::unique_ptr<GuestTlsServer>> create(CertificateAuthority& ca,
                                                          std::size_t leaf_cache_capacity = kLeafCacheCapacity);

    // `destination_ip` names the leaf when the ClientHello carries no SNI.
    // `offer_h2` false: ALPN http/1.1 only (the upstream answered h2 with it,
    // UpstreamAlpnMemory); then the session settles on h2 never.
    Result<std::unique_ptr<TlsSession>> start_session(const ClientHello& hello, std::string_view destination_ip,
                                                      bool offer_h2 = true);

    // The leaf for a name, from the cache or freshly minted (tests, `askfirst ca` diagnostics).
    Result<std::shared_ptr<LeafCertificate>> leaf_for(std::string_view name);
    const LeafCertificateCache& leaf_cache() const { return leaf_cache_; }
    std::uint64_t leaves_minted() const { return leaves_minted_; }

private:
    explicit GuestTlsServer(CertificateAuthority& ca, std::size_t leaf_cache_capacity);
    Status configure_for_leaf(LeafCertificate& leaf);
    Status configure_server(LeafCertificate& leaf, SslConfig& server_config, const char** alpn);

    CertificateAuthority& ca_;
    std::unique_ptr<PrivateKey> leaf_key_;
    LeafCertificateCache leaf_cache_;
    TicketKeys ticket_keys_;
    ServerSessionCache session_cache_;
    std::uint64_t leaves_minted_ = 0;
};

}  // namespace askfirst::tls
