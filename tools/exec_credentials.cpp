// tools/exec_credentials.cpp — stub environment and stub files in the
// sandbox of `askfirst exec` (see the header); what they hold comes from
// tools/sandbox_stub_files.h, shared with askfirst-vm.
#include "tools/exec_credentials.h"
#include "tools/exec_ca_trust.h"
#include "tools/exec_kubeconfig.h"
#include "tools/sandbox_stub_files.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string_view>
#include <vector>

namespace askfirst::exec_credentials {
namespace {

// The stubs of a few entries are a few KiB; more is not askfirstd's message.
constexpr std::size_t kMaxStubsBytes = 1 << 20;
// askfirstd writes the stubs right after its ready byte and closes the fd.
constexpr int kStubsReadTimeoutMs = 5000;

using sandbox_stubs::StubEntry;

void set_environment(const std::vector<StubEntry>& entries) {
    const auto variables = sandbox_stubs::stub_variables(entries);
    for (const auto& name : variables.unset) unsetenv(name.c_str());
    for (const auto& [name, value] : variables.set) setenv(name.c_str(), value.c_str(), 1);
}

std::string home_folder() {
    const char* home = std::getenv("HOME");
    return home != nullptr && home[0] != '\0' ? std::string(home) : "";
}

std::string file_text(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

// The sandbox's CA bundle (askfirst's CA; bound over the system bundle
// before the stubs are installed, tools/exec_ca_trust.h).
std::string sandbox_ca_bundle() {
    for (const std::string_view path : exec_ca_trust::kSystemBundlePaths)
        if (access(std::string(path).c_str(), R_OK) == 0) return std::string(path);
    return std::string(exec_ca_trust::kSystemBundlePaths[0]);
}

// A real kubeconfig becomes its stub (`listed`: the texts of every file of
// its $KUBECONFIG list, which decide together which user talks to which
// cluster); one askfirst cannot read becomes an empty config (fail closed:
// its credentials must not be readable inside).
std::string kubeconfig_file(const std::string& real_path, const std::string& real_text,
                            const std::vector<std::string_view>& listed, const std::vector<StubEntry>& entries) {
    auto made = stub_kubeconfig(real_text, kube_stubs(entries), SandboxCa{sandbox_ca_bundle(), ""}, listed);
    if (made) return made.take();
    std::fprintf(stderr, "askfirst exec: %s %s; the sandbox sees an empty kubeconfig there\n", real_path.c_str(),
                 made.error().c_str());
    return "{\"apiVersion\": \"v1\", \"kind\": \"Config\"}\n";
}

// Binds a file holding `contents` over `target` (which must exist); the
// source file is removed at once: the mount keeps it for the sandbox only.
Status bind_stub_over(const std::string& stub_dir, const std::string& target, const std::string& contents,
                      int& counter) {
    struct stat info {};
    if (target.empty() || stat(target.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return ok_status();
    const std::string source = stub_dir + "/" + std::to_string(counter++);
    {
        std::ofstream out(source, std::ios::binary);
        out << contents;
        if (!out) return Status::failure("cannot write a stub file in " + stub_dir);
    }
    chmod(source.c_str(), 0600);
    if (mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) {
        const std::string why = std::strerror(errno);
        unlink(source.c_str());
        return Status::failure("cannot bind a stub over " + target + ": " + why);
    }
    unlink(source.c_str());
    return ok_status();
}

Status bind_stub_files(const std::vector<StubEntry>& entries, const std::vector<std::string>& command) {
    char dir_template[] = "/tmp/askfirst-exec-stubs-XXXXXX";
    if (mkdtemp(dir_template) == nullptr)
        return Status::failure(std::string("cannot create a stub directory in /tmp: ") + std::strerror(errno));
    const std::string dir = dir_template;
    int counter = 0;
    const std::string home = home_folder();
    const auto files = sandbox_stubs::stub_files(entries, home, home.empty() ? "" : file_text(home + "/.aws/config"));
    std::vector<std::pair<std::string, std::string>> binds;
    for (const auto& file : files) binds.emplace_back(file.path, file.contents);
    // The real kubeconfigs: path, text (wiped below); the $KUBECONFIG list first (its files are
    // stubbed together), then each file CMD names with --kubeconfig (kubectl reads it alone).
    std::vector<std::pair<std::string, std::string>> kubeconfigs;
    // A file CMD names is taken only when it is a kubeconfig (the flag scan reads words, not kubectl's parser).
    const auto add_kubeconfigs = [&](const std::vector<std::string>& paths, bool kubeconfigs_only) {
        for (const auto& path : paths) {
            struct stat info {};
            const bool known = std::any_of(kubeconfigs.begin(), kubeconfigs.end(), [&](const auto& k) { return k.first == path; });
            if (known || stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
            std::string text = file_text(path);
            if (!kubeconfigs_only || looks_like_kubeconfig(text)) kubeconfigs.emplace_back(path, std::move(text));
            else OPENSSL_cleanse(text.data(), text.size());
        }
    };
    add_kubeconfigs(kubeconfig_paths(), false);
    const std::size_t listed_count = kubeconfigs.size();
    add_kubeconfigs(kubeconfig_paths_in_command(command), true);
    std::vector<std::string_view> listed;
    for (std::size_t i = 0; i < listed_count; ++i) listed.push_back(kubeconfigs[i].second);
    for (std::size_t i = 0; i < kubeconfigs.size(); ++i) {
        const auto& [path, text] = kubeconfigs[i];
        binds.emplace_back(path, kubeconfig_file(path, text, i < listed_count ? listed : std::vector<std::string_view>{}, entries));
    }
    for (auto& [path, text] : kubeconfigs) OPENSSL_cleanse(text.data(), text.size());
    Status bound = ok_status();
    for (const auto& [target, contents] : binds) {
        bound = bind_stub_over(dir, target, contents, counter);
        if (!bound) break;
    }
    rmdir(dir.c_str());
    return bound;
}

}  // namespace

std::string read_stubs_after_ready(int ready_read_fd) {
    std::string stubs;
    char buffer[4096];
    for (;;) {
        pollfd readable{ready_read_fd, POLLIN, 0};
        const int polled = poll(&readable, 1, kStubsReadTimeoutMs);
        if (polled < 0 && errno == EINTR) continue;
        if (polled <= 0) break;
        const ssize_t got = read(ready_read_fd, buffer, sizeof buffer);
        if (got <= 0) break;
        stubs.append(buffer, static_cast<std::size_t>(got));
        if (stubs.size() > kMaxStubsBytes) return "";
    }
    return stubs;
}

std::string stubs_file_for_keeper(const std::string& stubs_json) {
    if (stubs_json.empty()) return "";
    char path[] = "/tmp/askfirst-exec-stubs-XXXXXX.json";
    const int fd = mkstemps(path, 5);
    if (fd < 0) {
        std::fprintf(stderr, "askfirst exec: cannot write the credential stubs to /tmp: %s\n", std::strerror(errno));
        return "/nonexistent/askfirst-exec-stubs";  // the keeper then refuses to start CMD
    }
    const bool written = write(fd, stubs_json.data(), stubs_json.size()) == static_cast<ssize_t>(stubs_json.size());
    close(fd);
    return written ? path : "/nonexistent/askfirst-exec-stubs";
}

Status install_stubs(const std::string& stubs_path, const std::vector<std::string>& command) {
    if (stubs_path.empty()) return ok_status();
    std::ifstream file(stubs_path, std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    unlink(stubs_path.c_str());
    auto entries = file ? sandbox_stubs::parse_stub_entries(text.str())
                        : Result<std::vector<StubEntry>>::failure("cannot open it");
    if (!entries)
        return Status::failure("cannot read the credential stubs askfirstd gave (" + stubs_path +
                               "); not starting the command");
    set_environment(*entries);
    return bind_stub_files(*entries, command);
}

}  // namespace askfirst::exec_credentials
