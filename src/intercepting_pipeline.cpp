// src/intercepting_pipeline.cpp — detection, the TLS pair, the HTTP session
// and opaque flows for one guest TCP flow (see the header for the picture).
#include "src/intercepting_pipeline.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstdio>
#include <variant>

#include "classifiers/host_claims.h"
#include "netstack/frame_frontend.h"  // close_and_delete
#include "tls/client_hello.h"
#include "tls/protocol_detect.h"

namespace askfirst {

namespace {

// Plaintext moved per step between a TLS session and the HTTP session: one
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

}  // namespace

InterceptingPipeline::InterceptingPipeline(InterceptionServices& services) : services_(services) {}

InterceptingPipeline::~InterceptingPipeline() {
    *alive_ = false;
    if (decision_ticket_ != 0) services_.decider->cancel(decision_ticket_);
    netstack::close_and_delete(detect_timer_);
}

// ---- detection ----

void InterceptingPipeline::on_start(netstack::FlowIo& io) {
    io_ = &io;
    detect_timer_ = new uv_timer_t{};
    uv_timer_init(services_.loop, detect_timer_);
    detect_timer_->data = this;
    arm_detect_timer(tls::kServerSpeaksFirstTimeout);
}

void InterceptingPipeline::arm_detect_timer(std::chrono::milliseconds delay) {
    uv_timer_start(detect_timer_, [](uv_timer_t* timer) {
        static_cast<InterceptingPipeline*>(timer->data)->on_detect_timeout();
    }, static_cast<std::uint64_t>(delay.count()), 0);
}

// The first expiry starts the probe (see the header): nothing is judged
// yet. The second, kSilentFlowLimit after the flow began, judges a flow on
// which neither side said anything (or the guest's bytes never became a
// known protocol) as opaque, as idle flows always were.
void InterceptingPipeline::on_detect_timeout() {
    if (stage_ != Stage::detecting) return;
    if (!probe_started_) return probe_upstream();
    start_opaque(guest_in_.empty() ? "neither side spoke within " + std::to_string(kSilentFlowLimit.count()) + " ms"
                                   : "the first bytes never became a known protocol");
}

void InterceptingPipeline::probe_upstream() {
    probe_started_ = true;
    upstream_requested_ = true;
    io_->upstream_connect();
    arm_detect_timer(kSilentFlowLimit - tls::kServerSpeaksFirstTimeout);
}

// The probe could not connect: the destination is dead or refused, and no
// verdict could let anything cross. The guest sees a reset, as from a dead
// server; nothing was judged, since nothing could have passed.
void InterceptingPipeline::on_probe_failed(std::string_view reason) {
    stage_ = Stage::done;
    if (decision_ticket_ != 0) services_.decider->cancel(decision_ticket_);
    decision_ticket_ = 0;
    io_->reset("the guest sent nothing within " + std::to_string(tls::kServerSpeaksFirstTimeout.count()) +
               " ms and dialing " + io_->info().upstream.to_string() + " to see whether it speaks first failed: " +
               std::string(reason));
}

// Upstream bytes before any verdict lets the upstream speak to the guest:
// kept for after it, with reading paused so at most one read waits here.
void InterceptingPipeline::hold_upstream_bytes(std::span<const std::uint8_t> bytes) {
    upstream_in_.insert(upstream_in_.end(), bytes.begin(), bytes.end());
    if (upstream_paused_) return;
    upstream_paused_ = true;
    io_->upstream_pause_reading();
}

void InterceptingPipeline::detect() {
    switch (tls::detect_protocol(guest_in_)) {
    case tls::DetectedProtocol::need_more:
        if (guest_in_.size() > tls::kMaxClientHelloBytes + 5) start_opaque("first bytes too long to recognise");
        else if (guest_eof_) start_opaque("the guest closed before its first message was whole");
        return;
    case tls::DetectedProtocol::tls_client_hello: {
        const auto parsed = tls::parse_client_hello(guest_in_);
        if (parsed.status == tls::ClientHelloStatus::incomplete) {
            if (guest_eof_) start_opaque("the guest closed before its ClientHello was whole");
            return;
        }
        if (parsed.status == tls::ClientHelloStatus::invalid) {
            io_->reset("malformed TLS ClientHello: " + parsed.error);  // never relayed blind
            stage_ = Stage::done;
            return;
        }
        start_tls(parsed.hello);
        return;
    }
    case tls::DetectedProtocol::http1:
    case tls::DetectedProtocol::http2_prior_knowledge:  // the HTTP session refuses it with a 400
        start_http();
        return;
    case tls::DetectedProtocol::opaque:
        start_opaque("not HTTP or TLS");
        return;
    }
}

void InterceptingPipeline::start_tls(const tls::ClientHello& hello) {
    sni_ = hello.server_name;
    const std::string host = sni_.empty() ? io_->info().original_destination.address.to_string() : sni_;
    if (services_.tls->plan_for(sni_, io_->info().dns_name) == tls::TlsPlan::passthrough) {
        // Unread TLS to a provider's host may carry its worst operation (issue 11).
        start_opaque("TLS to " + host + " is passed through unread (tls.passthrough, or a learned refusal)",
                     provider_claiming_destination());
        return;
    }
    auto session = services_.tls->start_guest_session(hello, io_->info().original_destination.address.to_string());
    if (!session) {
        io_->reset("cannot open TLS for " + host + ": " + session.error());
        stage_ = Stage::done;
        return;
    }
    guest_tls_ = session.take();
    // The session was given the ClientHello (reassembled as one record): those bytes are done.
    const std::size_t hello_bytes = std::min(hello.consumed_bytes, guest_in_.size());
    guest_in_.erase(guest_in_.begin(), guest_in_.begin() + static_cast<std::ptrdiff_t>(hello_bytes));
    io_->guest_consumed(hello_bytes);
    start_http();
}

void InterceptingPipeline::start_http() {
    uv_timer_stop(detect_timer_);
    http::SessionConfig config;
    config.sni = sni_;
    config.max_inspect_bytes = services_.max_inspect_bytes;
    http_ = std::make_unique<http::HttpSession>(std::move(config));
    stage_ = Stage::http;
}

std::string InterceptingPipeline::destination_host() const {
    const auto& info = io_->info();
    return !sni_.empty() ? sni_ : !info.dns_name.empty() ? info.dns_name : info.original_destination.address.to_string();
}

std::string InterceptingPipeline::destination_host_port() const {
    return destination_host() + ":" + std::to_string(io_->info().original_destination.port);
}

http::FlowFacts InterceptingPipeline::flow_facts() const {
    return {services_.vm_name, io_->info().guest.to_string(), io_->info().original_destination.to_string(), sni_};
}

// The provider that claims the SNI or, failing that, the name the guest
// resolved for this address (a guest may send any SNI to a provider's address).
std::string InterceptingPipeline::provider_claiming_destination() const {
    for (const std::string& name : {sni_, io_->info().dns_name}) {
        const std::string_view provider = classifiers::provider_claiming_host(name);
        if (!provider.empty()) return std::string(provider);
    }
    return {};
}

void InterceptingPipeline::start_opaque(const std::string& why, const std::string& claimed_by) {
    uv_timer_stop(detect_timer_);
    stage_ = Stage::opaque_waiting;
    auto alive = alive_;
    http::OpaqueFlow opaque{destination_host(), io_->info().original_destination.port, claimed_by, why};
    decision_ticket_ = services_.decider->decide_opaque(flow_facts(), opaque, [this, alive](bool pass) {
        if (!*alive) return;
        decision_ticket_ = 0;
        if (!pass) {
            stage_ = Stage::done;
            io_->reset("refused: " + destination_host_port() +
                       " is a connection askfirst cannot read and the mode does not pass it (the audit log says why)");
            return;
        }
        relay_opaque_flow();
    });
}

// After the verdict: the relay takes the flow, with what each side sent
// while it was judged. A probed upstream is already dialed (DialedFlowIo).
void InterceptingPipeline::relay_opaque_flow() {
    stage_ = Stage::opaque_relay;
    netstack::FlowIo* relay_io = io_;
    if (upstream_requested_) {
        dialed_io_ = std::make_unique<DialedFlowIo>(*io_);
        relay_io = dialed_io_.get();
    }
    relay_ = std::make_unique<netstack::RelayPipeline>();
    relay_->on_start(*relay_io);
    std::vector<std::uint8_t> first_bytes = std::move(guest_in_);
    guest_in_.clear();
    if (!first_bytes.empty()) relay_->on_guest_bytes(first_bytes);
    if (guest_eof_) relay_->on_guest_finished();
    std::vector<std::uint8_t> held = std::move(upstream_in_);
    upstream_in_.clear();
    if (!held.empty()) relay_->on_upstream_bytes(held);
    if (upstream_eof_) relay_->on_upstream_finished();
    else if (upstream_paused_ && relay_->held_for_guest() == 0) io_->upstream_resume_reading();
}

// ---- events from the flow ----

void InterceptingPipeline::on_guest_bytes(std::span<const std::uint8_t> bytes) {
    if (stage_ == Stage::opaque_relay) return relay_->on_guest_bytes(bytes);
    guest_in_.insert(guest_in_.end(), bytes.begin(), bytes.end());
    pump();
}

void InterceptingPipeline::on_guest_finished() {
    if (stage_ == Stage::opaque_relay) return relay_->on_guest_finished();
    guest_eof_ = true;
    if (guest_tls_) guest_tls_->on_transport_eof();
    if (stage_ == Stage::detecting && guest_in_.empty()) start_opaque("the guest closed before sending");
    pump();
}

void InterceptingPipeline::on_guest_send_space() {
    if (stage_ == Stage::opaque_relay) return relay_->on_guest_send_space();
    pump();
}

void InterceptingPipeline::on_upstream_connected() {
    if (stage_ == Stage::opaque_relay) return relay_->on_upstream_connected();
    upstream_connected_ = true;
    if (upstream_wanted_) start_upstream_tls();  // a probed connection waits for a passed request
    pump();
}

void InterceptingPipeline::on_upstream_failed(std::string_view reason) {
    if (stage_ == Stage::opaque_relay) return relay_->on_upstream_failed(reason);
    if (stage_ == Stage::done) return;
    if (!http_) return on_probe_failed(reason);  // only the probe dials before detection ends
    upstream_dead_ = true;
    record_upstream_refusals(std::string(reason));
    http_->on_upstream_failed(reason);
    pump();
}

void InterceptingPipeline::on_upstream_bytes(std::span<const std::uint8_t> bytes) {
    if (stage_ == Stage::opaque_relay) return relay_->on_upstream_bytes(bytes);
    if (stage_ == Stage::done) return;
    if (!upstream_wanted_) {
        hold_upstream_bytes(bytes);
        if (stage_ == Stage::detecting && guest_in_.empty()) start_opaque("the upstream spoke first");
        pump();
        return;
    }
    if (upstream_tls_) {
        // Straight into the TLS session when nothing waits before these bytes: no staging copy.
        const std::size_t taken = upstream_in_.empty() ? upstream_tls_->accept_ciphertext(bytes) : 0;
        upstream_in_.insert(upstream_in_.end(), bytes.begin() + static_cast<std::ptrdiff_t>(taken), bytes.end());
    } else if (!guest_tls_) {
        give_upstream_plaintext(as_text(bytes));
    }  // else TLS to the upstream could not start: nothing it sends is readable
    pump();
}

void InterceptingPipeline::on_upstream_finished() {
    if (stage_ == Stage::opaque_relay) return relay_->on_upstream_finished();
    upstream_eof_ = true;
    if (stage_ == Stage::detecting && guest_in_.empty()) return start_opaque("the upstream closed before anyone spoke");
    if (upstream_tls_) upstream_tls_->on_transport_eof();
    pump();
}

void InterceptingPipeline::on_upstream_sent(std::size_t bytes) {
    if (stage_ == Stage::opaque_relay) return relay_->on_upstream_sent(bytes);
    pump();
}

// ---- the pump ----

// Re-entrant calls (a verdict delivered while pumping) only ask for another
// round, so the state is never changed under a running step.
void InterceptingPipeline::pump() {
    if (pumping_) {
        pump_again_ = true;
        return;
    }
    pumping_ = true;
    do {
        pump_again_ = false;
        pump_once();
    } while (pump_again_ && stage_ != Stage::done);
    pumping_ = false;
}

void InterceptingPipeline::pump_once() {
    if (stage_ == Stage::detecting) detect();
    if (stage_ != Stage::http) return;
    feed_guest_side();
    feed_upstream_side();
    check_tls_failures();
    if (stage_ != Stage::http) return;
    note_upstream_state();
    drain_session_outputs();
    flush_to_upstream();
    flush_to_guest();
    apply_back_pressure();
    finish_when_drained();
}

void InterceptingPipeline::feed_guest_side() {
    if (!guest_tls_) {
        if (!guest_in_.empty() && http_->wants_guest_bytes() && room_for_upstream(*io_, upstream_plain_out_)) {
            const std::size_t given = guest_in_.size();
            http_->on_guest_bytes(as_text(guest_in_));
            guest_in_.clear();
            io_->guest_consumed(given);
        }
        if (guest_eof_ && guest_in_.empty() && !http_->closed()) http_->on_guest_eof();
        return;
    }
    if (!guest_in_.empty()) {
        const std::size_t taken = guest_tls_->accept_ciphertext(guest_in_);
        guest_in_.erase(guest_in_.begin(), guest_in_.begin() + static_cast<std::ptrdiff_t>(taken));
        if (taken > 0) io_->guest_consumed(taken);
    }
    guest_tls_->advance();
    std::uint8_t chunk[kPlaintextChunk];
    while (http_->wants_guest_bytes() && room_for_upstream(*io_, upstream_plain_out_)) {
        const std::size_t got = guest_tls_->read_plaintext(chunk);
        if (got == 0) break;
        http_->on_guest_bytes(std::string_view(reinterpret_cast<const char*>(chunk), got));
        if (!guest_in_.empty()) {  // reading freed room in the TLS session
            const std::size_t taken = guest_tls_->accept_ciphertext(guest_in_);
            guest_in_.erase(guest_in_.begin(), guest_in_.begin() + static_cast<std::ptrdiff_t>(taken));
            if (taken > 0) io_->guest_consumed(taken);
        }
    }
    const bool guest_done = guest_tls_->state() == tls::TlsSessionState::peer_closed ||
                            (guest_eof_ && guest_in_.empty() && guest_tls_->state() != tls::TlsSessionState::established);
    if (guest_done && !http_->closed()) http_->on_guest_eof();
}

void InterceptingPipeline::feed_upstream_side() {
    if (!upstream_tls_) {
        if (upstream_wanted_ && !guest_tls_ && !upstream_in_.empty()) {  // held while the request was judged
            http_->on_upstream_bytes(as_text(upstream_in_));
            upstream_in_.clear();
        }
        if (upstream_eof_ && !http_->closed()) http_->on_upstream_eof();
        return;
    }
    if (!upstream_in_.empty()) {
        const std::size_t taken = upstream_tls_->accept_ciphertext(upstream_in_);
        upstream_in_.erase(upstream_in_.begin(), upstream_in_.begin() + static_cast<std::ptrdiff_t>(taken));
    }
    upstream_tls_->advance();
    std::uint8_t chunk[kPlaintextChunk];
    while (guest_backlog_bytes() < kMaxUpstreamQueuedBytes) {
        const std::size_t got = upstream_tls_->read_plaintext(chunk);
        if (got == 0) break;
        give_upstream_plaintext(std::string_view(reinterpret_cast<const char*>(chunk), got));
        if (!upstream_in_.empty()) {
            const std::size_t taken = upstream_tls_->accept_ciphertext(upstream_in_);
            upstream_in_.erase(upstream_in_.begin(), upstream_in_.begin() + static_cast<std::ptrdiff_t>(taken));
        }
    }
    if (upstream_tls_->state() == tls::TlsSessionState::peer_closed && !http_->closed()) http_->on_upstream_eof();
}

void InterceptingPipeline::check_tls_failures() {
    if (guest_tls_ && guest_tls_->state() == tls::TlsSessionState::failed) {
        const auto& failure = guest_tls_->failure();
        if (failure.kind == tls::TlsFailureKind::guest_rejected_certificate) on_guest_refused_certificate(failure);
        flush_to_guest();  // a fatal alert may be queued
        stage_ = Stage::done;
        io_->reset("guest TLS failed: " + failure.reason);
        return;
    }
    if (upstream_tls_ && !upstream_dead_ && upstream_tls_->state() == tls::TlsSessionState::failed) {
        upstream_dead_ = true;
        upstream_plain_out_.clear();
        std::fprintf(stderr, "askfirstd name=%s event=upstream_tls_failed host=%s reason=\"%s\"\n",
                     services_.vm_name.c_str(), destination_host_port().c_str(),
                     upstream_tls_->failure().reason.c_str());
        record_upstream_refusals(upstream_tls_->failure().reason);
        http_->on_upstream_failed(upstream_tls_->failure().reason);
    }
}

// The guest would not accept our certificate. Interception stays on unless
// the profile opted into learning and no provider claims the host
// (tls/tls_interceptor.h); either way a person can see it: operator log,
// audit line (the tray's recent decisions), `askfirst status`.
void InterceptingPipeline::on_guest_refused_certificate(const tls::TlsFailure& failure) {
    const std::string host = sni_.empty() ? io_->info().original_destination.address.to_string() : sni_;
    const std::string provider = provider_claiming_destination();
    const auto learning = services_.tls->on_certificate_refused(host, !provider.empty());
    const TlsRefusal refusal{host, provider, std::string(tls::tls_alert_name(failure.alert)), learning};
    const std::string sentence = tls_refusal_sentence(refusal);
    std::fprintf(stderr, "askfirstd name=%s event=tls_refused_by_guest host=%s alert=%s action=%s advice=\"%s\"\n",
                 services_.vm_name.c_str(), host.c_str(), refusal.alert.c_str(),
                 std::string(tls::refusal_learning_name(learning)).c_str(), sentence.c_str());
    services_.tls_refusals->note(refusal);
    services_.decider->record_tls_refusal(flow_facts(), refusal, sentence);
}

// ---- the upstream of an HTTP flow ----

// The first request that passes opens the way to the upstream: dial it, or
// use the connection the probe already opened.
void InterceptingPipeline::want_upstream() {
    upstream_wanted_ = true;
    if (!upstream_requested_) {
        upstream_requested_ = true;
        io_->upstream_connect();
        return;
    }
    if (upstream_connected_) start_upstream_tls();
}

void InterceptingPipeline::start_upstream_tls() {
    if (!guest_tls_ || upstream_tls_ || upstream_dead_) return;
    auto session = services_.tls->start_upstream_session(sni_, io_->info().original_destination.address.to_string());
    if (!session) {
        upstream_dead_ = true;
        const std::string reason = "cannot start TLS to the upstream: " + session.error();
        record_upstream_refusals(reason);
        http_->on_upstream_failed(reason);
        return;
    }
    upstream_tls_ = session.take();
    upstream_tls_->advance();  // the ClientHello
}

// Once the upstream is up, a request it was passed can no longer turn into
// askfirst's own 502 before reaching it: stop keeping copies.
void InterceptingPipeline::note_upstream_state() {
    if (upstream_up_ || !upstream_connected_ || upstream_dead_) return;
    if (guest_tls_ && !(upstream_tls_ && upstream_tls_->is_established())) return;
    upstream_up_ = true;
    passed_before_upstream_up_.clear();
}

// Each request passed but answered 502 because the upstream failed gets a
// second audit line that says so (invariant 8: the log tells what happened).
void InterceptingPipeline::record_upstream_refusals(const std::string& reason) {
    upstream_failure_ = reason;
    for (const auto& passed_line : passed_before_upstream_up_)
        services_.decider->record_upstream_refusal(passed_line, reason);
    passed_before_upstream_up_.clear();
}

void InterceptingPipeline::drain_session_outputs() {
    for (auto& output : http_->take_outputs()) {
        if (auto* up = std::get_if<http::SendToUpstream>(&output)) {
            if (upstream_dead_) continue;
            if (!upstream_wanted_) want_upstream();
            if (upstream_dead_) continue;
            upstream_plain_out_ += up->bytes;
            http::wipe_string(up->bytes);  // it may carry a real credential (src/http/head_edits.h)
        } else if (auto* down = std::get_if<http::SendToGuest>(&output)) {
            send_plaintext_to_guest(down->bytes);
        } else if (auto* decide_event = std::get_if<http::DecideRequest>(&output)) {
            decide(decide_event->id, decide_event->request);
        } else if (std::holds_alternative<http::CancelDecision>(output)) {
            if (decision_ticket_ != 0) services_.decider->cancel(decision_ticket_);
            decision_ticket_ = 0;
        } else if (auto* refusal = std::get_if<http::ProtocolRefusal>(&output)) {
            std::fprintf(stderr, "askfirstd name=%s event=http_refused status=%d dst=%s reason=\"%s\"\n",
                         services_.vm_name.c_str(), refusal->status, destination_host_port().c_str(),
                         refusal->reason.c_str());
            // A 502 for a failed upstream already has its line per passed request
            // (record_upstream_refusals); every other refusal gets one here.
            const bool upstream_failure = refusal->status == 502 && refusal->reason == upstream_failure_;
            if (!upstream_failure)
                services_.decider->record_protocol_refusal(flow_facts(), refusal->status, refusal->reason);
        } else if (std::holds_alternative<http::HalfCloseUpstream>(output)) {
            half_close_upstream_ = true;
        } else if (std::holds_alternative<http::HalfCloseGuest>(output)) {
            half_close_guest_ = true;
        } else if (std::holds_alternative<http::CloseFlow>(output)) {
            close_flow_ = true;
        }
    }
}

void InterceptingPipeline::decide(http::RequestId id, const classifiers::HttpRequest& request) {
    auto alive = alive_;
    // While the upstream is not up, a pass may yet become a 502: the pass's
    // audit line is kept for record_upstream_refusals.
    const bool upstream_was_up = upstream_up_;
    decision_ticket_ = services_.decider->decide_request(
        flow_facts(), request,
        [this, alive, id, upstream_was_up](bool pass, const http::LocalResponse& refusal,
                                           const consent::AuditRecord& line, const http::RequestEdits& edits) {
            if (!*alive) return;
            decision_ticket_ = 0;
            if (pass && !upstream_was_up && upstream_dead_) {  // the session answers it 502 at once
                services_.decider->record_upstream_refusal(line, upstream_failure_);
            } else if (pass && !upstream_was_up && !upstream_up_) {
                passed_before_upstream_up_.push_back(line);
            }
            if (pass) http_->pass(id, edits);
            else http_->refuse(id, refusal);
            pump();
        });
}

// Upstream plaintext into the HTTP session. A response body it relays as is
// comes back to be sent from where it lies: no copy through its outputs (a
// bulk download's every byte otherwise took two).
void InterceptingPipeline::give_upstream_plaintext(std::string_view text) {
    const std::size_t relayed = http_->on_upstream_bytes_relayed_by_caller(text);
    if (relayed > 0) send_plaintext_to_guest(text.substr(0, relayed));
}

// Into lwIP (plain) or the guest TLS session at once when nothing waits
// before it; what does not fit waits its turn in to_guest_/guest_plain_out_.
void InterceptingPipeline::send_plaintext_to_guest(std::string_view bytes) {
    if (!guest_tls_) {
        if (to_guest_.empty()) bytes.remove_prefix(io_->guest_send(as_bytes(bytes)));
        to_guest_.append(bytes);
        return;
    }
    if (guest_plain_out_.empty() && guest_tls_->is_established())
        bytes.remove_prefix(guest_tls_->write_plaintext(as_bytes(bytes)));
    guest_plain_out_.append(bytes);
}

// What the guest has not been sent yet: wire bytes, and plaintext and ciphertext of the guest TLS session.
std::size_t InterceptingPipeline::guest_backlog_bytes() const {
    const std::size_t ciphertext = guest_tls_ && guest_tls_->wants_to_write() ? guest_tls_->pending_ciphertext().size() : 0;
    return to_guest_.size() + guest_plain_out_.size() + ciphertext;
}

void InterceptingPipeline::flush_to_upstream() {
    if (!upstream_connected_ || upstream_dead_) return;
    if (!upstream_tls_) {
        if (!upstream_plain_out_.empty() && io_->upstream_queued() < kMaxUpstreamQueuedBytes) {
            io_->upstream_send(as_bytes(upstream_plain_out_));
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
                OPENSSL_cleanse(upstream_plain_out_.data(), taken);  // sealed now; it may carry a real credential
                upstream_plain_out_.erase(0, taken);
                moved = taken > 0;
            }
            if (half_close_upstream_ && upstream_plain_out_.empty()) upstream_tls_->close();
            while (upstream_tls_->wants_to_write() && io_->upstream_queued() < kMaxUpstreamQueuedBytes) {
                const auto pending = upstream_tls_->pending_ciphertext();
                io_->upstream_send(pending);  // the flow queues what the socket does not take now
                upstream_tls_->consume_ciphertext(pending.size());
                moved = true;
            }
        }
    }
    if (half_close_upstream_ && upstream_plain_out_.empty() && !upstream_finished_sent_ &&
        (!upstream_tls_ || !upstream_tls_->wants_to_write())) {
        upstream_finished_sent_ = true;
        io_->upstream_finish();
    }
}

