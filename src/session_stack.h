// src/session_stack.h — the second stage of an intercepted flow: one
// FlowSession (src/flow_session.h), the TLS layers around it when the flow
// is encrypted, and the flow's upstream connection, moved between the
// guest's FlowIo and the socket. The pipeline (src/intercepting_pipeline.h)
// builds it once detection chose the session, hands over what it buffered,
// and from then on forwards every flow event here.
//
//   guest ─ lwIP ─► [guest TLS] ─ plaintext ─► session ─ plaintext ─► [upstream TLS] ─► socket
//         ◄───────── [guest TLS] ◄─ plaintext ─ session ◄─ plaintext ── [upstream TLS] ◄──
//                                                │ DecideRequest / on_verdict
//                                                ▼
//                                       FlowDecisions (src/request_decider)
//
// The upstream lifecycle is one state (UpstreamState below). The upstream
// is dialed only when a passed request goes there (so a flow whose requests
// are all refused never reaches the server), unless the "who speaks first"
// probe dialed it already; then the open connection is used (no second
// dial). The upstream TLS session verifies the server for the guest's SNI;
// if that fails, nothing is relayed and the session answers each request
// with its error (HTTP: a 502 saying why); a request passed by the decision
// and then answered 502 gets a second audit line, decision "refused"
// (FlowDecisions::record_upstream_refusal).
//
// Back-pressure (netstack/flow_pipeline.h): guest bytes are consumed (lwIP's
// window reopened) only once the session took them; bytes for the guest
// wait for lwIP's send space with upstream reading paused; bytes for the
// upstream are fed only while the socket's queue is short. Until a passed
// request opens the way, upstream bytes (a probed server's banner) are held,
// with reading paused.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "netstack/flow_pipeline.h"
#include "src/flow_session.h"
#include "src/flow_timer.h"
#include "src/interception_services.h"
#include "src/request_decision.h"
#include "tls/client_hello.h"
#include "tls/tls_session.h"

namespace askfirst {

// Plaintext or ciphertext waiting for the upstream socket beyond what its
// queue holds: a few TLS records. Past it, guest bytes are not read further.
inline constexpr std::size_t kMaxUpstreamQueuedBytes = 256 * 1024;

// One flow's upstream connection, from nothing to usable (or failed).
enum class UpstreamState {
    not_dialed,       // nothing asked for it yet
    probe_dialing,    // dialed by the "who speaks first" probe; nothing may cross
    probe_connected,  // the probe's connection is open; waits for a passed request
    dialing,          // a passed request goes there; connect under way
    connected,        // connected for a passed request; its TLS (if any) not yet established
    up,               // bytes flow both ways
    failed,           // connect or TLS failed: the session answers with errors
};
const char* upstream_state_name(UpstreamState state);

// What the pipeline hands the stack when detection is over.
struct SessionStackStart {
    std::unique_ptr<FlowSession> session;
    std::unique_ptr<tls::TlsSession> guest_tls;  // nullptr: a plaintext flow
    std::string sni;
    std::vector<std::uint8_t> guest_in;          // received from lwIP, not yet consumed
    std::vector<std::uint8_t> upstream_in;       // held from a probed upstream
    bool guest_eof = false;
    bool upstream_eof = false;
    bool upstream_reading_paused = false;
    UpstreamState upstream = UpstreamState::not_dialed;
};

class SessionStack {
public:
    SessionStack(InterceptionServices& services, netstack::FlowIo& io, SessionStackStart start);
    ~SessionStack();
    SessionStack(const SessionStack&) = delete;
    SessionStack& operator=(const SessionStack&) = delete;

    // The flow's events, as netstack::FlowPipeline names them.
    void on_guest_bytes(std::span<const std::uint8_t> bytes);
    void on_guest_finished();
    void on_upstream_connected();
    void on_upstream_failed(std::string_view reason);
    void on_upstream_bytes(std::span<const std::uint8_t> bytes);
    void on_upstream_finished();
    // Moves bytes as far as they can go, then sets back-pressure (also for
    // send space and upstream writes done).
    void pump();

