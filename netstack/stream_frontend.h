// netstack/stream_frontend.h — the QEMU transport: `-netdev stream` connects to
// a unix socket that askfirstd creates and listens on before QEMU starts
// (QEMU 7.2 has no reconnect). Each frame travels as a 4-byte big-endian
// length followed by the frame. One peer at a time: a second connection is
// accepted and closed at once (logged). A length of 0 or over kMaxFrameBytes
// closes the peer with a logged error; the socket keeps listening.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "src/base/result.h"
#include "netstack/frame_frontend.h"
#include "netstack/uv_handles.h"

namespace askfirst::netstack {

// Decodes the length-prefixed byte stream into frames, across any split of
// reads. Sans-io: the frontend feeds it what the socket gave.
class StreamFrameDecoder {
public:
    enum class Status { ok, bad_length };
    // Calls on_frame for every complete frame in `bytes`; stops at a bad length.
    Status feed(std::span<const std::uint8_t> bytes,
                const std::function<void(std::span<const std::uint8_t>)>& on_frame);
    std::size_t buffered() const { return pending_.size(); }
    std::uint32_t last_bad_length() const { return bad_length_; }

private:
    std::vector<std::uint8_t> pending_;  // at most 4 + kMaxFrameBytes
    std::uint32_t bad_length_ = 0;
};

class StreamFrontend final : public FrameFrontend {
public:
    using LogHandler = std::function<void(const std::string& line)>;
    static Result<std::unique_ptr<StreamFrontend>> listen(uv_loop_t* loop, const std::string& path,
                                                          FrameHandler on_frame, LogHandler log);
    ~StreamFrontend() override;
    void send_frame(std::span<const std::uint8_t> frame) override;
    bool has_peer() const { return peer_ != nullptr; }

private:
    StreamFrontend(uv_loop_t* loop, std::string path, FrameHandler on_frame, LogHandler log);
    void on_connection();
    void on_peer_bytes(std::span<const std::uint8_t> bytes);
    void drop_peer(const std::string& why);
    void start_write();

    uv_loop_t* loop_;
    std::string path_;
    FrameHandler on_frame_;
    LogHandler log_;
    std::unique_ptr<uv_pipe_t, UvHandleCloser<uv_pipe_t>> server_;
    std::unique_ptr<uv_pipe_t, UvHandleCloser<uv_pipe_t>> peer_;
    StreamFrameDecoder decoder_;
    // Output: bytes waiting for the one write in flight (which owns its own bytes).
    std::vector<std::uint8_t> queued_;
    bool writing_ = false;
    std::uint64_t peer_generation_ = 0;  // a write completing for an old peer is ignored
    // Writes hold a weak reference: one completing after the frontend is gone does nothing.
    std::shared_ptr<StreamFrontend*> lifetime_ = std::make_shared<StreamFrontend*>(this);
};

}  // namespace askfirst::netstack
