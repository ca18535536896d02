// netstack/frame_frontend.h — where guest Ethernet frames come from and go to:
// a QEMU `-netdev stream` unix socket (netstack/stream_frontend) or a TAP fd
// in a network namespace (netstack/tap_frontend). Both deliver whole frames
// to the demux and take whole frames from lwIP, libslirp and the DNS path.
// When the transport is gone the guest has no network: nothing falls back.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include <uv.h>

namespace askfirst::netstack {

class FrameFrontend {
public:
    using FrameHandler = std::function<void(std::span<const std::uint8_t> frame)>;
    // The transport failed for good (TAP read error); the message says what.
    using FatalHandler = std::function<void(const std::string& message)>;

    virtual ~FrameFrontend() = default;
    // Sends one frame to the guest; drops it (counted) if the transport cannot
    // take it now: TCP above retransmits, as on any lossy link.
    virtual void send_frame(std::span<const std::uint8_t> frame) = 0;
    std::uint64_t dropped_frames() const { return dropped_frames_; }

protected:
    std::uint64_t dropped_frames_ = 0;
};

// Closes a libuv handle and frees it in the close callback: the one place
// askfirstd's uv handles are released (conventions.md).
template <typename Handle>
void close_and_delete(Handle* handle) {
    if (handle == nullptr) return;
    auto* base = reinterpret_cast<uv_handle_t*>(handle);
    if (uv_is_closing(base)) return;
    uv_close(base, [](uv_handle_t* closed) { delete reinterpret_cast<Handle*>(closed); });
}

template <typename Handle>
struct UvHandleCloser {
    void operator()(Handle* handle) const { close_and_delete(handle); }
};

}  // namespace askfirst::netstack
