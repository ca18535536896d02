// consent/audit_log.cpp — writing and reading the audit log; see audit_log.h
// for what a line holds and why it survives kill -9.
#include "consent/audit_log.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "src/base/json_text.h"
#include "consent/query_redaction.h"

namespace askfirst::consent {

namespace {

constexpr std::size_t kMaxVmNameBytes = 64;  // fits a file name and a log column

std::string errno_text(int error_number) { return std::strerror(error_number); }

// Creates `dir` with mode 0700 if it is missing; tightens it to 0700 if it is
// ours and open to others (the audit trail is private to its owner).
Status ensure_private_directory(const std::filesystem::path& dir, bool tighten) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return Status::failure("cannot create " + dir.string() + ": " + errno_text(errno) +
                               "; check its parent's permissions");
    struct stat info {};
    if (::stat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
        return Status::failure(dir.string() + " is not a directory; move it away");
    if (tighten && info.st_uid == ::geteuid() && (info.st_mode & 077) != 0 && ::chmod(dir.c_str(), 0700) != 0)
        return Status::failure("cannot make " + dir.string() + " private (chmod 700): " + errno_text(errno));
    return ok_status();
}

// A file whose last byte is not '\n' ends in a torn line: end it, so our
// first record starts on a fresh line.
Status seal_torn_tail(int fd) {
    struct stat info {};
    if (::fstat(fd, &info) != 0) return Status::failure("cannot stat the audit log: " + errno_text(errno));
    if (info.st_size == 0) return ok_status();
    char last = '\n';
    if (::pread(fd, &last, 1, info.st_size - 1) != 1)
        return Status::failure("cannot read the audit log's last byte: " + errno_text(errno));
    if (last == '\n') return ok_status();
    if (::write(fd, "\n", 1) != 1)
        return Status::failure("cannot end a torn line in the audit log: " + errno_text(errno));
    return ok_status();
}

}  // namespace

std::string rfc3339_utc(std::chrono::system_clock::time_point time) {
    auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
    std::time_t seconds = static_cast<std::time_t>(millis / 1000);
    char buffer[96];  // the largest int fields print in 78
    if (millis < 0) {  // before 1970: never cached (the milliseconds print signed, as they always did)
        std::tm parts {};
        ::gmtime_r(&seconds, &parts);
        std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900,
                      parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                      static_cast<int>(millis % 1000));
        return buffer;
    }
    // Date and time of day change once a second, and a busy flow writes a line
    // per request: they are formatted once per second (gmtime_r and snprintf
    // were ~1 % of askfirstd's CPU per keep-alive request), the milliseconds each time.
    thread_local std::time_t formatted_second = -1;
    thread_local std::string formatted_prefix;  // "2026-11-26T10:10:34"
    if (seconds != formatted_second) {
        std::tm parts {};
        ::gmtime_r(&seconds, &parts);
        std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d", parts.tm_year + 1900, parts.tm_mon + 1,
                      parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec);
        formatted_prefix = buffer;
        formatted_second = seconds;
    }
    const int milliseconds = static_cast<int>(millis % 1000);
    std::string text;
    text.reserve(formatted_prefix.size() + 5);
    text += formatted_prefix;
    text += '.';
    text += static_cast<char>('0' + milliseconds / 100);
    text += static_cast<char>('0' + milliseconds / 10 % 10);
    text += static_cast<char>('0' + milliseconds % 10);
    text += 'Z';
    return text;
}

std::string audit_line(const AuditRecord& r) {
    JsonObjectText line;
    line.add("time", rfc3339_utc(r.time))
        .add("vm", r.vm)
        .add("guest", r.guest_address)
        .add("dest", r.dest_address)
        .add("sni", r.sni)
        .add("host", r.host)
        .add("method", r.method)
        .add("path", redacted_target(r.path, r.query))
        .add("provider", r.provider)
        .add("operation", r.operation)
        .add("tier", r.tier)
        .add("mode", r.mode)
        .add("decision", r.decision)
        .add("decided_by", r.decided_by)
        .add("reason", r.reason)
        .add("wait_ms", r.wait_ms);
    if (r.stream != 0) line.add("stream", static_cast<std::int64_t>(r.stream));  // HTTP/2 only
    if (!r.statement.empty()) line.add("statement", r.statement);
    return line.finish() + "\n";
}

