// src/intercepting_pipeline.h — what askfirstd puts between every guest TCP
// flow and its upstream: the layers of mitmproxy's habit, stacked per flow
// as the first bytes tell what the flow is (conventions.md):
//
//   first bytes ── TLS ClientHello ──► guest TLS (our leaf) ─┐
//               ── HTTP/1.x request ─────────────────────────┼─► HTTP session ─► decisions
//               ── anything else, a passthrough host, the    │    (src/request_decider)
//                  upstream speaking first, or nobody        │
//                  speaking within kSilentFlowLimit ─────────┴─► opaque: judged once as
//                                                                "tcp HOST:PORT", then relayed
//
// Who speaks first. A guest silent for tls::kServerSpeaksFirstTimeout (3 s)
// is not yet judged opaque: a slow client (a TCG guest, a script that
// connects and then thinks) may still send a ClientHello, and judging it
// opaque would splice it past TLS interception (invariant 2). Instead the
// pipeline dials the upstream (the probe) and waits for the first side to
// speak: the upstream's bytes (SSH, SMTP, MySQL banners) or its close make
// the flow opaque; the guest's bytes go through detection as usual, and an
// intercepted flow then uses the connection already open (no second dial).
// Until a verdict lets bytes cross, nothing of the guest reaches the
// upstream and nothing of the upstream reaches the guest: upstream bytes
// are held (reading paused, so at most one socket read) and handed over
// after the verdict. A probe that cannot connect resets the flow (the guest
// sees what a dead destination gives it). The opaque relay gets the probed
// connection through src/dialed_flow_io.h, whose upstream_connect() is a
// no-op: the relay keeps its own back-pressure and half-close rules.
//
// The upstream is otherwise dialed only when something may go there: for
// HTTP, when the session first passes a request (so a flow whose requests
// are all refused never reaches the server); for an opaque flow, once it is
// allowed. The upstream TLS session verifies the server for the guest's SNI;
// if that fails, nothing is relayed and each request gets a 502 saying why;
// a request passed by the decision and then answered 502 gets a second audit
// line, decision "refused" (RequestDecider::record_upstream_refusal).
//
// Back-pressure (netstack/flow_pipeline.h): guest bytes are consumed (lwIP's
// window reopened) only once the next layer took them; bytes for the guest
// wait for lwIP's send space with upstream reading paused; bytes for the
// upstream are fed only while the socket's queue is short.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <uv.h>

#include "netstack/flow_pipeline.h"
#include "netstack/relay_pipeline.h"
#include "src/dialed_flow_io.h"
#include "src/http/http_session.h"
#include "src/request_decider.h"
#include "src/tls_refusals.h"
#include "tls/tls_interceptor.h"
#include "tls/tls_session.h"

namespace askfirst {

// Shared by every flow of one askfirstd; owned by the appliance.
struct InterceptionServices {
    uv_loop_t* loop = nullptr;
    tls::TlsInterceptor* tls = nullptr;
    TlsRefusals* tls_refusals = nullptr;  // what `askfirst status` shows of refused certificates
    RequestDecider* decider = nullptr;
    std::string vm_name;
    std::size_t max_inspect_bytes = http::kDefaultMaxInspectBytes;
};

// Plaintext or ciphertext waiting for the upstream socket beyond what its
// queue holds: a few TLS records. Past it, guest bytes are not read further.
inline constexpr std::size_t kMaxUpstreamQueuedBytes = 256 * 1024;

// How long a flow may stay silent on both sides, after the probe dialed the
// upstream, before it is judged opaque as before (the idle-flow rule). A
// TCG guest was measured taking over a second to its ClientHello; twenty
// times the 3 s detection timeout is far beyond any client that is still
// building its first message, and a server-speaks-first protocol answers the
// probe within milliseconds, so only flows where neither side ever speaks
// wait this long.
inline constexpr std::chrono::milliseconds kSilentFlowLimit{60000};

class InterceptingPipeline final : public netstack::FlowPipeline {
public:
    explicit InterceptingPipeline(InterceptionServices& services);
    ~InterceptingPipeline() override;

