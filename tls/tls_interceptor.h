// tls/tls_interceptor.h — the one object askfirstd makes at startup for
// TLS: the CA (loaded or created), the guest-side server, the upstream
// client with the profile's trust, and the passthrough list. The flow
// pipeline in src/ asks it, per flow, what to do with a ClientHello and
// for the two sessions of an intercepted flow.
//
// Startup:   auto tls = TlsInterceptor::create({profile.tls.extra_ca, profile.tls.passthrough});
//            if (!tls) → print tls.error() and exit: a CA or trust problem is
//            a startup error, never a silently weaker setup.
// Per flow, on guest bytes (see protocol_detect.h, client_hello.h):
//     detect_protocol() == tls_client_hello → parse_client_hello() until complete
//     invalid → close the flow, log the error
//     tls.plan_for(hello) == passthrough → splice TCP as an opaque flow
//     else: auto flow = tls.open_flow(hello, destination_ip);
//           flow.guest drives the guest TCP connection at once (its
//           ServerHello is queued); flow.upstream starts when the upstream
//           TCP connection is up (advance() then flush). Both handshakes run
//           side by side; the HTTP session reads requests from flow.guest
//           and writes them to flow.upstream once it is established.
//     flow.upstream fails with upstream_certificate_invalid → nothing is
//           relayed; each request on flow.guest gets a 502 with its reason.
//     flow.guest fails with guest_rejected_certificate → tls.remember_refusal(sni):
//           the next flow to that host is passed through.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tls/ca_store.h"
#include "tls/client_hello.h"
#include "tls/guest_tls_server.h"
#include "tls/passthrough_hosts.h"
#include "tls/tls_result.h"
#include "tls/tls_session.h"
#include "tls/upstream_tls_client.h"

namespace askfirst::tls {

struct TlsSettings {
    std::vector<std::string> extra_ca_files;       // profile tls.extra_ca
    std::vector<std::string> passthrough_patterns;  // profile tls.passthrough
    std::string system_trust_bundle = kSystemTrustBundle;
    std::string ca_directory;  // "" = $XDG_DATA_HOME/askfirst/ca (tests set a temporary one)
};

enum class TlsPlan { intercept, passthrough };

struct InterceptedFlowTls {
    std::unique_ptr<TlsSession> guest;     // our server, facing the guest
    std::unique_ptr<TlsSession> upstream;  // our client, facing the real server
};

class TlsInterceptor {
public:
    static Result<std::unique_ptr<TlsInterceptor>> create(const TlsSettings& settings);

    TlsPlan plan_for(const ClientHello& hello) const;
    Result<InterceptedFlowTls> open_flow(const ClientHello& hello, std::string_view destination_ip);
    // The guest refused our certificate for `host`: pass it through from now on.
    void remember_refusal(std::string_view host);

    CertificateAuthority& ca() { return *ca_; }
    GuestTlsServer& guest_server() { return *guest_server_; }

private:
    TlsInterceptor() = default;
    std::unique_ptr<CertificateAuthority> ca_;
    std::unique_ptr<GuestTlsServer> guest_server_;
    std::unique_ptr<UpstreamTlsClient> upstream_client_;
    PassthroughHosts passthrough_;
};

}  // namespace askfirst::tls
