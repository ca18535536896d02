// src/deferred_calls.cpp — see the header.
#include "src/deferred_calls.h"

#include "netstack/uv_handles.h"

namespace askfirst {

DeferredCalls::DeferredCalls(uv_loop_t* loop) : idle_(new uv_idle_t{}) {
    uv_idle_init(loop, idle_);
    idle_->data = this;
}

DeferredCalls::~DeferredCalls() {
    idle_->data = nullptr;
    netstack::close_and_delete(idle_);
}

void DeferredCalls::post(std::function<void()> call) {
    queue_.push_back(std::move(call));
    uv_idle_start(idle_, run);
}

void DeferredCalls::run(uv_idle_t* idle) {
    auto* self = static_cast<DeferredCalls*>(idle->data);
    uv_idle_stop(idle);
    if (self == nullptr) return;
    // Calls posted while these run wait for the next turn.
    auto ready = std::move(self->queue_);
    self->queue_.clear();
    for (auto& call : ready) call();
}

}  // namespace askfirst
