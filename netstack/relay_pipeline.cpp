// netstack/relay_pipeline.cpp — the relay's rules, each one line of
// netstack/flow_pipeline.h's back-pressure contract.
#include "netstack/relay_pipeline.h"

namespace askfirst::netstack {

void RelayPipeline::on_start(FlowIo& io) {
    io_ = &io;
    io_->upstream_connect();
}

// Bytes the socket took at once free the guest's window now; queued ones when written.
void RelayPipeline::on_guest_bytes(std::span<const std::uint8_t> bytes) {
    const std::size_t written = io_->upstream_send(bytes);
    if (written > 0) io_->guest_consumed(written);
}

void RelayPipeline::on_upstream_sent(std::size_t bytes) { io_->guest_consumed(bytes); }

void RelayPipeline::on_guest_finished() { io_->upstream_finish(); }

void RelayPipeline::on_upstream_failed(std::string_view reason) { io_->reset(reason); }

void RelayPipeline::on_upstream_bytes(std::span<const std::uint8_t> bytes) {
    if (!held_for_guest_.empty()) {  // reading should be paused; keep order anyway
        held_for_guest_.insert(held_for_guest_.end(), bytes.begin(), bytes.end());
        return;
    }
    const std::size_t taken = io_->guest_send(bytes);
    if (taken == bytes.size()) return;
    held_for_guest_.assign(bytes.begin() + static_cast<std::ptrdiff_t>(taken), bytes.end());
    io_->upstream_pause_reading();
}

void RelayPipeline::on_guest_send_space() { drain_to_guest(); }

void RelayPipeline::on_upstream_finished() {
    upstream_finished_ = true;
    if (held_for_guest_.empty()) io_->guest_finish();
}

void RelayPipeline::drain_to_guest() {
    if (held_for_guest_.empty()) return;
    const std::size_t taken = io_->guest_send(held_for_guest_);
    held_for_guest_.erase(held_for_guest_.begin(), held_for_guest_.begin() + static_cast<std::ptrdiff_t>(taken));
    if (!held_for_guest_.empty()) return;
    held_for_guest_.shrink_to_fit();  // an idle flow keeps no buffer
    if (upstream_finished_) io_->guest_finish();
    else io_->upstream_resume_reading();
}

}  // namespace askfirst::netstack
