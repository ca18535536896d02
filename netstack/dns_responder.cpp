// netstack/dns_responder.cpp — the virtual nameserver's policy and its host
// lookups (see dns_responder.h for what is answered how, and why).
//
// Ownership: DnsResponder holds a shared State. A lookup in flight holds only
// a weak reference, so one that finishes after the responder is gone is
// dropped. Every reply goes through one queue that a zero-delay timer drains,
// so no reply is ever delivered from inside handle_query.
#include "netstack/dns_responder.h"

#include <netdb.h>
#include <uv.h>

#include <algorithm>
#include <cctype>
#include <deque>

#include "netstack/dns_message.h"

namespace askfirst::netstack {

struct DnsResponder::State : std::enable_shared_from_this<DnsResponder::State> {
    uv_loop_t* loop = nullptr;
    HostsTable hosts;
    HostLookup host_lookup;
    AnswerObserver observer;
    uv_timer_t* flush_timer = nullptr;  // owned; freed in its close callback
    std::deque<std::pair<ReplyCallback, std::vector<std::uint8_t>>> ready;
    std::size_t lookups_in_flight = 0;

    void queue_reply(ReplyCallback reply, std::vector<std::uint8_t> payload);
    void notify(std::string_view name, std::span<const IpAddress> addresses) const;
};

namespace {

using dns::RecordType;
using dns::ResponseCode;

std::string lower_case(std::string_view name) {
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    return lower;
}

// How a getaddrinfo status becomes a DNS response code (dns_responder.h).
ResponseCode code_for_lookup_status(int status) {
    switch (status) {
        case 0: return ResponseCode::no_error;
        case UV_EAI_NONAME: return ResponseCode::name_error;
        case UV_EAI_NODATA:
        case UV_EAI_ADDRFAMILY: return ResponseCode::no_error;  // the name exists, not with this family
        default: return ResponseCode::server_failure;
    }
}

bool is_address_type(std::uint16_t type) {
    return type == static_cast<std::uint16_t>(RecordType::a) || type == static_cast<std::uint16_t>(RecordType::aaaa);
}

// ---- the default host lookup: uv_getaddrinfo ----
struct GetaddrinfoRequest {
    uv_getaddrinfo_t request{};
    DnsResponder::LookupDone done;
};

void on_getaddrinfo_done(uv_getaddrinfo_t* request, int status, addrinfo* results) {
    std::unique_ptr<GetaddrinfoRequest> owned(static_cast<GetaddrinfoRequest*>(request->data));
    std::vector<IpAddress> addresses;
    for (const addrinfo* entry = results; entry != nullptr; entry = entry->ai_next) {
        const auto endpoint = IpEndpoint::from_sockaddr(entry->ai_addr);
        if (endpoint && std::find(addresses.begin(), addresses.end(), endpoint->address) == addresses.end())
            addresses.push_back(endpoint->address);
    }
    uv_freeaddrinfo(results);
    owned->done(status, std::move(addresses));
}

DnsResponder::HostLookup getaddrinfo_lookup(uv_loop_t* loop) {
    return [loop](const std::string& name, IpAddress::Family family, DnsResponder::LookupDone done) {
        auto owned = std::make_unique<GetaddrinfoRequest>();
        owned->done = std::move(done);
        owned->request.data = owned.get();
        addrinfo hints{};
        hints.ai_family = family == IpAddress::Family::v4 ? AF_INET : AF_INET6;
        hints.ai_socktype = SOCK_STREAM;  // one entry per address, not one per socket type
        const int status = uv_getaddrinfo(loop, &owned->request, on_getaddrinfo_done, name.c_str(), nullptr, &hints);
        if (status != 0) {
            owned->done(status, {});
            return;
        }
        owned.release();  // freed in on_getaddrinfo_done
    };
}

void on_flush_timer(uv_timer_t* timer) {
    // Keep the state alive even if a reply callback destroys the responder.
    const auto state = static_cast<DnsResponder::State*>(timer->data)->shared_from_this();
    auto batch = std::move(state->ready);
    state->ready.clear();
    for (auto& [reply, payload] : batch) {
        if (state->flush_timer == nullptr) return;  // the responder was destroyed by a reply
        reply(std::move(payload));
    }
}

}  // namespace

void DnsResponder::State::queue_reply(ReplyCallback reply, std::vector<std::uint8_t> payload) {
    if (flush_timer == nullptr) return;
    ready.emplace_back(std::move(reply), std::move(payload));
    uv_timer_start(flush_timer, on_flush_timer, 0, 0);
}

void DnsResponder::State::notify(std::string_view name, std::span<const IpAddress> addresses) const {
    if (!observer) return;
    for (const auto& address : addresses) observer(name, address);
}

DnsResponder::DnsResponder(uv_loop_s* loop, HostsTable hosts, HostLookup host_lookup)
    : state_(std::make_shared<State>()) {
    state_->loop = loop;
    for (auto& [name, addresses] : hosts) state_->hosts[lower_case(name)] = std::move(addresses);
    state_->host_lookup = host_lookup ? std::move(host_lookup) : getaddrinfo_lookup(loop);
    state_->flush_timer = new uv_timer_t;
    uv_timer_init(loop, state_->flush_timer);
    state_->flush_timer->data = state_.get();
}

DnsResponder::~DnsResponder() {
    state_->ready.clear();
    uv_close(reinterpret_cast<uv_handle_t*>(state_->flush_timer),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_timer_t*>(handle); });
    state_->flush_timer = nullptr;
}

