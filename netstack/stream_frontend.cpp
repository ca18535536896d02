// netstack/stream_frontend.cpp — the QEMU stream socket: listening, the one
// peer, the length-prefix codec, and an output queue with one write in flight.
#include "netstack/stream_frontend.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "netstack/ethernet_frame.h"

namespace askfirst::netstack {
namespace {

constexpr std::size_t kLengthPrefixBytes = 4;  // QEMU's stream netdev framing
// Bytes queued for a slow peer before new frames are dropped: 4 MiB is ~2700
// full frames, far more than the in-flight windows of the flows on a VM.
constexpr std::size_t kMaxQueuedOutputBytes = 4 * 1024 * 1024;
constexpr std::size_t kReadBufferBytes = 65536;

struct PeerWrite {
    uv_write_t request;
    std::weak_ptr<StreamFrontend*> frontend;
    std::uint64_t generation;
    std::vector<std::uint8_t> bytes;
};

}  // namespace

StreamFrameDecoder::Status StreamFrameDecoder::feed(
    std::span<const std::uint8_t> bytes, const std::function<void(std::span<const std::uint8_t>)>& on_frame) {
    while (!bytes.empty()) {
        // Fast path: whole frames straight from the read buffer.
        if (pending_.empty() && bytes.size() >= kLengthPrefixBytes) {
            const std::uint32_t length = (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
                                         (std::uint32_t{bytes[2]} << 8) | bytes[3];
            if (length == 0 || length > kMaxFrameBytes) {
                bad_length_ = length;
                return Status::bad_length;
            }
            if (bytes.size() >= kLengthPrefixBytes + length) {
                on_frame(bytes.subspan(kLengthPrefixBytes, length));
                bytes = bytes.subspan(kLengthPrefixBytes + length);
                continue;
            }
        }
        // Slow path: accumulate the prefix, then the frame, across reads.
        std::size_t want = kLengthPrefixBytes;
        if (pending_.size() >= kLengthPrefixBytes) {
            const std::uint32_t length = (std::uint32_t{pending_[0]} << 24) | (std::uint32_t{pending_[1]} << 16) |
                                         (std::uint32_t{pending_[2]} << 8) | pending_[3];
            want = kLengthPrefixBytes + length;
        }
        const std::size_t take = std::min(want - pending_.size(), bytes.size());
        pending_.insert(pending_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
        bytes = bytes.subspan(take);
        if (pending_.size() == kLengthPrefixBytes) {
            const std::uint32_t length = (std::uint32_t{pending_[0]} << 24) | (std::uint32_t{pending_[1]} << 16) |
                                         (std::uint32_t{pending_[2]} << 8) | pending_[3];
            if (length == 0 || length > kMaxFrameBytes) {
                bad_length_ = length;
                return Status::bad_length;
            }
        } else if (pending_.size() > kLengthPrefixBytes && pending_.size() == want) {
            on_frame(std::span<const std::uint8_t>(pending_).subspan(kLengthPrefixBytes));
            pending_.clear();
        }
    }
    return Status::ok;
}

Result<std::unique_ptr<StreamFrontend>> StreamFrontend::listen(uv_loop_t* loop, const std::string& path,
                                                               FrameHandler on_frame, LogHandler log) {
    using Listening = Result<std::unique_ptr<StreamFrontend>>;
    struct stat existing {};
    if (::lstat(path.c_str(), &existing) == 0) {
        if (!S_ISSOCK(existing.st_mode))
            return Listening::failure("--socket " + path + " exists and is not a socket; choose another path");
        ::unlink(path.c_str());  // a stale socket from an earlier run
    }
    std::unique_ptr<StreamFrontend> frontend(new StreamFrontend(loop, path, std::move(on_frame), std::move(log)));
    frontend->server_.reset(new uv_pipe_t);
    uv_pipe_init(loop, frontend->server_.get(), 0);
    frontend->server_->data = frontend.get();
    int rc = uv_pipe_bind(frontend->server_.get(), path.c_str());
    if (rc == 0) {
        ::chmod(path.c_str(), 0600);  // only the user who runs the VM may attach a guest
        rc = uv_listen(reinterpret_cast<uv_stream_t*>(frontend->server_.get()), 1, [](uv_stream_t* server, int status) {
            if (status == 0) static_cast<StreamFrontend*>(server->data)->on_connection();
        });
    }
    if (rc != 0)
        return Listening::failure("cannot listen on --socket " + path + ": " + uv_strerror(rc) +
                                  "; check that its directory exists and is writable");
    return Listening::success(std::move(frontend));
}

StreamFrontend::StreamFrontend(uv_loop_t* loop, std::string path, FrameHandler on_frame, LogHandler log)
    : loop_(loop), path_(std::move(path)), on_frame_(std::move(on_frame)), log_(std::move(log)) {}

StreamFrontend::~StreamFrontend() {
    peer_.reset();
    server_.reset();
    ::unlink(path_.c_str());
}

void StreamFrontend::on_connection() {
    auto* client = new uv_pipe_t;
    uv_pipe_init(loop_, client, 0);
    if (uv_accept(reinterpret_cast<uv_stream_t*>(server_.get()), reinterpret_cast<uv_stream_t*>(client)) != 0) {
        close_and_delete(client);
        return;
    }
    if (peer_) {
        log_("event=stream_refused reason=\"a guest is already attached; one peer per askfirstd\"");
        close_and_delete(client);
        return;
    }
    peer_.reset(client);
    ++peer_generation_;
    decoder_ = StreamFrameDecoder{};
    client->data = this;
    log_("event=stream_peer_attached socket=" + path_);
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(client),
        [](uv_handle_t*, std::size_t, uv_buf_t* buf) {
            static char buffer[kReadBufferBytes];
            *buf = uv_buf_init(buffer, sizeof buffer);
        },
        [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
            auto* self = static_cast<StreamFrontend*>(stream->data);
            if (nread < 0) {
                self->drop_peer(nread == UV_EOF ? "the guest closed the stream" : uv_strerror(static_cast<int>(nread)));
                return;
            }
            self->on_peer_bytes({reinterpret_cast<const std::uint8_t*>(buf->base), static_cast<std::size_t>(nread)});
        });
}

void StreamFrontend::on_peer_bytes(std::span<const std::uint8_t> bytes) {
    const std::uint64_t generation = peer_generation_;
    const auto status = decoder_.feed(bytes, [this, generation](std::span<const std::uint8_t> frame) {
        if (generation == peer_generation_) on_frame_(frame);
    });
    if (status == StreamFrameDecoder::Status::bad_length)
        drop_peer("bad frame length " + std::to_string(decoder_.last_bad_length()) + " (max " +
                  std::to_string(kMaxFrameBytes) + "); is the peer QEMU -netdev stream?");
}

void StreamFrontend::drop_peer(const std::string& why) {
    if (!peer_) return;
    log_("event=stream_peer_closed reason=\"" + why + "\"");
    peer_.reset();
    ++peer_generation_;
    queued_.clear();
    writing_ = false;
}

void StreamFrontend::send_frame(std::span<const std::uint8_t> frame) {
    if (!peer_ || frame.size() > kMaxFrameBytes || queued_.size() + frame.size() > kMaxQueuedOutputBytes) {
        ++dropped_frames_;
        return;
    }
    std::uint8_t prefix[kLengthPrefixBytes];
    const auto length = static_cast<std::uint32_t>(frame.size());
    prefix[0] = static_cast<std::uint8_t>(length >> 24);
    prefix[1] = static_cast<std::uint8_t>(length >> 16);
    prefix[2] = static_cast<std::uint8_t>(length >> 8);
    prefix[3] = static_cast<std::uint8_t>(length);
    if (!writing_ && queued_.empty()) {
        uv_buf_t parts[2] = {uv_buf_init(reinterpret_cast<char*>(prefix), sizeof prefix),
                             uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(frame.data())),
                                         static_cast<unsigned>(frame.size()))};
        const int written = uv_try_write(reinterpret_cast<uv_stream_t*>(peer_.get()), parts, 2);
        std::size_t done = written > 0 ? static_cast<std::size_t>(written) : 0;
        if (done == sizeof prefix + frame.size()) return;
        // Queue the unwritten tail (of the prefix, then of the frame).
        for (std::size_t i = done; i < sizeof prefix; ++i) queued_.push_back(prefix[i]);
        const std::size_t frame_done = done > sizeof prefix ? done - sizeof prefix : 0;
        queued_.insert(queued_.end(), frame.begin() + static_cast<std::ptrdiff_t>(frame_done), frame.end());
        start_write();
        return;
    }
    queued_.insert(queued_.end(), prefix, prefix + sizeof prefix);
    queued_.insert(queued_.end(), frame.begin(), frame.end());
    if (!writing_) start_write();
}

void StreamFrontend::start_write() {
    if (writing_ || queued_.empty() || !peer_) return;
    writing_ = true;
    auto* write = new PeerWrite{{}, lifetime_, peer_generation_, std::move(queued_)};
    queued_ = {};
    write->request.data = write;
    uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(write->bytes.data()), static_cast<unsigned>(write->bytes.size()));
    uv_write(&write->request, reinterpret_cast<uv_stream_t*>(peer_.get()), &buf, 1, [](uv_write_t* request, int status) {
        std::unique_ptr<PeerWrite> done(static_cast<PeerWrite*>(request->data));
        const auto owner = done->frontend.lock();
        if (!owner) return;
        StreamFrontend* self = *owner;
        if (done->generation != self->peer_generation_) return;
        self->writing_ = false;
        if (status < 0) {
            self->drop_peer(std::string("writing to the guest failed: ") + uv_strerror(status));
            return;
        }
        self->start_write();
    });
}

}  // namespace askfirst::netstack
