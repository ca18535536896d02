// netstack/flow.h — one terminated guest TCP connection and its upstream
// socket, with the pipeline between them (netstack/flow_pipeline.h). The flow
// is the FlowIo its pipeline drives: it turns lwIP and libuv callbacks into
// pipeline events and pipeline calls into lwIP and libuv operations.
//
// Lifetime: the flow table creates a flow when lwIP accepts a connection and
// retires it when both sides are done or on reset; retired flows are deleted
// from a uv_check (never inside an lwIP callback), after their uv_tcp_t has
// closed (so cancelled write callbacks still find the flow).
// Memory when idle: the Flow (~600 B with its uv_tcp_t), lwIP's pcb (~200 B),
// the pipeline; no buffers (reads use one loop-wide buffer).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <uv.h>

#include "netstack/flow_pipeline.h"
#include "netstack/uv_handles.h"
#include "netstack/lwip_adapter.h"

namespace askfirst::netstack {

class FlowTable;

class Flow final : public FlowIo, public LwipConnectionEvents {
public:
    Flow(FlowTable& table, FlowInfo info, std::unique_ptr<LwipTcpConnection> guest,
         std::unique_ptr<FlowPipeline> pipeline);
    ~Flow() override;
    Flow(const Flow&) = delete;
    Flow& operator=(const Flow&) = delete;

    void start();
    // askfirstd is exiting: RST both sides now, quietly (no log line per flow).
    void abort_both_sides();
    // Deletes the flow once its upstream handle has closed (called by the table's reaper).
    void close_and_delete();
    bool retired() const { return retired_; }

    // FlowIo
    const FlowInfo& info() const override { return info_; }
    std::size_t guest_send_space() const override;
    std::size_t guest_send(std::span<const std::uint8_t> bytes) override;
    void guest_consumed(std::size_t bytes) override;
    void guest_finish() override;
    void upstream_connect() override;
    std::size_t upstream_send(std::span<const std::uint8_t> bytes) override;
    std::size_t upstream_queued() const override { return upstream_queued_bytes_; }
    void upstream_finish() override;
    void upstream_pause_reading() override;
    void upstream_resume_reading() override;
    void reset(std::string_view reason) override;

    // LwipConnectionEvents
    void on_guest_bytes(std::span<const std::uint8_t> bytes) override;
    void on_guest_finished() override;
    void on_guest_acked(std::size_t bytes) override;
    void on_guest_gone(bool was_reset) override;

private:
    struct UpstreamWrite;
    void on_connected(int status);
    void on_connect_deadline();
    void on_read(ssize_t nread, const uv_buf_t* buf);
    void on_write_done(std::size_t bytes, int status);
    void queue_write(std::span<const std::uint8_t> bytes);
    void start_reading();
    std::size_t upstream_read_bytes() const;
    void request_shutdown();
    void fail_upstream_later(std::string reason);
    void end_if_done();
    void retire();
    void close_upstream(bool with_reset);
    static void on_upstream_closed(uv_handle_t* handle);

    FlowTable& table_;
    FlowInfo info_;
    std::unique_ptr<LwipTcpConnection> guest_;
    std::unique_ptr<FlowPipeline> pipeline_;
    uv_tcp_t upstream_{};
    uv_connect_t connect_request_{};
    uv_shutdown_t shutdown_request_{};
    std::unique_ptr<uv_timer_t, UvHandleCloser<uv_timer_t>> connect_timer_;  // only while connecting
    std::string deferred_failure_;
    std::vector<std::uint8_t> before_connect_;  // upstream_send before the connect completed
    std::size_t upstream_queued_bytes_ = 0;
    std::size_t writes_in_flight_ = 0;
    bool upstream_initialized_ = false;  // uv_tcp_init done
    bool upstream_closed_ = false;       // its close callback ran
    bool delete_when_closed_ = false;
    bool upstream_connecting_ = false;
    bool upstream_connected_ = false;
    bool reading_paused_ = false;
    bool upstream_eof_ = false;
    bool shutdown_wanted_ = false;
    bool shutdown_started_ = false;
    bool shutdown_done_ = false;
    bool retired_ = false;
};

}  // namespace askfirst::netstack
