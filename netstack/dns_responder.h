// netstack/dns_responder.h — the virtual nameserver (10.0.2.3, fec0::3).
//
// The demux hands every UDP datagram to port 53 of the virtual nameserver to
// DnsResponder::handle_query with the UDP payload and a reply callback; the
// callback receives the response payload, and the caller builds the UDP frame
// back to the guest. This keeps DNS free of frames and of lwIP/slirp.
//
// Answers:
//   * names in the profile's dns.hosts: A / AAAA from that table only, TTL
//     kHostsTtlSeconds; a listed name without an address of the asked family
//     gets NOERROR with no answer (the name exists, RFC 2308 NODATA).
//   * other names: resolved on the host with uv_getaddrinfo (the host's
//     /etc/hosts, nsswitch and resolvers). Its outcome is passed through:
//     addresses → NOERROR with them; EAI_NONAME → NXDOMAIN; EAI_NODATA →
//     NOERROR empty; EAI_AGAIN / EAI_FAIL / anything else → SERVFAIL.
//   * other query types (MX, TXT, SRV, HTTPS, PTR, ANY, ...): NOTIMP. The host
//     resolver API cannot look them up; an empty NOERROR would be a false
//     "this name has no such records" that the guest would cache as negative
//     (RFC 2308), while NOTIMP says truthfully that this server does not do
//     them. Other opcodes and classes: NOTIMP too.
//   * malformed queries (netstack/dns_message.h): dropped, no reply.
//
// Replies are never delivered from inside handle_query (libuv's rule: no
// callback from inside the call that registered it); they come from the loop.
// A host lookup that fails to start, or any internal failure, is SERVFAIL.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "netstack/ip_endpoint.h"

struct uv_loop_s;

namespace askfirst::netstack {

class DnsResponder {
public:
    using HostsTable = std::map<std::string, std::vector<IpAddress>>;  // lower-case names
    using ReplyCallback = std::function<void(std::vector<std::uint8_t> response_payload)>;
    // Called for every address the responder answers with, before the reply
    // leaves: the flow table can learn which name the guest meant by an address.
    using AnswerObserver = std::function<void(std::string_view name, const IpAddress& address)>;

    // TTL of dns.hosts answers and of host-resolved answers (getaddrinfo gives
    // no TTL). Short, so a changed profile or host record is seen soon.
    static constexpr std::uint32_t kHostsTtlSeconds = 60;
    static constexpr std::uint32_t kResolvedTtlSeconds = 30;
    // Host lookups in flight at once; further queries are dropped (the guest's
    // resolver retries). 128 is far above what a resolver sends concurrently
    // (glibc: 2 per lookup) and bounds the getaddrinfo threadpool backlog.
    static constexpr std::size_t kMaxPendingLookups = 128;

    // How names outside dns.hosts are looked up on the host. `done` gets a
    // libuv status (0, UV_EAI_NONAME, UV_EAI_NODATA, UV_EAI_AGAIN, ...) and the
    // addresses; it may be called at any time, even synchronously. The
    // default (an empty function) is uv_getaddrinfo on `loop`; tests inject
    // a table so they never send a query off the machine.
    using LookupDone = std::function<void(int uv_status, std::vector<IpAddress> addresses)>;
    using HostLookup = std::function<void(const std::string& name, IpAddress::Family family, LookupDone done)>;

    DnsResponder(uv_loop_s* loop, HostsTable hosts, HostLookup host_lookup = {});
    ~DnsResponder();  // replies to lookups still outstanding are never delivered
    DnsResponder(const DnsResponder&) = delete;
    DnsResponder& operator=(const DnsResponder&) = delete;

    void set_answer_observer(AnswerObserver observer);

    // One query's payload (a UDP datagram's data). Returns false when it was
    // dropped (malformed, or too many lookups pending): `reply` is then
    // never called. Otherwise `reply` is called exactly once, later, unless
    // the responder is destroyed first.
    bool handle_query(std::span<const std::uint8_t> payload, ReplyCallback reply);

    std::size_t pending_lookups() const;

    struct State;  // defined in dns_responder.cpp; shared with in-flight lookups

private:
    std::shared_ptr<State> state_;
};

}  // namespace askfirst::netstack
