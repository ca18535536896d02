// src/credentials/credential_sources.cpp — env, file and command sources (see the header).
#include "src/credentials/credential_sources.h"

#include <cJSON.h>
#include <openssl/crypto.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "src/http/head_edits.h"

namespace askfirst::credentials {
namespace {

using http::wipe_string;

// A credential value larger than this is not a credential (a kubeconfig's
// client key is a few KiB; AWS session tokens ~1-2 KiB).
constexpr std::size_t kMaxValueBytes = 64 * 1024;

std::string entry_label(const CredentialSpec& spec) { return "credentials \"" + spec.name + "\""; }

void trim_trailing_newlines(std::string& value) {
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r' || value.back() == ' ')) value.pop_back();
}

// The value is taken out of askfirstd's environment: wiped where it lay
// (the process's initial stack, which a core dump would hold) and unset.
// An env source is read once (its value does not expire).
bool read_env(const std::string& name, std::string& out) {
    char* value = std::getenv(name.c_str());
    if (value == nullptr || value[0] == '\0') return false;
    out = value;
    OPENSSL_cleanse(value, std::strlen(value));
    unsetenv(name.c_str());
    return true;
}

// `secret`: refused if group or others can read it (a client certificate,
// public by nature, is not).
// The value is appended to `out` (the caller's buffer, which it wipes).
Status read_file(const CredentialSpec& spec, const std::string& given_path, bool secret, std::string& out) {
    const std::string path = expand_home(given_path);
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return Status::failure(entry_label(spec) + ": cannot open " + path + " (" + std::strerror(errno) + ")");
    struct stat info {};
    if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        close(fd);
        return Status::failure(entry_label(spec) + ": " + path + " is not a regular file");
    }
    if (secret && (info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        close(fd);
        return Status::failure(entry_label(spec) + ": " + path +
                               " can be read by group or others; askfirst refuses it (chmod 600 " + path + ")");
    }
    char buffer[4096];
    for (;;) {
        const ssize_t got = read(fd, buffer, sizeof buffer);
        if (got <= 0) break;
        out.append(buffer, static_cast<std::size_t>(got));
        if (out.size() > kMaxValueBytes) break;
    }
    OPENSSL_cleanse(buffer, sizeof buffer);
    close(fd);
    return ok_status();
}

// Runs argv without a shell; its stdout is the value, its stderr goes to
// askfirstd's (the operator sees why it failed). The value is appended to
// `out` (the caller's buffer, which it wipes, also when the command failed).
Status run_command(const CredentialSpec& spec, std::string& out) {
    const auto& argv_words = *spec.source.command;
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0)
        return Status::failure(entry_label(spec) + ": cannot create a pipe for its command");
    std::vector<char*> argv;
    for (const auto& word : argv_words) argv.push_back(const_cast<char*>(word.c_str()));
    argv.push_back(nullptr);
    const pid_t child = fork();
    if (child < 0) {
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        return Status::failure(entry_label(spec) + ": cannot start its command");
    }
    if (child == 0) {
        dup2(pipe_fds[1], STDOUT_FILENO);
        const int null_in = open("/dev/null", O_RDONLY);
        if (null_in >= 0) dup2(null_in, STDIN_FILENO);
        execvp(argv[0], argv.data());
        _exit(127);
    }
    close(pipe_fds[1]);
    const auto deadline = std::chrono::steady_clock::now() + kCommandTimeout;
    bool timed_out = false;
    char buffer[4096];
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timed_out = true;
            break;
        }
        pollfd readable{pipe_fds[0], POLLIN, 0};
        if (poll(&readable, 1, static_cast<int>(left.count())) <= 0) continue;
        const ssize_t got = read(pipe_fds[0], buffer, sizeof buffer);
        if (got <= 0) break;
        if (out.size() < kMaxValueBytes) out.append(buffer, static_cast<std::size_t>(got));
    }
    OPENSSL_cleanse(buffer, sizeof buffer);
    close(pipe_fds[0]);
    if (timed_out) kill(child, SIGKILL);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    std::string shown;
    for (const auto& word : argv_words) shown += (shown.empty() ? "" : " ") + word;
    if (timed_out)
        return Status::failure(entry_label(spec) + ": its command (" + shown + ") did not finish in " +
                               std::to_string(kCommandTimeout.count()) + " s");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return Status::failure(
            entry_label(spec) + ": its command (" + shown + ") failed" +
            (WIFEXITED(status) ? " with exit status " + std::to_string(WEXITSTATUS(status)) : " (killed)") +
            (WIFEXITED(status) && WEXITSTATUS(status) == 127 ? " (not found in PATH?)" : ""));
    return ok_status();
}

