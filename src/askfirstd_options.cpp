// src/askfirstd_options.cpp — the command-line parser of askfirstd_options.h.
#include "src/askfirstd_options.h"

#include <charconv>
#include <cstring>
#include <string_view>

namespace askfirst {

const char kAskfirstdUsage[] =
    "usage: askfirstd (--socket PATH | --tap-fd N) [--profile FILE] [--name NAME] [-v]\n"
    "\n"
    "The askfirst appliance for one VM or network namespace: it terminates every\n"
    "TCP flow of the guest in user space and relays it; DNS, DHCP, ARP and NDP are\n"
    "answered locally; other UDP is dropped unless the profile lists it.\n"
    "\n"
    "  --socket PATH   listen on a unix socket for QEMU's -netdev stream (start\n"
    "                  askfirstd before QEMU; one guest per socket)\n"
    "  --tap-fd N      serve the TAP device open on file descriptor N\n"
    "  --profile FILE  the JSON profile (dns.hosts, upstream.map, host_services,\n"
    "                  udp.allow, ...); without it nothing is mapped\n"
    "  --name NAME     the session name shown in every log line\n"
    "  --ready-fd N    write \"R\" to fd N and close it once serving (then the\n"
    "                  sandbox's credential stubs as JSON, when the profile has credentials)\n"
    "  -v              log every flow, drop and refusal\n"
    "  --help          this text\n";

namespace {

std::optional<int> parse_fd(std::string_view text) {
    int value = -1;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || value < 0) return std::nullopt;
    return value;
}

// Stores the value of one of the options that take one.
Status store_option_value(std::string_view arg, std::string_view value, AskfirstdOptions& options) {
    if (arg == "--socket") {
        options.socket_path = std::string(value);
    } else if (arg == "--profile") {
        options.profile_path = std::string(value);
    } else if (arg == "--name") {
        options.name = std::string(value);
    } else {
        const auto fd = parse_fd(value);
        if (!fd) return Status::failure(std::string(arg) + " '" + std::string(value) + "' is not a file descriptor number");
        (arg == "--tap-fd" ? options.tap_fd : options.ready_fd) = *fd;
    }
    return ok_status();
}

// The rules across options, once all are read.
Status check_options(const AskfirstdOptions& options) {
    if (options.socket_path.has_value() == options.tap_fd.has_value())
        return Status::failure("give exactly one of --socket PATH (for QEMU) or --tap-fd N (for a namespace)");
    if (options.name.empty() || options.name.find_first_of(" \t\n\"=") != std::string::npos)
        return Status::failure("--name must be a non-empty word without spaces, quotes or '='");
    return ok_status();
}

}  // namespace

Result<AskfirstdOptions> parse_askfirstd_options(int argc, const char* const* argv) {
    using Parsed = Result<AskfirstdOptions>;
    AskfirstdOptions options;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            options.help = true;
            return Parsed::success(std::move(options));
        }
        if (arg == "-v" || arg == "--verbose") {
            options.verbose = true;
            continue;
        }
        if (arg != "--socket" && arg != "--tap-fd" && arg != "--profile" && arg != "--name" && arg != "--ready-fd")
            return Parsed::failure("unknown option '" + std::string(arg) + "'; 'askfirstd --help' lists the options");
        if (i + 1 >= argc) return Parsed::failure(std::string(arg) + " needs a value; 'askfirstd --help' shows it");
        if (auto stored = store_option_value(arg, argv[++i], options); !stored) return Parsed::failure(stored.error());
    }
    if (auto checked = check_options(options); !checked) return Parsed::failure(checked.error());
    return Parsed::success(std::move(options));
}

}  // namespace askfirst
