// tools/subcommands.h — the subcommands of the `askfirst` program.
// Each lives in its own file (tools/askfirst_<name>.cpp) and is listed in
// the table in tools/askfirst.cpp. argv[0] is the subcommand's name.
#pragma once

namespace askfirst::cli {

using SubcommandMain = int (*)(int argc, char** argv);

struct Subcommand {
    const char* name;
    const char* summary;  // one line for `askfirst --help`
    SubcommandMain run;
};

}  // namespace askfirst::cli
