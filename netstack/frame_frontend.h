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

}  // namespace askfirst::netstack
