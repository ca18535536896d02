// src/profile_lookup.h — where a profile named on the command line or in an
// `"extends"` comes from (issue 14).
//
// `--profile X` and `"extends": "X"` take a file path or a profile name:
//   - X names an existing file, or contains '/', or ends in ".json": a path
//     (an `extends` path is relative to the file that says it);
//   - otherwise X is a name ([a-z0-9_-]+), looked up in order in
//       $XDG_CONFIG_HOME/askfirst/profiles/X.json (default ~/.config/...),
//       $ASKFIRST_PROFILE_DIR/X.json (for a relocated install),
//       the installed built-ins (<datadir>/askfirst/profiles/X.json),
//       the source tree's built-ins (tools/profiles/X.json, for a build dir);
//     the first that exists wins, so a user's own file shadows a built-in.
// The built-in profiles ship in tools/profiles/ (agent.json: a coding agent).
#pragma once

#include <string>
#include <vector>

#include "src/base/result.h"

namespace askfirst {

// The file for `name_or_path`, or an error listing where it looked when a
// name is found nowhere. `relative_to` is the directory a relative path is
// taken from ("" = the working directory).
Result<std::string> resolve_profile_reference(const std::string& name_or_path, const std::string& relative_to);

// The directories searched for a profile name, in order.
std::vector<std::string> profile_search_directories();

}  // namespace askfirst
