// src/profile.h — the profile: the one place a user configures askfirst.
//
// A profile is a JSON file (../shared/design.md, "The user's surface"). It is
// validated strictly when askfirstd starts: an unknown key, a value of the
// wrong type or a bad address stops startup with the key's path in the
// message, e.g.
//   profile.json: upstream.map."198.51.100.7:443": not an ip:port
// so nothing ever runs half-configured. The parser is a table of keys
// (src/profile.cpp): adding a key is one row there and one field here.
//
// Keys that later issues act on (modes, tls, http, consent, credentials) are
// already parsed and type-checked, so a profile written for them loads now.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/base/result.h"
#include "netstack/ip_endpoint.h"

namespace askfirst {

using Endpoint = netstack::IpEndpoint;
using netstack::IpAddress;

// The consent modes of design.md's "Decisions" table, by their profile spelling.
inline constexpr std::string_view kConsentModeNames[] = {
    "off", "block-destructive", "prompt-destructive", "prompt-writes", "block-writes"};

// The kinds of credential the broker (src/credentials/) puts in place of a
// stub, by their profile spelling (issue 13).
inline constexpr std::string_view kCredentialKindNames[] = {"bearer", "header", "basic", "aws-sigv4", "kube"};

struct CredentialSource {
    // run on the host, no shell: argv[0] is looked up in PATH; stdout is the
    // secret (for aws-sigv4, AWS's credential_process JSON). A profile may
    // write one string: it is split at spaces (no quoting).
    std::optional<std::vector<std::string>> command;
    std::optional<std::string> env;      // name of a variable of askfirstd's own environment
    std::optional<std::string> file;     // path of a host file ("~/" is $HOME); refused if group/other can read it
    // kind kube only, beside `file`: a client certificate. `file` is then the
    // PEM certificate (public: any mode) and `key_file` its PEM private key
    // (refused if group/other can read it); askfirstd presents both in the
    // upstream TLS handshake to the entry's hosts, the sandbox gets a stub pair.
    std::optional<std::string> key_file;
};

// databases: an endpoint the operator names as a database (src/profile_databases.cpp).
struct DatabaseEndpoint {
    std::string host;       // lower-case DNS name or IP address, as the guest dials it
    std::uint16_t port = 0;
    std::string protocol;   // "postgres" | "mysql" | "redis" | "mongodb"
};

struct CredentialSpec {
    std::string name;                 // e.g. "aws"
    std::string kind;                 // one of kCredentialKindNames
    std::string header;               // kind "header" only: the header that carries it, e.g. "x-api-key"
    std::vector<std::string> hosts;   // host patterns, "*.amazonaws.com"
    std::string stub;                 // the placeholder the guest holds; empty: generated in the real one's shape
    CredentialSource source;
    std::vector<std::string> guest_env;  // variables `askfirst exec` sets to the stub
};

// unissued_credentials: what to do with a real-looking credential askfirst did not issue.
inline constexpr std::string_view kUnissuedCredentialChoices[] = {"prompt", "block", "allow"};

struct Profile {
    std::string name = "default";

    // dns.hosts: lower-cased name (no trailing dot) → its addresses, in the
    // order listed. A name here is answered from this table only (A from the
    // v4 entries, AAAA from the v6 ones), never from the host resolver.
    std::map<std::string, std::vector<IpAddress>> dns_hosts;
    // upstream.map: the destination the guest dialed → where the relay connects.
    std::map<Endpoint, Endpoint> upstream_map;
    // host_services: guest-visible gateway ip:port → host loopback ip:port.
    // The gateway reaches the host only through these (invariant 3).
    std::map<Endpoint, Endpoint> host_services;
    // udp.allow: UDP destinations that may leave through slirp's NAT (invariant 2).
    // "ip:port" only, not "name:port": the demux decides per datagram by its
    // destination address, and a name's addresses can change under it.
    std::vector<Endpoint> udp_allow;

    // ---- parsed and validated now, acted on by later issues ----
    std::string default_mode = "prompt-writes";           // modes.default
    std::map<std::string, std::string> provider_modes;    // modes.<provider>
    std::vector<std::string> tls_extra_ca;                // tls.extra_ca (PEM paths)
    std::vector<std::string> tls_passthrough;             // tls.passthrough (host patterns)
    // tls.learn_passthrough: a host whose client refused askfirst's certificate
    // is passed through unread from then on (never a provider's host). Off by
    // default: any program in the guest could otherwise open an unread tunnel.
    bool tls_learn_passthrough = false;
    // http.max_inspect_bytes: default 1 MiB, design.md's example.
    std::uint64_t http_max_inspect_bytes = 1048576;
    // consent.timeout_s: an unanswered question is denied after this; design.md's example.
    std::uint32_t consent_timeout_s = 120;
    std::string consent_no_ui = "deny";                   // consent.no_ui: "deny" | "allow"
    // consent.listener_grace_s: how long a question waits for a consent client
    // to subscribe before consent.no_ui answers it (issue 14). 10 s: the tray
    // rescans for control sockets every second and connects within a few.
    std::uint32_t consent_listener_grace_s = 10;
    std::vector<CredentialSpec> credentials;
    std::vector<DatabaseEndpoint> databases;              // databases
    // unissued_credentials: "prompt" | "block" | "allow"; unset: prompt on a
    // host some credential entry lists, allow elsewhere (issue 13).
    std::optional<std::string> unissued_credentials;

};

// Parses and validates profile JSON. `source_name` prefixes every error
// ("profile.json: ...").
Result<Profile> parse_profile(std::string_view json_text, std::string_view source_name);

// Reads and parses a profile file; the error names the file and what to fix.
Result<Profile> load_profile_file(const std::string& path);

}  // namespace askfirst
