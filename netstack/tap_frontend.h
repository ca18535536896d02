// netstack/tap_frontend.h — the TAP transport: `askfirst exec` opens a TAP in a
// fresh network namespace and passes its fd (`askfirstd --tap-fd N`). One
// read() is one frame and one write() is one frame; the fd is nonblocking
// and watched with uv_poll on askfirstd's loop. A TAP opened with
// IFF_VNET_HDR (as `askfirst exec` opens it) is detected and spoken to with
// its header (netstack/virtio_net_header.h); any other TAP with bare frames.
#pragma once

#include <memory>

#include "src/base/result.h"
#include "netstack/frame_frontend.h"
#include "netstack/uv_handles.h"

namespace askfirst::netstack {

class TapFrontend final : public FrameFrontend {
public:
    // Takes ownership of `fd`. A failure says why the fd is not usable.
    using LogHandler = std::function<void(const std::string& line)>;
    static Result<std::unique_ptr<TapFrontend>> open(uv_loop_t* loop, int fd, FrameHandler on_frame,
                                                     FatalHandler on_fatal, LogHandler log);
    ~TapFrontend() override;
    void send_frame(std::span<const std::uint8_t> frame) override;
    std::uint64_t oversized_frames() const { return oversized_frames_; }

private:
    TapFrontend(int fd, FrameHandler on_frame, FatalHandler on_fatal, LogHandler log);
    void on_readable();

    int fd_;
    FrameHandler on_frame_;
    FatalHandler on_fatal_;
    LogHandler log_;
    std::unique_ptr<uv_poll_t, UvHandleCloser<uv_poll_t>> poll_;
    std::uint64_t oversized_frames_ = 0;
    std::uint64_t unusable_frames_ = 0;     // a virtio-net header asking for offloads we never enabled
    std::size_t virtio_header_bytes_ = 0;   // 0: bare frames
};

}  // namespace askfirst::netstack
