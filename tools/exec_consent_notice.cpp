// tools/exec_consent_notice.cpp — see exec_consent_notice.h.
#include "tools/exec_consent_notice.h"

#include "tools/control_client.h"

namespace askfirst::cli {

namespace {

// askfirstd's `status` reply for session `name`.
Result<Json> listener_status(const std::string& name) {
    const auto socket = find_control_socket(name);
    if (!socket) return Result<Json>::failure(socket.error());
    auto connection = ControlConnection::open(*socket);
    if (!connection) return Result<Json>::failure(connection.error());
    return connection.value()->request("status", nullptr);
}

}  // namespace

std::string consent_listener_notice(const std::string& name, unsigned listener_grace_s) {
    const auto status = listener_status(name);
    const cJSON* listeners = status ? cJSON_GetObjectItemCaseSensitive(status->get(), "listeners") : nullptr;
    if (!cJSON_IsNumber(listeners))
        return "askfirst exec: cannot tell whether a consent client is listening (" + status.error() +
               "); questions are answered by askfirst-tray or `askfirst prompts --name " + name + "`";
    if (listeners->valuedouble >= 1)
        return "askfirst exec: a consent client is listening: questions for session '" + name + "' go to it";
    const std::string wait = listener_grace_s == 0
                                 ? "consent.no_ui answers every question at once (consent.listener_grace_s is 0)"
                                 : "a question waits " + std::to_string(listener_grace_s) +
                                       " s (consent.listener_grace_s) for one, then consent.no_ui answers it";
    return "askfirst exec: no consent client is listening yet: " + wait + "; to answer, run `askfirst prompts --name " +
           name + "` in another terminal, or start askfirst-tray";
}

}  // namespace askfirst::cli