std::filesystem::path audit_directory(const char* xdg_state_home, const char* home) {
    if (xdg_state_home != nullptr && xdg_state_home[0] == '/') {
        return std::filesystem::path(xdg_state_home) / "askfirst" / "audit";
    }
    if (home != nullptr && home[0] == '/') return std::filesystem::path(home) / ".local/state/askfirst/audit";
    return {};
}

bool is_valid_vm_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxVmNameBytes || name.front() == '.') return false;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

Result<AuditLog> AuditLog::open(const std::filesystem::path& directory, std::string_view vm_name) {
    using Opened = Result<AuditLog>;
    if (!is_valid_vm_name(vm_name))
        return Opened::failure("VM name '" + std::string(vm_name) +
                               "' cannot name an audit log: use 1-64 of A-Z a-z 0-9 . _ -");
    if (directory.empty() || !directory.is_absolute())
        return Opened::failure("no absolute audit directory: set XDG_STATE_HOME or HOME");
    // Create the missing ancestors (0700), then askfirst/ and audit/ themselves.
    std::filesystem::path walked;
    std::filesystem::path askfirst_dir = directory.parent_path();
    for (const auto& part : directory) {
        walked /= part;
        if (walked == walked.root_path()) continue;
        bool ours = walked == askfirst_dir || walked == directory;
        if (auto made = ensure_private_directory(walked, ours); !made) return Opened::failure(made.error());
    }
    std::filesystem::path file = directory / (std::string(vm_name) + ".jsonl");
    // O_RDWR, not O_WRONLY: seal_torn_tail() reads the last byte.
    int fd = ::open(file.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return Opened::failure("cannot open the audit log " + file.string() + ": " + errno_text(errno));
    AuditLog log(fd, file);
    if (::fchmod(fd, 0600) != 0)
        return Opened::failure("cannot make " + file.string() + " private (chmod 600): " + errno_text(errno));
    if (auto sealed = seal_torn_tail(fd); !sealed) return Opened::failure(sealed.error());
    return Opened::success(std::move(log));
}

AuditLog::AuditLog(AuditLog&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)), writes_made_(other.writes_made_) {
    other.fd_ = -1;
}

AuditLog& AuditLog::operator=(AuditLog&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = other.fd_;
        path_ = std::move(other.path_);
        writes_made_ = other.writes_made_;
        other.fd_ = -1;
    }
    return *this;
}

AuditLog::~AuditLog() {
    if (fd_ >= 0) ::close(fd_);
}

Status AuditLog::append(const AuditRecord& record) {
    return append_all({&record}).status;
}

AuditLog::Appended AuditLog::append_all(const std::vector<const AuditRecord*>& records) {
    std::string lines;
    std::vector<std::size_t> line_ends;  // offset just past each record's '\n'
    line_ends.reserve(records.size());
    for (const AuditRecord* record : records) {
        lines += audit_line(*record);
        line_ends.push_back(lines.size());
    }
    Appended appended;
    std::size_t done = 0;
    while (done < lines.size()) {
        ++writes_made_;
        const ssize_t written = ::write(fd_, lines.data() + done, lines.size() - done);  // one call unless cut short
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) {
            appended.status = Status::failure("cannot append to the audit log " + path_.string() + ": " +
                                              errno_text(errno) + "; the request is refused until the log can be written");
            break;
        }
        done += static_cast<std::size_t>(written);
    }
    while (appended.whole < line_ends.size() && line_ends[appended.whole] <= done) ++appended.whole;
    return appended;
}

AuditLines read_audit_lines(std::string_view contents) {
    AuditLines out;
    while (!contents.empty()) {
        std::size_t newline = contents.find('\n');
        if (newline == std::string_view::npos) {
            ++out.torn;  // the last line has no '\n': a write that was cut off
            break;
        }
        std::string line(contents.substr(0, newline));
        contents.remove_prefix(newline + 1);
        if (line.empty()) continue;
        cJSON* json = cJSON_ParseWithLength(line.data(), line.size());
        bool record = json != nullptr && cJSON_IsObject(json);
        cJSON_Delete(json);
        if (record) out.records.push_back(std::move(line));
        else ++out.torn;  // a fragment sealed by a later writer
    }
    return out;
}

Result<AuditLines> read_audit_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Result<AuditLines>::failure("cannot read " + path.string() + ": " + errno_text(errno));
    std::ostringstream contents;
    contents << in.rdbuf();
    return Result<AuditLines>::success(read_audit_lines(contents.str()));
}

}  // namespace askfirst::consent
