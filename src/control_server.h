// src/control_server.h — askfirstd's control socket: the unix socket the tray,
// the CLI and scripts use to see questions and answer them
// (consent/PROTOCOL.md). This is the thin I/O shell; the wire format is
// consent/control_protocol (sans-io) and the meaning of each command is the
// ControlCommandHandler's (src/consent_service).
//
// Invariant 7: the socket lives in $XDG_RUNTIME_DIR/askfirst/ (0700), is
// created 0600, and every connection's peer uid is checked with SO_PEERCRED
// before a byte is read: another uid is refused and logged. A client that
// stops reading cannot grow our memory: past a bound of queued output it is
// disconnected.
#pragma once

#include <uv.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "src/base/result.h"
#include "consent/control_protocol.h"
#include "src/operator_log.h"

namespace askfirst {

// Output queued to one control client before it is judged stuck and dropped
// (an audit-tail of 1000 lines is well under 1 MiB).
inline constexpr std::size_t kMaxQueuedControlOutputBytes = 4 * 1024 * 1024;
// Control clients at once; more are refused (a local flood must not exhaust fds).
inline constexpr std::size_t kMaxControlClients = 64;

class ControlCommandHandler {
public:
    virtual ~ControlCommandHandler() = default;
    // Returns the reply line ('\n' included). Sets `subscribe` to make this
    // client receive events from now on.
    virtual std::string handle_control_command(const consent::ControlCommand& command, bool& subscribe) = 0;
    // A subscribed client went away (subscriber_count() already excludes it).
    virtual void on_subscriber_left() {}
};

// $XDG_RUNTIME_DIR/askfirst, or /tmp/askfirst-runtime-UID when it is unset
// (tools/control_client and tools/askfirst_tools/paths.py agree).
std::string control_socket_dir();

class ControlServer {
public:
    // Creates the directory (0700) and the socket (0600) and listens. A live
    // socket of the same name is an error ("another askfirstd named NAME");
    // a stale one is replaced.
    static Result<std::unique_ptr<ControlServer>> start(uv_loop_t* loop, const std::string& name,
                                                        ControlCommandHandler& handler);
    ~ControlServer();  // closes every client and removes the socket file
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    // Sends an event line to every subscribed client.
    void broadcast_event(std::string_view line);
    const std::string& socket_path() const { return socket_path_; }
    std::size_t client_count() const { return clients_.size(); }
    std::size_t subscriber_count() const;

    struct Client;  // one accepted connection (control_server.cpp)

private:
    ControlServer(uv_loop_t* loop, std::string socket_path, ControlCommandHandler& handler, OperatorLog log);
    static void on_connection(uv_stream_t* listener, int status);
    void accept_client();
    void drop_client(Client* client);
    bool send(Client& client, std::string line);  // false: the client was dropped
    void handle_bytes(Client& client, std::string_view bytes);

    uv_loop_t* loop_;
    std::string socket_path_;
    ControlCommandHandler& handler_;
    OperatorLog log_;
    uv_pipe_t* listener_ = nullptr;
    std::vector<std::unique_ptr<Client>> clients_;
};

}  // namespace askfirst
