// src/askfirstd.cpp — askfirstd's main: parse the command line, load the
// profile, start the appliance on one libuv loop, run until SIGINT/SIGTERM or
// until the transport is gone. When askfirstd exits, the guest's network is
// gone with it: nothing falls back to another path (invariant 1).
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include <uv.h>

#include "src/appliance.h"
#include "src/askfirstd_options.h"
#include "src/operator_log.h"
#include "src/profile.h"

namespace {

using askfirst::AskfirstdOptions;

struct SignalWatch {
    uv_signal_t handle;
    int number;
};

// 'R', then the sandbox's stubs JSON when the profile has credentials
// (src/credentials/sandbox_stubs.h): `askfirst exec` reads both until EOF.
void signal_ready(const AskfirstdOptions& options, const std::string& sandbox_stubs) {
    if (!options.ready_fd) return;
    const std::string message = "R" + sandbox_stubs;
    std::size_t written = 0;
    while (written < message.size()) {
        const ssize_t step = ::write(*options.ready_fd, message.data() + written, message.size() - written);
        if (step <= 0) {
            std::perror("askfirstd: writing --ready-fd");
            break;
        }
        written += static_cast<std::size_t>(step);
    }
    ::close(*options.ready_fd);
}

// Closes every handle left on the loop and lets their close callbacks run.
void drain_loop(uv_loop_t* loop) {
    uv_walk(loop, [](uv_handle_t* handle, void*) {
        if (!uv_is_closing(handle)) uv_close(handle, nullptr);
    }, nullptr);
    uv_run(loop, UV_RUN_DEFAULT);
}

int run(const AskfirstdOptions& options) {
    const askfirst::OperatorLog log(options.name);
    askfirst::Profile profile;
    if (options.profile_path) {
        auto loaded = askfirst::load_profile_file(*options.profile_path);
        if (!loaded) {
            log.line("event=startup_failed reason=\"" + loaded.error() + "\"");
            return 1;
        }
        profile = loaded.take();
    }
    ::signal(SIGPIPE, SIG_IGN);  // a closed upstream socket is an error return, not a signal
    uv_loop_t* loop = uv_default_loop();
    auto started = askfirst::Appliance::start(loop, options, std::move(profile), log);
    if (!started) {
        log.line("event=startup_failed reason=\"" + started.error() + "\"");
        drain_loop(loop);
        return 1;
    }
    std::unique_ptr<askfirst::Appliance> appliance = started.take();
    SignalWatch signals[2] = {{{}, SIGINT}, {{}, SIGTERM}};
    for (auto& watch : signals) {
        uv_signal_init(loop, &watch.handle);
        watch.handle.data = &watch;
        uv_signal_start(&watch.handle, [](uv_signal_t* handle, int) { uv_stop(handle->loop); }, watch.number);
    }
    signal_ready(options, appliance->sandbox_stubs());
    uv_run(loop, UV_RUN_DEFAULT);
    const bool failed = appliance->transport_failed();
    log.line(failed ? "event=exit reason=\"transport gone\"" : "event=exit reason=signal");
    appliance.reset();
    drain_loop(loop);
    uv_loop_close(loop);
    return failed ? 1 : 0;
}

// glibc gives heap memory back to the kernel whenever more than 128 KiB is
// free at the top (M_TRIM_THRESHOLD), and a relay frees a burst of 64 KiB frame
// buffers many times a second: each burst was trimmed and faulted back in
// (perf during a bulk download: 7 % of askfirstd in page faults). Keeping up to
// kHeapKeptFreeBytes mapped ends that; memory held stays bounded by that much
// above the peak in use. Fixing the mmap threshold also stops glibc from
// raising it on its own after large frees.
constexpr int kHeapKeptFreeBytes = 8 << 20;
constexpr int kMmapFromBytes = 1 << 20;  // larger single allocations still get their own mapping

void tune_heap_for_frame_churn() {
    mallopt(M_TRIM_THRESHOLD, kHeapKeptFreeBytes);
    mallopt(M_MMAP_THRESHOLD, kMmapFromBytes);
}

}  // namespace

int main(int argc, char** argv) {
    const auto options = askfirst::parse_askfirstd_options(argc, argv);
    if (!options) {
        std::fprintf(stderr, "askfirstd: %s\n", options.error().c_str());
        return 2;
    }
    if (options->help) {
        std::fputs(askfirst::kAskfirstdUsage, stdout);
        return 0;
    }
    tune_heap_for_frame_churn();
    return run(*options);
}
