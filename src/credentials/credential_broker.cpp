// src/credentials/credential_broker.cpp — stubs, findings and injection (see the header).
#include "src/credentials/credential_broker.h"

#include <algorithm>

#include "src/credentials/aws_chunked.h"
#include "src/credentials/aws_sigv4.h"
#include "src/credentials/stub_client_certificate.h"
#include "src/credentials/token_shapes.h"

namespace askfirst::credentials {
namespace {

using classifiers::HttpRequest;
using Kind = http::HeadEdit::Kind;

constexpr std::string_view kKindNames[] = {"bearer", "header", "basic", "aws-sigv4", "kube"};
static_assert(std::size(kKindNames) == static_cast<std::size_t>(CredentialKind::kube) + 1,
              "kKindNames must name every CredentialKind");
// A credential that expires is fetched again this long before it does
// (botocore refreshes 15 min ahead for its own mandatory refresh; 5 min is its advisory window).
constexpr std::chrono::minutes kRefreshAhead{5};
// AWS secret access keys are 40 characters; a stub secret has that shape.
constexpr std::size_t kAwsSecretLength = 40;

std::string_view password_of(std::string_view user_password) {
    const std::size_t colon = user_password.find(':');
    return colon == std::string_view::npos ? user_password : user_password.substr(colon + 1);
}

bool is_basic(std::string_view value) {
    return value.size() > 6 && classifiers::equals_ignoring_ascii_case(value.substr(0, 6), "basic ");
}

// Where a stub may stand in a request: every header value (Basic decoded
// too), the target, the inspected body.
std::string where_found(const HttpRequest& request, std::string_view marker) {
    for (const auto& header : request.headers) {
        if (header.value.find(marker) != std::string::npos) return "the " + header.name + " header";
        if (is_basic(header.value)) {
            if (auto decoded = base64_decode(std::string_view(header.value).substr(6))) {
                const bool found = decoded->find(marker) != std::string::npos;
                http::wipe_string(*decoded);
                if (found) return "the " + header.name + " header (Basic)";
            }
        }
    }
    if (request.path.find(marker) != std::string::npos) return "the URL path";
    if (request.query.find(marker) != std::string::npos) return "the query string";
    if (request.body.find(marker) != std::string::npos) return "the body";
    return "";
}

}  // namespace

std::optional<CredentialKind> parse_credential_kind(std::string_view name) {
    for (std::size_t i = 0; i < std::size(kKindNames); ++i)
        if (kKindNames[i] == name) return static_cast<CredentialKind>(i);
    return std::nullopt;
}

std::string_view credential_kind_name(CredentialKind kind) { return kKindNames[static_cast<std::size_t>(kind)]; }

bool host_pattern_matches(std::string_view pattern, std::string_view host) {
    if (pattern.starts_with("*.")) {
        const std::string_view suffix = pattern.substr(1);  // ".example"
        return host.size() > suffix.size() && classifiers::equals_ignoring_ascii_case(
                                                   host.substr(host.size() - suffix.size()), suffix);
    }
    return classifiers::equals_ignoring_ascii_case(pattern, host);
}

bool CredentialBroker::host_matches(const std::vector<std::string>& patterns, std::string_view host) {
    return std::any_of(patterns.begin(), patterns.end(),
                       [host](const std::string& pattern) { return host_pattern_matches(pattern, host); });
}

Result<std::unique_ptr<CredentialBroker>> CredentialBroker::create(std::vector<BrokerEntry> configs,
                                                                   std::optional<UnissuedAction> unissued) {
    using Created = Result<std::unique_ptr<CredentialBroker>>;
    std::unique_ptr<CredentialBroker> broker(new CredentialBroker(unissued));
    for (auto& given : configs) {
        Entry entry;
        entry.config = std::move(given);
        const BrokerEntry& config = entry.config;
        const RealCredential& real = config.real;
        StubCredential& stub = entry.stub;
        if (config.kind == CredentialKind::aws_sigv4) {
            stub.access_key_id = config.profile_stub.empty() ? stub_shaped_like(real.access_key_id.view())
                                                             : config.profile_stub;
            stub.secret_access_key = stub_shaped_like(real.secret_access_key.empty()
                                                          ? std::string(kAwsSecretLength, 'a')
                                                          : std::string(real.secret_access_key.view()));
            if (!real.session_token.empty()) stub.session_token = stub_shaped_like(real.session_token.view());
        } else if (config.kind == CredentialKind::basic) {
            const std::string_view user_password = real.value.view();
            const std::size_t colon = user_password.find(':');
            if (colon == std::string_view::npos)
                return Created::failure("credentials \"" + config.name +
                                        "\": kind basic needs its source to give user:password");
            if (!config.profile_stub.empty()) {
                stub.value = config.profile_stub.find(':') == std::string::npos
                                 ? std::string(user_password.substr(0, colon + 1)) + config.profile_stub
                                 : config.profile_stub;
            } else {
                stub.value = std::string(user_password.substr(0, colon + 1)) +
                             stub_shaped_like(user_password.substr(colon + 1));
            }
            entry.stub_password = std::string(password_of(stub.value));
        } else if (!real.client_key.empty()) {
            // A kube client certificate: the sandbox gets a stub pair; nothing
            // in a request stands for it (the real pair goes in the TLS handshake).
            auto pair = mint_stub_client_certificate(config.name);
            if (!pair) return Created::failure(pair.error());
            stub.client_certificate = std::move(pair->certificate_pem);
            stub.client_key = std::move(pair->key_pem);
        } else {
            stub.value = config.profile_stub.empty() ? stub_shaped_like(real.value.view()) : config.profile_stub;
        }
        for (const std::string_view marker : broker->stub_markers(entry)) {
            // 8 bytes, as the profile requires of a given stub: shorter would be found by chance.
            if (marker.size() < 8)
                return Created::failure("credentials \"" + config.name +
                                        "\": the real value is too short (under 8 characters) for a stub that cannot "
                                        "be found by chance; give a `stub` of 8 or more");
        }
        broker->entries_.push_back(std::move(entry));
    }
    return Created::success(std::move(broker));
}

// The strings whose presence in a request means "this entry's stub is here".
std::vector<std::string_view> CredentialBroker::stub_markers(const Entry& entry) const {
    switch (entry.config.kind) {
    case CredentialKind::aws_sigv4: {
        std::vector<std::string_view> markers{entry.stub.access_key_id};
        if (!entry.stub.session_token.empty()) markers.push_back(entry.stub.session_token);
        return markers;
    }
    case CredentialKind::basic: return {entry.stub_password};
    case CredentialKind::kube:
        if (entry.stub.value.empty()) return {};  // a client certificate
        return {entry.stub.value};
    default: return {entry.stub.value};
    }
}

bool CredentialBroker::host_listed(std::string_view host) const {
    return std::any_of(entries_.begin(), entries_.end(),
                       [host](const Entry& entry) { return host_matches(entry.config.hosts, host); });
}

CredentialFinding CredentialBroker::examine(const HttpRequest& request, std::string_view provider) const {
    // 1. A stub where it does not belong: a leak, whatever else the request is.
    for (const Entry& entry : entries_) {
        if (host_matches(entry.config.hosts, request.host)) continue;
        for (const std::string_view marker : stub_markers(entry)) {
            const std::string where = where_found(request, marker);
            if (where.empty()) continue;
            CredentialFinding finding;
            finding.kind = CredentialFinding::Kind::stub_leak;
            finding.entry = entry.config.name;
            finding.where = where;
            finding.reason = "a credential stub (askfirst credential \"" + entry.config.name + "\") was sent to " +
                             request.host + ", a host its entry does not list (in " + where +
                             "); the session is quarantined";
            return finding;
        }
    }
    // 2. A SigV4 signature of our stub key must verify with the stub secret.
    if (CredentialFinding sigv4 = check_sigv4(request); sigv4.kind != CredentialFinding::Kind::none) return sigv4;
    // 3. A real-looking credential that is not one of our stubs.
    const bool listed = host_listed(request.host);
    if (provider == "generic" && !listed) return {};
    for (const FoundToken& token : find_credential_tokens(request, provider)) {
        const bool ours = std::any_of(entries_.begin(), entries_.end(), [&](const Entry& entry) {
            for (const std::string_view marker : stub_markers(entry))
                if (token.value.find(marker) != std::string::npos) return true;
            return false;
        });
        if (ours) continue;
        CredentialFinding finding;
        finding.kind = CredentialFinding::Kind::unissued;
        finding.where = token.where;
        finding.provider = token.provider;
        finding.fingerprint = token_fingerprint(token.value);
        finding.action = unissued_.value_or(listed ? UnissuedAction::prompt : UnissuedAction::allow);
        finding.reason = "the agent is using a credential of " + token.provider + " that askfirst does not hold (" +
                         finding.fingerprint + ", in " + token.where + ")";
        return finding;
    }
    return {};
}

CredentialFinding CredentialBroker::check_sigv4(const HttpRequest& request) const {
    for (const Entry& entry : entries_) {
        if (entry.config.kind != CredentialKind::aws_sigv4 || !host_matches(entry.config.hosts, request.host)) continue;
        const auto read = read_sigv4(request);
        CredentialFinding finding;
        finding.kind = CredentialFinding::Kind::refused;
        finding.entry = entry.config.name;
        if (!read) {
            finding.reason = read.error();
            return finding;
        }
        const std::optional<SigV4Signature>& signature = read.value();
        if (!signature) return {};
        if (signature->access_key_id != entry.stub.access_key_id) continue;  // someone else's key: unissued
        const AwsKeys stub{entry.stub.access_key_id, entry.stub.secret_access_key, entry.stub.session_token};
        // Verified against itself: only the stub's verification matters here.
        const Result<Resigned> checked = verify_and_resign(request, *signature, stub, stub);
        if (checked) return {};
        finding.reason = checked.error() + " (askfirst credential \"" + entry.config.name + "\")";
        return finding;
    }
    return {};
}

Status CredentialBroker::refresh_if_expired(Entry& entry, SystemClock::time_point now) {
    const auto& expires_at = entry.config.real.expires_at;
    if (!expires_at || now + kRefreshAhead < *expires_at) return ok_status();
    if (!entry.config.refresh)
        return Status::failure("askfirst credential \"" + entry.config.name +
                               "\" has expired and its source cannot be read again");
    auto fresh = entry.config.refresh();
    if (!fresh)
        return Status::failure("askfirst credential \"" + entry.config.name +
                               "\" expired and could not be refreshed: " + fresh.error());
    entry.config.real = fresh.take();
    return ok_status();
}

// bearer, header, kube: the stub becomes the real token in the header of its
// kind, including inside a Basic pair (git over HTTPS sends a token as the
// password); basic: the pair. Never the request target: no client sends
// userinfo there (RFC 9110 §4.2.4), and a real password written into a path
// is logged and echoed back by servers (404 pages, redirects) to the guest.
void CredentialBroker::inject_token(const Entry& entry, const HttpRequest& request, http::HeadEdits& edits) const {
    const std::string_view real = entry.config.real.value.view();
    const std::string& stub = entry.stub.value;
    const bool basic = entry.config.kind == CredentialKind::basic;
    const std::string_view carrier = entry.config.kind == CredentialKind::header ? std::string_view(entry.config.header)
                                                                                 : std::string_view("Authorization");
    const bool in_carrier = std::any_of(request.headers.begin(), request.headers.end(), [&](const auto& header) {
        return classifiers::equals_ignoring_ascii_case(header.name, carrier) && header.value.find(stub) != std::string::npos;
    });
    if (!basic && in_carrier) edits.emplace_back(Kind::replace_in_header, std::string(carrier), stub, std::string(real));
    const std::string_view authorization = request.header("authorization");
    if (is_basic(authorization)) {
        if (auto decoded = base64_decode(authorization.substr(6))) {
            std::string replaced = *decoded;
            if (basic && password_of(*decoded) == entry.stub_password) {
                replaced = std::string(real);
            } else if (!basic) {
                for (std::size_t at = replaced.find(stub); at != std::string::npos;
                     at = replaced.find(stub, at + real.size()))
                    replaced.replace(at, stub.size(), real);
            }
            if (replaced != *decoded)
                edits.emplace_back(Kind::set_header, "Authorization", "", "Basic " + base64_encode(replaced));
            http::wipe_string(replaced);
            http::wipe_string(*decoded);
        }
    }
}

Result<Injection> CredentialBroker::inject(const HttpRequest& request, SystemClock::time_point now, bool server_proven) {
    Result<Injection> injection = inject_edits(request, now);
    if (injection && !injection->edits.empty() && !server_proven)
        return Result<Injection>::failure(
            "askfirst puts a real credential only into requests over TLS to a server that proved it is " + request.host +
            "; this request is plain HTTP, so it was refused");
    return injection;
}

Result<Injection> CredentialBroker::inject_edits(const HttpRequest& request, SystemClock::time_point now) {
    using Refused = Result<Injection>;
    Injection injection;
    for (Entry& entry : entries_) {
        if (!host_matches(entry.config.hosts, request.host)) continue;
        if (Status fresh = refresh_if_expired(entry, now); !fresh) return Refused::failure(fresh.error());
        if (entry.config.kind == CredentialKind::kube && entry.stub.value.empty()) continue;  // in the handshake
        if (entry.config.kind != CredentialKind::aws_sigv4) {
            inject_token(entry, request, injection.edits);
            continue;
        }
        const auto read = read_sigv4(request);
        if (!read || !read.value() || read.value()->access_key_id != entry.stub.access_key_id) continue;
        const SigV4Signature& signature = *read.value();
        const RealCredential& real = entry.config.real;
        const Result<Resigned> verified =
            verify_and_resign(request, signature,
                              AwsKeys{entry.stub.access_key_id, entry.stub.secret_access_key, entry.stub.session_token},
                              AwsKeys{real.access_key_id.view(), real.secret_access_key.view(), real.session_token.view()});
        if (!verified) return Refused::failure(verified.error() + " (askfirst credential \"" + entry.config.name + "\")");
        const Resigned& resigned = verified.value();
        for (const auto& edit : resigned.edits) injection.edits.push_back(edit);
        if (resigned.streaming) {
            if (request.has_header("transfer-encoding"))
                return Refused::failure("askfirst re-signs aws-chunked uploads sent with a Content-Length only, not "
                                        "inside chunked transfer encoding");
            const AwsChunkScope scope{signature.amz_date,
                                      signature.scope_date + "/" + signature.region + "/" + signature.service +
                                          "/aws4_request",
                                      signature.scope_date, signature.region, signature.service};
            injection.body = std::make_shared<AwsChunkedResigner>(scope, entry.stub.secret_access_key,
                                                                  real.secret_access_key.view(),
                                                                  resigned.guest_seed_signature,
                                                                  resigned.real_seed_signature, resigned.signed_trailer);
        }
    }
    return Refused::success(std::move(injection));
}

std::vector<CredentialBroker::EntryView> CredentialBroker::entries() const {
    std::vector<EntryView> views;
    for (const Entry& entry : entries_)
        views.push_back(EntryView{entry.config.name, entry.config.kind, entry.config.hosts, entry.stub});
    return views;
}

std::vector<CredentialBroker::ClientCertificateView> CredentialBroker::client_certificates() const {
    std::vector<ClientCertificateView> views;
    for (const Entry& entry : entries_)
        if (!entry.config.real.client_key.empty())
            views.push_back(ClientCertificateView{entry.config.name, entry.config.hosts,
                                                  entry.config.real.client_certificate,
                                                  entry.config.real.client_key.view()});
    return views;
}

}  // namespace askfirst::credentials
