// tools/control_client.h — a blocking client of askfirstd's control socket,
// for the consent CLI (askfirst status, prompts, answer, grants, mode, log).
// It speaks only the control protocol (consent/PROTOCOL.md).
#pragma once

#include <cjson/cJSON.h>

#include "src/base/result.h"
#include "consent/cjson_handle.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace askfirst::cli {

using Json = consent::JsonPtr;

// $XDG_RUNTIME_DIR/askfirst, or /tmp/askfirst-runtime-UID when unset (askfirstd uses the same).
std::string control_runtime_dir();

// The socket of --name, or of the only askfirstd running. A failure says
// what to do (e.g. "several are running: pass --name").
Result<std::string> find_control_socket(const std::string& name);

class ControlConnection {
public:
    // Connects and says hello; a failure says why it could not.
    static Result<std::unique_ptr<ControlConnection>> open(const std::string& socket_path);
    ~ControlConnection();
    ControlConnection(const ControlConnection&) = delete;
    ControlConnection& operator=(const ControlConnection&) = delete;

    // Sends {"id":N,"cmd":..., members of `arguments`} and waits for its reply.
    // Events that arrive meanwhile are queued for next_event(). Returns the
    // reply, or a failure (including the daemon's error text).
    Result<Json> request(const std::string& cmd, cJSON* arguments);

    // The next event: a queued one, or one read within timeout_ms (-1: wait
    // forever). nullptr on timeout; `closed` is set when the daemon went away.
    Json next_event(int timeout_ms, bool& closed);

    int fd() const { return fd_; }
    bool has_queued_event() const { return !queued_events_.empty(); }

private:
    explicit ControlConnection(int fd) : fd_(fd) {}
    // Reads one line within timeout_ms; nullopt on timeout; sets closed on EOF/error.
    std::optional<std::string> read_line(int timeout_ms, bool& closed);

    int fd_;
    std::string buffer_;
    std::vector<Json> queued_events_;
    long next_request_id_ = 1;
};

}  // namespace askfirst::cli
