// netstack/tap_frontend.cpp — reads frames from the TAP fd when it is readable
// (a bounded batch per wakeup, so one busy guest cannot starve the upstream
// sockets on the same loop) and writes frames straight to it; on a TAP with
// IFF_VNET_HDR, each behind its virtio-net header (netstack/virtio_net_header).
#include "netstack/tap_frontend.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "netstack/ethernet_frame.h"
#include "netstack/virtio_net_header.h"

namespace askfirst::netstack {
namespace {

// Frames read per readable event before yielding to the rest of the loop:
// 64 frames of 1.5 KB is ~96 KB, about one lwIP receive window.
constexpr int kMaxFramesPerWakeup = 64;
// Read buffer: a TAP whose MTU is larger than ours still hands over whole
// frames (then dropped as oversized) instead of truncated ones; room for a
// virtio-net header before them (the kernel's bound on its size).
constexpr std::size_t kMaxVirtioHeaderBytes = 64;
constexpr std::size_t kTapReadBufferBytes = kMaxVirtioHeaderBytes + 65536 + kEthernetHeaderBytes;

// The size of the virtio-net header the TAP puts before each frame: 0 for a
// TAP without IFF_VNET_HDR or an fd that is no TAP; nullopt if unusable.
std::optional<std::size_t> virtio_header_bytes(int fd) {
    ifreq request{};
    if (ioctl(fd, TUNGETIFF, &request) != 0 || (request.ifr_flags & IFF_VNET_HDR) == 0) return 0;
    int size = 0;
    if (ioctl(fd, TUNGETVNETHDRSZ, &size) != 0 || size < static_cast<int>(kVirtioNetHeaderBytes) ||
        size > static_cast<int>(kMaxVirtioHeaderBytes))
        return std::nullopt;
    return static_cast<std::size_t>(size);
}

}  // namespace

Result<std::unique_ptr<TapFrontend>> TapFrontend::open(uv_loop_t* loop, int fd, FrameHandler on_frame,
                                                       FatalHandler on_fatal, LogHandler log) {
    using Opened = Result<std::unique_ptr<TapFrontend>>;
    const int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return Opened::failure("--tap-fd " + std::to_string(fd) + " is not an open file descriptor (" +
                               std::strerror(errno) + "); pass the fd of a TAP device opened by the caller");
    const auto header_bytes = virtio_header_bytes(fd);
    if (!header_bytes)
        return Opened::failure("--tap-fd " + std::to_string(fd) + " has a virtio-net header of a size askfirstd "
                               "cannot use; open the TAP without IFF_VNET_HDR or leave its header size at the default");
    std::unique_ptr<TapFrontend> tap(new TapFrontend(fd, std::move(on_frame), std::move(on_fatal), std::move(log)));
    tap->virtio_header_bytes_ = *header_bytes;
    tap->poll_.reset(new uv_poll_t);
    if (const int rc = uv_poll_init(loop, tap->poll_.get(), fd); rc != 0) {
        delete tap->poll_.release();  // never initialized: nothing to uv_close
        return Opened::failure(std::string("cannot watch the TAP fd: ") + uv_strerror(rc));
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
    return Opened::success(std::move(tap));
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
        if (static_cast<std::size_t>(n) < virtio_header_bytes_) continue;  // not even its header: nothing to hand on
        if (static_cast<std::size_t>(n) - virtio_header_bytes_ > kMaxFrameBytes) {
            // Logged at the 1st, 2nd, 4th, 8th... so a misconfigured TAP is seen, not flooded.
            ++oversized_frames_;
            if ((oversized_frames_ & (oversized_frames_ - 1)) == 0)
                log_("event=frame_dropped reason=\"TAP frame of " + std::to_string(n) + " bytes over the maximum " +
                     std::to_string(kMaxFrameBytes) + "; set the TAP's MTU to " + std::to_string(kIpMtu) +
                     " or less\" count=" + std::to_string(oversized_frames_));
            continue;
        }
        std::span<std::uint8_t> frame(buffer + virtio_header_bytes_, static_cast<std::size_t>(n) - virtio_header_bytes_);
        if (virtio_header_bytes_ > 0 && !complete_partial_checksum(read_virtio_net_header(buffer), frame)) {
            ++unusable_frames_;
            if ((unusable_frames_ & (unusable_frames_ - 1)) == 0)
                log_("event=frame_dropped reason=\"TAP frame with a virtio-net header askfirstd cannot honour (GSO or a "
                     "checksum outside the frame); offloads must stay off on this TAP\" count=" +
                     std::to_string(unusable_frames_));
            continue;
        }
        on_frame_(frame);
    }
}

void TapFrontend::send_frame(std::span<const std::uint8_t> frame) {
    if (virtio_header_bytes_ == 0) {
        const ssize_t n = ::write(fd_, frame.data(), frame.size());
        if (n != static_cast<ssize_t>(frame.size())) ++dropped_frames_;
        return;
    }
    // The header, then the frame: a TCP segment with its checksum field swapped
    // for the pseudo-header sum (partial), without copying the frame.
    std::uint8_t header[kMaxVirtioHeaderBytes] = {};
    auto* bytes = const_cast<std::uint8_t*>(frame.data());
    iovec parts[4] = {{header, virtio_header_bytes_}, {bytes, frame.size()}, {}, {}};
    int count = 2;
    const auto partial = partial_checksum_for(frame);
    if (partial) {
        write_virtio_net_header(partial->header, header);
        parts[1].iov_len = partial->field_offset;
        parts[2] = {const_cast<std::uint8_t*>(partial->field), sizeof partial->field};
        parts[3] = {bytes + partial->field_offset + 2, frame.size() - partial->field_offset - 2};
        count = 4;
    }
    const ssize_t n = ::writev(fd_, parts, count);
    if (n != static_cast<ssize_t>(virtio_header_bytes_ + frame.size())) ++dropped_frames_;
}

}  // namespace askfirst::netstack
