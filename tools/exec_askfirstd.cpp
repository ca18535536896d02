// tools/exec_askfirstd.cpp — see exec_askfirstd.h.
#include "tools/exec_askfirstd.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "tools/exec_credentials.h"
#include "tools/exec_processes.h"

namespace askfirst::exec_askfirstd {
namespace {

namespace procs = exec_processes;

// askfirstd's fds: the TAP, and the pipe it writes one byte to when ready.
constexpr int kTapFdInDaemon = 3;
constexpr int kReadyFdInDaemon = 4;
// How long askfirstd may take to load its profile and open its loop. It
// needs milliseconds; 10 s only guards against a hung start.
constexpr int kReadyTimeoutMs = 10000;
// How long askfirstd gets to exit on SIGTERM before SIGKILL.
constexpr int kStopGraceMs = 2000;

std::string directory_of_this_program() {
    char path[PATH_MAX];
    const ssize_t length = readlink("/proc/self/exe", path, sizeof path - 1);
    if (length <= 0) return ".";
    path[length] = '\0';
    std::string text = path;
    return text.substr(0, text.rfind('/'));
}

// Does this askfirstd take --ready-fd? (Read from its --help.)
bool supports_ready_fd(const std::string& askfirstd) {
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) return false;
    const pid_t child = fork();
    if (child == 0) {
        dup2(pipe_fds[1], 1);
        dup2(pipe_fds[1], 2);
        execl(askfirstd.c_str(), askfirstd.c_str(), "--help", static_cast<char*>(nullptr));
        _exit(127);
    }
    close(pipe_fds[1]);
    std::string help;
    char buffer[4096];
    ssize_t got;
    while ((got = read(pipe_fds[0], buffer, sizeof buffer)) > 0 || (got < 0 && errno == EINTR))
        if (got > 0) help.append(buffer, static_cast<std::size_t>(got));
    close(pipe_fds[0]);
    while (child > 0 && waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
    }
    return help.find("--ready-fd") != std::string::npos;
}

struct DaemonStart {
    const std::string& path;
    const std::string& profile_path;
    const std::string& name;
    bool verbose;
    int tap_fd;
    int ready_write_fd;  // -1 when askfirstd has no --ready-fd
};

[[noreturn]] void exec_daemon(const DaemonStart& start, pid_t exec_pid) {
    setpgid(0, 0);  // its own process group: the terminal's Ctrl-C is for CMD, not for askfirstd
    // Every guest flow holds one upstream socket: let askfirstd use the hard
    // limit, not the usual soft 1024, so thousands of flows fit.
    rlimit files{};
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
    }
    if (!procs::die_with_parent(SIGTERM, exec_pid)) _exit(procs::kExecFailed);
    const int tap = fcntl(start.tap_fd, F_DUPFD, 10);
    const int ready = start.ready_write_fd >= 0 ? fcntl(start.ready_write_fd, F_DUPFD, 10) : -1;
    dup2(tap, kTapFdInDaemon);
    if (ready >= 0) dup2(ready, kReadyFdInDaemon);
    close_range(ready >= 0 ? kReadyFdInDaemon + 1 : kTapFdInDaemon + 1, ~0U, 0);
    std::vector<std::string> arguments = {start.path, "--tap-fd", std::to_string(kTapFdInDaemon), "--name", start.name};
    if (!start.profile_path.empty()) arguments.insert(arguments.end(), {"--profile", start.profile_path});
    if (ready >= 0) arguments.insert(arguments.end(), {"--ready-fd", std::to_string(kReadyFdInDaemon)});
    if (start.verbose) arguments.push_back("-v");
    std::vector<char*> argv;
    for (auto& argument : arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);
    execv(start.path.c_str(), argv.data());
    std::fprintf(stderr, "askfirst exec: cannot run %s: %s\n", start.path.c_str(), std::strerror(errno));
    _exit(127);
}

// Waits for askfirstd's ready byte. False (with a message) if it exits or hangs first.
// What follows the byte until EOF is the sandbox's credential stubs (tools/exec_credentials.h).
bool wait_until_ready(int ready_read_fd, pid_t daemon, std::string& sandbox_stubs) {
    pollfd watch{ready_read_fd, POLLIN, 0};
    int polled;
    do polled = poll(&watch, 1, kReadyTimeoutMs);
    while (polled < 0 && errno == EINTR);
    char byte = 0;
    if (polled > 0 && read(ready_read_fd, &byte, 1) == 1) {
        sandbox_stubs = exec_credentials::read_stubs_after_ready(ready_read_fd);
        return true;
    }
    int status = 0;
    if (polled == 0) {
        std::fprintf(stderr, "askfirst exec: askfirstd did not become ready within %d s; stopping it\n",
                     kReadyTimeoutMs / 1000);
        status = procs::terminate_and_reap(daemon, kStopGraceMs);
    } else {
        while (waitpid(daemon, &status, 0) < 0 && errno == EINTR) {
        }
        std::fprintf(stderr, "askfirst exec: askfirstd exited (status %d) before it was ready; its messages are above\n",
                     procs::shell_status(status));
    }
    return false;
}

