// tools/exec_credentials.h — the credential stubs inside `askfirst exec`'s
// sandbox (issue 13, "Stubs into the sandbox, no guest configuration").
//
// askfirstd resolves the real credentials and writes the sandbox's stubs
// (src/credentials/sandbox_stubs.h) after its ready byte; the supervisor
// reads them (read_stubs_after_ready), hands them to the keeper in a 0600
// file (stubs_file_for_keeper), and the keeper, already in the sandbox's
// mount namespace and before CMD starts, installs them (install_stubs):
//
// - environment: each entry's source variable is removed (the real value
//   must not reach CMD), its guest_env variables are set to the stub, and
//   aws-sigv4 entries set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
//   AWS_SESSION_TOKEN to the stub keys;
// - files: stub files are bound over the real ones that exist, so the real
//   ones cannot be read inside: ~/.aws/credentials (stub keys) and
//   ~/.aws/config (its sections and region/output only), ~/.config/gh/hosts.yml,
//   ~/.git-credentials, ~/.netrc, every kubeconfig kubectl would read
//   ($KUBECONFIG's list, else ~/.kube/config; tools/exec_kubeconfig.h) and
//   every file CMD names with --kubeconfig, and every
//   `file` source (a kube client certificate's file and key_file: the stub pair).
//
// Fails closed: if a stub cannot be installed, CMD does not start.
// Not yet: other credential caches of the host (~/.aws/sso/cache,
// ~/.docker/config.json) stay readable.
#pragma once

#include <string>
#include <vector>

#include "src/base/result.h"

namespace askfirst::exec_credentials {

// After askfirstd's ready byte: the rest of its message, until EOF.
std::string read_stubs_after_ready(int ready_read_fd);

// Writes the stubs JSON to a private temp file for the keeper; its path, or
// "" when there are no stubs (or they cannot be written: then the keeper
// gets "" and the error is reported).
std::string stubs_file_for_keeper(const std::string& stubs_json);

// In the keeper (sandbox mount namespace, before CMD): reads and deletes
// `stubs_path`, sets the environment, binds the stub files (`command`, CMD
// and its arguments: the kubeconfigs it names with --kubeconfig get a stub
// too); a failure says what failed.
Status install_stubs(const std::string& stubs_path, const std::vector<std::string>& command);

}  // namespace askfirst::exec_credentials
