// tools/askfirst_exec.cpp — `askfirst exec`: CMD in a fresh network, mount
// and PID namespace whose only way out is a TAP served by its own askfirstd.
//
// Processes:
//   askfirst exec (host namespaces) ── starts askfirstd --tap-fd 3 (host netns,
//   │                                  so upstream connections reach the host)
//   └─ keeper: unshare(NET|NS|PID [|USER]), creates and configures tap0,
//      │       bind-mounts resolv.conf, passes the TAP fd up, waits for "go"
//      └─ init (pid 1 of the sandbox): mounts /proc, runs CMD, reaps
//         └─ CMD
// Only askfirstd holds the TAP fd: when it dies the device vanishes and the
// sandbox has no network at all (invariant 1). When CMD ends, init exits and
// the kernel kills whatever CMD left behind; exec then stops askfirstd.
// Ctrl-C reaches CMD directly from the terminal; SIGTERM/SIGHUP/SIGQUIT sent
// to exec are forwarded down the chain. Exit status: CMD's (128+N if killed
// by signal N); 125 when exec itself fails, 127 when CMD is not found.
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "src/profile.h"
#include "tools/exec_askfirstd.h"
#include "tools/exec_ca_trust.h"
#include "tools/exec_consent_notice.h"
#include "tools/exec_credentials.h"
#include "tools/exec_processes.h"
#include "tools/exec_sandbox.h"