// Until the keeper (and so CMD) exits; reports askfirstd dying on the way.
int wait_for_keeper(pid_t keeper, pid_t& daemon) {
    for (;;) {
        int status = 0;
        const pid_t reaped = waitpid(-1, &status, 0);
        if (reaped < 0) {
            if (errno == EINTR) continue;
            return procs::kExecFailed;
        }
        if (reaped == daemon) {
            std::fprintf(stderr, "askfirst exec: askfirstd exited (status %d): the sandbox has no network now\n",
                         procs::shell_status(status));
            daemon = -1;
        } else if (reaped == keeper) {
            return procs::shell_status(status);
        }
    }
}

}  // namespace

Result<std::string> locate(const std::string& explicit_path) {
    std::vector<std::string> candidates;
    if (!explicit_path.empty()) {
        candidates.push_back(explicit_path);
    } else if (const char* from_env = std::getenv("ASKFIRSTD"); from_env != nullptr && *from_env != '\0') {
        candidates.push_back(from_env);
    } else {
        const std::string here = directory_of_this_program();
        candidates = {here + "/askfirstd", here + "/src/askfirstd"};
    }
    for (const auto& candidate : candidates)
        if (access(candidate.c_str(), X_OK) == 0) return Result<std::string>::success(candidate);
    return Result<std::string>::failure("no executable askfirstd at " + candidates.front() +
                                        (candidates.size() > 1 ? " or " + candidates.back() : "") +
                                        "; build it (ninja -C BUILD) or name it with --askfirstd PATH or ASKFIRSTD=PATH");
}

int supervise(const std::string& profile_path, const std::string& name, bool verbose,
              const std::string& askfirstd_path, const std::function<void(int, pid_t)>& run_keeper,
              const std::function<void()>& on_ready) {
    const bool ready_protocol = supports_ready_fd(askfirstd_path);
    int channel[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channel) != 0) return procs::kExecFailed;
    procs::install_forwarding_handlers();
    const pid_t exec_pid = getpid();
    const pid_t keeper = fork();
    if (keeper < 0) return procs::kExecFailed;
    if (keeper == 0) {
        close(channel[0]);
        run_keeper(channel[1], exec_pid);
        _exit(procs::kExecFailed);
    }
    close(channel[1]);
    procs::set_forward_target(keeper);
    char tag = 0;
    std::string text;
    int tap_fd = -1;
    if (!procs::receive_message(channel[0], tag, text, tap_fd) || tag != procs::kTagTap || tap_fd < 0) {
        if (tag == procs::kTagError) std::fprintf(stderr, "askfirst exec: %s\n", text.c_str());
        int status = 0;
        while (waitpid(keeper, &status, 0) < 0 && errno == EINTR) {
        }
        return procs::kExecFailed;
    }
    std::string sandbox_stubs;
    int ready_pipe[2] = {-1, -1};
    if (ready_protocol && pipe2(ready_pipe, O_CLOEXEC) != 0) return procs::kExecFailed;
    pid_t daemon = fork();
    if (daemon == 0) exec_daemon({askfirstd_path, profile_path, name, verbose, tap_fd, ready_pipe[1]}, exec_pid);
    close(tap_fd);  // from here only askfirstd holds the TAP
    if (ready_protocol) {
        close(ready_pipe[1]);
        const bool ready = daemon > 0 && wait_until_ready(ready_pipe[0], daemon, sandbox_stubs);
        close(ready_pipe[0]);
        if (!ready) {
            kill(keeper, SIGKILL);
            while (waitpid(keeper, nullptr, 0) < 0 && errno == EINTR) {
            }
            return procs::kExecFailed;
        }
    }
    if (on_ready) on_ready();
    procs::send_message(channel[0], procs::kTagGo, exec_credentials::stubs_file_for_keeper(sandbox_stubs));
    close(channel[0]);
    const int status = wait_for_keeper(keeper, daemon);
    if (daemon > 0) procs::terminate_and_reap(daemon, kStopGraceMs);
    return status;
}

}  // namespace askfirst::exec_askfirstd
