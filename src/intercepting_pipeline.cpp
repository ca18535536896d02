// src/intercepting_pipeline.cpp — the flow's stages: detection, the "who
// speaks first" probe, the hand-over to the session stack or the opaque
// relay (see the header for the picture).
#include "src/intercepting_pipeline.h"

#include <algorithm>
#include <chrono>


namespace askfirst {

InterceptingPipeline::InterceptingPipeline(InterceptionServices& services) : services_(services) {}

InterceptingPipeline::~InterceptingPipeline() {
    *alive_ = false;
    if (decision_ticket_ != 0) services_.decider->cancel(decision_ticket_);
}

// ---- stage 1: first-bytes detection ----

void InterceptingPipeline::on_start(netstack::FlowIo& io) {
    io_ = &io;
    detect_timer_ = services_.make_timer();
    expected_database_ = expected_database(io.info(), services_.databases);
    // A listed MySQL endpoint: its server speaks first, so dial at once rather than after the wait.
    if (expected_database_.protocol == "mysql") return probe_upstream();
    detect_timer_->start(tls::kServerSpeaksFirstTimeout, [this] { on_detect_timeout(); });
}

// A listed database endpoint is never relayed unread: first bytes that are
// not its protocol (nor TLS, inside which it is looked for again) end the flow.
bool InterceptingPipeline::refused_as_unlisted(const Detection& detection) {
    if (expected_database_.protocol.empty() || detection.outcome == Detection::Outcome::need_more) return false;
    if (detection.outcome == Detection::Outcome::matched &&
        (starts_session_of(*detection.detector, expected_database_.protocol) || detection.detector->name == "tls"))
        return false;
    const std::string seen = detection.outcome == Detection::Outcome::matched ? std::string(detection.detector->name)
                                                                              : "bytes askfirst does not read";
    const std::string as = expected_database_.listed_by_profile ? " is listed in the profile's databases as " + expected_database_.protocol
                                             : " is " + expected_database_.protocol + "'s own port, read as " + expected_database_.protocol;
    const std::string reason = destination_host_port(io_->info(), sni_) + as + ", but the flow spoke " + seen;
    services_.log.line("event=database_refused reason=\"" + reason + "\"");
    reset_flow(reason);
    return true;
}

void InterceptingPipeline::detect() {
    const Detection detection = detect_first_bytes(guest_in_);
    if (refused_as_unlisted(detection)) return;
    if (detection.outcome == Detection::Outcome::opaque) return start_opaque("not a protocol askfirst reads");
    if (detection.outcome == Detection::Outcome::need_more) {
        if (guest_in_.size() > tls::kMaxClientHelloBytes + 5) start_opaque("first bytes too long to recognise");
        else if (guest_eof_) start_opaque("the guest closed before its first message was whole");
        return;
    }
    if (detection.detector->make_session != nullptr) {
        SessionContext context{sni_, services_.max_inspect_bytes, false, services_.redis_scripts.get()};
        return start_session(context, detection.detector->make_session(context), nullptr);
    }
    const auto parsed = tls::parse_client_hello(guest_in_);
    if (parsed.status == tls::ClientHelloStatus::incomplete) {
        if (guest_eof_) start_opaque("the guest closed before its ClientHello was whole");
        return;
    }
    if (parsed.status == tls::ClientHelloStatus::invalid) return reset_flow("malformed TLS ClientHello: " + parsed.error);  // never relayed blind
    start_tls(parsed.hello);
}

void InterceptingPipeline::start_tls(const tls::ClientHello& hello) {
    sni_ = hello.server_name;
    const std::string host = sni_.empty() ? io_->info().original_destination.address.to_string() : sni_;
    if (services_.tls->plan_for(sni_, io_->info().dns_name) == tls::TlsPlan::passthrough) {
        // Unread TLS to a provider's host may carry its worst operation (issue 11).
        start_opaque("TLS to " + host + " is passed through unread (tls.passthrough, or a learned refusal)",
                     provider_claiming_destination(io_->info(), sni_));
        return;
    }
    const bool offer_h2 = services_.tls->offer_h2_to_guest(hello, upstream_alpn_key(io_->info(), sni_),
                                                           std::chrono::steady_clock::now());
    auto session = services_.tls->start_guest_session(hello, io_->info().original_destination.address.to_string(), offer_h2);
    if (!session) return reset_flow("cannot open TLS for " + host + ": " + session.error());
    // The session was given the ClientHello (reassembled as one record): those bytes are done.
    const std::size_t hello_bytes = std::min(hello.consumed_bytes, guest_in_.size());
    guest_in_.erase(guest_in_.begin(), guest_in_.begin() + static_cast<std::ptrdiff_t>(hello_bytes));
    io_->guest_consumed(hello_bytes);
    SessionContext context{sni_, services_.max_inspect_bytes, offer_h2 && tls::negotiates_h2(hello),
                           services_.redis_scripts.get()};
    start_session(context, session_inside_tls(context), session.take());
}

// Stage 3: the session stack takes the flow with what each side sent so far.
void InterceptingPipeline::start_session(const SessionContext& context, std::unique_ptr<FlowSession> session,
                                         std::unique_ptr<tls::TlsSession> guest_tls) {
    detect_timer_->stop();
    stage_ = Stage::session;
    SessionStackStart start;
    start.session = std::move(session);
    start.guest_tls = std::move(guest_tls);
    start.sni = context.sni;
    start.guest_in = std::move(guest_in_);
    start.upstream_in = std::move(upstream_in_);
    start.guest_eof = guest_eof_;
    start.upstream_eof = upstream_eof_;
    start.upstream_reading_paused = upstream_paused_;
    start.upstream = upstream_;
    guest_in_.clear();
    upstream_in_.clear();
    stack_ = std::make_unique<SessionStack>(services_, *io_, std::move(start));
    stack_->pump();
}

// ---- stage 2: who speaks first ----

// The first expiry starts the probe (see the header): nothing is judged
// yet. The second, kSilentFlowLimit after the flow began, judges a flow on
// which neither side said anything as opaque, as idle flows always were.
// Bytes that are still the beginning of a known first message (a request
// line cut short, half a ClientHello) are refused instead: relayed as an
// opaque flow, the rest of that request would reach the server unread, so a
// guest that sends "DELE", waits a minute and sends the rest would pass a
// DELETE as a "tcp" write.
void InterceptingPipeline::on_detect_timeout() {
    if (stage_ == Stage::detecting) return probe_upstream();
    if (stage_ != Stage::probing) return;
    if (guest_in_.empty()) {
        start_opaque("neither side spoke within " + std::to_string(kSilentFlowLimit.count()) + " ms");
        return;
    }
    reset_flow("the guest's first " + std::to_string(guest_in_.size()) + " bytes were still the beginning of a " +
               "known protocol's first message after " + std::to_string(kSilentFlowLimit.count()) +
               " ms: refused rather than relayed unread");
}

void InterceptingPipeline::probe_upstream() {
    stage_ = Stage::probing;
    upstream_ = UpstreamState::probe_dialing;
    io_->upstream_connect();
    detect_timer_->start(kSilentFlowLimit - tls::kServerSpeaksFirstTimeout, [this] { on_detect_timeout(); });
}

// The probe could not connect: the destination is dead or refused, and no
// verdict could let anything cross. The guest sees a reset, as from a dead
// server; nothing was judged, since nothing could have passed.
void InterceptingPipeline::on_probe_failed(std::string_view reason) {
    if (decision_ticket_ != 0) services_.decider->cancel(decision_ticket_);
    decision_ticket_ = 0;
    reset_flow("the guest sent nothing within " + std::to_string(tls::kServerSpeaksFirstTimeout.count()) +
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

// ---- opaque flows ----

// `why` goes to the operator log and, through the decision, to the audit
// record's reason; `claimed_by`: the provider that claims the host of TLS
// askfirst does not open.
void InterceptingPipeline::start_opaque(const std::string& why, const std::string& claimed_by) {
    detect_timer_->stop();
    stage_ = Stage::opaque_waiting;
    const auto& info = io_->info();
    services_.log.line("event=flow_opaque dst=" + destination_host_port(info, sni_) + " why=\"" + why + "\"");
    auto alive = alive_;
    http::OpaqueFlow opaque{destination_host(info, sni_), info.original_destination.port, claimed_by, why};
    decision_ticket_ = services_.decider->decide_opaque(flow_facts(services_.vm_name, info, sni_), opaque,
                                                        [this, alive](bool pass) {
        if (!*alive) return;
        decision_ticket_ = 0;
        if (!pass)
            return reset_flow("refused: " + destination_host_port(io_->info(), sni_) +
                              " is a connection askfirst cannot read and the mode does not pass it (the audit log says why)");
        relay_opaque_flow();
    });
}

// After the verdict: the relay takes the flow, with what each side sent
// while it was judged. A probed upstream is already dialed (DialedFlowIo).
void InterceptingPipeline::relay_opaque_flow() {
    stage_ = Stage::opaque_relay;
    netstack::FlowIo* relay_io = io_;
    if (upstream_ != UpstreamState::not_dialed) {
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

void InterceptingPipeline::reset_flow(const std::string& reason) {
    stage_ = Stage::done;
    io_->reset(reason);
}

// ---- events from the flow: to the stage that has it ----

void InterceptingPipeline::on_guest_bytes(std::span<const std::uint8_t> bytes) {
    if (relay_) return relay_->on_guest_bytes(bytes);
    if (stack_) return stack_->on_guest_bytes(bytes);
    guest_in_.insert(guest_in_.end(), bytes.begin(), bytes.end());
    if (stage_ == Stage::detecting || stage_ == Stage::probing) detect();
}

void InterceptingPipeline::on_guest_finished() {
    if (relay_) return relay_->on_guest_finished();
    if (stack_) return stack_->on_guest_finished();
    guest_eof_ = true;
    if (stage_ != Stage::detecting && stage_ != Stage::probing) return;
    if (guest_in_.empty()) return start_opaque("the guest closed before sending");
    detect();
}

void InterceptingPipeline::on_guest_send_space() {
    if (relay_) return relay_->on_guest_send_space();
    if (stack_) return stack_->pump();
}

void InterceptingPipeline::on_upstream_connected() {
    if (relay_) return relay_->on_upstream_connected();
    if (stack_) return stack_->on_upstream_connected();
    if (upstream_ == UpstreamState::probe_dialing) upstream_ = UpstreamState::probe_connected;
}

void InterceptingPipeline::on_upstream_failed(std::string_view reason) {
    if (relay_) return relay_->on_upstream_failed(reason);
    if (stack_) return stack_->on_upstream_failed(reason);
    if (stage_ == Stage::done) return;
    on_probe_failed(reason);  // only the probe dials before a stage takes the flow
}

void InterceptingPipeline::on_upstream_bytes(std::span<const std::uint8_t> bytes) {
    if (relay_) return relay_->on_upstream_bytes(bytes);
    if (stack_) return stack_->on_upstream_bytes(bytes);
    if (stage_ == Stage::done) return;
    hold_upstream_bytes(bytes);
    if (stage_ == Stage::probing && guest_in_.empty()) detect_server_first();
}

// The upstream spoke first to a silent guest: a protocol askfirst reads
// (MySQL's greeting) gets its session, with the probed connection as its
// upstream; anything else is opaque, as before.
void InterceptingPipeline::detect_server_first() {
    const Detection detection = detect_first_bytes(upstream_in_, server_first_detectors());
    if (detection.outcome == Detection::Outcome::need_more && !upstream_eof_) return;
    if (refused_as_unlisted(detection)) return;
    if (detection.outcome != Detection::Outcome::matched) return start_opaque("the upstream spoke first");
    upstream_ = UpstreamState::up;
    SessionContext context{sni_, services_.max_inspect_bytes, false, services_.redis_scripts.get()};
    start_session(context, detection.detector->make_session(context), nullptr);
}

void InterceptingPipeline::on_upstream_finished() {
    if (relay_) return relay_->on_upstream_finished();
    if (stack_) return stack_->on_upstream_finished();
    upstream_eof_ = true;
    if (stage_ == Stage::probing && guest_in_.empty()) start_opaque("the upstream closed before anyone spoke");
}

void InterceptingPipeline::on_upstream_sent(std::size_t bytes) {
    if (relay_) return relay_->on_upstream_sent(bytes);
    if (stack_) stack_->pump();
}

}  // namespace askfirst
