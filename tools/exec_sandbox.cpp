// tools/exec_sandbox.cpp — network, mount and user-namespace setup inside
// `askfirst exec`'s sandbox (see exec_sandbox.h).
//
// The addresses are static rather than DHCP/RA from slirp: a namespace has
// no DHCP client running, configuring them here needs none, and CMD starts
// with a working network at once (no lease or DAD wait). slirp still answers
// ARP and neighbour solicitations for the gateway. Configuration uses the
// classic ioctls (SIOCSIFADDR, SIOCADDRT, in6_ifreq/in6_rtmsg), which cover
// all we need without a netlink library or the `ip` binary.
#include "tools/exec_sandbox.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <utility>
#include <cstring>
#include <fstream>
#include <string>

namespace askfirst::exec_sandbox {
namespace {

// struct in6_ifreq from <linux/ipv6.h>, which clashes with glibc's headers.
struct In6Ifreq {
    in6_addr address;
    std::uint32_t prefix_length;
    int interface_index;
};

Status failed(const std::string& what) { return Status::failure(what + ": " + std::strerror(errno)); }

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd) {
        if (fd_ >= 0) close(fd_);
        fd_ = fd;
    }

private:
    int fd_;
};

bool write_file(const std::string& path, const std::string& text) {
    std::ofstream file(path);
    file << text;
    file.flush();
    return static_cast<bool>(file);
}

ifreq interface_request(const char* name) {
    ifreq request{};
    std::strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    return request;
}

Status bring_up(int control, const char* name) {
    ifreq request = interface_request(name);
    if (ioctl(control, SIOCGIFFLAGS, &request) < 0) return failed(std::string("reading flags of ") + name);
    request.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(control, SIOCSIFFLAGS, &request) < 0) return failed(std::string("bringing up ") + name);
    return ok_status();
}

Status set_ipv4(int control, unsigned long request_code, const char* address, const char* what) {
    ifreq request = interface_request(kTapName);
    auto* v4 = reinterpret_cast<sockaddr_in*>(&request.ifr_addr);
    v4->sin_family = AF_INET;
    inet_pton(AF_INET, address, &v4->sin_addr);
    if (ioctl(control, request_code, &request) < 0) return failed(std::string("setting the ") + what + " of tap0");
    return ok_status();
}

Status set_mac_and_mtu(int control) {
    ifreq request = interface_request(kTapName);
    request.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    unsigned bytes[6];
    std::sscanf(kGuestMac, "%x:%x:%x:%x:%x:%x", &bytes[0], &bytes[1], &bytes[2], &bytes[3], &bytes[4], &bytes[5]);
    for (int i = 0; i < 6; ++i) request.ifr_hwaddr.sa_data[i] = static_cast<char>(bytes[i]);
    if (ioctl(control, SIOCSIFHWADDR, &request) < 0) return failed("setting the MAC address of tap0");
    request = interface_request(kTapName);
    request.ifr_mtu = kTapMtu;
    if (ioctl(control, SIOCSIFMTU, &request) < 0) return failed("setting the MTU of tap0");
    return ok_status();
}

Status add_default_route4(int control) {
    rtentry route{};
    auto* gateway = reinterpret_cast<sockaddr_in*>(&route.rt_gateway);
    gateway->sin_family = AF_INET;
    inet_pton(AF_INET, kGateway4, &gateway->sin_addr);
    reinterpret_cast<sockaddr_in*>(&route.rt_dst)->sin_family = AF_INET;
    reinterpret_cast<sockaddr_in*>(&route.rt_genmask)->sin_family = AF_INET;
    route.rt_flags = RTF_UP | RTF_GATEWAY;
    if (ioctl(control, SIOCADDRT, &route) < 0) return failed("adding the IPv4 default route via 10.0.2.2");
    return ok_status();
}

