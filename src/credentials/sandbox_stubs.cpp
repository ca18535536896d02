// src/credentials/sandbox_stubs.cpp — the stubs JSON for the sandbox (see the header).
#include "src/credentials/sandbox_stubs.h"

#include "consent/cjson_handle.h"
#include "src/credentials/credential_sources.h"

namespace askfirst::credentials {

std::string sandbox_stubs_json(const Profile& profile, const CredentialBroker& broker) {
    if (profile.credentials.empty()) return "";
    consent::JsonPtr root(cJSON_CreateObject());
    cJSON* list = cJSON_AddArrayToObject(root.get(), "credentials");
    const auto views = broker.entries();
    for (std::size_t i = 0; i < views.size() && i < profile.credentials.size(); ++i) {
        const auto& view = views[i];
        const CredentialSpec& spec = profile.credentials[i];
        cJSON* item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "name", view.name.c_str());
        cJSON_AddStringToObject(item, "kind", std::string(credential_kind_name(view.kind)).c_str());
        cJSON* hosts = cJSON_AddArrayToObject(item, "hosts");
        for (const auto& host : view.hosts) cJSON_AddItemToArray(hosts, cJSON_CreateString(host.c_str()));
        cJSON* guest_env = cJSON_AddArrayToObject(item, "guest_env");
        for (const auto& name : spec.guest_env) cJSON_AddItemToArray(guest_env, cJSON_CreateString(name.c_str()));
        if (spec.source.env) cJSON_AddStringToObject(item, "source_env", spec.source.env->c_str());
        if (spec.source.file) cJSON_AddStringToObject(item, "source_file", expand_home(*spec.source.file).c_str());
        if (spec.source.key_file)
            cJSON_AddStringToObject(item, "source_key_file", expand_home(*spec.source.key_file).c_str());
        if (!view.stub.value.empty()) cJSON_AddStringToObject(item, "stub", view.stub.value.c_str());
        if (!view.stub.client_certificate.empty()) {
            cJSON_AddStringToObject(item, "client_certificate", view.stub.client_certificate.c_str());
            cJSON_AddStringToObject(item, "client_key", view.stub.client_key.c_str());
        }
        if (view.kind == CredentialKind::aws_sigv4) {
            cJSON_AddStringToObject(item, "access_key_id", view.stub.access_key_id.c_str());
            cJSON_AddStringToObject(item, "secret_access_key", view.stub.secret_access_key.c_str());
            if (!view.stub.session_token.empty())
                cJSON_AddStringToObject(item, "session_token", view.stub.session_token.c_str());
        }
        cJSON_AddItemToArray(list, item);
    }
    return consent::print_json(root.get());
}

}  // namespace askfirst::credentials
