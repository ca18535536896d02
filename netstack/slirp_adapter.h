// netstack/slirp_adapter.h — libslirp 4.7 for the services a guest network
// needs that are not TCP: ARP, DHCP, ICMP echo, NDP/RA, DHCPv6, and UDP that
// the profile's udp.allow lists (slirp's NAT). TCP never reaches slirp (it
// would open its own host socket for every guest connection).
//
// slirp's layout is its usual one: 10.0.2.0/24, gateway 10.0.2.2, DNS
// 10.0.2.3, guest from 10.0.2.15; fec0::/64 with fec0::2 and fec0::3.
// `disable_host_loopback` is set: slirp never maps the gateway to the host's
// loopback (invariant 3); host services go through upstream TCP only.
//
// libslirp 4.7 exposes its sockets through slirp_pollfds_fill/poll: a
// uv_prepare before each loop poll collects its fds and watches them with
// uv_poll handles; a uv_check after the poll hands back what fired. Its
// timers are uv_timers; its output frames go to the frontend.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <uv.h>

#include "src/base/result.h"
#include "netstack/frame_frontend.h"
#include "netstack/uv_handles.h"

struct Slirp;

namespace askfirst::netstack {

class SlirpAdapter {
public:
    using FrameSink = std::function<void(std::span<const std::uint8_t> frame)>;
    using LogHandler = std::function<void(const std::string& line)>;

    static Result<std::unique_ptr<SlirpAdapter>> create(uv_loop_t* loop, FrameSink send_frame, LogHandler log);
    ~SlirpAdapter();
    SlirpAdapter(const SlirpAdapter&) = delete;
    SlirpAdapter& operator=(const SlirpAdapter&) = delete;

    void input_frame(std::span<const std::uint8_t> frame);

    struct Timer;
    struct Watch;

private:
    friend struct SlirpCallbacksAccess;
    SlirpAdapter(uv_loop_t* loop, FrameSink send_frame, LogHandler log);
    void before_poll();
    void after_poll();
    int add_poll(int fd, int events);
    int revents_of(int index) const;

    uv_loop_t* loop_;
    FrameSink send_frame_;
    LogHandler log_;
    Slirp* slirp_ = nullptr;
    std::unique_ptr<uv_prepare_t, UvHandleCloser<uv_prepare_t>> prepare_;
    std::unique_ptr<uv_check_t, UvHandleCloser<uv_check_t>> check_;
    std::unique_ptr<uv_timer_t, UvHandleCloser<uv_timer_t>> poll_timeout_;
    std::map<int, std::unique_ptr<Watch>> watches_;  // fd → its uv_poll
    std::vector<std::pair<int, int>> polled_;           // this round: (fd, slirp events)
};

}  // namespace askfirst::netstack
