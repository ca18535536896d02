// src/tls_refusals.cpp — refusal sentences and the recent list (see the header).
#include "src/tls_refusals.h"

#include <cjson/cJSON.h>

#include "consent/cjson_handle.h"

namespace askfirst {

std::string tls_refusal_sentence(const TlsRefusal& refusal) {
    std::string sentence = "a client in the guest did not accept askfirst's CA for " + refusal.host + " (alert " +
                           refusal.alert + "): see `askfirst ca`";
    if (refusal.learning == tls::RefusalLearning::passthrough_next_time)
        return sentence + "; tls.learn_passthrough is on, so later connections to " + refusal.host +
               " pass unread, judged as connections askfirst cannot read";
    return sentence + "; askfirst keeps reading " +
           (refusal.provider.empty() ? "this host" : "this " + refusal.provider + " host") +
           ", so that client fails until it trusts the CA";
}

void TlsRefusals::note(const TlsRefusal& refusal, std::chrono::system_clock::time_point at) {
    std::size_t count = 0;
    for (auto it = recent_.begin(); it != recent_.end(); ++it) {
        if (it->refusal.host != refusal.host) continue;
        count = it->count;
        recent_.erase(it);
        break;
    }
    recent_.push_front(Entry{refusal, count + 1, at});
    if (recent_.size() > kMaxHosts) recent_.pop_back();
}

std::string TlsRefusals::status_json() const {
    consent::JsonPtr list(cJSON_CreateArray());
    for (const Entry& entry : recent_) {
        cJSON* item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "host", entry.refusal.host.c_str());
        cJSON_AddStringToObject(item, "provider", entry.refusal.provider.c_str());
        cJSON_AddStringToObject(item, "alert", entry.refusal.alert.c_str());
        cJSON_AddStringToObject(item, "action", std::string(tls::refusal_learning_name(entry.refusal.learning)).c_str());
        cJSON_AddNumberToObject(item, "count", static_cast<double>(entry.count));
        cJSON_AddNumberToObject(item, "last",
                                static_cast<double>(std::chrono::system_clock::to_time_t(entry.last)));
        cJSON_AddStringToObject(item, "advice", tls_refusal_sentence(entry.refusal).c_str());
        cJSON_AddItemToArray(list.get(), item);
    }
    return consent::print_json(list.get());
}

}  // namespace askfirst
