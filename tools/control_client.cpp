// tools/control_client.cpp — see control_client.h. Plain blocking sockets
// with poll(): the CLI handles one person at a time, so no event loop.
#include "tools/control_client.h"

#include <dirent.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace askfirst::cli {

namespace {

constexpr std::size_t kMaxReplyLineBytes = 16 * 1024 * 1024;  // audit-tail of 1000 long lines fits
constexpr int kReplyTimeoutMs = 10'000;
constexpr int kProtocolVersion = 1;

std::string socket_name_suffix() { return ".sock"; }

}  // namespace

std::string control_runtime_dir() {
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    if (runtime != nullptr && runtime[0] == '/') return std::string(runtime) + "/askfirst";
    return "/tmp/askfirst-runtime-" + std::to_string(getuid());
}

Result<std::string> find_control_socket(const std::string& name) {
    const std::string dir = control_runtime_dir();
    if (!name.empty()) return Result<std::string>::success(dir + "/" + name + socket_name_suffix());
    std::vector<std::string> found;
    if (DIR* listing = opendir(dir.c_str())) {
        while (const dirent* entry = readdir(listing)) {
            const std::string file = entry->d_name;
            const auto suffix = socket_name_suffix();
            if (file.size() > suffix.size() && file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0)
                found.push_back(dir + "/" + file);
        }
        closedir(listing);
    }
    if (found.size() == 1) return Result<std::string>::success(found.front());
    if (found.empty())
        return Result<std::string>::failure("no askfirstd is running under this user (no socket in " + dir +
                                            "); start one with askfirst-vm or askfirst exec");
    return Result<std::string>::failure("several askfirstd are running (" + std::to_string(found.size()) +
                                        " sockets in " + dir + "): pass --name NAME");
}

Result<std::unique_ptr<ControlConnection>> ControlConnection::open(const std::string& socket_path) {
    using Opened = Result<std::unique_ptr<ControlConnection>>;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof(address.sun_path)) return Opened::failure("socket path too long: " + socket_path);
    std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Opened::failure(std::string("socket(): ") + std::strerror(errno));
    if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
        const std::string why = std::strerror(errno);
        close(fd);
        return Opened::failure("cannot reach askfirstd at " + socket_path + ": " + why +
                               " (is it running, under your uid?)");
    }
    std::unique_ptr<ControlConnection> connection(new ControlConnection(fd));
    cJSON* hello = cJSON_CreateObject();
    cJSON_AddNumberToObject(hello, "version", kProtocolVersion);
    if (auto greeted = connection->request("hello", hello); !greeted) return Opened::failure(greeted.error());
    return Opened::success(std::move(connection));
}

ControlConnection::~ControlConnection() { close(fd_); }

std::optional<std::string> ControlConnection::read_line(int timeout_ms, bool& closed) {
    closed = false;
    while (true) {
        const auto newline = buffer_.find('\n');
        if (newline != std::string::npos) {
            std::string line = buffer_.substr(0, newline);
            buffer_.erase(0, newline + 1);
            return line;
        }
        pollfd waiting{fd_, POLLIN, 0};
        const int ready = poll(&waiting, 1, timeout_ms);
        if (ready == 0) return std::nullopt;
        if (ready < 0 && errno == EINTR) continue;
        char chunk[65536];
        const ssize_t got = ready < 0 ? -1 : read(fd_, chunk, sizeof(chunk));
        if (got <= 0 || buffer_.size() > kMaxReplyLineBytes) {
            closed = true;
            return std::nullopt;
        }
        buffer_.append(chunk, static_cast<std::size_t>(got));
    }
}

Result<Json> ControlConnection::request(const std::string& cmd, cJSON* arguments) {
    Json message(arguments != nullptr ? arguments : cJSON_CreateObject());
    const long id = next_request_id_++;
    cJSON_AddNumberToObject(message.get(), "id", static_cast<double>(id));
    cJSON_AddStringToObject(message.get(), "cmd", cmd.c_str());
    std::string line = consent::print_json(message.get()) + "\n";
    for (std::size_t sent = 0; sent < line.size();) {
        const ssize_t wrote = write(fd_, line.data() + sent, line.size() - sent);
        if (wrote < 0 && errno == EINTR) continue;
        if (wrote <= 0) return Result<Json>::failure("askfirstd closed the control connection");
        sent += static_cast<std::size_t>(wrote);
    }
    while (true) {
        bool closed = false;
        auto reply_line = read_line(kReplyTimeoutMs, closed);
        if (!reply_line)
            return Result<Json>::failure(closed ? "askfirstd closed the control connection"
                                                : "no reply from askfirstd within 10 s");
        Json reply(cJSON_Parse(reply_line->c_str()));
        if (!reply) continue;  // not JSON: ignore rather than misread
        if (cJSON_GetObjectItemCaseSensitive(reply.get(), "event") != nullptr) {
            queued_events_.push_back(std::move(reply));
            continue;
        }
        const cJSON* re = cJSON_GetObjectItemCaseSensitive(reply.get(), "re");
        if (!cJSON_IsNumber(re) || static_cast<long>(re->valuedouble) != id) continue;
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reply.get(), "ok"))) {
            const cJSON* message_text = cJSON_GetObjectItemCaseSensitive(reply.get(), "error");
            return Result<Json>::failure(cmd + ": " +
                                         (cJSON_IsString(message_text) ? message_text->valuestring : "refused"));
        }
        return Result<Json>::success(std::move(reply));
    }
}

Json ControlConnection::next_event(int timeout_ms, bool& closed) {
    closed = false;
    if (!queued_events_.empty()) {
        Json event = std::move(queued_events_.front());
        queued_events_.erase(queued_events_.begin());
        return event;
    }
    while (true) {
        auto line = read_line(timeout_ms, closed);
        if (!line) return nullptr;
        Json event(cJSON_Parse(line->c_str()));
        if (event && cJSON_GetObjectItemCaseSensitive(event.get(), "event") != nullptr) return event;
    }
}

}  // namespace askfirst::cli