// "2024-01-01T00:00:00Z" or "...+00:00" (what `aws configure export-credentials` prints).
std::optional<SystemClock::time_point> parse_expiration(std::string_view text) {
    std::tm parts{};
    const std::string copy(text);
    const char* rest = strptime(copy.c_str(), "%Y-%m-%dT%H:%M:%S", &parts);
    if (rest == nullptr) return std::nullopt;
    while (*rest != '\0' && (*rest == '.' || (*rest >= '0' && *rest <= '9'))) ++rest;  // fractions
    long offset_seconds = 0;
    if (*rest == '+' || *rest == '-') {
        int hours = 0, minutes = 0;
        if (std::sscanf(rest + 1, "%2d:%2d", &hours, &minutes) != 2) return std::nullopt;
        offset_seconds = (hours * 3600L + minutes * 60L) * (*rest == '-' ? -1 : 1);
    } else if (*rest != 'Z' && *rest != '\0') {
        return std::nullopt;
    }
    const std::time_t utc = timegm(&parts) - offset_seconds;
    return SystemClock::from_time_t(utc);
}

void wipe_json_strings(cJSON* node) {
    for (; node != nullptr; node = node->next) {
        if (cJSON_IsString(node) && node->valuestring != nullptr)
            OPENSSL_cleanse(node->valuestring, std::strlen(node->valuestring));
        wipe_json_strings(node->child);
    }
}

Status parse_aws_value(const CredentialSpec& spec, std::string& value, RealCredential& out) {
    if (!value.empty() && value.front() == '{') {
        cJSON* root = cJSON_ParseWithLength(value.data(), value.size());
        if (root == nullptr)
            return Status::failure(entry_label(spec) + ": its source did not give AWS credential_process JSON");
        auto text = [root](const char* key) -> std::string_view {
            const cJSON* item = cJSON_GetObjectItemCaseSensitive(root, key);
            return cJSON_IsString(item) && item->valuestring != nullptr ? item->valuestring : "";
        };
        const cJSON* version = cJSON_GetObjectItemCaseSensitive(root, "Version");
        bool ok = cJSON_IsNumber(version) && version->valueint == 1 && !text("AccessKeyId").empty() &&
                  !text("SecretAccessKey").empty();
        if (ok) {
            out.access_key_id = SecretBytes(text("AccessKeyId"));
            out.secret_access_key = SecretBytes(text("SecretAccessKey"));
            out.session_token = SecretBytes(text("SessionToken"));
            if (!text("Expiration").empty()) {
                out.expires_at = parse_expiration(text("Expiration"));
                ok = out.expires_at.has_value();
            }
        }
        wipe_json_strings(root);
        cJSON_Delete(root);
        if (!ok)
            return Status::failure(entry_label(spec) + ": its AWS credential_process JSON lacks Version 1, AccessKeyId "
                                                       "or SecretAccessKey, or has an Expiration that is not ISO 8601");
        return ok_status();
    }
    const std::size_t first = value.find(':');
    if (first == std::string::npos)
        return Status::failure(entry_label(spec) +
                               ": kind aws-sigv4 needs credential_process JSON or KEYID:SECRET[:TOKEN]");
    const std::size_t second = value.find(':', first + 1);
    out.access_key_id = SecretBytes(std::string_view(value).substr(0, first));
    out.secret_access_key = SecretBytes(std::string_view(value).substr(first + 1, second - first - 1));
    if (second != std::string::npos) out.session_token = SecretBytes(std::string_view(value).substr(second + 1));
    return ok_status();
}

// The value goes into `value` (the caller's buffer, which it wipes).
Status read_source_value(const CredentialSpec& spec, std::string& value) {
    if (spec.source.env) {
        if (read_env(*spec.source.env, value)) return ok_status();
        return Status::failure(entry_label(spec) + ": the environment variable " + *spec.source.env +
                               " is not set in askfirstd's environment");
    }
    if (spec.source.file) return read_file(spec, *spec.source.file, true, value);
    return run_command(spec, value);
}

}  // namespace

std::string expand_home(const std::string& path) {
    if (!path.starts_with("~/")) return path;
    const char* home = std::getenv("HOME");
    return std::string(home != nullptr ? home : "") + path.substr(1);
}

