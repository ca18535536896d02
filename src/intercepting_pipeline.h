// src/intercepting_pipeline.h — what askfirstd puts between every guest TCP
// flow and its upstream: the layers of mitmproxy's habit, stacked per flow
// as the first bytes tell what the flow is (conventions.md). This class is
// the thin shell over three named stages:
//
//   1. first-bytes detection (src/first_bytes_detection.h): a table of
//      detectors over the guest's first bytes;
//   2. the late-first-bytes probe ("who speaks first", below);
//   3. the session stack (src/session_stack.h): one FlowSession
//      (src/flow_session.h; HTTP/1.1 today) inside the TLS layers, with the
//      upstream lifecycle; or the opaque relay (netstack/relay_pipeline).
//
//   first bytes ── TLS ClientHello ──► guest TLS (our leaf) ─┐
//               ── HTTP/1.x request (a detector row) ────────┼─► session stack ─► decisions
//               ── anything else, a passthrough host, the    │    (src/request_decider)
//                  upstream speaking first, or nobody        │
//                  speaking within kSilentFlowLimit ─────────┴─► opaque: judged once as
//                                                                "tcp HOST:PORT", then relayed
//
// Who speaks first. A guest silent for tls::kServerSpeaksFirstTimeout (250 ms)
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
// Every opaque verdict names why the flow was opaque (the operator log line
// `event=flow_opaque` and the audit record's reason say it). Unread TLS to a
// host a provider claims is judged as that provider's worst operation
// (src/request_decision.h, issue 11).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "netstack/flow_pipeline.h"
#include "netstack/relay_pipeline.h"
#include "src/dialed_flow_io.h"
#include "src/first_bytes_detection.h"
#include "src/flow_destination.h"
#include "src/interception_services.h"
#include "src/session_stack.h"
#include "tls/client_hello.h"

namespace askfirst {

// How long a flow may stay silent on both sides, after the probe dialed the
// upstream, before it is judged opaque as before (the idle-flow rule). A
// TCG guest was measured taking over a second to its ClientHello; twenty
// times the old 3 s detection timeout is far beyond any client that is still
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
    // Where the flow is; a stage never goes back.
    enum class Stage {
        detecting,       // reading the guest's first bytes
        probing,         // the guest was silent: the upstream is dialed to see who speaks first
        opaque_waiting,  // judged opaque; the verdict on "tcp HOST:PORT" is pending
        opaque_relay,    // relayed as is (relay_)
        session,         // intercepted (stack_)
        done,            // reset
    };

    void detect();
    void on_detect_timeout();
    void probe_upstream();
    void detect_server_first();
    bool refused_as_unlisted(const Detection& detection);
    void on_probe_failed(std::string_view reason);
    void hold_upstream_bytes(std::span<const std::uint8_t> bytes);
    void start_tls(const tls::ClientHello& hello);
    void start_session(const SessionContext& context, std::unique_ptr<FlowSession> session,
                       std::unique_ptr<tls::TlsSession> guest_tls);
    void start_opaque(const std::string& why, const std::string& claimed_by = {});
    void relay_opaque_flow();
    void reset_flow(const std::string& reason);

    InterceptionServices& services_;
    netstack::FlowIo* io_ = nullptr;
    Stage stage_ = Stage::detecting;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    std::unique_ptr<FlowTimer> detect_timer_;

    // Until a stage takes them over: what each side sent while detecting.
    std::vector<std::uint8_t> guest_in_;
    std::vector<std::uint8_t> upstream_in_;
    bool guest_eof_ = false;
    bool upstream_eof_ = false;
    bool upstream_paused_ = false;
    UpstreamState upstream_ = UpstreamState::not_dialed;  // not_dialed, or the probe's
    std::string sni_;
    ExpectedDatabase expected_database_;  // the protocol this destination must speak, or none
    FlowDecisions::Ticket decision_ticket_ = 0;

    std::unique_ptr<SessionStack> stack_;
    std::unique_ptr<DialedFlowIo> dialed_io_;  // the relay's view of a flow the probe dialed
    std::unique_ptr<netstack::RelayPipeline> relay_;
};

}  // namespace askfirst