Status configure_ipv6(int interface_index) {
    Fd control6(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (control6.get() < 0) return failed("opening an IPv6 control socket (is IPv6 disabled on this host?)");
    In6Ifreq address{};
    inet_pton(AF_INET6, kGuestAddress6, &address.address);
    address.prefix_length = kGuestPrefix6;
    address.interface_index = interface_index;
    if (ioctl(control6.get(), SIOCSIFADDR, &address) < 0) return failed("setting tap0's IPv6 address fec0::15/64");
    in6_rtmsg route{};
    inet_pton(AF_INET6, kGateway6, &route.rtmsg_gateway);
    route.rtmsg_flags = RTF_UP | RTF_GATEWAY;
    route.rtmsg_metric = 1;
    route.rtmsg_ifindex = interface_index;
    if (ioctl(control6.get(), SIOCADDRT, &route) < 0) return failed("adding the IPv6 default route via fec0::2");
    return ok_status();
}

// Opens tap0 into `tap` (the caller's owner, so a later failure closes it).
Status create_tap(Fd& tap) {
    tap.reset(open("/dev/net/tun", O_RDWR | O_CLOEXEC));
    if (tap.get() < 0 && errno == EACCES)
        return failed("opening /dev/net/tun as uid " + std::to_string(getuid()) +
                      " (this host restricts it; Debian ships it with mode 0666: as root, `chmod 0666 /dev/net/tun`, or run as root)");
    if (tap.get() < 0) return failed("opening /dev/net/tun (is the tun module loaded and /dev/net/tun present?)");
    ifreq request = interface_request(kTapName);
    // IFF_VNET_HDR: askfirstd marks the TCP checksums it sends as partial, so
    // the namespace's stack does not sum every segment again (netstack/virtio_net_header.h).
    request.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    if (ioctl(tap.get(), TUNSETIFF, &request) < 0) return failed("creating the TAP device tap0");
    return ok_status();
}

}  // namespace

Status map_user_to_itself(unsigned outer_uid, unsigned outer_gid) {
    // setgroups must be denied before an unprivileged process may write gid_map.
    if (!write_file("/proc/self/setgroups", "deny"))
        return failed("writing /proc/self/setgroups");
    if (!write_file("/proc/self/uid_map", std::to_string(outer_uid) + " " + std::to_string(outer_uid) + " 1\n"))
        return failed("writing /proc/self/uid_map");
    if (!write_file("/proc/self/gid_map", std::to_string(outer_gid) + " " + std::to_string(outer_gid) + " 1\n"))
        return failed("writing /proc/self/gid_map");
    return ok_status();
}

Result<int> configure_network() {
    using Configured = Result<int>;
    Fd control(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (control.get() < 0) return Configured::failure(failed("opening a control socket").error());
    Fd tap(-1);
    Status step = bring_up(control.get(), "lo");
    if (step) step = create_tap(tap);
    if (!step) return Configured::failure(step.error());
    // Before the link comes up, so the static IPv6 address is not held back
    // by duplicate address detection and no SLAAC address is added.
    write_file(std::string("/proc/sys/net/ipv6/conf/") + kTapName + "/accept_dad", "0");
    write_file(std::string("/proc/sys/net/ipv6/conf/") + kTapName + "/accept_ra", "0");
    const int c = control.get();
    step = set_mac_and_mtu(c);
    if (step) step = set_ipv4(c, SIOCSIFADDR, kGuestAddress4, "IPv4 address");
    if (step) step = set_ipv4(c, SIOCSIFNETMASK, kGuestNetmask4, "IPv4 netmask");
    if (step) step = bring_up(c, kTapName);
    if (step) step = add_default_route4(c);
    if (step) {
        const unsigned index = if_nametoindex(kTapName);
        step = index == 0 ? failed("looking up tap0's interface index") : configure_ipv6(static_cast<int>(index));
    }
    if (!step) return Configured::failure(step.error());
    return Configured::success(tap.release());
}

Status isolate_mounts_and_bind_resolv_conf(const std::string& resolv_conf_path) {
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
        return failed("making the sandbox's mounts private");
    // /etc/resolv.conf may be a symlink (systemd-resolved): bind over its target.
    char target[4096];
    if (realpath("/etc/resolv.conf", target) == nullptr)
        return failed("resolving /etc/resolv.conf (create the file, even empty, so it can be covered)");
    if (mount(resolv_conf_path.c_str(), target, nullptr, MS_BIND, nullptr) < 0)
        return failed(std::string("bind-mounting the sandbox's resolv.conf over ") + target);
    return ok_status();
}

Status mount_proc() {
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) < 0)
        return failed("mounting /proc for the sandbox's PID namespace");
    return ok_status();
}

}  // namespace askfirst::exec_sandbox
