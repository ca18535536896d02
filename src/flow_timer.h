// src/flow_timer.h — the one timer a flow pipeline uses (first-bytes
// detection and the "who speaks first" probe), behind an interface so the
// pipeline's playbook test (tests/unit/src/pipeline_playbook_test.cpp) fires
// it by hand instead of waiting seconds. askfirstd's timer is a uv_timer_t
// on the loop, released through netstack/uv_handles.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include <uv.h>

#include "netstack/uv_handles.h"

namespace askfirst {

class FlowTimer {
public:
    virtual ~FlowTimer() = default;
    // (Re)arms the timer: `fire` runs once, from the loop, after `delay`.
    virtual void start(std::chrono::milliseconds delay, std::function<void()> fire) = 0;
    virtual void stop() = 0;
};

using FlowTimerFactory = std::function<std::unique_ptr<FlowTimer>()>;

class UvFlowTimer final : public FlowTimer {
public:
    explicit UvFlowTimer(uv_loop_t* loop) : handle_(new uv_timer_t{}) {
        uv_timer_init(loop, handle_.get());
        handle_->data = this;
    }
    UvFlowTimer(const UvFlowTimer&) = delete;
    UvFlowTimer& operator=(const UvFlowTimer&) = delete;

    void start(std::chrono::milliseconds delay, std::function<void()> fire) override {
        fire_ = std::move(fire);
        uv_timer_start(handle_.get(), [](uv_timer_t* timer) {
            auto fire_once = static_cast<UvFlowTimer*>(timer->data)->fire_;  // `fire` may delete this timer
            fire_once();
        },
                       static_cast<std::uint64_t>(delay.count()), 0);
    }
    void stop() override { uv_timer_stop(handle_.get()); }

private:
    std::unique_ptr<uv_timer_t, netstack::UvHandleCloser<uv_timer_t>> handle_;
    std::function<void()> fire_;
};

}  // namespace askfirst
