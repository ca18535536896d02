// src/credentials/credential_broker.h — the credential broker (issue 13):
// real secrets on the host, stubs in the sandbox, the real one put in only
// for the hosts its entry lists and only after the request was decided.
//
// Where it sits on the data path (src/request_decider.cpp):
//
//   DecideRequest ─► examine(request, provider)    BEFORE policy and consent:
//                      a stub sent to a host its entry does not list ─► refused, session quarantined
//                      a SigV4 signature of the stub key that does not verify ─► refused
//                      a real-looking credential askfirst did not issue ─► unissued_credentials
//                    classify → mode → consent → audit line
//                  ─► inject(request) ONLY for a passed request: the HeadEdits that put the
//                      real secret where the stub stands (the header of its kind; AWS: a new
//                      signature), applied by the HTTP session as the head goes upstream.
//
// Sans-io: the broker is given its entries with their real values already
// resolved and a Resolver per entry that it calls again only when a value
// expires (AWS process credentials' Expiration); reading env/file/command
// is src/credentials/credential_sources.h. No method returns or logs a real
// value: findings and errors name the entry, never its secret.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/base/result.h"
#include "classifiers/classification.h"
#include "src/credentials/secret_bytes.h"
#include "src/http/head_edits.h"

namespace askfirst::credentials {

enum class CredentialKind { bearer, header, basic, aws_sigv4, kube };
std::optional<CredentialKind> parse_credential_kind(std::string_view name);
std::string_view credential_kind_name(CredentialKind kind);

using SystemClock = std::chrono::system_clock;

// A real credential as its source gave it.
struct RealCredential {
    SecretBytes value;               // bearer, header, kube: the token; basic: "user:password"
    SecretBytes access_key_id;       // aws-sigv4
    SecretBytes secret_access_key;   // aws-sigv4
    SecretBytes session_token;       // aws-sigv4, may be empty
    std::string client_certificate;  // kube with a client certificate: its PEM chain (public)
    SecretBytes client_key;          // kube with a client certificate: its PEM private key
    std::optional<SystemClock::time_point> expires_at;  // refreshed before this
};

// What the sandbox holds instead (not secret: worthless outside askfirst).
struct StubCredential {
    std::string value;               // bearer, header, kube: the token; basic: "user:password"
    std::string access_key_id;       // aws-sigv4
    std::string secret_access_key;   // aws-sigv4
    std::string session_token;       // aws-sigv4, set when the real one has a token
    std::string client_certificate;  // kube with a client certificate: a self-signed stub (PEM)
    std::string client_key;          // ... and its key (PEM): worthless, askfirstd never asks for it
};

// Re-reads an entry's source; a failure (naming no secret) when it cannot.
using Resolver = std::function<Result<RealCredential>()>;

struct BrokerEntry {
    std::string name;
    CredentialKind kind = CredentialKind::bearer;
    std::string header;               // kind header: the header that carries it
    std::vector<std::string> hosts;   // "api.github.com", "*.amazonaws.com"
    std::string profile_stub;         // the profile's `stub`, empty: generated
    RealCredential real;
    Resolver refresh;                 // may be empty: the value never expires
};

// profile `unissued_credentials`; unset: prompt on a listed host, allow elsewhere.
enum class UnissuedAction { prompt, block, allow };

struct CredentialFinding {
    enum class Kind {
        none,
        stub_leak,        // a stub sent to a host its entry does not list
        refused,          // the credential cannot be used as sent (bad SigV4 signature, malformed)
        unissued,         // a real-looking credential askfirst did not issue
    };
    Kind kind = Kind::none;
    std::string entry;          // stub_leak, refused: the entry's name
    std::string where;          // "the Authorization header", "the body", ...
    std::string provider;       // unissued: whose credential it looks like
    std::string fingerprint;    // unissued: token_fingerprint(), names it without showing it
    UnissuedAction action = UnissuedAction::allow;  // unissued: what the profile says to do
    std::string reason;         // one sentence for the 403 and the audit line (no secret in it)
};

// What inject() puts in; its failure says why the real secret could not be
// put in (refuse the request).
struct Injection {
    http::HeadEdits edits;
    std::shared_ptr<http::BodyRewriter> body;  // an aws-chunked upload's chunk signatures
};

class CredentialBroker {
public:
    // Generates the stubs the profile does not give. Fails (naming the entry)
    // when a profile stub is unusable for its kind.
    static Result<std::unique_ptr<CredentialBroker>> create(std::vector<BrokerEntry> entries,
                                                            std::optional<UnissuedAction> unissued);

    CredentialFinding examine(const classifiers::HttpRequest& request, std::string_view provider) const;
    // For a request that passed: the edits that put the real secrets in.
    // `server_proven`: the request goes over TLS to a server whose certificate
    // askfirstd verified for the request's host (the SNI, which the Host must
    // equal). Without that (plain HTTP) the guest chose the address and the
    // Host header alike, so a real secret would go wherever it pointed: a
    // request that would get one is refused instead.
    Result<Injection> inject(const classifiers::HttpRequest& request, SystemClock::time_point now, bool server_proven);

    struct EntryView {
        const std::string& name;
        CredentialKind kind;
        const std::vector<std::string>& hosts;
        const StubCredential& stub;
    };
    std::vector<EntryView> entries() const;

    // The kube entries with a client certificate: what the upstream TLS client
    // presents to their hosts (tls/upstream_tls_client.h). The key is a view of
    // the broker's protected copy; the caller wipes whatever it copies it into.
    struct ClientCertificateView {
        const std::string& name;
        const std::vector<std::string>& hosts;
        const std::string& certificate_pem;
        std::string_view key_pem;
    };
    std::vector<ClientCertificateView> client_certificates() const;
    bool host_listed(std::string_view host) const;

private:
    struct Entry {
        BrokerEntry config;
        StubCredential stub;
        std::string stub_password;  // basic: the password part of the stub (what a leak is searched for)
    };
    explicit CredentialBroker(std::optional<UnissuedAction> unissued) : unissued_(unissued) {}
    static bool host_matches(const std::vector<std::string>& patterns, std::string_view host);
    std::vector<std::string_view> stub_markers(const Entry& entry) const;
    Status refresh_if_expired(Entry& entry, SystemClock::time_point now);
    void inject_token(const Entry& entry, const classifiers::HttpRequest& request, http::HeadEdits& edits) const;
    CredentialFinding check_sigv4(const classifiers::HttpRequest& request) const;
    Result<Injection> inject_edits(const classifiers::HttpRequest& request, SystemClock::time_point now);

    std::vector<Entry> entries_;
    std::optional<UnissuedAction> unissued_;
};

// Hosts match as in tls.passthrough: "a.example" exactly, "*.example" any name below it.
bool host_pattern_matches(std::string_view pattern, std::string_view host);

}  // namespace askfirst::credentials
