// tls/tls_interceptor.cpp — startup of the TLS layer, the per-flow plan, and
// what a refusal of our certificate may change (see the header).
#include "tls/tls_interceptor.h"

namespace askfirst::tls {

std::string_view refusal_learning_name(RefusalLearning learning) {
    switch (learning) {
    case RefusalLearning::kept_intercepting: return "kept_intercepting";
    case RefusalLearning::passthrough_next_time: return "passthrough_next_time";
    }
    return "kept_intercepting";
}

Result<std::unique_ptr<TlsInterceptor>> TlsInterceptor::create(const TlsSettings& settings) {
    using R = Result<std::unique_ptr<TlsInterceptor>>;
    std::unique_ptr<TlsInterceptor> interceptor(new TlsInterceptor());
    auto passthrough = PassthroughHosts::from_patterns(settings.passthrough_patterns);
    if (!passthrough) return R::failure(passthrough.error());
    interceptor->passthrough_ = passthrough.take();
    interceptor->learn_passthrough_ = settings.learn_passthrough;
    auto location = settings.ca_directory.empty() ? CaLocation::from_environment()
                                                  : Result<CaLocation>::success(CaLocation::in_directory(settings.ca_directory));
    if (!location) return R::failure(location.error());
    auto ca = CertificateAuthority::load_or_create(location.value());
    if (!ca) return R::failure("the askfirst CA: " + ca.error());
    interceptor->ca_ = ca.take();
    auto guest_server = GuestTlsServer::create(*interceptor->ca_);
    if (!guest_server) return R::failure("TLS server setup: " + guest_server.error());
    interceptor->guest_server_ = guest_server.take();
    auto upstream = UpstreamTlsClient::create({settings.system_trust_bundle, settings.extra_ca_files});
    if (!upstream) return R::failure("upstream TLS trust (tls.extra_ca): " + upstream.error());
    interceptor->upstream_client_ = upstream.take();
    return R::success(std::move(interceptor));
}

TlsPlan TlsInterceptor::plan_for(std::string_view sni, std::string_view resolved_name) const {
    const bool listed = !sni.empty() && !resolved_name.empty() && passthrough_.matches(sni) &&
                        passthrough_.matches(resolved_name);
    return listed ? TlsPlan::passthrough : TlsPlan::intercept;
}

bool TlsInterceptor::offer_h2_to_guest(const ClientHello& hello, const std::string& upstream,
                                       UpstreamAlpnMemory::Clock::time_point now) const {
    return !(hello.offers_alpn("http/1.1") && upstream_alpn_.speaks_only_http1(upstream, now));
}

void TlsInterceptor::remember_upstream_alpn(const std::string& upstream, std::string_view negotiated_alpn,
                                            UpstreamAlpnMemory::Clock::time_point now) {
    upstream_alpn_.remember(upstream, negotiated_alpn, now);
}

Result<std::unique_ptr<TlsSession>> TlsInterceptor::start_guest_session(const ClientHello& hello,
                                                                       std::string_view destination_ip,
                                                                       bool offer_h2) {
    return guest_server_->start_session(hello, destination_ip, offer_h2);
}

Result<std::unique_ptr<TlsSession>> TlsInterceptor::start_upstream_session(std::string_view sni,
                                                                          std::string_view destination_ip,
                                                                          bool offer_h2) {
    return upstream_client_->start_session(sni, destination_ip, offer_h2);
}

RefusalLearning TlsInterceptor::on_certificate_refused(std::string_view host, bool claimed_by_provider) {
    if (!learn_passthrough_ || claimed_by_provider || host.empty()) return RefusalLearning::kept_intercepting;
    passthrough_.add_exact_host(host);
    return passthrough_.matches(host) ? RefusalLearning::passthrough_next_time : RefusalLearning::kept_intercepting;
}

}  // namespace askfirst::tls
