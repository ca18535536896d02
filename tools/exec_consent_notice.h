// tools/exec_consent_notice.h — the one line `askfirst exec` prints when its
// askfirstd is ready: is a consent client (askfirst-tray, `askfirst prompts`)
// listening for this session's questions, and if not, how to start one
// (issue 14). Asked of askfirstd over its control socket (`status` reply's
// `listeners`), like every other tool: no internals.
#pragma once

#include <string>

namespace askfirst::cli {

// The line (no trailing newline) for session `name`; a line saying the
// control socket could not be asked when it cannot.
// `listener_grace_s` is the profile's consent.listener_grace_s.
std::string consent_listener_notice(const std::string& name, unsigned listener_grace_s);

}  // namespace askfirst::cli
