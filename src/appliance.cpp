// src/appliance.cpp — wiring and the per-frame dispatch of src/appliance.h.
#include "src/appliance.h"

#include <sys/resource.h>

#include <algorithm>

#include "netstack/relay_pipeline.h"
#include "netstack/stream_frontend.h"
#include "netstack/tap_frontend.h"
#include "netstack/udp_frame.h"

namespace askfirst {
namespace {

using namespace netstack;

constexpr std::size_t kUdpHeaderBytes = 8;
// File descriptors kept back from the flow budget: the transport, slirp's
// sockets, the DNS resolver's threads, the ready fd.
constexpr std::size_t kReservedFds = 128;

// Each relayed flow holds one host socket: raise the soft limit to the hard
// one and cap the flow count below it, so a full table refuses with RST
// instead of failing accept() or connect() at random.
FlowLimits flow_limits_for_fd_budget() {
    FlowLimits limits;
    rlimit files{};
    if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
        getrlimit(RLIMIT_NOFILE, &files);
        const std::size_t budget = files.rlim_cur > kReservedFds * 2 ? files.rlim_cur - kReservedFds : kReservedFds;
        limits.max_flows = std::min(limits.max_flows, budget);
    }
    return limits;
}

}  // namespace

Result<std::unique_ptr<Appliance>> Appliance::start(uv_loop_t* loop, const AskfirstdOptions& options,
                                                    Profile profile, const OperatorLog& log) {
    using Started = Result<std::unique_ptr<Appliance>>;
    std::unique_ptr<Appliance> appliance(new Appliance(loop, options, std::move(profile), log));
    if (auto started = appliance->start_pieces(); !started) return Started::failure(started.error());
    return Started::success(std::move(appliance));
}

Appliance::Appliance(uv_loop_t* loop, const AskfirstdOptions& options, Profile profile, const OperatorLog& log)
    : loop_(loop), options_(options), profile_(std::move(profile)), log_(log) {}

Appliance::~Appliance() {
    dns_.reset();
    flows_.reset();  // RST to every open guest flow, upstream sockets closed
    interception_.reset();
    lwip_.reset();
    slirp_.reset();
    frontend_.reset();
}

Status Appliance::start_pieces() {
    auto logger = [this](const std::string& line) { log_.line(line); };
    auto slirp = SlirpAdapter::create(loop_, [this](std::span<const std::uint8_t> frame) { send_to_guest(frame); }, logger);
    if (!slirp) return Status::failure(slirp.error());
    slirp_ = slirp.take();
    auto interception = Interception::start(loop_, profile_, options_.name);
    if (!interception) return Status::failure(interception.error());
    interception_ = interception.take();
    const FlowLimits limits = flow_limits_for_fd_budget();
    flows_ = std::make_unique<FlowTable>(
        loop_, UpstreamTables{profile_.upstream_map, profile_.host_services}, limits,
        [this](const FlowInfo& info) { return interception_->make_pipeline(info); }, logger, options_.verbose);
    interception_->set_flow_counter([this] { return flows_->live_flows(); });
    auto lwip = LwipStack::create([this](std::span<const std::uint8_t> frame) { send_to_guest(frame); },
                                  [this](std::unique_ptr<LwipTcpConnection>& connection) { flows_->accept(connection); });
    if (!lwip) return Status::failure(lwip.error());
    lwip_ = lwip.take();
    if (!lwip_checksum_is_ours())
        log_.line("event=slow_checksum reason=\"liblwip does not use askfirstd's checksum (its own is several times "
                  "slower); bulk transfers will be slower\"");
    dns_ = std::make_unique<DnsResponder>(loop_, profile_.dns_hosts);
    dns_->set_answer_observer(
        [this](std::string_view name, const IpAddress& address) { flows_->dns_names().remember(name, address); });
    lwip_timer_.reset(new uv_timer_t);
    uv_timer_init(loop_, lwip_timer_.get());
    lwip_timer_->data = this;
    lwip_timer_check_.reset(new uv_check_t);
    uv_check_init(loop_, lwip_timer_check_.get());
    lwip_timer_check_->data = this;
    uv_check_start(lwip_timer_check_.get(), [](uv_check_t* check) { static_cast<Appliance*>(check->data)->schedule_lwip_timers(); });
    uv_unref(reinterpret_cast<uv_handle_t*>(lwip_timer_check_.get()));
    if (auto started = start_frontend(); !started) return started;
    log_.line("event=ready transport=" + std::string(options_.tap_fd ? "tap" : "stream") +
              " max_flows=" + std::to_string(limits.max_flows) + " udp_allow=" + std::to_string(profile_.udp_allow.size()));
    return ok_status();
}

