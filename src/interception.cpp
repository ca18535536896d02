// src/interception.cpp — startup of the shared services above TCP, and the
// daemon's side of the control socket (see the header).
#include "src/interception.h"

#include <cjson/cJSON.h>

#include "consent/cjson_handle.h"
#include "tls/elliptic_curve_offload.h"
#include "tls/modular_inverse_offload.h"
#include "tls/sha256_block_offload.h"
#include "src/credentials/credential_sources.h"
#include "src/credentials/sandbox_stubs.h"

#include <cstdlib>

namespace askfirst {

using Json = consent::JsonPtr;
using consent::print_json;

Result<std::unique_ptr<Interception>> Interception::start(uv_loop_t* loop, const Profile& profile,
                                                          const std::string& vm_name) {
    using Started = Result<std::unique_ptr<Interception>>;
    std::unique_ptr<Interception> interception(new Interception());
    interception->services_.log = OperatorLog(vm_name);
    interception->profile_name_ = profile.name;
    interception->vm_name_ = vm_name;
    if (auto tls = interception->start_tls(profile); !tls) return Started::failure(tls.error());
    if (auto decisions = interception->start_decisions(loop, profile, vm_name); !decisions)
        return Started::failure(decisions.error());
    auto& services = interception->services_;
    services.loop = loop;
    services.tls = interception->tls_.get();
    services.tls_refusals = &interception->tls_refusals_;
    services.decider = interception->decider_.get();
    services.make_timer = [loop] { return std::make_unique<UvFlowTimer>(loop); };
    services.vm_name = vm_name;
    services.max_inspect_bytes = static_cast<std::size_t>(profile.http_max_inspect_bytes);
    services.databases = profile.databases;
    return Started::success(std::move(interception));
}

Interception::~Interception() = default;

Status Interception::start_tls(const Profile& profile) {
    tls::TlsSettings settings;
    settings.extra_ca_files = profile.tls_extra_ca;
    settings.passthrough_patterns = profile.tls_passthrough;
    settings.learn_passthrough = profile.tls_learn_passthrough;
    auto interceptor = tls::TlsInterceptor::create(settings);
    if (!interceptor) return Status::failure(interceptor.error());
    tls_ = interceptor.take();
    if (!tls_->ca().strict_client_warning().empty())
        services_.log.line("event=ca_warning advice=\"" + tls_->ca().strict_client_warning() + "\"");
    const auto curves = tls::elliptic_curve_offload_status();
    if (curves != tls::EllipticCurveOffload::in_effect)
        services_.log.line("event=slow_ecp status=" + std::string(tls::elliptic_curve_offload_name(curves)) +
                           " reason=\"mbedTLS's own elliptic-curve arithmetic is in use (about ten times slower than "
                           "libcrypto's); new TLS connections will cost more CPU\"");
    const auto inverse = tls::modular_inverse_offload_status();
    if (inverse != tls::ModularInverseOffload::in_effect)
        services_.log.line("event=slow_inverse status=" + std::string(tls::modular_inverse_offload_name(inverse)) +
                           " reason=\"mbedTLS's own modular inverse is in use in ECDSA; new TLS connections will cost "
                           "more CPU\"");
    const auto sha256 = tls::sha256_block_offload_status();
    if (sha256 != tls::Sha256BlockOffload::in_effect)
        services_.log.line("event=slow_sha256 status=" + std::string(tls::sha256_block_offload_name(sha256)) +
                           " reason=\"mbedTLS's own SHA-256 is in use in the TLS handshakes; new TLS connections will "
                           "cost more CPU\"");
    return ok_status();
}

Status Interception::start_decisions(uv_loop_t* loop, const Profile& profile, const std::string& vm_name) {
    std::vector<std::pair<std::string, std::string>> entries{{"default", profile.default_mode}};
    for (const auto& [provider, mode] : profile.provider_modes) entries.emplace_back(provider, mode);
    auto modes = consent::parse_mode_table(entries);
    if (!modes) return Status::failure(modes.error());
    modes_ = modes.take();
    auto no_ui = consent::parse_no_ui(profile.consent_no_ui);
    if (!no_ui) return Status::failure("consent.no_ui: " + no_ui.error());
    auto audit = consent::AuditLog::open(consent::audit_directory(std::getenv("XDG_STATE_HOME"), std::getenv("HOME")),
                                         vm_name);
    if (!audit) return Status::failure("the audit log: " + audit.error());
    audit_.emplace(audit.take());
    audit_path_ = audit_->path().string();

    consent::BrokerSettings settings;
    settings.question_timeout = std::chrono::seconds(profile.consent_timeout_s);
    consent_ = std::make_unique<ConsentService>(loop, settings, *this, profile.name, vm_name);
    if (auto control = consent_->start_control_socket(); !control)
        return Status::failure("the control socket: " + control.error());
    // Every credential source is read now: one that fails stops startup, naming the entry.
    auto broker = credentials::broker_for_profile(profile);
    if (!broker) return Status::failure(broker.error());
    credentials_ = broker.take();
    // A kube client certificate goes in the upstream handshake to its hosts only.
    for (const auto& certificate : credentials_->client_certificates()) {
        auto added = tls_->add_upstream_client_certificate(
            {"credentials \"" + certificate.name + "\"", certificate.hosts, certificate.certificate_pem, certificate.key_pem});
        if (!added) return Status::failure(added.error());
    }
    sandbox_stubs_ = credentials::sandbox_stubs_json(profile, *credentials_);
    decider_ = std::make_unique<RequestDecider>(
        loop, modes_, *audit_, *consent_,
        DecisionSettings{vm_name, profile.name, no_ui.value(), std::chrono::seconds(profile.consent_listener_grace_s),
                         profile.credentials.empty() ? nullptr : credentials_.get()});
    return ok_status();
}

std::unique_ptr<netstack::FlowPipeline> Interception::make_pipeline(const netstack::FlowInfo&) {
    return std::make_unique<InterceptingPipeline>(services_);
}

const std::string& Interception::control_socket_path() const { return consent_->control_socket_path(); }
const std::string& Interception::audit_log_path() const { return audit_path_; }

// ---- the control socket's view of the daemon ----

std::string Interception::modes_json() {
    Json modes(cJSON_CreateObject());
    cJSON_AddStringToObject(modes.get(), "default", std::string(consent::mode_name(modes_.default_mode())).c_str());
    for (const auto& [provider, mode] : modes_.per_provider())
        cJSON_AddStringToObject(modes.get(), provider.c_str(), std::string(consent::mode_name(mode)).c_str());
    return print_json(modes.get());
}

std::string Interception::status_json() {
    Json status(cJSON_CreateObject());
    cJSON_AddStringToObject(status.get(), "name", vm_name_.c_str());
    cJSON_AddStringToObject(status.get(), "profile", profile_name_.c_str());
    cJSON_AddItemToObject(status.get(), "modes", cJSON_Parse(modes_json().c_str()));
    cJSON_AddNumberToObject(status.get(), "flows", static_cast<double>(count_flows_ ? count_flows_() : 0));
    cJSON_AddStringToObject(status.get(), "ca_fingerprint", tls_->ca().sha256_fingerprint().c_str());
    if (!tls_->ca().strict_client_warning().empty())
        cJSON_AddStringToObject(status.get(), "ca_warning", tls_->ca().strict_client_warning().c_str());
    cJSON_AddItemToObject(status.get(), "tls_refusals", cJSON_Parse(tls_refusals_.status_json().c_str()));
    cJSON_AddStringToObject(status.get(), "audit_log", audit_path_.c_str());
    return print_json(status.get());
}

std::string Interception::set_mode(const std::string& provider, const std::string& mode) {
    auto parsed = consent::parse_mode(mode);
    if (!parsed) return parsed.error();
    if (provider.empty()) return "an empty provider name";
    if (provider == "default") modes_.set_default(parsed.value());
    else modes_.set(provider, parsed.value());
    services_.log.line("event=mode_set provider=" + provider + " mode=" + mode + " by=control");
    return "";
}

std::string Interception::audit_tail_json(std::size_t lines) {
    auto read = consent::read_audit_file(audit_->path());
    std::string list = "[";
    if (read) {
        const auto& records = read->records;
        const std::size_t first = records.size() > lines ? records.size() - lines : 0;
        for (std::size_t i = first; i < records.size(); ++i) list += (list.size() > 1 ? "," : "") + records[i];
    }
    return list + "]";
}

}  // namespace askfirst
