// netstack/tap_frontend.cpp — reads frames from the TAP fd when it is readable
// (a bounded batch per wakeup, so one busy guest cannot starve the upstream
// sockets on the same loop) and writes frames straight to it.
#include "netstack/tap_frontend.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "netstack/ethernet_frame.h"

namespace askfirst::netstack {
namespace {

// Frames read per readable event before yielding to the rest of the loop:
// 64 frames of 1.5 KB is ~96 KB, about one lwIP receive window.
constexpr int kMaxFramesPerWakeup = 64;
// Read buffer: a TAP whose MTU is larger than ours still hands over whole
// frames (then dropped as oversized) instead of truncated ones.
constexpr std::size_t kTapReadBufferBytes = 65536 + kEthernetHeaderBytes;

}  // namespace

std::unique_ptr<TapFrontend> TapFrontend::open(uv_loop_t* loop, int fd, FrameHandler on_frame,
                                               FatalHandler on_fatal, LogHandler log, std::string& error) {
    const int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        error = "--tap-fd " + std::to_string(fd) + " is not an open file descriptor (" + std::strerror(errno) +
                "); pass the fd of a TAP device opened by the caller";
        return nullptr;
    }
    std::unique_ptr<TapFrontend> tap(new TapFrontend(fd, std::move(on_frame), std::move(on_fatal), std::move(log)));
    tap->poll_.reset(new uv_poll_t);
    if (const int rc = uv_poll_init(loop, tap->poll_.get(), fd); rc != 0) {
        delete tap->poll_.release();  // never initialized: nothing to uv_close
        error = std::string("cannot watch the TAP fd: ") + uv_strerror(rc);
        return nullptr;
    }
    tap->poll_->data = tap.get();
    uv_poll_start(tap->poll_.get(), UV_READABLE, [](uv_poll_t* handle, int status, int) {
        auto* self = static_cast<TapFrontend*>(handle->data);
        if (status < 0) {
            self->on_fatal_(std::string("TAP fd poll failed: ") + uv_strerror(status));
            return;
        }
        self->on_readable();
    });
    return tap;
}

TapFrontend::TapFrontend(int fd, FrameHandler on_frame, FatalHandler on_fatal, LogHandler log)
    : fd_(fd), on_frame_(std::move(on_frame)), on_fatal_(std::move(on_fatal)), log_(std::move(log)) {}

TapFrontend::~TapFrontend() {
    if (poll_) uv_poll_stop(poll_.get());
    poll_.reset();
    ::close(fd_);
}

void TapFrontend::on_readable() {
    static std::uint8_t buffer[kTapReadBufferBytes];
    for (int i = 0; i < kMaxFramesPerWakeup; ++i) {
        const ssize_t n = ::read(fd_, buffer, sizeof buffer);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
        if (n <= 0) {
            uv_poll_stop(poll_.get());
            on_fatal_(n == 0 ? std::string("the TAP device was closed")
                             : std::string("reading the TAP device failed: ") + std::strerror(errno));
            return;
        }
        if (static_cast<std::size_t>(n) > kMaxFrameBytes) {
            // Logged at the 1st, 2nd, 4th, 8th... so a misconfigured TAP is seen, not flooded.
            ++oversized_frames_;
            if ((oversized_frames_ & (oversized_frames_ - 1)) == 0)
                log_("event=frame_dropped reason=\"TAP frame of " + std::to_string(n) + " bytes over the maximum " +
                     std::to_string(kMaxFrameBytes) + "; set the TAP's MTU to " + std::to_string(kIpMtu) +
                     " or less\" count=" + std::to_string(oversized_frames_));
            continue;
        }
        on_frame_({buffer, static_cast<std::size_t>(n)});
    }
}

void TapFrontend::send_frame(std::span<const std::uint8_t> frame) {
    const ssize_t n = ::write(fd_, frame.data(), frame.size());
    if (n != static_cast<ssize_t>(frame.size())) ++dropped_frames_;
}

}  // namespace askfirst::netstack
