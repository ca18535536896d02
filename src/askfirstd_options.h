// src/askfirstd_options.h — askfirstd's command line: which frame transport
// (a QEMU stream socket or a TAP fd), which profile, the session name, and
// verbosity. Parsing is pure, so its errors are unit-tested.
#pragma once

#include <optional>
#include <string>

#include "src/base/result.h"

namespace askfirst {

struct AskfirstdOptions {
    std::optional<std::string> socket_path;  // --socket PATH: QEMU -netdev stream
    std::optional<int> tap_fd;               // --tap-fd N: a TAP in a namespace
    std::optional<std::string> profile_path; // --profile FILE (none: an empty profile)
    std::string name = "askfirst";           // --name NAME: in every log line
    std::optional<int> ready_fd;             // --ready-fd N: "R" written once serving
    bool verbose = false;                    // -v: per-flow and per-drop lines
    bool help = false;
};

// The options, or on a bad command line what is wrong and what to do.
Result<AskfirstdOptions> parse_askfirstd_options(int argc, const char* const* argv);

extern const char kAskfirstdUsage[];

}  // namespace askfirst
