// src/control_server.cpp — the control socket shell (see the header).
#include "src/control_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>  // rename
#include <cstdlib>
#include <cstring>

#include "netstack/uv_handles.h"

namespace askfirst {

struct ControlServer::Client {
    ControlServer* server = nullptr;
    uv_pipe_t* pipe = nullptr;
    consent::ControlLineReader reader;
    bool subscribed = false;
    // Shared with in-flight writes, which may complete after the client is gone.
    std::shared_ptr<std::size_t> queued_bytes = std::make_shared<std::size_t>(0);
};

namespace {

struct PendingWrite {
    uv_write_t request{};
    std::string bytes;
    std::shared_ptr<std::size_t> queued_bytes;
};

Status make_private_dir(const std::string& dir) {
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return Status::failure("cannot create " + dir + ": " + std::strerror(errno));
    struct stat info {};
    if (lstat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
        return Status::failure(dir + " is not a directory: remove it, or set XDG_RUNTIME_DIR elsewhere");
    if (info.st_uid != getuid())
        return Status::failure(dir + " belongs to another user: set XDG_RUNTIME_DIR to a directory of yours");
    if ((info.st_mode & 0777) != 0700 && chmod(dir.c_str(), 0700) != 0)
        return Status::failure("cannot make " + dir + " private (0700): " + std::strerror(errno));
    return ok_status();
}

// Is something answering on this unix socket path?
bool socket_is_live(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    const bool live = connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
    close(fd);
    return live;
}

}  // namespace

std::string control_socket_dir() {
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    if (runtime != nullptr && runtime[0] == '/') return std::string(runtime) + "/askfirst";
    return "/tmp/askfirst-runtime-" + std::to_string(getuid());
}

ControlServer::ControlServer(uv_loop_t* loop, std::string socket_path, ControlCommandHandler& handler,
                             OperatorLog log)
    : loop_(loop), socket_path_(std::move(socket_path)), handler_(handler), log_(std::move(log)) {}

Result<std::unique_ptr<ControlServer>> ControlServer::start(uv_loop_t* loop, const std::string& name,
                                                            ControlCommandHandler& handler) {
    using Started = Result<std::unique_ptr<ControlServer>>;
    const std::string dir = control_socket_dir();
    if (auto made = make_private_dir(dir); !made) return Started::failure(made.error());
    const std::string path = dir + "/" + name + ".sock";
    // Bound under a temporary name and renamed once listening: a client that
    // sees the path (the tray, `askfirst answer`) never finds it refusing.
    // The temporary name is short (".b" and our pid) so it fits wherever the path does.
    const std::string binding_path = dir + "/.b" + std::to_string(getpid());
    if (std::max(path.size(), binding_path.size()) >= sizeof(sockaddr_un{}.sun_path))
        return Started::failure("control socket path too long (" + path + "): use a shorter --name or XDG_RUNTIME_DIR");
    if (socket_is_live(path))
        return Started::failure("another askfirstd named '" + name + "' is running (" + path + "): pick another --name");
    unlink(path.c_str());  // a stale socket from a process that died

    std::unique_ptr<ControlServer> server(new ControlServer(loop, path, handler, OperatorLog(name)));
    server->listener_ = new uv_pipe_t{};
    uv_pipe_init(loop, server->listener_, 0);
    server->listener_->data = server.get();
    unlink(binding_path.c_str());
    const mode_t previous_mask = umask(0177);  // the socket is born 0600: no window where others may connect
    int result = uv_pipe_bind(server->listener_, binding_path.c_str());
    umask(previous_mask);
    if (result == 0) result = uv_listen(reinterpret_cast<uv_stream_t*>(server->listener_), 16, on_connection);
    if (result == 0 && rename(binding_path.c_str(), path.c_str()) != 0) result = uv_translate_sys_error(errno);
    if (result != 0) {
        unlink(binding_path.c_str());
        return Started::failure("cannot listen on " + path + ": " + uv_strerror(result));
    }
    chmod(path.c_str(), 0600);
    return Started::success(std::move(server));
}

ControlServer::~ControlServer() {
    for (auto& client : clients_) netstack::close_and_delete(client->pipe);
    clients_.clear();
    netstack::close_and_delete(listener_);
    if (listener_ != nullptr) unlink(socket_path_.c_str());
}

void ControlServer::on_connection(uv_stream_t* listener, int status) {
    if (status == 0) static_cast<ControlServer*>(listener->data)->accept_client();
}

void ControlServer::accept_client() {
    auto* pipe = new uv_pipe_t{};
    uv_pipe_init(loop_, pipe, 0);
    if (uv_accept(reinterpret_cast<uv_stream_t*>(listener_), reinterpret_cast<uv_stream_t*>(pipe)) != 0) {
        netstack::close_and_delete(pipe);
        return;
    }
    uv_os_fd_t fd = -1;
    ucred peer{};
    socklen_t length = sizeof(peer);
    const bool known = uv_fileno(reinterpret_cast<uv_handle_t*>(pipe), &fd) == 0 &&
                       getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) == 0;
    if (!known || peer.uid != getuid()) {
        log_.line(std::string("control=refused reason=") + (known ? "other-uid" : "no-credentials") +
                  " peer_uid=" + std::to_string(known ? static_cast<int>(peer.uid) : -1) +
                  " peer_pid=" + std::to_string(known ? static_cast<int>(peer.pid) : -1));
        netstack::close_and_delete(pipe);
        return;
    }
    if (clients_.size() >= kMaxControlClients) {
        log_.line("control=refused reason=too-many-clients limit=" + std::to_string(kMaxControlClients));
        netstack::close_and_delete(pipe);
        return;
    }
    auto client = std::make_unique<Client>();
    client->server = this;
    client->pipe = pipe;
    pipe->data = client.get();
    clients_.push_back(std::move(client));
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(pipe),
        [](uv_handle_t*, std::size_t, uv_buf_t* buffer) {
            static char read_buffer[64 * 1024];  // one loop thread: one buffer serves every client
            *buffer = uv_buf_init(read_buffer, sizeof(read_buffer));
        },
        [](uv_stream_t* stream, ssize_t count, const uv_buf_t* buffer) {
            auto* owner = static_cast<Client*>(stream->data);
            if (owner == nullptr) return;
            if (count < 0) {
                owner->server->drop_client(owner);
                return;
            }
            owner->server->handle_bytes(*owner, std::string_view(buffer->base, static_cast<std::size_t>(count)));
        });
}