namespace {

// A kube client certificate: `file` the PEM certificate (chain), `key_file`
// its PEM key. Only the shape is checked here; that they parse and belong
// together is checked where the TLS client loads them (tls/upstream_tls_client.h).
Result<RealCredential> resolve_client_certificate(const CredentialSpec& spec) {
    std::string certificate, key;
    Status read = read_file(spec, *spec.source.file, false, certificate);
    if (read) read = read_file(spec, *spec.source.key_file, true, key);
    if (!read) {
        wipe_string(key);
        return Result<RealCredential>::failure(read.error());
    }
    RealCredential out;
    std::string error;
    if (certificate.size() > kMaxValueBytes || key.size() > kMaxValueBytes) {
        error = entry_label(spec) + ": its certificate or key file holds more than " + std::to_string(kMaxValueBytes) +
                " bytes";
    } else if (certificate.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
        error = entry_label(spec) + ": " + expand_home(*spec.source.file) + " holds no PEM certificate";
    } else if (key.find("-----BEGIN ") == std::string::npos || key.find("PRIVATE KEY-----") == std::string::npos) {
        error = entry_label(spec) + ": " + expand_home(*spec.source.key_file) + " holds no PEM private key";
    } else {
        out.client_certificate = std::move(certificate);
        out.client_key = SecretBytes(key);
        if (out.client_key.empty()) error = entry_label(spec) + ": cannot keep its key in protected memory (mmap failed)";
    }
    wipe_string(key);
    if (!error.empty()) return Result<RealCredential>::failure(std::move(error));
    return Result<RealCredential>::success(std::move(out));
}

}  // namespace

Result<RealCredential> resolve_credential(const CredentialSpec& spec) {
    using Resolved = Result<RealCredential>;
    if (spec.source.key_file) return resolve_client_certificate(spec);
    std::string value;
    const auto kind = parse_credential_kind(spec.kind);
    if (kind == CredentialKind::aws_sigv4 && spec.source.env == "AWS_ACCESS_KEY_ID") {
        std::string key_id, secret, token;
        if (!read_env("AWS_ACCESS_KEY_ID", key_id) || !read_env("AWS_SECRET_ACCESS_KEY", secret))
            return Resolved::failure(entry_label(spec) + ": AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be "
                                                         "set in askfirstd's environment");
        read_env("AWS_SESSION_TOKEN", token);
        value = key_id + ":" + secret + (token.empty() ? "" : ":" + token);
        wipe_string(key_id);
        wipe_string(secret);
        wipe_string(token);
    } else if (Status read = read_source_value(spec, value); !read) {
        wipe_string(value);
        return Resolved::failure(read.error());
    }
    trim_trailing_newlines(value);
    RealCredential out;
    Status kept = ok_status();
    if (value.empty()) {
        kept = Status::failure(entry_label(spec) + ": its source gave an empty value");
    } else if (value.size() > kMaxValueBytes) {
        kept = Status::failure(entry_label(spec) + ": its source gave more than " + std::to_string(kMaxValueBytes) +
                               " bytes");
    } else if (kind == CredentialKind::aws_sigv4) {
        kept = parse_aws_value(spec, value, out);
    } else {
        out.value = SecretBytes(value);
    }
    wipe_string(value);
    if (!kept) return Resolved::failure(kept.error());
    if (out.value.empty() && out.access_key_id.empty())
        return Resolved::failure(entry_label(spec) + ": cannot keep its value in protected memory (mmap failed)");
    return Resolved::success(std::move(out));
}

Result<std::vector<BrokerEntry>> broker_entries_from_profile(const Profile& profile) {
    std::vector<BrokerEntry> out;
    for (const CredentialSpec& spec : profile.credentials) {
        BrokerEntry entry;
        entry.name = spec.name;
        entry.kind = parse_credential_kind(spec.kind).value_or(CredentialKind::bearer);
        entry.header = spec.header;
        entry.hosts = spec.hosts;
        entry.profile_stub = spec.stub;
        auto real = resolve_credential(spec);
        if (!real) return Result<std::vector<BrokerEntry>>::failure(real.error());
        entry.real = real.take();
        entry.refresh = [spec] { return resolve_credential(spec); };
        out.push_back(std::move(entry));
    }
    return Result<std::vector<BrokerEntry>>::success(std::move(out));
}

Result<std::unique_ptr<CredentialBroker>> broker_for_profile(const Profile& profile) {
    auto entries = broker_entries_from_profile(profile);
    if (!entries) return Result<std::unique_ptr<CredentialBroker>>::failure(entries.error());
    std::optional<UnissuedAction> unissued;
    if (profile.unissued_credentials == "prompt") unissued = UnissuedAction::prompt;
    else if (profile.unissued_credentials == "block") unissued = UnissuedAction::block;
    else if (profile.unissued_credentials == "allow") unissued = UnissuedAction::allow;
    return CredentialBroker::create(entries.take(), unissued);
}

}  // namespace askfirst::credentials
