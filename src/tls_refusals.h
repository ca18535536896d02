// src/tls_refusals.h — the guest's refusals of askfirst's certificate, kept
// where a person looks: the sentence for the operator log and the audit line
// (the tray's recent decisions), and the recent ones for `askfirst status`.
//
// Why it matters (issue 11): a refusal used to turn interception off for the
// host; now it does not (tls/tls_interceptor.h), so a client that does not
// trust askfirst's CA keeps failing, and the person must be able to see why
// and what to do ("install the askfirst CA: see `askfirst ca`").
//
// Bounded: the kMaxHosts most recent hosts, one entry each with a count.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>

#include "tls/tls_interceptor.h"

namespace askfirst {

struct TlsRefusal {
    std::string host;      // the SNI, or the address dialed
    std::string provider;  // the provider that claims the host, or empty
    std::string alert;     // "unknown_ca", "decrypt_error", ...
    tls::RefusalLearning learning = tls::RefusalLearning::kept_intercepting;
};

// One sentence a person can act on: who refused what, and where to look.
std::string tls_refusal_sentence(const TlsRefusal& refusal);

class TlsRefusals {
public:
    // A guest refusing every certificate must not grow this: 32 hosts is more
    // than a status screen shows usefully.
    static constexpr std::size_t kMaxHosts = 32;

    void note(const TlsRefusal& refusal, std::chrono::system_clock::time_point at = std::chrono::system_clock::now());
    // [{"host","provider","alert","action","count","last","advice"}...], newest first.
    std::string status_json() const;

private:
    struct Entry {
        TlsRefusal refusal;
        std::size_t count = 0;
        std::chrono::system_clock::time_point last;
    };
    std::deque<Entry> recent_;  // newest first
};

}  // namespace askfirst
