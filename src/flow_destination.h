// src/flow_destination.h — how a flow's destination is named, once, for
// every stage of the pipeline (detection, the opaque decision, the session
// stack): in log lines, audit records and the decision point's FlowFacts.
// The name is the guest's SNI when it sent one, else the name it resolved
// through askfirst's DNS to the address it dialed, else that address.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "netstack/flow_pipeline.h"
#include "src/profile.h"
#include "src/request_decision.h"

namespace askfirst {

std::string destination_host(const netstack::FlowInfo& info, std::string_view sni);
std::string destination_host_port(const netstack::FlowInfo& info, std::string_view sni);
// Where this flow's upstream is remembered by tls::UpstreamAlpnMemory: the
// SNI (or, without one, the address dialed) and the endpoint dialed.
std::string upstream_alpn_key(const netstack::FlowInfo& info, std::string_view sni);
// The provider that claims the SNI or, failing that, the name the guest
// resolved for this address (a guest may send any SNI to a provider's
// address); empty when none does (classifiers/host_claims.h).
std::string provider_claiming_destination(const netstack::FlowInfo& info, std::string_view sni);
// The database protocol a destination must speak: the one the profile's
// `databases` lists for it (by the name the guest resolved, or the address
// it dialed), else the one whose own port it dialed, for the two servers
// that execute what first-bytes detection cannot read. Redis runs what
// follows a first line it rejects (it answers "zzz\r\n" with an error, then
// runs the FLUSHALL behind it); MySQL speaks first and takes a handshake
// response and commands sent blind before its greeting as the login and
// the first commands (an account without a password needs no scramble).
// Such flows are reset on 6379 and 3306 as on a listed endpoint, never
// relayed unread. Other ports are not special: PostgreSQL and MongoDB end a
// connection whose first message they cannot read, and detection recognises
// every first message they accept. An empty protocol: none is expected.
struct ExpectedDatabase {
    std::string protocol;            // "postgres" | "mysql" | "redis" | "mongodb" | ""
    bool listed_by_profile = false;  // from the profile, not a well-known port
};
inline constexpr std::uint16_t kRedisPort = 6379;
inline constexpr std::uint16_t kMysqlPort = 3306;
ExpectedDatabase expected_database(const netstack::FlowInfo& info, const std::vector<DatabaseEndpoint>& databases);

http::FlowFacts flow_facts(std::string_view vm_name, const netstack::FlowInfo& info, std::string_view sni);

}  // namespace askfirst
