// netstack/uv_handles.h — the one way askfirstd releases a libuv handle:
// uv_close() it and free it in the close callback (libuv may still touch
// the handle until then). Every uv_*_t askfirstd allocates with `new` is
// released here, whether a frontend's socket, a flow's timer or the control
// server's pipes (conventions.md: "libuv handles are closed through uv_close
// and freed in its callback: write that once").
#pragma once

#include <uv.h>

namespace askfirst::netstack {

template <typename Handle>
void close_and_delete(Handle* handle) {
    if (handle == nullptr) return;
    auto* base = reinterpret_cast<uv_handle_t*>(handle);
    if (uv_is_closing(base)) return;
    uv_close(base, [](uv_handle_t* closed) { delete reinterpret_cast<Handle*>(closed); });
}

// For std::unique_ptr<Handle, UvHandleCloser<Handle>>.
template <typename Handle>
struct UvHandleCloser {
    void operator()(Handle* handle) const { close_and_delete(handle); }
};

}  // namespace askfirst::netstack
