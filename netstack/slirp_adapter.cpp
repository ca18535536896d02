// netstack/slirp_adapter.cpp — libslirp's callbacks and poll cycle on the
// libuv loop (see netstack/slirp_adapter.h).
#include "netstack/slirp_adapter.h"

#include <arpa/inet.h>

#include <libslirp.h>

namespace askfirst::netstack {

struct SlirpAdapter::Timer {
    uv_timer_t* handle = nullptr;
    SlirpTimerCb callback = nullptr;
    void* callback_opaque = nullptr;
};

struct SlirpAdapter::Watch {
    uv_poll_t* handle = nullptr;
    int watched_events = 0;  // UV_READABLE | UV_WRITABLE | UV_PRIORITIZED
    int fired_events = 0;    // SLIRP_POLL_* since the last after_poll()
};

namespace {

SlirpAdapter* adapter_of(void* opaque) { return static_cast<SlirpAdapter*>(opaque); }

int to_uv_events(int slirp_events) {
    int events = 0;
    if ((slirp_events & SLIRP_POLL_IN) != 0) events |= UV_READABLE;
    if ((slirp_events & SLIRP_POLL_OUT) != 0) events |= UV_WRITABLE;
    if ((slirp_events & SLIRP_POLL_PRI) != 0) events |= UV_PRIORITIZED;
    return events;
}

int to_slirp_events(int uv_events, int status) {
    if (status < 0) return SLIRP_POLL_ERR;
    int events = 0;
    if ((uv_events & UV_READABLE) != 0) events |= SLIRP_POLL_IN;
    if ((uv_events & UV_WRITABLE) != 0) events |= SLIRP_POLL_OUT;
    if ((uv_events & UV_PRIORITIZED) != 0) events |= SLIRP_POLL_PRI;
    if ((uv_events & UV_DISCONNECT) != 0) events |= SLIRP_POLL_HUP;
    return events;
}

std::int64_t clock_ns(void*) { return static_cast<std::int64_t>(uv_hrtime()); }

void* timer_new(SlirpTimerCb callback, void* callback_opaque, void* opaque);
void timer_free(void* timer, void*) {
    auto* slirp_timer = static_cast<SlirpAdapter::Timer*>(timer);
    close_and_delete(slirp_timer->handle);
    delete slirp_timer;
}

void timer_mod(void* timer, std::int64_t expire_ms, void*) {
    auto* slirp_timer = static_cast<SlirpAdapter::Timer*>(timer);
    const std::int64_t now_ms = static_cast<std::int64_t>(uv_hrtime() / 1000000);
    const std::int64_t delay = expire_ms > now_ms ? expire_ms - now_ms : 0;
    uv_timer_start(slirp_timer->handle, [](uv_timer_t* handle) {
        auto* fired = static_cast<SlirpAdapter::Timer*>(handle->data);
        fired->callback(fired->callback_opaque);
    }, static_cast<std::uint64_t>(delay), 0);
}

ssize_t send_packet(const void* buf, size_t len, void* opaque);
void guest_error(const char* message, void* opaque);
void register_poll_fd(int, void*) {}  // fds are collected each round by slirp_pollfds_fill
void unregister_poll_fd(int fd, void* opaque);
void notify(void*) {}  // the uv_prepare runs before every poll anyway

}  // namespace

// Accessors the C callbacks need; kept out of the header.
struct SlirpCallbacksAccess {
    static uv_loop_t* loop(SlirpAdapter* adapter);
    static void send(SlirpAdapter* adapter, std::span<const std::uint8_t> frame);
    static void log(SlirpAdapter* adapter, const std::string& line);
    static void forget_fd(SlirpAdapter* adapter, int fd);
};

namespace {

void* timer_new(SlirpTimerCb callback, void* callback_opaque, void* opaque) {
    auto* timer = new SlirpAdapter::Timer{new uv_timer_t, callback, callback_opaque};
    uv_timer_init(SlirpCallbacksAccess::loop(adapter_of(opaque)), timer->handle);
    timer->handle->data = timer;
    return timer;
}

// slirp is about to close `fd`: stop watching it now, before the number can
// be reused by another socket that libuv watches.
void unregister_poll_fd(int fd, void* opaque) { SlirpCallbacksAccess::forget_fd(adapter_of(opaque), fd); }

ssize_t send_packet(const void* buf, size_t len, void* opaque) {
    SlirpCallbacksAccess::send(adapter_of(opaque), {static_cast<const std::uint8_t*>(buf), len});
    return static_cast<ssize_t>(len);
}

void guest_error(const char* message, void* opaque) {
    SlirpCallbacksAccess::log(adapter_of(opaque), std::string("event=slirp_guest_error message=\"") + message + "\"");
}

const SlirpCb kCallbacks = {
    send_packet, guest_error, clock_ns, timer_new, timer_free, timer_mod,
    register_poll_fd, unregister_poll_fd, notify, nullptr, nullptr,
};

SlirpConfig guest_network_config() {
    SlirpConfig config{};
    config.version = 4;
    config.restricted = 0;  // udp.allow'd datagrams must leave through slirp's NAT
    config.in_enabled = true;
    inet_pton(AF_INET, "10.0.2.0", &config.vnetwork);
    inet_pton(AF_INET, "255.255.255.0", &config.vnetmask);
    inet_pton(AF_INET, "10.0.2.2", &config.vhost);
    inet_pton(AF_INET, "10.0.2.15", &config.vdhcp_start);
    inet_pton(AF_INET, "10.0.2.3", &config.vnameserver);
    config.in6_enabled = true;
    inet_pton(AF_INET6, "fec0::", &config.vprefix_addr6);
    config.vprefix_len = 64;
    inet_pton(AF_INET6, "fec0::2", &config.vhost6);
    inet_pton(AF_INET6, "fec0::3", &config.vnameserver6);
    config.vhostname = "askfirst-guest";
    config.if_mtu = 1500;
    config.if_mru = 1500;
    config.disable_host_loopback = true;  // invariant 3: the gateway is not the host's loopback
    config.enable_emu = false;
    // DNS to 10.0.2.3 never reaches slirp (the demux answers it); leaving
    // slirp's DNS on keeps 10.0.2.3 in its DHCP and RA answers.
    config.disable_dns = false;
    config.disable_dhcp = false;
    return config;
}

}  // namespace

uv_loop_t* SlirpCallbacksAccess::loop(SlirpAdapter* adapter) { return adapter->loop_; }
void SlirpCallbacksAccess::send(SlirpAdapter* adapter, std::span<const std::uint8_t> frame) { adapter->send_frame_(frame); }
void SlirpCallbacksAccess::log(SlirpAdapter* adapter, const std::string& line) { adapter->log_(line); }
void SlirpCallbacksAccess::forget_fd(SlirpAdapter* adapter, int fd) {
    const auto found = adapter->watches_.find(fd);
    if (found == adapter->watches_.end()) return;
    close_and_delete(found->second->handle);
    adapter->watches_.erase(found);
}

Result<std::unique_ptr<SlirpAdapter>> SlirpAdapter::create(uv_loop_t* loop, FrameSink send_frame, LogHandler log) {
    using Created = Result<std::unique_ptr<SlirpAdapter>>;
    std::unique_ptr<SlirpAdapter> adapter(new SlirpAdapter(loop, std::move(send_frame), std::move(log)));
    const SlirpConfig config = guest_network_config();
    adapter->slirp_ = slirp_new(&config, &kCallbacks, adapter.get());
    if (adapter->slirp_ == nullptr) return Created::failure("libslirp refused its configuration (slirp_new failed)");
    adapter->prepare_.reset(new uv_prepare_t);
    uv_prepare_init(loop, adapter->prepare_.get());
    adapter->prepare_->data = adapter.get();
    uv_prepare_start(adapter->prepare_.get(), [](uv_prepare_t* handle) {
        static_cast<SlirpAdapter*>(handle->data)->before_poll();
    });
    adapter->check_.reset(new uv_check_t);
    uv_check_init(loop, adapter->check_.get());
    adapter->check_->data = adapter.get();
    uv_check_start(adapter->check_.get(), [](uv_check_t* handle) {
        static_cast<SlirpAdapter*>(handle->data)->after_poll();
    });
    adapter->poll_timeout_.reset(new uv_timer_t);
    uv_timer_init(loop, adapter->poll_timeout_.get());
    uv_unref(reinterpret_cast<uv_handle_t*>(adapter->prepare_.get()));
    uv_unref(reinterpret_cast<uv_handle_t*>(adapter->check_.get()));
    uv_unref(reinterpret_cast<uv_handle_t*>(adapter->poll_timeout_.get()));
    return Created::success(std::move(adapter));
}

SlirpAdapter::SlirpAdapter(uv_loop_t* loop, FrameSink send_frame, LogHandler log)
    : loop_(loop), send_frame_(std::move(send_frame)), log_(std::move(log)) {}

SlirpAdapter::~SlirpAdapter() {
    for (auto& [fd, watch] : watches_) close_and_delete(watch->handle);
    watches_.clear();
    if (slirp_ != nullptr) slirp_cleanup(slirp_);  // frees its timers through timer_free
}

void SlirpAdapter::input_frame(std::span<const std::uint8_t> frame) {
    slirp_input(slirp_, frame.data(), static_cast<int>(frame.size()));
}

int SlirpAdapter::add_poll(int fd, int events) {
    polled_.emplace_back(fd, events);
    return static_cast<int>(polled_.size() - 1);
}

int SlirpAdapter::revents_of(int index) const {
    if (index < 0 || static_cast<std::size_t>(index) >= polled_.size()) return 0;
    const auto found = watches_.find(polled_[static_cast<std::size_t>(index)].first);
    return found == watches_.end() ? 0 : found->second->fired_events;
}

// Before the loop sleeps: ask slirp which fds it wants, mirror them as uv_polls,
// and bound the sleep by slirp's own timeout.
void SlirpAdapter::before_poll() {
    polled_.clear();
    std::uint32_t timeout_ms = UINT32_MAX;
    slirp_pollfds_fill(slirp_, &timeout_ms, [](int fd, int events, void* opaque) {
        return adapter_of(opaque)->add_poll(fd, events);
    }, this);
    std::map<int, int> wanted;
    for (const auto& [fd, events] : polled_) wanted[fd] |= to_uv_events(events);
    for (auto it = watches_.begin(); it != watches_.end();) {
        if (wanted.count(it->first) == 0) {
            close_and_delete(it->second->handle);
            it = watches_.erase(it);
        } else {
            ++it;
        }
    }
    for (const auto& [fd, events] : wanted) {
        auto& watch = watches_[fd];
        if (!watch) {
            watch = std::make_unique<Watch>();
            watch->handle = new uv_poll_t;
            uv_poll_init_socket(loop_, watch->handle, fd);
            watch->handle->data = watch.get();
        }
        if (watch->watched_events != events) {
            watch->watched_events = events;
            if (events == 0) {
                uv_poll_stop(watch->handle);
            } else {
                uv_poll_start(watch->handle, events, [](uv_poll_t* handle, int status, int fired) {
                    static_cast<Watch*>(handle->data)->fired_events |= to_slirp_events(fired, status);
                });
            }
        }
    }
    if (timeout_ms != UINT32_MAX)
        uv_timer_start(poll_timeout_.get(), [](uv_timer_t*) {}, timeout_ms, 0);
}

void SlirpAdapter::after_poll() {
    if (polled_.empty()) {
        slirp_pollfds_poll(slirp_, 0, [](int, void*) { return 0; }, this);
        return;
    }
    slirp_pollfds_poll(slirp_, 0, [](int index, void* opaque) { return adapter_of(opaque)->revents_of(index); }, this);
    for (auto& [fd, watch] : watches_) watch->fired_events = 0;
}

}  // namespace askfirst::netstack
