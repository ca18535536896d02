// tools/exec_credentials.cpp — stub environment and stub files in the
// sandbox of `askfirst exec` (see the header).
#include "tools/exec_credentials.h"

#include "tools/exec_ca_trust.h"
#include "tools/exec_kubeconfig.h"

#include <cjson/cJSON.h>
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
#include <vector>

namespace askfirst::exec_credentials {
namespace {

// The stubs of a few entries are a few KiB; more is not askfirstd's message.
constexpr std::size_t kMaxStubsBytes = 1 << 20;
// askfirstd writes the stubs right after its ready byte and closes the fd.
constexpr int kStubsReadTimeoutMs = 5000;

struct JsonDeleter {
    void operator()(cJSON* json) const { cJSON_Delete(json); }
};
using Json = std::unique_ptr<cJSON, JsonDeleter>;

struct StubEntry {
    std::string name, kind, stub, access_key_id, secret_access_key, session_token, source_env, source_file;
    std::string source_key_file, client_certificate, client_key;  // kube with a client certificate
    std::vector<std::string> hosts, guest_env;
};

std::string text_of(const cJSON* item, const char* key) {
    const cJSON* value = cJSON_GetObjectItemCaseSensitive(item, key);
    return cJSON_IsString(value) && value->valuestring != nullptr ? value->valuestring : "";
}

std::vector<std::string> list_of(const cJSON* item, const char* key) {
    std::vector<std::string> out;
    const cJSON* list = cJSON_GetObjectItemCaseSensitive(item, key);
    for (const cJSON* value = list != nullptr ? list->child : nullptr; value != nullptr; value = value->next)
        if (cJSON_IsString(value)) out.emplace_back(value->valuestring);
    return out;
}

bool parse_entries(const std::string& text, std::vector<StubEntry>& out) {
    Json root(cJSON_Parse(text.c_str()));
    const cJSON* list = root ? cJSON_GetObjectItemCaseSensitive(root.get(), "credentials") : nullptr;
    if (!cJSON_IsArray(list)) return false;
    for (const cJSON* item = list->child; item != nullptr; item = item->next) {
        StubEntry entry;
        entry.name = text_of(item, "name");
        entry.kind = text_of(item, "kind");
        entry.stub = text_of(item, "stub");
        entry.access_key_id = text_of(item, "access_key_id");
        entry.secret_access_key = text_of(item, "secret_access_key");
        entry.session_token = text_of(item, "session_token");
        entry.source_env = text_of(item, "source_env");
        entry.source_file = text_of(item, "source_file");
        entry.source_key_file = text_of(item, "source_key_file");
        entry.client_certificate = text_of(item, "client_certificate");
        entry.client_key = text_of(item, "client_key");
        entry.hosts = list_of(item, "hosts");
        entry.guest_env = list_of(item, "guest_env");
        out.push_back(std::move(entry));
    }
    return true;
}

void set_environment(const std::vector<StubEntry>& entries) {
    for (const auto& entry : entries) {
        if (!entry.source_env.empty()) unsetenv(entry.source_env.c_str());
        if (entry.kind == "aws-sigv4") {
            setenv("AWS_ACCESS_KEY_ID", entry.access_key_id.c_str(), 1);
            setenv("AWS_SECRET_ACCESS_KEY", entry.secret_access_key.c_str(), 1);
            if (entry.session_token.empty()) unsetenv("AWS_SESSION_TOKEN");
            else setenv("AWS_SESSION_TOKEN", entry.session_token.c_str(), 1);
        }
    }
    // guest_env last: a name listed there wins over a source variable of the same name.
    for (const auto& entry : entries)
        for (const auto& name : entry.guest_env) setenv(name.c_str(), entry.stub.c_str(), 1);
}

std::string home_path(const char* relative) {
    const char* home = std::getenv("HOME");
    return home != nullptr && home[0] != '\0' ? std::string(home) + "/" + relative : "";
}

// The user part of a basic stub ("user:password"), or the user forges take with a token as password.
std::string user_of(const StubEntry& entry) {
    if (entry.kind == "basic") return entry.stub.substr(0, entry.stub.find(':'));
    return "x-access-token";
}
std::string password_of(const StubEntry& entry) {
    if (entry.kind == "basic") return entry.stub.substr(entry.stub.find(':') + 1);
    return entry.stub;
}
bool token_kind(const StubEntry& entry) {
    return entry.kind == "bearer" || entry.kind == "basic" || entry.kind == "header";
}

std::string aws_credentials_file(const std::vector<StubEntry>& entries) {
    std::string text;
    bool first = true;
    for (const auto& entry : entries) {
        if (entry.kind != "aws-sigv4") continue;
        const std::string keys = "aws_access_key_id = " + entry.access_key_id + "\naws_secret_access_key = " +
                                 entry.secret_access_key + "\n" +
                                 (entry.session_token.empty() ? "" : "aws_session_token = " + entry.session_token + "\n");
        if (first) text += "[default]\n" + keys;
        text += "[" + entry.name + "]\n" + keys;
        first = false;
    }
    return text;
}

// The real config's section headers and region/output settings only: no
// credential_process, sso_* or keys that would reach real credentials.
std::string aws_config_file(const std::string& real_path) {
    std::ifstream real(real_path);
    std::string line, text = "# askfirst exec: the host's ~/.aws/config without its credential settings\n";
    while (std::getline(real, line)) {
        const std::size_t start = line.find_first_not_of(" \t");
        if (start == std::string::npos) continue;
        const std::string trimmed = line.substr(start);
        if (trimmed.front() == '[' || trimmed.starts_with("region") || trimmed.starts_with("output")) text += trimmed + "\n";
    }
    return text;
}

std::string gh_hosts_file(const std::vector<StubEntry>& entries) {
    std::string text;
    for (const auto& entry : entries) {
        if (entry.kind != "bearer") continue;
        for (const auto& host : entry.hosts) {
            if (host != "github.com" && host != "api.github.com") continue;
            text += "github.com:\n    oauth_token: " + entry.stub + "\n    git_protocol: https\n";
            return text;
        }
    }
    return text;
}

std::string git_credentials_file(const std::vector<StubEntry>& entries) {
    std::string text;
    for (const auto& entry : entries)
        if (token_kind(entry))
            for (const auto& host : entry.hosts)
                if (!host.starts_with("*.")) text += "https://" + user_of(entry) + ":" + password_of(entry) + "@" + host + "\n";
    return text;
}

std::string netrc_file(const std::vector<StubEntry>& entries) {
    std::string text;
    for (const auto& entry : entries)
        if (token_kind(entry))
            for (const auto& host : entry.hosts)
                if (!host.starts_with("*."))
                    text += "machine " + host + " login " + user_of(entry) + " password " + password_of(entry) + "\n";
    return text;
}

// The sandbox's CA bundle (askfirst's CA; bound over the system bundle
// before the stubs are installed, tools/exec_ca_trust.h).
std::string sandbox_ca_bundle() {
    for (const std::string_view path : exec_ca_trust::kSystemBundlePaths)
        if (access(std::string(path).c_str(), R_OK) == 0) return std::string(path);
    return std::string(exec_ca_trust::kSystemBundlePaths[0]);
}

// A real kubeconfig becomes its stub; one askfirst cannot read becomes an
// empty config (fail closed: its credentials must not be readable inside).
std::string kubeconfig_file(const std::string& real_path, const std::vector<StubEntry>& entries) {
    std::ifstream real(real_path, std::ios::binary);
    std::stringstream text;
    text << real.rdbuf();
    std::vector<KubeStub> stubs;
    for (const auto& entry : entries)
        if (entry.kind == "kube") stubs.push_back(KubeStub{entry.hosts, entry.stub, entry.client_certificate, entry.client_key});
    std::string error;
    std::string stub = stub_kubeconfig(text.str(), stubs, sandbox_ca_bundle(), error);
    if (stub.empty()) {
        std::fprintf(stderr, "askfirst exec: %s %s; the sandbox sees an empty kubeconfig there\n", real_path.c_str(),
                     error.c_str());
        stub = "{\"apiVersion\": \"v1\", \"kind\": \"Config\"}\n";
    }
    std::string wiped = text.str();
    OPENSSL_cleanse(wiped.data(), wiped.size());
    return stub;
}

// Binds a file holding `contents` over `target` (which must exist); the
// source file is removed at once: the mount keeps it for the sandbox only.
std::string bind_stub_over(const std::string& stub_dir, const std::string& target, const std::string& contents,
                           int& counter) {
    struct stat info {};
    if (target.empty() || stat(target.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return "";
    const std::string source = stub_dir + "/" + std::to_string(counter++);
    {
        std::ofstream out(source, std::ios::binary);
        out << contents;
        if (!out) return "cannot write a stub file in " + stub_dir;
    }
    chmod(source.c_str(), 0600);
    if (mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) {
        const std::string error = "cannot bind a stub over " + target + ": " + std::strerror(errno);
        unlink(source.c_str());
        return error;
    }
    unlink(source.c_str());
    return "";
}

std::string bind_stub_files(const std::vector<StubEntry>& entries) {
    char dir_template[] = "/tmp/askfirst-exec-stubs-XXXXXX";
    if (mkdtemp(dir_template) == nullptr) return std::string("cannot create a stub directory in /tmp: ") + std::strerror(errno);
    const std::string dir = dir_template;
    int counter = 0;
    std::vector<std::pair<std::string, std::string>> binds;
    const bool has_aws = std::any_of(entries.begin(), entries.end(), [](const StubEntry& e) { return e.kind == "aws-sigv4"; });
    if (has_aws) {
        binds.emplace_back(home_path(".aws/credentials"), aws_credentials_file(entries));
        binds.emplace_back(home_path(".aws/config"), aws_config_file(home_path(".aws/config")));
    }
    binds.emplace_back(home_path(".config/gh/hosts.yml"), gh_hosts_file(entries));
    binds.emplace_back(home_path(".git-credentials"), git_credentials_file(entries));
    binds.emplace_back(home_path(".netrc"), netrc_file(entries));
    for (const auto& path : kubeconfig_paths()) {
        struct stat info {};
        if (stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode)) binds.emplace_back(path, kubeconfig_file(path, entries));
    }
    for (const auto& entry : entries) {
        if (!entry.client_certificate.empty()) {  // a kube client certificate: the stub pair over the real one
            binds.emplace_back(entry.source_file, entry.client_certificate);
            binds.emplace_back(entry.source_key_file, entry.client_key);
        } else if (!entry.source_file.empty()) {
            binds.emplace_back(entry.source_file, password_of(entry) + "\n");
        }
    }
    std::string error;
    for (const auto& [target, contents] : binds) {
        error = bind_stub_over(dir, target, contents, counter);
        if (!error.empty()) break;
    }
    rmdir(dir.c_str());
    return error;
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

std::string install_stubs(const std::string& stubs_path) {
    if (stubs_path.empty()) return "";
    std::ifstream file(stubs_path, std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    unlink(stubs_path.c_str());
    std::vector<StubEntry> entries;
    if (!file || !parse_entries(text.str(), entries))
        return "cannot read the credential stubs askfirstd gave (" + stubs_path + "); not starting the command";
    set_environment(entries);
    return bind_stub_files(entries);
}

}  // namespace askfirst::exec_credentials