void DnsResponder::set_answer_observer(AnswerObserver observer) { state_->observer = std::move(observer); }

std::size_t DnsResponder::pending_lookups() const { return state_->lookups_in_flight; }

bool DnsResponder::handle_query(std::span<const std::uint8_t> payload, ReplyCallback reply) {
    const auto parsed = dns::parse_query(payload);
    if (!parsed.query) return false;  // malformed: dropped (dns_responder.h)
    const dns::DnsQuery& query = *parsed.query;
    const auto& question = query.question;
    if (query.opcode != dns::Opcode::query || question.klass != dns::kClassInternet || !is_address_type(question.type)) {
        state_->queue_reply(std::move(reply), dns::build_response(query, ResponseCode::not_implemented, {}, 0));
        return true;
    }
    const std::string name = lower_case(question.name);
    if (const auto listed = state_->hosts.find(name); listed != state_->hosts.end()) {
        state_->notify(name, listed->second);
        state_->queue_reply(std::move(reply),
                            dns::build_response(query, ResponseCode::no_error, listed->second, kHostsTtlSeconds));
        return true;
    }
    // Not a name any resolver could look up (empty, odd bytes, or an address
    // literal that getaddrinfo would echo back): the name does not exist.
    if (name.empty() || !question.name_is_hostname || IpAddress::parse(name)) {
        state_->queue_reply(std::move(reply), dns::build_response(query, ResponseCode::name_error, {}, 0));
        return true;
    }
    if (state_->lookups_in_flight >= kMaxPendingLookups) return false;
    ++state_->lookups_in_flight;
    const auto family = question.type == static_cast<std::uint16_t>(RecordType::a) ? IpAddress::Family::v4
                                                                                    : IpAddress::Family::v6;
    std::weak_ptr<State> weak_state = state_;
    state_->host_lookup(name, family, [weak_state, query, name, reply = std::move(reply)](
                                          int status, std::vector<IpAddress> addresses) mutable {
        const auto state = weak_state.lock();
        if (!state) return;
        --state->lookups_in_flight;
        if (status != 0) addresses.clear();
        state->notify(name, addresses);
        state->queue_reply(std::move(reply), dns::build_response(query, code_for_lookup_status(status), addresses,
                                                                 kResolvedTtlSeconds));
    });
    return true;
}

}  // namespace askfirst::netstack