namespace askfirst::cli {
namespace {

namespace procs = exec_processes;

using procs::kExecFailed;
using procs::kTagError;
using procs::kTagGo;
using procs::kTagTap;
constexpr int kCommandNotFound = 127;

struct ExecOptions {
    std::string profile_path;
    std::string name;
    std::string askfirstd_path;
    bool verbose = false;
    bool ca_env = true;     // --no-ca-env clears it
    unsigned listener_grace_s = 10;  // the profile's consent.listener_grace_s, for the start line
    std::string ca_bundle;  // the host bundle + askfirst's CA (tools/exec_ca_trust.h)
    std::vector<char*> command;
};

void print_exec_usage(std::FILE* out) {
    std::fprintf(out,
                 "usage: askfirst exec [--profile FILE|NAME] [--name NAME] [--askfirstd PATH] [--no-ca-env] [-v] -- CMD [ARGS...]\n\n"
                 "Runs CMD in a fresh network, mount and PID namespace whose only interface is a TAP\n"
                 "served by its own askfirstd: every TCP flow is terminated and judged, DNS goes to\n"
                 "the virtual nameserver 10.0.2.3, other UDP is dropped unless the profile allows it.\n"
                 "The sandbox: 10.0.2.15/24 via 10.0.2.2, fec0::15/64 via fec0::2.\n\n"
                 "  --profile FILE    the profile (JSON) for askfirstd; validated before anything starts\n"
                 "  --name NAME       the session name (default: the profile's name)\n"
                 "  --askfirstd PATH  the daemon (default: $ASKFIRSTD, else next to this program)\n"
                 "  --no-ca-env       do not set NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, REQUESTS_CA_BUNDLE,\n"
                 "                    CURL_CA_BUNDLE, AWS_CA_BUNDLE, GIT_SSL_CAINFO to the sandbox's bundle\n"
                 "                    (the system bundle files are covered either way)\n"
                 "  -v                verbose askfirstd\n\n"
                 "askfirst's CA is trusted in the sandbox without configuration: a bundle of the host's\n"
                 "CAs plus askfirst's is bind-mounted over the system bundle files and named by the\n"
                 "variables above.\n\n"
                 "Exit status: CMD's; 128+N if CMD died of signal N; 125 if exec failed; 127 if CMD\n"
                 "was not found. Root, or a kernel that allows unprivileged user namespaces, is needed.\n");
}

bool parse_exec_options(int argc, char** argv, ExecOptions& options) {
    int i = 1;
    for (; i < argc; ++i) {
        const std::string argument = argv[i];
        const bool has_value = i + 1 < argc;
        if (argument == "--") {
            ++i;
            break;
        } else if (argument == "--profile" && has_value) {
            options.profile_path = argv[++i];
        } else if (argument == "--name" && has_value) {
            options.name = argv[++i];
        } else if (argument == "--askfirstd" && has_value) {
            options.askfirstd_path = argv[++i];
        } else if (argument == "--no-ca-env") {
            options.ca_env = false;
        } else if (argument == "-v" || argument == "--verbose") {
            options.verbose = true;
        } else if (argument == "-h" || argument == "--help") {
            print_exec_usage(stdout);
            std::exit(0);
        } else {
            std::fprintf(stderr, "askfirst exec: unexpected '%s'; put the command after '--'\n", argv[i]);
            return false;
        }
    }
    for (; i < argc; ++i) options.command.push_back(argv[i]);
    options.command.push_back(nullptr);
    if (options.command.size() == 1) {
        std::fprintf(stderr, "askfirst exec: no command given; usage: askfirst exec [OPTIONS] -- CMD [ARGS...]\n");
        return false;
    }
    return true;
}

std::string user_namespace_advice(int error_number) {
    return std::string("cannot create the sandbox's namespaces as uid ") + std::to_string(getuid()) + " (" +
           std::strerror(error_number) +
           "). This kernel does not let an ordinary user create a user namespace: check "
           "`sysctl kernel.unprivileged_userns_clone` (Debian: must be 1), `sysctl user.max_user_namespaces` "
           "(must be > 0) and `sysctl kernel.apparmor_restrict_unprivileged_userns` (Ubuntu: must be 0), "
           "or run askfirst exec as root";
}

// pid 1 of the sandbox: runs CMD and exits with its status.
[[noreturn]] void run_init(const ExecOptions& options) {
    // The keeper is outside this PID namespace, so getppid() reads 0 here.
    if (!procs::die_with_parent(SIGKILL, 0)) _exit(kExecFailed);
    if (const auto mounted = exec_sandbox::mount_proc(); !mounted)
        std::fprintf(stderr, "askfirst exec: %s (continuing with the host's /proc)\n", mounted.error().c_str());
    const pid_t command = fork();
    if (command == 0) {
        if (options.ca_env) exec_ca_trust::export_ca_variables(options.ca_bundle);
        execvp(options.command[0], options.command.data());
        std::fprintf(stderr, "askfirst exec: cannot run '%s': %s\n", options.command[0], std::strerror(errno));
        _exit(errno == ENOENT ? kCommandNotFound : 126);
    }
    procs::set_forward_target(command);
    int status = 0;
    for (;;) {  // reap everything; stop when CMD itself is done
        int reaped_status = 0;
        const pid_t reaped = waitpid(-1, &reaped_status, 0);
        if (reaped == command) {
            status = reaped_status;
            break;
        }
        if (reaped < 0 && errno != EINTR) break;
    }
    _exit(procs::shell_status(status));
}

// The keeper: enters the namespaces, sets them up, hands the TAP fd up.
[[noreturn]] void run_keeper(const ExecOptions& options, int channel, pid_t exec_pid, const std::string& resolv_conf) {
    if (!procs::die_with_parent(SIGKILL, exec_pid)) _exit(kExecFailed);
    const uid_t uid = getuid();
    const gid_t gid = getgid();
    int flags = CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID;
    if (uid != 0) flags |= CLONE_NEWUSER;
    auto fail = [&](const std::string& error) {
        procs::send_message(channel, kTagError, error);
        _exit(kExecFailed);
    };
    if (unshare(flags) != 0)
        fail(uid != 0 ? user_namespace_advice(errno)
                      : std::string("unshare(NET|NS|PID) failed as root: ") + std::strerror(errno) +
                            " (is this a container without CAP_SYS_ADMIN?)");
    if (uid != 0)
        if (auto mapped = exec_sandbox::map_user_to_itself(uid, gid); !mapped) fail(mapped.error());
    auto tap = exec_sandbox::configure_network();
    if (!tap) fail(tap.error());
    const int tap_fd = tap.value();
    if (auto isolated = exec_sandbox::isolate_mounts_and_bind_resolv_conf(resolv_conf); !isolated)
        fail(isolated.error());
    if (auto bound = exec_ca_trust::bind_over_system_bundles(options.ca_bundle); !bound)
        std::fprintf(stderr, "askfirst exec: %s\n", bound.error().c_str());
    if (!procs::send_message(channel, kTagTap, "", tap_fd)) _exit(kExecFailed);
    close(tap_fd);
    char tag = 0;
    std::string text;
    int unused_fd = -1;
    if (!procs::receive_message(channel, tag, text, unused_fd) || tag != kTagGo) _exit(kExecFailed);
    close(channel);
    // The credential stubs (Go's text: their file), before CMD can see anything.
    const std::vector<std::string> command(options.command.begin(), options.command.end() - 1);  // without the null
    if (const auto installed = exec_credentials::install_stubs(text, command); !installed) {
        std::fprintf(stderr, "askfirst exec: %s\n", installed.error().c_str());
        _exit(kExecFailed);
    }
    const pid_t init = fork();
    if (init < 0) _exit(kExecFailed);
    if (init == 0) run_init(options);
    procs::set_forward_target(init);
    int status = 0;
    while (waitpid(init, &status, 0) < 0 && errno == EINTR) {
    }
    _exit(procs::shell_status(status));
}

// The sandbox's resolv.conf (the virtual nameserver), in a fresh file under /tmp.
Result<std::string> write_resolv_conf() {
    const auto failed = [] {
        return Result<std::string>::failure(std::string("cannot write a resolv.conf in /tmp: ") + std::strerror(errno));
    };
    char path[] = "/tmp/askfirst-exec-resolv-XXXXXX";
    const int fd = mkstemp(path);
    if (fd < 0) return failed();
    const std::string text = std::string("# askfirst exec: the virtual nameserver, answered by askfirstd\nnameserver ") +
                             exec_sandbox::kNameserver4 + "\n";
    const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    const auto outcome = written ? Result<std::string>::success(path) : failed();
    fchmod(fd, 0644);
    close(fd);
    if (!outcome) unlink(path);
    return outcome;
}

}  // namespace

int run_exec(int argc, char** argv) {
    ExecOptions options;
    if (!parse_exec_options(argc, argv, options)) return 2;
    if (!options.profile_path.empty()) {
        const auto profile = load_profile_file(options.profile_path);
        if (!profile) {
            std::fprintf(stderr, "askfirst exec: %s\n", profile.error().c_str());
            return 2;
        }
        if (options.name.empty()) options.name = profile->name;
        options.listener_grace_s = profile->consent_listener_grace_s;
    }
    if (options.name.empty()) options.name = "exec-" + std::to_string(getpid());
    const auto located = exec_askfirstd::locate(options.askfirstd_path);
    if (!located) {
        std::fprintf(stderr, "askfirst exec: %s\n", located.error().c_str());
        return kExecFailed;
    }
    const std::string& askfirstd = located.value();
    const auto resolv_conf_written = write_resolv_conf();
    if (!resolv_conf_written) {
        std::fprintf(stderr, "askfirst exec: %s\n", resolv_conf_written.error().c_str());
        return kExecFailed;
    }
    const std::string& resolv_conf = resolv_conf_written.value();
    auto bundle = exec_ca_trust::write_combined_bundle();
    if (!bundle) {
        std::fprintf(stderr, "askfirst exec: %s\n", bundle.error().c_str());
        unlink(resolv_conf.c_str());
        return kExecFailed;
    }
    options.ca_bundle = bundle.take();
    const int status = exec_askfirstd::supervise(options.profile_path, options.name, options.verbose, askfirstd,
                                                 [&](int channel, pid_t exec_pid) {
                                                     run_keeper(options, channel, exec_pid, resolv_conf);
                                                 },
                                                 [&] {
                                                     std::fprintf(stderr, "%s\n",
                                                                  cli::consent_listener_notice(options.name, options.listener_grace_s).c_str());
                                                 });
    unlink(resolv_conf.c_str());
    unlink(options.ca_bundle.c_str());
    return status;
}

}  // namespace askfirst::cli
