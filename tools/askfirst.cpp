// tools/askfirst.cpp — the `askfirst` command: a dispatcher to its subcommands
// (exec, classify, ca, and the consent CLI). Each subcommand parses its own
// flags; this file only picks one by name.
#include <cstdio>
#include <cstring>
#include <iterator>

#include "tools/subcommands.h"

namespace askfirst::cli {

// Each subcommand's entry point; defined in tools/askfirst_<name>.cpp.
// (Add one line here and one row in kSubcommands per subcommand.)
int classify_main(int argc, char** argv);
int run_ca(int argc, char** argv);
int run_consent_status(int argc, char** argv);
int run_consent_prompts(int argc, char** argv);
int run_consent_answer(int argc, char** argv);
int run_consent_grants(int argc, char** argv);
int run_consent_mode(int argc, char** argv);
int run_consent_log(int argc, char** argv);
int run_exec(int argc, char** argv);
int run_credentials(int argc, char** argv);

namespace {

constexpr Subcommand kSubcommands[] = {
    {"help", "show this list", nullptr},
    {"classify", "classify HTTP requests offline (JSON Lines or one raw request)", classify_main},
    {"ca", "show, export or rotate askfirst's TLS certificate authority", run_ca},
    {"status", "what an askfirstd is doing: modes, pending questions, grants", run_consent_status},
    {"prompts", "answer questions in this terminal (--json: list them)", run_consent_prompts},
    {"answer", "answer one question: ID once|15m|session|deny", run_consent_answer},
    {"grants", "list grants, or --revoke ID", run_consent_grants},
    {"mode", "set a provider's mode: PROVIDER MODE", run_consent_mode},
    {"log", "show the audit log (-f to follow)", run_consent_log},
    {"exec", "run a command in a network namespace behind its own askfirstd", run_exec},
    {"credentials", "the profile's credential entries, their hosts, whether each source resolves", run_credentials},
};

void print_usage(std::FILE* out) {
    std::fprintf(out, "usage: askfirst SUBCOMMAND [ARGS...]\n\nsubcommands:\n");
    for (const auto& subcommand : kSubcommands)
        std::fprintf(out, "  %-10s %s\n", subcommand.name, subcommand.summary);
    std::fprintf(out, "\n'askfirst SUBCOMMAND --help' describes one.\n");
}

}  // namespace
}  // namespace askfirst::cli

int main(int argc, char** argv) {
    using namespace askfirst::cli;
    if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
        std::strcmp(argv[1], "help") == 0) {
        print_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (const auto& subcommand : kSubcommands) {
        if (subcommand.run != nullptr && std::strcmp(subcommand.name, argv[1]) == 0)
            return subcommand.run(argc - 1, argv + 1);
    }
    std::fprintf(stderr, "askfirst: unknown subcommand '%s'; 'askfirst --help' lists them\n", argv[1]);
    return 2;
}
