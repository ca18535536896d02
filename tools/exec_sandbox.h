// tools/exec_sandbox.h — the inside of `askfirst exec`'s sandbox: the steps
// run in the fresh namespaces before CMD starts (see tools/askfirst_exec.cpp
// for the process layout). Each step returns a Status whose failure says
// what failed and what to do.
#pragma once

#include <string>

#include "src/base/result.h"

namespace askfirst::exec_sandbox {

// The guest side of the virtual network (slirp's usual layout, design.md).
inline constexpr const char* kTapName = "tap0";
inline constexpr const char* kGuestMac = "52:54:00:12:34:56";  // QEMU's default guest MAC
inline constexpr const char* kGuestAddress4 = "10.0.2.15";
inline constexpr const char* kGuestNetmask4 = "255.255.255.0";
inline constexpr const char* kGateway4 = "10.0.2.2";
inline constexpr const char* kNameserver4 = "10.0.2.3";
inline constexpr const char* kGuestAddress6 = "fec0::15";
inline constexpr int kGuestPrefix6 = 64;
inline constexpr const char* kGateway6 = "fec0::2";
// The TAP's MTU: 65520, as pasta uses for namespaces. A namespace is not
// limited by a wire; large segments cut askfirstd's per-packet work and
// measured 3-5x the bulk throughput of 1500 (NOTES-netstack.md, 1 GiB test).
inline constexpr int kTapMtu = 65520;

// After unshare(CLONE_NEWUSER): map our uid/gid to themselves so CMD runs as
// the user, while this process keeps the namespace's capabilities until exec.
Status map_user_to_itself(unsigned outer_uid, unsigned outer_gid);

// In the new network namespace: brings lo up, creates tap0 and configures it
// (addresses, routes; IPv6 DAD and router advertisements off, so the static
// address is usable at once). Returns the TAP's fd.
Result<int> configure_network();

// In the new mount namespace: stops mounts propagating back to the host and
// bind-mounts `resolv_conf_path` over /etc/resolv.conf.
Status isolate_mounts_and_bind_resolv_conf(const std::string& resolv_conf_path);

// In the new PID namespace's first process: a /proc that shows its processes.
Status mount_proc();

}  // namespace askfirst::exec_sandbox
