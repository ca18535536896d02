// src/intercepting_pipeline.h — what askfirstd puts between every guest TCP
// flow and its upstream: the layers of mitmproxy's habit, stacked per flow
// as the first bytes tell what the flow is (conventions.md):
//
//   first bytes ── TLS ClientHello ──► guest TLS (our leaf) ─┐
//               ── HTTP/1.x request ─────────────────────────┼─► HTTP session ─► decisions
//               ── anything else, a passthrough host, or     │    (src/request_decider)
//                  nothing within 3 s (server speaks first) ─┴─► opaque: judged once as
//                                                                "tcp HOST:PORT", then relayed
//
// The upstream is dialed only when something may go there: for HTTP, when
// the session first passes a request (so a flow whose requests are all
// refused never reaches the server); for an opaque flow, once it is allowed.
// The upstream TLS session verifies the server for the guest's SNI; if that
// fails, nothing is relayed and each request gets a 502 saying why.
//
// Back-pressure (netstack/flow_pipeline.h): guest bytes are consumed (lwIP's
// window reopened) only once the next layer took them; bytes for the guest
// wait for lwIP's send space with upstream reading paused; bytes for the
// upstream are fed only while the socket's queue is short.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <uv.h>

#include "netstack/flow_pipeline.h"
#include "netstack/relay_pipeline.h"
#include "src/http_session.h"
#include "src/request_decider.h"
#include "tls/guest_tls_server.h"
#include "tls/passthrough_hosts.h"
#include "tls/tls_session.h"
#include "tls/upstream_tls_client.h"

namespace askfirst {

// Shared by every flow of one askfirstd; owned by the appliance.
struct InterceptionServices {
    uv_loop_t* loop = nullptr;
    tls::GuestTlsServer* guest_tls = nullptr;
    tls::UpstreamTlsClient* upstream_tls = nullptr;
    tls::PassthroughHosts* passthrough = nullptr;
    RequestDecider* decider = nullptr;
    std::string vm_name;
    std::size_t max_inspect_bytes = http::kDefaultMaxInspectBytes;
};

// Plaintext or ciphertext waiting for the upstream socket beyond what its
// queue holds: a few TLS records. Past it, guest bytes are not read further.
inline constexpr std::size_t kMaxUpstreamQueuedBytes = 256 * 1024;

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
    void on_detect_timeout();
    void start_tls(const tls::ClientHello& hello);
    void start_http();
    void start_opaque(const std::string& why);
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

    void decide(http::RequestId id, const classifiers::HttpRequest& request);
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
    std::unique_ptr<netstack::RelayPipeline> relay_;

    RequestDecider::Ticket decision_ticket_ = 0;
    bool upstream_requested_ = false;
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
