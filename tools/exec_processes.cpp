// tools/exec_processes.cpp — see exec_processes.h.
#include "tools/exec_processes.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>

namespace askfirst::exec_processes {
namespace {

// Longest message between the exec processes: an error text.
constexpr std::size_t kMaxMessageLength = 4096;

volatile sig_atomic_t forward_target = 0;

void forward_signal(int signal, siginfo_t* info, void*) {
    if (info != nullptr && info->si_code == SI_KERNEL) return;  // from the terminal: CMD has it already
    if (forward_target > 0) kill(static_cast<pid_t>(forward_target), signal);
}

}  // namespace

bool send_message(int socket_fd, char tag, const std::string& text, int fd_to_pass) {
    std::string payload(1, tag);
    payload += text.substr(0, kMaxMessageLength - 1);
    iovec part{payload.data(), payload.size()};
    msghdr message{};
    message.msg_iov = &part;
    message.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    if (fd_to_pass >= 0) {
        message.msg_control = control;
        message.msg_controllen = sizeof control;
        cmsghdr* header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(header), &fd_to_pass, sizeof(int));
    }
    ssize_t sent;
    do sent = sendmsg(socket_fd, &message, MSG_NOSIGNAL);
    while (sent < 0 && errno == EINTR);
    return sent == static_cast<ssize_t>(payload.size());
}

bool receive_message(int socket_fd, char& tag, std::string& text, int& received_fd) {
    char buffer[kMaxMessageLength];
    iovec part{buffer, sizeof buffer};
    msghdr message{};
    message.msg_iov = &part;
    message.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    ssize_t received;
    do received = recvmsg(socket_fd, &message, MSG_CMSG_CLOEXEC);
    while (received < 0 && errno == EINTR);
    received_fd = -1;
    if (received <= 0) return false;
    for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr; header = CMSG_NXTHDR(&message, header))
        if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS)
            std::memcpy(&received_fd, CMSG_DATA(header), sizeof(int));
    tag = buffer[0];
    text.assign(buffer + 1, static_cast<std::size_t>(received - 1));
    return true;
}

void install_forwarding_handlers() {
    struct sigaction action{};
    action.sa_sigaction = forward_signal;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&action.sa_mask);
    for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaction(signal, &action, nullptr);
}

void set_forward_target(pid_t pid) { forward_target = pid; }

int shell_status(int wait_status) {
    if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
    return 125;
}

int terminate_and_reap(pid_t pid, int grace_ms) {
    int status = 0;
    kill(pid, SIGTERM);
    constexpr int kPollMs = 10;
    for (int waited = 0; waited < grace_ms; waited += kPollMs) {
        const pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid || (done < 0 && errno == ECHILD)) return status;
        timespec pause{0, kPollMs * 1000000L};
        nanosleep(&pause, nullptr);
    }
    kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

bool die_with_parent(int signal, pid_t expected_parent) {
    if (prctl(PR_SET_PDEATHSIG, signal) != 0) return false;
    return getppid() == expected_parent;
}

}  // namespace askfirst::exec_processes
