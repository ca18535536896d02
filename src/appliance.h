// src/appliance.h — one askfirstd: the frame transport, the demux, libslirp,
// lwIP, the virtual nameserver and the flow table, wired on one libuv loop.
// A thin shell (mitmproxy's server.py habit): it turns loop callbacks into
// calls on the netstack pieces and sends what they produce back out.
#pragma once

#include <memory>
#include <set>
#include <string>

#include <uv.h>

#include "src/base/result.h"
#include "netstack/demux.h"
#include "netstack/dns_responder.h"
#include "netstack/flow_table.h"
#include "netstack/lwip_adapter.h"
#include "netstack/slirp_adapter.h"
#include "src/askfirstd_options.h"
#include "src/interception.h"
#include "src/operator_log.h"
#include "src/profile.h"

namespace askfirst {

class Appliance {
public:
    // The running appliance, or what failed and what to do when a piece cannot start.
    static Result<std::unique_ptr<Appliance>> start(uv_loop_t* loop, const AskfirstdOptions& options, Profile profile,
                                                    const OperatorLog& log);
    ~Appliance();
    Appliance(const Appliance&) = delete;
    Appliance& operator=(const Appliance&) = delete;

    // Set when the transport failed for good (TAP gone): askfirstd exits.
    bool transport_failed() const { return transport_failed_; }
    // What the sandbox holds instead of the real credentials (src/credentials/sandbox_stubs.h).
    const std::string& sandbox_stubs() const { return interception_->sandbox_stubs(); }

private:
    Appliance(uv_loop_t* loop, const AskfirstdOptions& options, Profile profile, const OperatorLog& log);
    Status start_pieces();
    Status start_frontend();
    void on_guest_frame(std::span<const std::uint8_t> frame);
    void answer_dns(std::span<const std::uint8_t> frame, const netstack::ParsedFrame& parsed);
    void send_to_guest(std::span<const std::uint8_t> frame);
    void schedule_lwip_timers();
    void log_udp_allowed(const netstack::ParsedFrame& parsed);

    uv_loop_t* loop_;
    AskfirstdOptions options_;
    Profile profile_;
    const OperatorLog& log_;
    netstack::MacAddress guest_mac_{};
    bool guest_mac_known_ = false;
    bool transport_failed_ = false;
    std::unique_ptr<netstack::FrameFrontend> frontend_;
    std::unique_ptr<netstack::SlirpAdapter> slirp_;
    std::unique_ptr<netstack::LwipStack> lwip_;
    // Above TCP: declared before flows_ so that it outlives every pipeline.
    std::unique_ptr<Interception> interception_;
    std::unique_ptr<netstack::FlowTable> flows_;
    std::unique_ptr<netstack::DnsResponder> dns_;
    std::unique_ptr<uv_timer_t, netstack::UvHandleCloser<uv_timer_t>> lwip_timer_;
    std::unique_ptr<uv_check_t, netstack::UvHandleCloser<uv_check_t>> lwip_timer_check_;
    // udp.allow destinations already logged once (bounded by the profile's list).
    std::set<netstack::IpEndpoint> udp_allowed_logged_;
};

}  // namespace askfirst