Status Appliance::start_frontend() {
    auto on_frame = [this](std::span<const std::uint8_t> frame) { on_guest_frame(frame); };
    auto log = [this](const std::string& line) { log_.line(line); };
    auto keep = [this](auto opened) {
        if (!opened) return Status::failure(opened.error());
        frontend_ = opened.take();
        return ok_status();
    };
    if (!options_.tap_fd) return keep(StreamFrontend::listen(loop_, *options_.socket_path, on_frame, log));
    return keep(TapFrontend::open(loop_, *options_.tap_fd, on_frame,
                                  [this](const std::string& message) {
                                      log_.line("event=transport_failed reason=\"" + message + "\"");
                                      transport_failed_ = true;
                                      uv_stop(loop_);
                                  },
                                  log));
}

void Appliance::send_to_guest(std::span<const std::uint8_t> frame) {
    if (frontend_) frontend_->send_frame(frame);
}

// Runs lwIP's due timers and arms one uv_timer for the next; called after
// every loop poll (so after each batch of frames) and when the timer fires.
void Appliance::schedule_lwip_timers() {
    const std::uint32_t next_ms = lwip_->run_timers();
    if (next_ms == UINT32_MAX) {
        uv_timer_stop(lwip_timer_.get());
        return;
    }
    uv_timer_start(lwip_timer_.get(), [](uv_timer_t* timer) { static_cast<Appliance*>(timer->data)->schedule_lwip_timers(); },
                   next_ms, 0);
}

void Appliance::on_guest_frame(std::span<const std::uint8_t> frame) {
    const DemuxDecision decision = demux_frame(frame, DemuxPolicy{profile_.udp_allow});
    if (decision.frame && (decision.frame->source_mac[0] & 0x01) == 0 &&
        (!guest_mac_known_ || decision.frame->source_mac != guest_mac_)) {
        guest_mac_ = decision.frame->source_mac;  // lwIP's and DNS's frames go back to it
        guest_mac_known_ = true;
        lwip_->set_guest_mac(guest_mac_);
    }
    switch (decision.route) {
    case DemuxRoute::slirp_service:
        slirp_->input_frame(frame);
        return;
    case DemuxRoute::udp_allowed:
        log_udp_allowed(*decision.frame);
        slirp_->input_frame(frame);
        return;
    case DemuxRoute::lwip_tcp:
        lwip_->input_tcp_segment(frame, *decision.frame);
        return;
    case DemuxRoute::dns_query:
        answer_dns(frame, *decision.frame);
        return;
    case DemuxRoute::udp_dropped:
    case DemuxRoute::dropped:
        if (options_.verbose)
            log_.line("event=frame_dropped route=" + std::string(demux_route_name(decision.route)) + " reason=\"" +
                      std::string(decision.reason) + "\"" +
                      (decision.frame && decision.frame->is_ip ? " dst=" + decision.frame->destination.to_string() : ""));
        return;
    }
}

void Appliance::log_udp_allowed(const ParsedFrame& parsed) {
    if (udp_allowed_logged_.insert(parsed.destination).second || options_.verbose)
        log_.line("event=udp_allowed src=" + parsed.source.to_string() + " dst=" + parsed.destination.to_string());
}

void Appliance::answer_dns(std::span<const std::uint8_t> frame, const ParsedFrame& parsed) {
    const std::size_t payload_at = parsed.l4_offset + kUdpHeaderBytes;
    const std::size_t ip_end = parsed.ip_offset + parsed.ip_packet_bytes;
    if (payload_at > ip_end) return;
    const auto payload = frame.subspan(payload_at, ip_end - payload_at);
    const IpEndpoint guest = parsed.source;
    const IpEndpoint nameserver = parsed.destination;
    const MacAddress guest_mac = parsed.source_mac;
    dns_->handle_query(payload, [this, guest, nameserver, guest_mac](std::vector<std::uint8_t> reply) {
        const auto reply_frame = build_udp_frame(guest_mac, nameserver, guest, reply);
        if (!reply_frame.empty()) send_to_guest(reply_frame);
    });
}

}  // namespace askfirst
