// tools/exec_processes.h — process plumbing for `askfirst exec`: passing a
// file descriptor over a unix socket, signal forwarding that does not double
// terminal signals, and waiting with a deadline.
#pragma once

#include <sys/types.h>

#include <string>

namespace askfirst::exec_processes {

// Exit status when exec itself fails (as env(1) and container runners use).
inline constexpr int kExecFailed = 125;
// Messages between exec and its sandbox keeper: an error text, the TAP fd,
// and exec's "askfirstd is ready, start CMD".
inline constexpr char kTagError = 'E', kTagTap = 'T', kTagGo = 'G';

// Sends a one-byte tag, optional text, and optionally one fd (SCM_RIGHTS).
bool send_message(int socket_fd, char tag, const std::string& text, int fd_to_pass = -1);
// Receives a message; `received_fd` is -1 when none came. False on EOF/error.
bool receive_message(int socket_fd, char& tag, std::string& text, int& received_fd);

// Installs handlers for SIGINT, SIGTERM, SIGHUP and SIGQUIT that re-send the
// signal to the process set by set_forward_target(). A signal that the
// terminal sent (si_code SI_KERNEL: Ctrl-C reaches the whole foreground
// group, CMD included) is not forwarded, so CMD sees it once.
void install_forwarding_handlers();
void set_forward_target(pid_t pid);

// A signal status as a shell reports it: the exit code, or 128 + signal.
int shell_status(int wait_status);

// SIGTERM, then SIGKILL if `pid` has not exited after `grace_ms`. Reaps it.
int terminate_and_reap(pid_t pid, int grace_ms);

// Makes this process get `signal` when its parent dies; false if the parent
// (expected_parent) is already gone.
bool die_with_parent(int signal, pid_t expected_parent);

}  // namespace askfirst::exec_processes
