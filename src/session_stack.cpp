// src/session_stack.cpp — the events of an intercepted flow, the pump and
// the session's outputs (see the header for the picture).
#include "src/session_stack.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <chrono>
#include <variant>

#include "tls/client_hello.h"
#include "src/flow_destination.h"

namespace askfirst {

namespace {

// Plaintext moved per step between a TLS session and the flow session: one
// TLS record's worth, so a step never holds more than that on the stack.
constexpr std::size_t kPlaintextChunk = 16 * 1024;

std::string_view as_text(std::span<const std::uint8_t> bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::span<const std::uint8_t> as_bytes(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

bool room_for_upstream(const netstack::FlowIo& io, const std::string& waiting) {
    return waiting.size() < kMaxUpstreamQueuedBytes && io.upstream_queued() < kMaxUpstreamQueuedBytes;
}

void erase_front(std::vector<std::uint8_t>& bytes, std::size_t count) {
    bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(count));
}

}  // namespace

const char* upstream_state_name(UpstreamState state) {
    static constexpr const char* kNames[] = {"not_dialed", "probe_dialing", "probe_connected", "dialing",
                                             "connected", "up", "failed"};
    static_assert(std::size(kNames) == static_cast<std::size_t>(UpstreamState::failed) + 1,
                  "a name for every UpstreamState");
    return kNames[static_cast<std::size_t>(state)];
}

SessionStack::SessionStack(InterceptionServices& services, netstack::FlowIo& io, SessionStackStart start)
    : services_(services), io_(io), session_(std::move(start.session)), guest_tls_(std::move(start.guest_tls)),
      sni_(std::move(start.sni)), guest_in_(std::move(start.guest_in)), upstream_in_(std::move(start.upstream_in)),
      upstream_(start.upstream), guest_tls_state_(guest_tls_ ? GuestTls::open : GuestTls::none),
      upstream_encrypted_(guest_tls_ != nullptr), guest_eof_(start.guest_eof), upstream_eof_(start.upstream_eof),
      upstream_paused_(start.upstream_reading_paused) {}

SessionStack::~SessionStack() {
    *alive_ = false;
    for (const auto& [id, ticket] : decision_tickets_) services_.decider->cancel(ticket);
}

// ---- events from the flow ----

void SessionStack::on_guest_bytes(std::span<const std::uint8_t> bytes) {
    guest_in_.insert(guest_in_.end(), bytes.begin(), bytes.end());
    pump();
}

void SessionStack::on_guest_finished() {
    guest_eof_ = true;
    if (guest_tls_) guest_tls_->on_transport_eof();
    pump();
}

void SessionStack::on_upstream_connected() {
    if (upstream_ == UpstreamState::probe_dialing) upstream_ = UpstreamState::probe_connected;
    if (upstream_ == UpstreamState::dialing) {
        upstream_ = UpstreamState::connected;
        start_upstream_tls();
    }
    pump();
}

void SessionStack::on_upstream_failed(std::string_view reason) {
    if (flow_reset_) return;
    fail_upstream(std::string(reason));
    pump();
}

void SessionStack::on_upstream_bytes(std::span<const std::uint8_t> bytes) {
    if (flow_reset_) return;
    if (!upstream_may_speak()) {
        // A probed server's bytes wait for a passed request (reading pauses: apply_back_pressure).
        upstream_in_.insert(upstream_in_.end(), bytes.begin(), bytes.end());
    } else if (upstream_tls_) {
        // Straight into the TLS session when nothing waits before these bytes: no staging copy.
        const std::size_t taken = upstream_in_.empty() ? upstream_tls_->accept_ciphertext(bytes) : 0;
        upstream_in_.insert(upstream_in_.end(), bytes.begin() + static_cast<std::ptrdiff_t>(taken), bytes.end());
    } else if (!upstream_encrypted_) {
        give_upstream_plaintext(as_text(bytes));
    }  // else TLS to the upstream could not start: nothing it sends is readable
    pump();
}

void SessionStack::on_upstream_finished() {
    upstream_eof_ = true;
    if (upstream_tls_) upstream_tls_->on_transport_eof();
    pump();
}

// ---- the pump ----

// Re-entrant calls (a verdict delivered while pumping) only ask for another
// round, so the state is never changed under a running step.
void SessionStack::pump() {
    if (pumping_ != Pumping::idle) {
        pumping_ = Pumping::again;
        return;
    }
    do {
        pumping_ = Pumping::running;
        pump_once();
    } while (pumping_ == Pumping::again && !flow_reset_);
    pumping_ = Pumping::idle;
}

void SessionStack::pump_once() {
    if (flow_reset_) return;
    feed_guest_side();
    feed_upstream_side();
    check_tls_failures();
    if (flow_reset_) return;
    note_upstream_state();
    drain_session_outputs();
    if (flow_reset_) return;
    flush_to_upstream();
    flush_to_guest();
    apply_back_pressure();
    finish_when_drained();
    // A side that stopped feeding for want of room on the other side, which
    // the flushes above just made (a socket or lwIP that took everything at
    // once): feed again now, since no write callback or new bytes may come to
    // ask (both peers can be waiting on us: a stalled upload or download).
    const bool guest_side_can_go_on = guest_stopped_for_upstream_room_ && room_for_upstream(io_, upstream_plain_out_);
    const bool upstream_side_can_go_on = upstream_stopped_for_guest_room_ && guest_backlog_bytes() < kMaxUpstreamQueuedBytes;
    if ((guest_side_can_go_on || upstream_side_can_go_on) && pumping_ == Pumping::running) pumping_ = Pumping::again;
}

// Guest ciphertext into the guest TLS session, as much as it takes.
void SessionStack::give_guest_ciphertext() {
    if (guest_in_.empty()) return;
    const std::size_t taken = guest_tls_->accept_ciphertext(guest_in_);
    consume_guest_front(taken);
}

// Bytes at the front of guest_in_ are done: lwIP hears of those it had not
// been told of yet (a session's read-ahead was taken from it already).
void SessionStack::consume_guest_front(std::size_t count) {
    if (count == 0) return;
    erase_front(guest_in_, count);
    const std::size_t told_before = std::min(count, guest_in_taken_already_);
    guest_in_taken_already_ -= told_before;
    if (count > told_before) io_.guest_consumed(count - told_before);
}

void SessionStack::feed_guest_side() {
    if (guest_tls_state_ == GuestTls::awaiting_client_hello && !open_guest_tls_mid_stream()) return;
    if (!guest_tls_) {
        if (!guest_in_.empty() && session_->wants_guest_bytes() && room_for_upstream(io_, upstream_plain_out_) &&
            room_for_guest_answers()) {
            session_->on_guest_bytes(as_text(guest_in_));
            consume_guest_front(guest_in_.size());
        }
        if (guest_eof_ && guest_in_.empty() && !session_->closed()) session_->on_guest_eof();
        guest_stopped_for_upstream_room_ = !guest_in_.empty() && !room_for_upstream(io_, upstream_plain_out_);
        return;
    }
    give_guest_ciphertext();
    guest_tls_->advance();
    std::uint8_t chunk[kPlaintextChunk];
    while (session_->wants_guest_bytes() && room_for_upstream(io_, upstream_plain_out_) && room_for_guest_answers()) {
        const std::size_t got = guest_tls_->read_plaintext(chunk);
        if (got == 0) break;
        session_->on_guest_bytes(std::string_view(reinterpret_cast<const char*>(chunk), got));
        give_guest_ciphertext();  // reading freed room in the TLS session
    }
    guest_stopped_for_upstream_room_ = !room_for_upstream(io_, upstream_plain_out_);
    const bool guest_done = guest_tls_->state() == tls::TlsSessionState::peer_closed ||
                            (guest_eof_ && guest_in_.empty() && guest_tls_->state() != tls::TlsSessionState::established);
    if (guest_done && !session_->closed()) session_->on_guest_eof();
}

void SessionStack::feed_upstream_side() {
    if (!upstream_tls_) {
        if (upstream_may_speak() && !upstream_encrypted_ && !upstream_in_.empty()) {  // held while the request was judged
            session_->on_upstream_bytes(as_text(upstream_in_));
            upstream_in_.clear();
        }
        if (upstream_eof_ && !session_->closed()) session_->on_upstream_eof();
        return;
    }
    if (!upstream_in_.empty()) erase_front(upstream_in_, upstream_tls_->accept_ciphertext(upstream_in_));
    upstream_tls_->advance();
    if (!upstream_alpn_told_ && upstream_tls_->is_established()) {  // before its first plaintext
        upstream_alpn_told_ = true;
        const std::string alpn = upstream_tls_->negotiated_alpn();
        if (session_->offers_h2_upstream())
            services_.tls->remember_upstream_alpn(upstream_alpn_key(io_.info(), sni_), alpn,
                                                  std::chrono::steady_clock::now());
        session_->on_upstream_alpn(alpn);
    }
    std::uint8_t chunk[kPlaintextChunk];
    while (guest_backlog_bytes() < kMaxUpstreamQueuedBytes) {
        const std::size_t got = upstream_tls_->read_plaintext(chunk);
        if (got == 0) break;
        give_upstream_plaintext(std::string_view(reinterpret_cast<const char*>(chunk), got));
        if (!upstream_in_.empty()) erase_front(upstream_in_, upstream_tls_->accept_ciphertext(upstream_in_));
    }
    upstream_stopped_for_guest_room_ = guest_backlog_bytes() >= kMaxUpstreamQueuedBytes;
    if (upstream_tls_->state() == tls::TlsSessionState::peer_closed && !session_->closed()) session_->on_upstream_eof();
}

void SessionStack::check_tls_failures() {
    if (guest_tls_ && guest_tls_->state() == tls::TlsSessionState::failed) {
        const auto& failure = guest_tls_->failure();
        if (failure.kind == tls::TlsFailureKind::guest_rejected_certificate) on_guest_refused_certificate(failure);
        flush_to_guest();  // a fatal alert may be queued
        return reset_flow("guest TLS failed: " + failure.reason);
    }
    if (upstream_tls_ && upstream_ != UpstreamState::failed && upstream_tls_->state() == tls::TlsSessionState::failed) {
        services_.log.line("event=upstream_tls_failed host=" + destination_host_port(io_.info(), sni_) + " reason=\"" +
                           upstream_tls_->failure().reason + "\"");
        fail_upstream(upstream_tls_->failure().reason);
    }
}

// The guest would not accept our certificate. Interception stays on unless
// the profile opted into learning and no provider claims the host
// (tls/tls_interceptor.h); either way a person can see it: operator log,
// audit line (the tray's recent decisions), `askfirst status`.
void SessionStack::on_guest_refused_certificate(const tls::TlsFailure& failure) {
    const std::string host = sni_.empty() ? io_.info().original_destination.address.to_string() : sni_;
    const std::string provider = provider_claiming_destination(io_.info(), sni_);
    const auto learning = services_.tls->on_certificate_refused(host, !provider.empty());
    const TlsRefusal refusal{host, provider, std::string(tls::tls_alert_name(failure.alert)), learning};
    const std::string sentence = tls_refusal_sentence(refusal);
    services_.log.line("event=tls_refused_by_guest host=" + host + " alert=" + refusal.alert + " action=" +
                       std::string(tls::refusal_learning_name(learning)) + " advice=\"" + sentence + "\"");
    services_.tls_refusals->note(refusal);
    services_.decider->record_tls_refusal(flow_facts(services_.vm_name, io_.info(), sni_), refusal, sentence);
}

// ---- the upstream ----

bool SessionStack::upstream_is_connected() const {
    return upstream_ == UpstreamState::probe_connected || upstream_ == UpstreamState::connected ||
           upstream_ == UpstreamState::up;
}

// Whether what the upstream sends may reach the session: only once a passed
// request went there (a probed server's banner waits for that).
bool SessionStack::upstream_may_speak() const {
    return upstream_ != UpstreamState::not_dialed && upstream_ != UpstreamState::probe_dialing &&
           upstream_ != UpstreamState::probe_connected;
}

// The first request that passes opens the way to the upstream: dial it, or
// use the connection the probe already opened.
void SessionStack::want_upstream() {
    switch (upstream_) {
    case UpstreamState::not_dialed:
        upstream_ = UpstreamState::dialing;
        io_.upstream_connect();
        return;
    case UpstreamState::probe_dialing:
        upstream_ = UpstreamState::dialing;
        return;
    case UpstreamState::probe_connected:
        upstream_ = UpstreamState::connected;
        start_upstream_tls();
        return;
    default:
        return;
    }
}

void SessionStack::start_upstream_tls() {
    if (!upstream_encrypted_ || upstream_tls_ || upstream_ == UpstreamState::failed) return;
    auto session = services_.tls->start_upstream_session(sni_, io_.info().original_destination.address.to_string(),
                                                         session_->offers_h2_upstream());
    if (!session) return fail_upstream("cannot start TLS to the upstream: " + session.error());
    upstream_tls_ = session.take();
    upstream_tls_->advance();  // the ClientHello
}

// Connect or TLS failed: nothing more goes there, and each request passed
// but answered 502 because of it gets a second audit line that says so
// (invariant 8: the log tells what happened).
void SessionStack::fail_upstream(const std::string& reason) {
    upstream_ = UpstreamState::failed;
    upstream_plain_out_.clear();
    upstream_failure_ = reason;
    for (const auto& passed_line : passed_before_upstream_up_)
        services_.decider->record_upstream_refusal(passed_line, reason);
    passed_before_upstream_up_.clear();
    session_->on_upstream_failed(reason);
}

// Once the upstream is up, a request it was passed can no longer turn into
// askfirst's own 502 before reaching it: stop keeping copies.
void SessionStack::note_upstream_state() {
    if (upstream_ != UpstreamState::connected) return;
    if (upstream_encrypted_ && !(upstream_tls_ && upstream_tls_->is_established())) return;
    upstream_ = UpstreamState::up;
    passed_before_upstream_up_.clear();
}

// ---- the session's outputs ----

void SessionStack::drain_session_outputs() {
    for (auto& output : session_->take_outputs()) {
        if (auto* up = std::get_if<SendToUpstream>(&output)) {
            want_upstream();
            if (upstream_ != UpstreamState::failed) http::append_wiping(upstream_plain_out_, up->bytes);
            http::wipe_string(up->bytes);  // it may carry a real credential (src/http/head_edits.h)
        } else if (auto* down = std::get_if<SendToGuest>(&output)) {
            send_plaintext_to_guest(down->bytes);
        } else if (auto* decide_event = std::get_if<DecideRequest>(&output)) {
            decide(decide_event->id, decide_event->request);
        } else if (auto* cancel = std::get_if<CancelDecision>(&output)) {
            const auto ticket = decision_tickets_.find(cancel->id);
            if (ticket != decision_tickets_.end()) {
                services_.decider->cancel(ticket->second);
                decision_tickets_.erase(ticket);
            }
        } else if (auto* refusal = std::get_if<ProtocolRefusal>(&output)) {
            log_protocol_refusal(*refusal);
        } else if (std::holds_alternative<HalfCloseUpstream>(output)) {
            if (upstream_end_ == SideEnd::open) upstream_end_ = SideEnd::finish_when_drained;
        } else if (std::holds_alternative<HalfCloseGuest>(output)) {
            if (guest_end_ == SideEnd::open) guest_end_ = SideEnd::finish_when_drained;
        } else if (std::holds_alternative<CloseFlow>(output)) {
            close_flow_ = true;
            if (guest_end_ == SideEnd::open) guest_end_ = SideEnd::finish_when_drained;
        } else if (auto* statement = std::get_if<DecideStatement>(&output)) {
            decide_statement(statement->id, statement->statement);
        } else if (auto* start_tls = std::get_if<StartGuestTls>(&output)) {
            if (guest_tls_state_ != GuestTls::none) return reset_flow("the session asked for TLS inside TLS");
            guest_tls_state_ = GuestTls::awaiting_client_hello;
            // A client that did not wait for an answer (MySQL): its ClientHello began in what the session read.
            guest_in_.insert(guest_in_.begin(), start_tls->read_ahead.begin(), start_tls->read_ahead.end());
            guest_in_taken_already_ += start_tls->read_ahead.size();
            if (!start_tls->read_ahead.empty() && pumping_ == Pumping::running) pumping_ = Pumping::again;
        } else if (std::holds_alternative<StartUpstreamTls>(output)) {
            encrypt_upstream_from_now();
        }  // BecameOpaque: the session relays both ways itself
    }
}

// StartGuestTls: the guest's next bytes are a ClientHello (it was told yes
// in plaintext, e.g. PostgreSQL's 'S'). Always intercepted: the session has
// read the flow in plaintext already, so there is nothing to splice unread.
// False while the ClientHello is not whole (or the flow was reset).
bool SessionStack::open_guest_tls_mid_stream() {
    const auto parsed = tls::parse_client_hello(guest_in_);
    if (parsed.status == tls::ClientHelloStatus::invalid) {
        reset_flow("malformed TLS ClientHello after the session asked for TLS: " + parsed.error);
        return false;
    }
    if (parsed.status == tls::ClientHelloStatus::incomplete) {
        if (guest_eof_ || guest_in_.size() > tls::kMaxClientHelloBytes + 5)
            reset_flow("the guest did not send a whole ClientHello after the session asked for TLS");
        return false;
    }
    const std::string destination_ip = io_.info().original_destination.address.to_string();
    // Database clients send no SNI (the mariadb client's TLS names nobody) but
    // verify the server for the name they dialed: the name the guest resolved
    // to this address through askfirst stands for it, for our leaf and for the
    // upstream's verification alike.
    tls::ClientHello hello = parsed.hello;
    if (hello.server_name.empty()) hello.server_name = io_.info().dns_name;
    auto session = services_.tls->start_guest_session(hello, destination_ip);
    if (!session) {
        reset_flow("cannot open TLS for " + destination_host(io_.info(), hello.server_name) + ": " + session.error());
        return false;
    }
    guest_tls_ = session.take();
    guest_tls_state_ = GuestTls::open;
    if (!hello.server_name.empty()) sni_ = hello.server_name;
    // The session was given the ClientHello (reassembled as one record): those bytes are done.
    consume_guest_front(std::min(parsed.hello.consumed_bytes, guest_in_.size()));
    return true;
}

// StartUpstreamTls: what the session sent before it goes in plaintext (the
// upstream agreed to TLS after it); from now on our TLS client speaks to it.
void SessionStack::encrypt_upstream_from_now() {
    if (upstream_encrypted_) return;
    if (upstream_is_connected() && !upstream_plain_out_.empty()) {
        io_.upstream_send(as_bytes(upstream_plain_out_));
        upstream_plain_out_.clear();
    }
    upstream_encrypted_ = true;
    if (upstream_is_connected()) start_upstream_tls();
}

void SessionStack::reset_flow(const std::string& reason) {
    flow_reset_ = true;
    io_.reset(reason);
}

void SessionStack::log_protocol_refusal(const ProtocolRefusal& refusal) {
    services_.log.line("event=http_refused status=" + std::to_string(refusal.status) + " dst=" +
                       destination_host_port(io_.info(), sni_) + " reason=\"" + refusal.reason + "\"");
    // A 502 for a failed upstream already has its line per passed request
    // (fail_upstream); every other refusal gets one here.
    const bool upstream_failure = refusal.status == 502 && refusal.reason == upstream_failure_;
    if (!upstream_failure) services_.decider->record_protocol_refusal(flow_facts(services_.vm_name, io_.info(), sni_), refusal.status, refusal.reason);
}

const http::FlowFacts& SessionStack::request_flow_facts() {
    if (!request_flow_facts_ || request_flow_facts_->sni != sni_)
        request_flow_facts_ = flow_facts(services_.vm_name, io_.info(), sni_);
    return *request_flow_facts_;
}

void SessionStack::decide(RequestId id, const classifiers::HttpRequest& request) {
    auto alive = alive_;
    // While the upstream is not up, a pass may yet become a 502: the pass's
    // audit line is kept for fail_upstream.
    const bool upstream_was_up = upstream_ == UpstreamState::up;
    http::FlowFacts facts = request_flow_facts();
    if (session_->multiplexed()) facts.http2_stream = static_cast<std::uint32_t>(id);  // the id is the stream
    const FlowDecisions::Ticket ticket = services_.decider->decide_request(
        facts, request,
        [this, alive, id, upstream_was_up](bool pass, const http::LocalResponse& refusal,
                                           const consent::AuditRecord& line, const http::RequestEdits& edits) {
            if (!*alive) return;
            decision_tickets_.erase(id);
            if (pass && !upstream_was_up && upstream_ == UpstreamState::failed) {  // answered 502 at once
                services_.decider->record_upstream_refusal(line, upstream_failure_);
            } else if (pass && !upstream_was_up && upstream_ != UpstreamState::up) {
                passed_before_upstream_up_.push_back(line);
            }
            session_->on_verdict(id, Verdict{pass, line.reason, refusal, {}, edits});
            pump();
        });
    decision_tickets_[id] = ticket;  // delivered later, never inside decide_request
}

// A database statement (src/database/): judged as SQL, answered with the
// refusal sentence and hint the protocol's error message carries.
void SessionStack::decide_statement(RequestId id, const DatabaseStatement& statement) {
    StatementFacts facts;
    facts.provider = statement.provider;
    facts.host = destination_host(io_.info(), sni_);
    facts.database = statement.database;
    facts.user = statement.user;
    facts.message = statement.message;
    facts.texts = statement.texts;
    facts.complete = statement.complete;
    facts.why_incomplete = statement.why_incomplete;
    auto alive = alive_;
    const FlowDecisions::Ticket ticket = services_.decider->decide_statement(
        flow_facts(services_.vm_name, io_.info(), sni_), facts,
        [this, alive, id](bool pass, const std::string& message, const std::string& hint) {
            if (!*alive) return;
            decision_tickets_.erase(id);
            session_->on_verdict(id, Verdict{pass, message, {}, hint, {}});
            pump_after_verdicts();
        });
    decision_tickets_[id] = ticket;  // delivered later, never inside decide_statement
}

// A pipeline's statements are decided as a batch (src/database/redis_session.h),
// and the mode's verdicts on them all arrive in one loop turn: pumping once
// after the last sends what they released in one write instead of one per
// statement. The last outstanding verdict pumps at once; earlier ones arm a
// zero-delay timer (the next turn), so a batch with one statement held for a
// person still sends those before it without waiting for the answer.
void SessionStack::pump_after_verdicts() {
    if (decision_tickets_.empty() || !services_.make_timer) return pump();
    if (verdict_pump_armed_) return;
    if (!verdict_pump_) verdict_pump_ = services_.make_timer();
    verdict_pump_armed_ = true;
    auto alive = alive_;
    verdict_pump_->start(std::chrono::milliseconds(0), [this, alive] {
        if (!*alive) return;
        verdict_pump_armed_ = false;
        pump();
    });
}

// An HTTP/2 guest makes answers of its own bytes (PING and SETTINGS ACKs,
// WINDOW_UPDATEs, refusals): while the guest does not read them, stop
// reading what it sends, so they cannot pile up here.
bool SessionStack::room_for_guest_answers() const {
    return !session_->multiplexed() || guest_backlog_bytes() < kMaxUpstreamQueuedBytes;
}

// Upstream plaintext into the session. Bytes it relays as they are (a
// response body) come back to be sent from where they lie: no copy through
// its outputs (a bulk download's every byte otherwise took two).
void SessionStack::give_upstream_plaintext(std::string_view text) {
    const std::size_t relayed = session_->on_upstream_bytes_relayed_by_caller(text);
    if (relayed > 0) send_plaintext_to_guest(text.substr(0, relayed));
}

// Into lwIP (plain) or the guest TLS session at once when nothing waits
// before it; what does not fit waits its turn in to_guest_/guest_plain_out_.
void SessionStack::send_plaintext_to_guest(std::string_view bytes) {
    if (!guest_tls_) {
        if (to_guest_.empty()) bytes.remove_prefix(io_.guest_send(as_bytes(bytes)));
        to_guest_.append(bytes);
        return;
    }
    if (guest_plain_out_.empty() && guest_tls_->is_established())
        bytes.remove_prefix(guest_tls_->write_plaintext(as_bytes(bytes)));
    guest_plain_out_.append(bytes);
}

// What the guest has not been sent yet: wire bytes, and plaintext and ciphertext of the guest TLS session.
std::size_t SessionStack::guest_backlog_bytes() const {
    const std::size_t ciphertext = guest_tls_ && guest_tls_->wants_to_write() ? guest_tls_->pending_ciphertext().size() : 0;
    return to_guest_.size() + guest_plain_out_.size() + ciphertext;
}

// ---- bytes out ----

void SessionStack::flush_to_upstream() {
    if (!upstream_is_connected()) return;
    const bool finish_upstream = upstream_end_ == SideEnd::finish_when_drained;
    if (!upstream_tls_) {
        if (!upstream_plain_out_.empty() && io_.upstream_queued() < kMaxUpstreamQueuedBytes) {
            io_.upstream_send(as_bytes(upstream_plain_out_));
            http::wipe_string(upstream_plain_out_);
        }
    } else {
        // Alternate encrypting and sending until neither moves: the socket may
        // take everything at once, and then no write callback will come back
        // to ask for the rest.
        bool moved = true;
        while (moved) {
            moved = false;
            if (!upstream_plain_out_.empty() && upstream_tls_->is_established()) {
                const std::size_t taken = upstream_tls_->write_plaintext(as_bytes(upstream_plain_out_));
                // sealed now; it may carry a real credential
                http::erase_front_wiping(upstream_plain_out_, taken);
                moved = taken > 0;
            }
            if (finish_upstream && upstream_plain_out_.empty()) upstream_tls_->close();
            while (upstream_tls_->wants_to_write() && io_.upstream_queued() < kMaxUpstreamQueuedBytes) {
                const auto pending = upstream_tls_->pending_ciphertext();
                io_.upstream_send(pending);  // the flow queues what the socket does not take now
                upstream_tls_->consume_ciphertext(pending.size());
                moved = true;
            }
        }
    }
    if (finish_upstream && upstream_plain_out_.empty() && (!upstream_tls_ || !upstream_tls_->wants_to_write())) {
        upstream_end_ = SideEnd::finished;
        io_.upstream_finish();
    }
}

void SessionStack::flush_to_guest() {
    bool moved = true;
    while (moved) {
        moved = false;
        if (guest_tls_) {
            if (!guest_plain_out_.empty() && guest_tls_->is_established()) {
                const std::size_t taken = guest_tls_->write_plaintext(as_bytes(guest_plain_out_));
                guest_plain_out_.erase(0, taken);
                moved = taken > 0;
            }
            if (guest_end_ != SideEnd::open && guest_plain_out_.empty() && guest_tls_->is_established())
                guest_tls_->close();
            // From the session's queue straight to lwIP (which copies it): no staging copy.
            while (to_guest_.empty() && guest_tls_->wants_to_write()) {
                const auto pending = guest_tls_->pending_ciphertext();
                const std::size_t taken = io_.guest_send(pending);
                guest_tls_->consume_ciphertext(taken);
                if (taken < pending.size()) return;  // lwIP is full: wait for on_guest_send_space
                // Sealing may have stopped at the session's bound on queued
                // ciphertext with plaintext left; now there is room, so go
                // round again, or that plaintext waits for the guest's ACK
                // with upstream reading paused (a 64 KiB-per-round-trip download).
                moved = true;
            }
        }
        if (!to_guest_.empty()) {
            const std::size_t taken = io_.guest_send(as_bytes(to_guest_));
            to_guest_.erase(0, taken);
            if (to_guest_.empty()) to_guest_.shrink_to_fit();  // an idle flow keeps no buffer
            else moved = false;  // lwIP is full: wait for on_guest_send_space
        }
    }
}

// Upstream reading stops while the guest cannot take what we already have,
// and while a probed upstream's bytes wait for a request to pass.
void SessionStack::apply_back_pressure() {
    const bool guest_ciphertext_waits = guest_tls_ && guest_tls_->wants_to_write();
    const bool guest_backlog = !to_guest_.empty() || guest_ciphertext_waits || guest_plain_out_.size() > kPlaintextChunk ||
                               upstream_in_.size() > tls::kMaxBufferedCiphertextIn ||
                               (!upstream_may_speak() && !upstream_in_.empty());
    if (guest_backlog && !upstream_paused_) {
        upstream_paused_ = true;
        io_.upstream_pause_reading();
    } else if (!guest_backlog && upstream_paused_) {
        upstream_paused_ = false;
        io_.upstream_resume_reading();
    }
}

void SessionStack::finish_when_drained() {
    if (guest_end_ == SideEnd::finish_when_drained && guest_backlog_bytes() == 0) {
        guest_end_ = SideEnd::finished;
        io_.guest_finish();
    }
    if (close_flow_ && upstream_end_ != SideEnd::finished) {
        upstream_end_ = SideEnd::finished;
        if (upstream_ != UpstreamState::not_dialed) io_.upstream_finish();
    }
}

}  // namespace askfirst
