// netstack/relay_pipeline.h — the plain byte relay: connect upstream at once,
// copy both ways, keep half-closes, honour back-pressure (see
// netstack/flow_pipeline.h). Sans-io: it only talks to a FlowIo, so its
// back-pressure logic is unit-tested with a fake one.
#pragma once

#include <vector>

#include "netstack/flow_pipeline.h"

namespace askfirst::netstack {

class RelayPipeline final : public FlowPipeline {
public:
    void on_start(FlowIo& io) override;
    void on_guest_bytes(std::span<const std::uint8_t> bytes) override;
    void on_guest_finished() override;
    void on_guest_send_space() override;
    void on_upstream_connected() override {}
    void on_upstream_failed(std::string_view reason) override;
    void on_upstream_bytes(std::span<const std::uint8_t> bytes) override;
    void on_upstream_finished() override;
    void on_upstream_sent(std::size_t bytes) override;

    std::size_t held_for_guest() const { return held_for_guest_.size(); }

private:
    void drain_to_guest();

    FlowIo* io_ = nullptr;
    // Upstream bytes lwIP had no room for; upstream reading is paused while
    // any are held, so this never exceeds one upstream read (64 KiB).
    std::vector<std::uint8_t> held_for_guest_;
    bool upstream_finished_ = false;
};

}  // namespace askfirst::netstack
