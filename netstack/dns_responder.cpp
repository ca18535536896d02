// netstack/dns_responder.cpp — the virtual nameserver's policy and its host
// lookups (see dns_responder.h for what is answered how, and why).
//
// Ownership: DnsResponder holds a shared State. Each host lookup
// (uv_getaddrinfo) holds the State too, so a lookup that finishes after the
// responder is gone finds `alive == false` and only frees itself. Replies that
// are known at once (dns.hosts, NOTIMP, NXDOMAIN for non-names) are queued
// and sent from a zero-delay timer, never from inside handle_query.
#include "netstack/dns_responder.h"

#include <netdb.h>
#include <uv.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <set>

#include "netstack/dns_message.h"

namespace askfirst::netstack {

namespace {
struct HostLookup;
}

struct DnsResponder::State : std::enable_shared_from_this<DnsResponder::State> {
    uv_loop_t* loop = nullptr;
    HostsTable hosts;
    AnswerObserver observer;
    uv_timer_t* flush_timer = nullptr;  // owned; freed in its close callback
    std::deque<std::pair<ReplyCallback, std::vector<std::uint8_t>>> ready;
    std::set<HostLookup*> lookups;  // in flight
    bool alive = true;

    void queue_reply(ReplyCallback reply, std::vector<std::uint8_t> payload);
    void notify(std::string_view name, std::span<const IpAddress> addresses) const;
};

namespace {

using dns::ResponseCode;
using dns::RecordType;

struct HostLookup {
    uv_getaddrinfo_t request{};
    std::shared_ptr<DnsResponder::State> state;
    dns::DnsQuery query;
    std::string name;
    DnsResponder::ReplyCallback reply;
};

std::string lower_case(std::string_view name) {
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    return lower;
}

std::vector<IpAddress> collect_addresses(const addrinfo* results) {
    std::vector<IpAddress> addresses;
    for (const addrinfo* entry = results; entry != nullptr; entry = entry->ai_next) {
        const auto endpoint = IpEndpoint::from_sockaddr(entry->ai_addr);
        if (endpoint && std::find(addresses.begin(), addresses.end(), endpoint->address) == addresses.end())
            addresses.push_back(endpoint->address);
    }
    return addresses;
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

void on_lookup_done(uv_getaddrinfo_t* request, int status, addrinfo* results) {
    std::unique_ptr<HostLookup> lookup(static_cast<HostLookup*>(request->data));
    auto& state = *lookup->state;
    std::vector<IpAddress> addresses = status == 0 ? collect_addresses(results) : std::vector<IpAddress>{};
    uv_freeaddrinfo(results);
    state.lookups.erase(lookup.get());
    if (!state.alive || status == UV_ECANCELED) return;
    state.notify(lookup->name, addresses);
    auto response = dns::build_response(lookup->query, code_for_lookup_status(status), addresses,
                                        DnsResponder::kResolvedTtlSeconds);
    lookup->reply(std::move(response));
}

void on_flush_timer(uv_timer_t* timer) {
    // Keep the state alive even if a reply callback destroys the responder.
    const auto state = static_cast<DnsResponder::State*>(timer->data)->shared_from_this();
    // Replies may queue further replies (a caller answering inside its callback): take the batch first.
    auto batch = std::move(state->ready);
    state->ready.clear();
    for (auto& [reply, payload] : batch) {
        if (!state->alive) return;
        reply(std::move(payload));
    }
}

bool is_address_type(std::uint16_t type) {
    return type == static_cast<std::uint16_t>(RecordType::a) || type == static_cast<std::uint16_t>(RecordType::aaaa);
}

}  // namespace

void DnsResponder::State::queue_reply(ReplyCallback reply, std::vector<std::uint8_t> payload) {
    ready.emplace_back(std::move(reply), std::move(payload));
    uv_timer_start(flush_timer, on_flush_timer, 0, 0);
}

void DnsResponder::State::notify(std::string_view name, std::span<const IpAddress> addresses) const {
    if (!observer) return;
    for (const auto& address : addresses) observer(name, address);
}

DnsResponder::DnsResponder(uv_loop_s* loop, HostsTable hosts) : state_(std::make_shared<State>()) {
    state_->loop = loop;
    for (auto& [name, addresses] : hosts) state_->hosts[lower_case(name)] = std::move(addresses);
    state_->flush_timer = new uv_timer_t;
    uv_timer_init(loop, state_->flush_timer);
    state_->flush_timer->data = state_.get();
}

DnsResponder::~DnsResponder() {
    state_->alive = false;
    state_->ready.clear();
    for (HostLookup* lookup : state_->lookups) uv_cancel(reinterpret_cast<uv_req_t*>(&lookup->request));
    state_->lookups.clear();
    uv_close(reinterpret_cast<uv_handle_t*>(state_->flush_timer),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_timer_t*>(handle); });
}

void DnsResponder::set_answer_observer(AnswerObserver observer) { state_->observer = std::move(observer); }

std::size_t DnsResponder::pending_lookups() const { return state_->lookups.size(); }

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
        state_->queue_reply(std::move(reply), dns::build_response(query, ResponseCode::no_error, listed->second,
                                                                 kHostsTtlSeconds));
        return true;
    }
    // Not a name any resolver could look up (empty, odd bytes, or an address
    // literal that getaddrinfo would echo back): the name does not exist.
    if (name.empty() || !question.name_is_hostname || IpAddress::parse(name)) {
        state_->queue_reply(std::move(reply), dns::build_response(query, ResponseCode::name_error, {}, 0));
        return true;
    }
    if (state_->lookups.size() >= kMaxPendingLookups) return false;
    auto lookup = std::make_unique<HostLookup>();
    lookup->state = state_;
    lookup->query = query;
    lookup->name = name;
    lookup->reply = std::move(reply);
    lookup->request.data = lookup.get();
    addrinfo hints{};
    hints.ai_family = question.type == static_cast<std::uint16_t>(RecordType::a) ? AF_INET : AF_INET6;
    hints.ai_socktype = SOCK_STREAM;  // one entry per address, not one per socket type
    const int status = uv_getaddrinfo(state_->loop, &lookup->request, on_lookup_done, name.c_str(), nullptr, &hints);
    if (status != 0) {
        state_->queue_reply(std::move(lookup->reply), dns::build_response(query, ResponseCode::server_failure, {}, 0));
        return true;
    }
    state_->lookups.insert(lookup.release());
    return true;
}

}  // namespace askfirst::netstack