    UpstreamState upstream_state() const { return upstream_; }

private:
    // Which side of the flow has been told it is finished.
    enum class SideEnd { open, finish_when_drained, finished };
    enum class Pumping { idle, running, again };
    // The guest side's TLS: from detection (open), or asked for by the session mid-stream.
    enum class GuestTls { none, awaiting_client_hello, open };

    void pump_once();
    void feed_guest_side();
    void feed_upstream_side();
    void check_tls_failures();
    void on_guest_refused_certificate(const tls::TlsFailure& failure);
    void note_upstream_state();
    void drain_session_outputs();
    void flush_to_upstream();
    void flush_to_guest();
    void apply_back_pressure();
    void finish_when_drained();

    void want_upstream();
    void start_upstream_tls();
    void fail_upstream(const std::string& reason);
    bool open_guest_tls_mid_stream();
    void encrypt_upstream_from_now();
    void reset_flow(const std::string& reason);
    bool upstream_is_connected() const;
    bool upstream_may_speak() const;

    void decide(RequestId id, const classifiers::HttpRequest& request);
    bool room_for_guest_answers() const;
    void decide_statement(RequestId id, const DatabaseStatement& statement);
    void pump_after_verdicts();
    void log_protocol_refusal(const ProtocolRefusal& refusal);
    void give_guest_ciphertext();
    void consume_guest_front(std::size_t count);
    void give_upstream_plaintext(std::string_view text);
    void send_plaintext_to_guest(std::string_view bytes);
    std::size_t guest_backlog_bytes() const;

    InterceptionServices& services_;
    netstack::FlowIo& io_;
    std::unique_ptr<FlowSession> session_;
    std::unique_ptr<tls::TlsSession> guest_tls_;
    std::unique_ptr<tls::TlsSession> upstream_tls_;
    std::string sni_;
    // The flow's facts as every request's decision and audit line name them,
    // formatted once (addresses to text) and again only if sni_ changed.
    std::optional<http::FlowFacts> request_flow_facts_;
    const http::FlowFacts& request_flow_facts();
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

    std::vector<std::uint8_t> guest_in_;    // from lwIP, not yet consumed
    std::size_t guest_in_taken_already_ = 0;  // at its front: a session's read-ahead, consumed from lwIP already
    std::vector<std::uint8_t> upstream_in_; // from the socket, not yet taken by the upstream TLS session
    std::string to_guest_;                  // wire bytes waiting for lwIP's send space
    std::string guest_plain_out_;           // plaintext the guest TLS session has no room for yet
    std::string upstream_plain_out_;        // plaintext waiting for the upstream (connect, handshake)

    // Requests passed while the upstream was not up yet (connecting, or its
    // TLS handshake running): if it fails, each was answered 502, and the
    // audit log must say so. Emptied once the upstream is up.
    std::vector<consent::AuditRecord> passed_before_upstream_up_;  // their "pass" lines
    std::string upstream_failure_;  // why the upstream failed, for requests passed after it
    // Requests awaiting their verdict (HTTP/2: several at once, by stream).
    std::map<RequestId, FlowDecisions::Ticket> decision_tickets_;
    std::unique_ptr<FlowTimer> verdict_pump_;  // pump_after_verdicts: the next loop turn
    bool verdict_pump_armed_ = false;

    UpstreamState upstream_ = UpstreamState::not_dialed;
    GuestTls guest_tls_state_ = GuestTls::none;
    bool upstream_encrypted_ = false;  // our TLS client speaks to the upstream (from the start or StartUpstreamTls)
    SideEnd guest_end_ = SideEnd::open;
    SideEnd upstream_end_ = SideEnd::open;
    bool close_flow_ = false;     // the session's CloseFlow: both sides end
    bool flow_reset_ = false;     // the stack reset the flow (guest TLS failed, a bad mid-stream ClientHello): nothing more happens
    bool guest_eof_ = false;
    bool upstream_eof_ = false;
    bool upstream_paused_ = false;  // mirrors upstream_pause_reading/resume_reading
    bool upstream_alpn_told_ = false;  // the session knows what the upstream TLS negotiated
    Pumping pumping_ = Pumping::idle;
    // A side stopped feeding because the other side's queue was full; the
    // pump runs again once a flush has made room (pump_once).
    bool guest_stopped_for_upstream_room_ = false;
    bool upstream_stopped_for_guest_room_ = false;
};

}  // namespace askfirst
