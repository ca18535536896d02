// src/dialed_flow_io.h — the FlowIo an opaque relay gets when the upstream
// was already dialed before the flow was judged (src/intercepting_pipeline:
// a guest silent for tls::kServerSpeaksFirstTimeout makes the pipeline dial
// the upstream to see which side speaks first).
//
// netstack::RelayPipeline connects upstream in its on_start(); on this flow
// that connection already exists (or is under way), so upstream_connect()
// here does nothing and every other call goes to the flow's own FlowIo. The
// relay then keeps its usual back-pressure and half-close rules on the one
// socket that was dialed: no second connection to the destination. (Flow's
// own upstream_connect() happens to ignore a second call too, but that is
// not part of the FlowIo contract; this adapter makes the intent visible.)
#pragma once

#include "netstack/flow_pipeline.h"

namespace askfirst {

class DialedFlowIo final : public netstack::FlowIo {
public:
    explicit DialedFlowIo(netstack::FlowIo& flow) : flow_(flow) {}

    const netstack::FlowInfo& info() const override { return flow_.info(); }
    std::size_t guest_send_space() const override { return flow_.guest_send_space(); }
    std::size_t guest_send(std::span<const std::uint8_t> bytes) override { return flow_.guest_send(bytes); }
    void guest_consumed(std::size_t bytes) override { flow_.guest_consumed(bytes); }
    void guest_finish() override { flow_.guest_finish(); }

    void upstream_connect() override {}  // dialed already, by the pipeline that hands the flow over
    std::size_t upstream_send(std::span<const std::uint8_t> bytes) override { return flow_.upstream_send(bytes); }
    std::size_t upstream_queued() const override { return flow_.upstream_queued(); }
    void upstream_finish() override { flow_.upstream_finish(); }
    void upstream_pause_reading() override { flow_.upstream_pause_reading(); }
    void upstream_resume_reading() override { flow_.upstream_resume_reading(); }

    void reset(std::string_view reason) override { flow_.reset(reason); }

private:
    netstack::FlowIo& flow_;
};

}  // namespace askfirst