void InterceptingPipeline::flush_to_guest() {
    bool moved = true;
    while (moved) {
        moved = false;
        if (guest_tls_) {
            if (!guest_plain_out_.empty() && guest_tls_->is_established()) {
                const std::size_t taken = guest_tls_->write_plaintext(as_bytes(guest_plain_out_));
                guest_plain_out_.erase(0, taken);
                moved = taken > 0;
            }
            if ((close_flow_ || half_close_guest_) && guest_plain_out_.empty() && guest_tls_->is_established())
                guest_tls_->close();
            // From the session's queue straight to lwIP (which copies it): no staging copy.
            while (to_guest_.empty() && guest_tls_->wants_to_write()) {
                const auto pending = guest_tls_->pending_ciphertext();
                const std::size_t taken = io_->guest_send(pending);
                guest_tls_->consume_ciphertext(taken);
                if (taken < pending.size()) return;  // lwIP is full: wait for on_guest_send_space
            }
        }
        if (!to_guest_.empty()) {
            const std::size_t taken = io_->guest_send(as_bytes(to_guest_));
            to_guest_.erase(0, taken);
            if (to_guest_.empty()) to_guest_.shrink_to_fit();  // an idle flow keeps no buffer
            else moved = false;  // lwIP is full: wait for on_guest_send_space
        }
    }
}

// Upstream reading stops while the guest cannot take what we already have.
void InterceptingPipeline::apply_back_pressure() {
    const bool guest_ciphertext_waits = guest_tls_ && guest_tls_->wants_to_write();
    const bool guest_backlog = !to_guest_.empty() || guest_ciphertext_waits || guest_plain_out_.size() > kPlaintextChunk ||
                               upstream_in_.size() > tls::kMaxBufferedCiphertextIn ||
                               (!upstream_wanted_ && !upstream_in_.empty());  // held until a request passes
    if (guest_backlog && !upstream_paused_) {
        upstream_paused_ = true;
        io_->upstream_pause_reading();
    } else if (!guest_backlog && upstream_paused_) {
        upstream_paused_ = false;
        io_->upstream_resume_reading();
    }
}

void InterceptingPipeline::finish_when_drained() {
    const bool guest_drained = guest_backlog_bytes() == 0;
    if ((close_flow_ || half_close_guest_) && guest_drained && !guest_finished_sent_) {
        guest_finished_sent_ = true;
        io_->guest_finish();
    }
    if (close_flow_ && !upstream_finished_sent_) {
        upstream_finished_sent_ = true;
        if (upstream_requested_) io_->upstream_finish();
    }
}

}  // namespace askfirst
