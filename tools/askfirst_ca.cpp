// tools/askfirst_ca.cpp — `askfirst ca`: where askfirst's CA certificate is,
// the certificate itself (to install in a guest), and rotation. The CA is
// the one askfirstd signs every intercepted TLS leaf with (tls/ca_store.h);
// `path` and `export` create it on first use, exactly as askfirstd would.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "tls/ca_store.h"
#include "tools/subcommands.h"

namespace askfirst::cli {
namespace {

using tls::CaLocation;
using tls::CertificateAuthority;

constexpr const char* kUsage =
    "usage: askfirst ca path\n"
    "       askfirst ca export [--pem|--der]\n"
    "       askfirst ca rotate\n"
    "\n"
    "askfirst intercepts TLS with its own certificate authority, kept in\n"
    "$XDG_DATA_HOME/askfirst/ca/ (default ~/.local/share/askfirst/ca/).\n"
    "\n"
    "  path     print the CA certificate's file name (made on first use)\n"
    "  export   write the CA certificate to stdout, PEM (default) or DER,\n"
    "           to install in a guest's trust store\n"
    "  rotate   replace the CA with a new one; guests must install the new\n"
    "           certificate and askfirstd must restart to use it\n";

int fail(const std::string& message) {
    std::fprintf(stderr, "askfirst ca: %s\n", message.c_str());
    return 1;
}

int usage_error(const std::string& message) {
    std::fprintf(stderr, "askfirst ca: %s\n\n%s", message.c_str(), kUsage);
    return 2;
}

askfirst::Result<std::unique_ptr<CertificateAuthority>> open_ca() {
    auto location = CaLocation::from_environment();
    if (!location) return askfirst::Result<std::unique_ptr<CertificateAuthority>>::failure(location.error());
    auto ca = CertificateAuthority::load_or_create(location.value());
    if (ca && ca.value()->created_now())
        std::fprintf(stderr, "askfirst ca: created a new CA in %s (SHA-256 %s)\n", location.value().directory.c_str(),
                     ca.value()->sha256_fingerprint().c_str());
    if (ca && !ca.value()->strict_client_warning().empty())
        std::fprintf(stderr, "askfirst ca: warning: %s\n", ca.value()->strict_client_warning().c_str());
    return ca;
}

int run_path() {
    auto ca = open_ca();
    if (!ca) return fail(ca.error());
    std::printf("%s\n", ca.value()->location().certificate_file.c_str());
    return 0;
}

int run_export(bool der) {
    if (der && ::isatty(STDOUT_FILENO))
        return fail("--der writes binary data; redirect it to a file: askfirst ca export --der > askfirst-ca.der");
    auto ca = open_ca();
    if (!ca) return fail(ca.error());
    if (der) {
        const auto& bytes = ca.value()->der();
        if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size()) return fail("cannot write to stdout");
    } else {
        std::printf("%s\n", ca.value()->pem().c_str());
    }
    return std::fflush(stdout) == 0 ? 0 : fail("cannot write to stdout");
}

int run_rotate() {
    auto location = CaLocation::from_environment();
    if (!location) return fail(location.error());
    auto rotated = CertificateAuthority::rotate(location.value());
    if (!rotated) return fail(rotated.error());
    std::printf("new CA: %s\nSHA-256: %s\n", location.value().certificate_file.c_str(),
                rotated.value()->sha256_fingerprint().c_str());
    std::fprintf(stderr,
                 "askfirst ca: guests that trusted the old CA will now refuse askfirst's certificates: install the "
                 "new one (`askfirst ca export`) and restart askfirstd\n");
    return 0;
}

}  // namespace

int run_ca(int argc, char** argv) {
    if (argc < 2) return usage_error("which action? path, export or rotate");
    const std::string action = argv[1];
    if (action == "--help" || action == "-h" || action == "help") {
        std::printf("%s", kUsage);
        return 0;
    }
    if (action == "path" && argc == 2) return run_path();
    if (action == "rotate" && argc == 2) return run_rotate();
    if (action == "export") {
        bool der = false;
        for (int i = 2; i < argc; ++i) {
            if (std::strcmp(argv[i], "--der") == 0) der = true;
            else if (std::strcmp(argv[i], "--pem") == 0) der = false;
            else return usage_error(std::string("export takes --pem or --der, not '") + argv[i] + "'");
        }
        return run_export(der);
    }
    if (action == "path" || action == "rotate") return usage_error(action + " takes no arguments");
    return usage_error("unknown action '" + action + "'");
}

}  // namespace askfirst::cli
