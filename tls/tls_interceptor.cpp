// tls/tls_interceptor.cpp — startup of the TLS layer and the per-flow plan.
#include "tls/tls_interceptor.h"

namespace askfirst::tls {

Result<std::unique_ptr<TlsInterceptor>> TlsInterceptor::create(const TlsSettings& settings) {
    using R = Result<std::unique_ptr<TlsInterceptor>>;
    std::unique_ptr<TlsInterceptor> interceptor(new TlsInterceptor());
    auto passthrough = PassthroughHosts::from_patterns(settings.passthrough_patterns);
    if (!passthrough) return R::failure(passthrough.error());
    interceptor->passthrough_ = passthrough.take();
    auto location = settings.ca_directory.empty() ? CaLocation::from_environment()
                                                  : Result<CaLocation>::success(CaLocation::in_directory(settings.ca_directory));
    if (!location) return R::failure(location.error());
    auto ca = CertificateAuthority::load_or_create(location.value());
    if (!ca) return R::failure(ca.error());
    interceptor->ca_ = ca.take();
    auto guest_server = GuestTlsServer::create(*interceptor->ca_);
    if (!guest_server) return R::failure(guest_server.error());
    interceptor->guest_server_ = guest_server.take();
    auto upstream = UpstreamTlsClient::create({settings.system_trust_bundle, settings.extra_ca_files});
    if (!upstream) return R::failure(upstream.error());
    interceptor->upstream_client_ = upstream.take();
    return R::success(std::move(interceptor));
}

TlsPlan TlsInterceptor::plan_for(const ClientHello& hello) const {
    return !hello.server_name.empty() && passthrough_.matches(hello.server_name) ? TlsPlan::passthrough : TlsPlan::intercept;
}

Result<InterceptedFlowTls> TlsInterceptor::open_flow(const ClientHello& hello, std::string_view destination_ip) {
    using R = Result<InterceptedFlowTls>;
    auto guest = guest_server_->start_session(hello, destination_ip);
    if (!guest) return R::failure(guest.error());
    auto upstream = upstream_client_->start_session(hello.server_name, destination_ip);
    if (!upstream) return R::failure(upstream.error());
    return R::success(InterceptedFlowTls{guest.take(), upstream.take()});
}

void TlsInterceptor::remember_refusal(std::string_view host) { passthrough_.add_exact_host(host); }

}  // namespace askfirst::tls