void ControlServer::handle_bytes(Client& client, std::string_view bytes) {
    for (auto& parsed : client.reader.feed(bytes)) {
        if (auto* failure = std::get_if<consent::ControlError>(&parsed)) {
            if (!send(client, consent::encode_error_reply(*failure))) return;
            continue;
        }
        bool subscribe = false;
        std::string reply = handler_.handle_control_command(std::get<consent::ControlCommand>(parsed), subscribe);
        if (subscribe) client.subscribed = true;
        if (!send(client, std::move(reply))) return;  // the client was dropped: stop here
    }
}

bool ControlServer::send(Client& client, std::string line) {
    if (*client.queued_bytes + line.size() > kMaxQueuedControlOutputBytes) {
        log_.line("control=dropped reason=client-not-reading queued=" + std::to_string(*client.queued_bytes));
        drop_client(&client);
        return false;
    }
    auto* write = new PendingWrite{};
    write->bytes = std::move(line);
    write->queued_bytes = client.queued_bytes;
    *client.queued_bytes += write->bytes.size();
    uv_buf_t buffer = uv_buf_init(write->bytes.data(), static_cast<unsigned>(write->bytes.size()));
    const int result = uv_write(&write->request, reinterpret_cast<uv_stream_t*>(client.pipe), &buffer, 1,
                                [](uv_write_t* request, int) {
                                    auto* done = reinterpret_cast<PendingWrite*>(request);
                                    *done->queued_bytes -= done->bytes.size();
                                    delete done;
                                });
    if (result != 0) {
        *client.queued_bytes -= write->bytes.size();
        delete write;
        drop_client(&client);
        return false;
    }
    return true;
}

void ControlServer::drop_client(Client* client) {
    for (auto it = clients_.begin(); it != clients_.end(); ++it) {
        if (it->get() != client) continue;
        const bool was_subscribed = client->subscribed;
        client->pipe->data = nullptr;
        netstack::close_and_delete(client->pipe);
        clients_.erase(it);
        if (was_subscribed) handler_.on_subscriber_left();
        return;
    }
}

std::size_t ControlServer::subscriber_count() const {
    std::size_t count = 0;
    for (const auto& client : clients_) count += client->subscribed ? 1 : 0;
    return count;
}

void ControlServer::broadcast_event(std::string_view line) {
    // Copy the list: send() may drop a stuck client while we iterate.
    std::vector<Client*> subscribers;
    for (auto& client : clients_)
        if (client->subscribed) subscribers.push_back(client.get());
    for (Client* client : subscribers) send(*client, std::string(line));
}

}  // namespace askfirst
