// src/deferred_calls.h — runs callbacks on the loop's next turn.
//
// libuv's rule (conventions.md): never call a callback synchronously from
// inside the call that registered it. Anything that could answer at once (a
// policy verdict, a grant, a remembered denial) queues its answer here, and
// an idle handle runs the queue on the next loop iteration.
#pragma once

#include <uv.h>

#include <functional>
#include <vector>

namespace askfirst {

class DeferredCalls {
public:
    explicit DeferredCalls(uv_loop_t* loop);
    ~DeferredCalls();  // pending calls are dropped, never run
    DeferredCalls(const DeferredCalls&) = delete;
    DeferredCalls& operator=(const DeferredCalls&) = delete;

    void post(std::function<void()> call);
    std::size_t pending() const { return queue_.size(); }

private:
    static void run(uv_idle_t* idle);

    uv_idle_t* idle_;
    std::vector<std::function<void()>> queue_;
};

}  // namespace askfirst