    void on_start(netstack::FlowIo& io) override;
    void on_guest_bytes(std::span<const std::uint8_t> bytes) override;
    void on_guest_finished() override;
    void on_guest_send_space() override;
    void on_upstream_connected() override;
    void on_upstream_failed(std::string_view reason) override;
    void on_upstream_bytes(std::span<const std::uint8_t> bytes) override;
    void on_upstream_finished() override;
    void on_upstream_sent(std::size_t bytes) override;

private:
    enum class Stage { detecting, http, opaque_waiting, opaque_relay, done };

    // detection
    void detect();
    void arm_detect_timer(std::chrono::milliseconds delay);
    void on_detect_timeout();
    void probe_upstream();
    void on_probe_failed(std::string_view reason);
    void hold_upstream_bytes(std::span<const std::uint8_t> bytes);
    void start_tls(const tls::ClientHello& hello);
    void start_http();
    // `claimed_by`: the provider that claims the host of TLS askfirst does not open.
    void start_opaque(const std::string& why, const std::string& claimed_by = {});
    std::string provider_claiming_destination() const;
    void on_guest_refused_certificate(const tls::TlsFailure& failure);
    void relay_opaque_flow();
    std::string destination_host() const;  // SNI, else the name the guest resolved, else the address
    std::string destination_host_port() const;
    http::FlowFacts flow_facts() const;

    // the pump: moves bytes as far as they can go, then sets back-pressure
    void pump();
    void pump_once();
    void feed_guest_side();
    void feed_upstream_side();
    void drain_session_outputs();
    void flush_to_upstream();
    void flush_to_guest();
    void apply_back_pressure();
    void check_tls_failures();
    void finish_when_drained();

    void want_upstream();
    void start_upstream_tls();
    void note_upstream_state();
    void record_upstream_refusals(const std::string& reason);

    void decide(http::RequestId id, const classifiers::HttpRequest& request);
    void give_upstream_plaintext(std::string_view text);
    void send_plaintext_to_guest(std::string_view bytes);
    std::size_t guest_backlog_bytes() const;

    InterceptionServices& services_;
    netstack::FlowIo* io_ = nullptr;
    Stage stage_ = Stage::detecting;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    uv_timer_t* detect_timer_ = nullptr;

    std::vector<std::uint8_t> guest_in_;    // from lwIP, not yet consumed
    std::vector<std::uint8_t> upstream_in_; // from the socket, not yet taken by the upstream TLS session
    std::string to_guest_;                  // wire bytes waiting for lwIP's send space
    std::string guest_plain_out_;           // plaintext the guest TLS session has no room for yet
    std::string upstream_plain_out_;        // plaintext waiting for the upstream (connect, handshake)

    std::string sni_;
    std::unique_ptr<tls::TlsSession> guest_tls_;
    std::unique_ptr<tls::TlsSession> upstream_tls_;
    std::unique_ptr<http::HttpSession> http_;
    std::unique_ptr<DialedFlowIo> dialed_io_;  // the relay's view of a flow the probe dialed
    std::unique_ptr<netstack::RelayPipeline> relay_;

    // Requests passed while the upstream was not up yet (connecting, or its
    // TLS handshake running): if it fails, each was answered 502, and the
    // audit log must say so. Emptied once the upstream is up.
    std::vector<consent::AuditRecord> passed_before_upstream_up_;  // their "pass" lines
    std::string upstream_failure_;  // why the upstream failed, for requests passed after it

    RequestDecider::Ticket decision_ticket_ = 0;
    bool probe_started_ = false;      // dialed at the detection timeout to see who speaks first
    bool upstream_requested_ = false; // upstream_connect() called (by the probe or for a passed request)
    bool upstream_wanted_ = false;    // a passed request goes there: its bytes may reach the guest
    bool upstream_up_ = false;        // connected, and its TLS established when there is one
    bool upstream_connected_ = false;
    bool upstream_dead_ = false;      // connect or TLS failed: the session answers 502s
    bool upstream_paused_ = false;
    bool upstream_eof_ = false;
    bool guest_eof_ = false;
    bool half_close_upstream_ = false;
    bool half_close_guest_ = false;
    bool close_flow_ = false;
    bool guest_finished_sent_ = false;
    bool upstream_finished_sent_ = false;
    bool pumping_ = false;
    bool pump_again_ = false;
};

}  // namespace askfirst
