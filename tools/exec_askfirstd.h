// tools/exec_askfirstd.h — the host side of `askfirst exec`: finding
// askfirstd, starting it on the sandbox's TAP fd, and supervising both until
// CMD ends (see tools/askfirst_exec.cpp for the process layout).
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "src/base/result.h"

namespace askfirst::exec_askfirstd {

// --askfirstd PATH, else $ASKFIRSTD, else next to this program (the build
// dir's askfirst sits beside src/askfirstd; an installed one beside askfirstd).
// A failure, saying how to name one, when none is executable.
Result<std::string> locate(const std::string& explicit_path);

// Forks the sandbox keeper (`run_keeper(channel, exec_pid)` never returns),
// receives the TAP fd from it, starts askfirstd on it, waits until askfirstd
// is ready, lets the keeper start CMD, forwards signals, and when the keeper
// exits stops askfirstd. `on_ready` runs once askfirstd is ready, before CMD
// starts. Returns CMD's shell status (or 125 on failure).
int supervise(const std::string& profile_path, const std::string& name, bool verbose,
              const std::string& askfirstd_path, const std::function<void(int, pid_t)>& run_keeper,
              const std::function<void()>& on_ready = {});

}  // namespace askfirst::exec_askfirstd
