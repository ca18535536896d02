// tools/exec_ca_trust.cpp — the combined CA bundle of `askfirst exec` (see
// exec_ca_trust.h).
#include "tools/exec_ca_trust.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "tls/ca_store.h"

namespace askfirst::exec_ca_trust {
namespace {

// The host's bundle: the first system path that reads; "" when none does.
std::string host_bundle_text() {
    for (std::string_view path : kSystemBundlePaths) {
        std::ifstream file{std::string(path), std::ios::binary};
        if (!file) continue;
        std::ostringstream text;
        text << file.rdbuf();
        return text.str();
    }
    return "";
}

bool write_all(int fd, const std::string& text) {
    std::size_t written = 0;
    while (written < text.size()) {
        const ssize_t step = write(fd, text.data() + written, text.size() - written);
        if (step < 0 && errno == EINTR) continue;
        if (step <= 0) return false;
        written += static_cast<std::size_t>(step);
    }
    return true;
}

}  // namespace

Result<std::string> write_combined_bundle() {
    using Written = Result<std::string>;
    auto location = tls::CaLocation::from_environment();
    if (!location) return Written::failure("cannot locate askfirst's CA: " + location.error());
    auto ca = tls::CertificateAuthority::load_or_create(location.value());
    if (!ca) return Written::failure("cannot load askfirst's CA for the sandbox's trust store: " + ca.error());
    std::string bundle = host_bundle_text();
    if (!bundle.empty() && bundle.back() != '\n') bundle += '\n';
    bundle += "# askfirst CA (" + location.value().certificate_file + "), added by askfirst exec\n";
    bundle += ca.value()->pem();
    if (bundle.back() != '\n') bundle += '\n';

    char path[] = "/tmp/askfirst-exec-ca-XXXXXX";
    const int fd = mkstemp(path);
    if (fd < 0) return Written::failure(std::string("cannot write the sandbox's CA bundle in /tmp: ") + std::strerror(errno));
    const bool written = write_all(fd, bundle) && fchmod(fd, 0644) == 0;
    close(fd);
    if (!written) {
        const std::string why = std::string("cannot write the sandbox's CA bundle ") + path + ": " + std::strerror(errno);
        unlink(path);
        return Written::failure(why);
    }
    return Written::success(path);
}

Status bind_over_system_bundles(const std::string& bundle_path) {
    std::set<std::string> covered;
    for (std::string_view path : kSystemBundlePaths) {
        char target[PATH_MAX];
        // A bundle may be a symlink (Fedora's ca-bundle.crt): cover its target.
        if (realpath(std::string(path).c_str(), target) == nullptr) continue;
        struct stat status {};
        if (stat(target, &status) != 0 || !S_ISREG(status.st_mode)) continue;
        if (!covered.insert(target).second) continue;
        if (mount(bundle_path.c_str(), target, nullptr, MS_BIND, nullptr) < 0)
            return Status::failure(std::string("bind-mounting askfirst's CA bundle over ") + target + ": " +
                                   std::strerror(errno) + " (clients that read the CA variables still trust askfirst's CA)");
    }
    return ok_status();
}

void export_ca_variables(const std::string& bundle_path) {
    for (std::string_view name : kCaVariables) setenv(std::string(name).c_str(), bundle_path.c_str(), 1);
}

}  // namespace askfirst::exec_ca_trust
