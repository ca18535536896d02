// tls/tls_interceptor.h — the one object askfirstd makes at startup for
// TLS: the CA (loaded or created), the guest-side server, the upstream
// client with the profile's trust, the passthrough list, and what a guest's
// refusal of askfirst's certificate may change. The flow pipeline in src/
// asks it, per flow, what to do with a ClientHello and for the two sessions
// of an intercepted flow.
//
// Startup:   auto tls = TlsInterceptor::create({profile.tls.extra_ca, profile.tls.passthrough, ...});
//            if (!tls) → print tls.error() and exit: a CA or trust problem is
//            a startup error, never a silently weaker setup.
// Per flow, on guest bytes (see src/first_bytes_detection.h, client_hello.h):
//     the detector table's tls row matches → parse_client_hello() until complete
//     invalid → close the flow, log the error
//     tls.plan_for(sni, resolved name) == passthrough → splice TCP as an opaque
//           flow (src/ judges it: as the claiming provider's worst tier when a
//           provider claims the host, see src/request_decision.h)
//     else: start_guest_session(hello, ip) at once (its ServerHello is
//           queued); start_upstream_session(sni, ip) once a request passed and
//           the upstream TCP connection is up. The HTTP session reads requests
//           from the guest session and writes them to the upstream one once it
//           is established.
//     the upstream fails with upstream_certificate_invalid → nothing is
//           relayed; each request on the guest session gets a 502 with its reason.
//     the guest fails with guest_rejected_certificate →
//           tls.on_certificate_refused(host, claimed): see RefusalLearning.
//
// Why a refusal does not turn interception off by default (issue 11): any
// program in the guest decides whether it trusts askfirst's CA. If one
// failed handshake made the next flow to that host a blind splice, an agent
// could open an unread tunnel to any API by running one client that refuses
// the CA and then another that does not check at all. So refusals are only
// learned with the profile's `tls.learn_passthrough` (default off), and never
// for a host a provider classifier claims.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tls/ca_store.h"
#include "tls/client_hello.h"
#include "tls/guest_tls_server.h"
#include "tls/passthrough_hosts.h"
#include "src/base/result.h"
#include "tls/tls_session.h"
#include "tls/upstream_alpn_memory.h"
#include "tls/upstream_tls_client.h"

namespace askfirst::tls {

struct TlsSettings {
    std::vector<std::string> extra_ca_files;       // profile tls.extra_ca
    std::vector<std::string> passthrough_patterns;  // profile tls.passthrough
    bool learn_passthrough = false;                 // profile tls.learn_passthrough
    std::string system_trust_bundle = kSystemTrustBundle;
    std::string ca_directory;  // "" = $XDG_DATA_HOME/askfirst/ca (tests set a temporary one)
};

enum class TlsPlan { intercept, passthrough };

// What a guest's refusal of askfirst's certificate changed for later flows.
enum class RefusalLearning {
    kept_intercepting,      // the default: the client keeps failing until it trusts the CA
    passthrough_next_time,  // tls.learn_passthrough, a host no provider claims, room in the list
};
std::string_view refusal_learning_name(RefusalLearning learning);

class TlsInterceptor {
public:
    static Result<std::unique_ptr<TlsInterceptor>> create(const TlsSettings& settings);

    // Passthrough only when both the SNI and the name the guest resolved
    // through askfirst's DNS to the address it dialed (`resolved_name`, empty
    // when it resolved none) are listed. The guest chooses its SNI freely: a
    // listed SNI sent to an address it did not look up for that name (say a
    // cloud API's address, hard-coded) would splice a request for that API
    // unread; such a flow is intercepted instead (the pinned client fails).
    TlsPlan plan_for(std::string_view sni, std::string_view resolved_name) const;
    // Offer h2 to this guest? Not when it also offers http/1.1 and the
    // upstream (UpstreamAlpnMemory::key) answered askfirstd's h2 offer with
    // HTTP/1.1 lately: the guest then speaks what the server speaks.
    bool offer_h2_to_guest(const ClientHello& hello, const std::string& upstream,
                           UpstreamAlpnMemory::Clock::time_point now) const;
    // What the upstream's TLS settled on, when askfirstd offered it h2.
    void remember_upstream_alpn(const std::string& upstream, std::string_view negotiated_alpn,
                                UpstreamAlpnMemory::Clock::time_point now);
    Result<std::unique_ptr<TlsSession>> start_guest_session(const ClientHello& hello, std::string_view destination_ip,
                                                            bool offer_h2 = true);
    Result<std::unique_ptr<TlsSession>> start_upstream_session(std::string_view sni, std::string_view destination_ip,
                                                               bool offer_h2 = false);
    // The guest refused our certificate for `host`; `claimed_by_provider`:
    // a provider classifier claims the host (classifiers/host_claims.h).
    RefusalLearning on_certificate_refused(std::string_view host, bool claimed_by_provider);

    // A kube credential's real client certificate for its hosts (UpstreamTlsClient).
    Status add_upstream_client_certificate(const UpstreamClientCertificate& certificate) {
        return upstream_client_->add_client_certificate(certificate);
    }

    CertificateAuthority& ca() { return *ca_; }
    GuestTlsServer& guest_server() { return *guest_server_; }

private:
    TlsInterceptor() = default;
    std::unique_ptr<CertificateAuthority> ca_;
    std::unique_ptr<GuestTlsServer> guest_server_;
    std::unique_ptr<UpstreamTlsClient> upstream_client_;
    PassthroughHosts passthrough_;
    UpstreamAlpnMemory upstream_alpn_;
    bool learn_passthrough_ = false;
};

}  // namespace askfirst::tls
