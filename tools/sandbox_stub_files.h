// tools/sandbox_stub_files.h — what a sandbox holds instead of the real
// credentials, computed from the stubs JSON askfirstd writes after its ready
// byte (src/credentials/sandbox_stubs.h): the variables to set and clear, and
// the stub files (their paths and texts). Sans-io: no environment, no file
// system; the two users do the I/O:
//
//   - `askfirst exec` (tools/exec_credentials.cpp) binds each file over the
//     real one it finds in the host's home, in the sandbox's mount namespace,
//     and sets/clears the variables before CMD starts;
//   - `askfirst credentials --sandbox-files` prints the same set as JSON for
//     askfirst-vm, which carries it into the guest for the user `agent`
//     (tools/askfirst_tools/guest_stubs.py, tools/guest/install-stubs.sh).
//
// One generator for both, so a VM's agent and an exec'd agent see the same
// stub files.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "src/base/result.h"

namespace askfirst::sandbox_stubs {

struct StubEntry {
    std::string name, kind, stub, access_key_id, secret_access_key, session_token, source_env, source_file;
    std::string source_key_file, client_certificate, client_key;  // kube with a client certificate
    std::vector<std::string> hosts, guest_env;
};

// Parses askfirstd's stubs JSON ({"credentials": [...]}); a failure when it is not that.
Result<std::vector<StubEntry>> parse_stub_entries(const std::string& json);

// Applied unset first, then set in order (a later one wins): a name in both
// ends up holding its stub.
struct StubVariables {
    std::vector<std::string> unset;                          // source variables: the real value must not reach CMD
    std::vector<std::pair<std::string, std::string>> set;   // stub values
};
StubVariables stub_variables(const std::vector<StubEntry>& entries);

struct StubFile {
    std::string path;      // absolute
    std::string contents;  // may be empty: exec still binds it over a real file, to hide it
};

// The stub files for a user whose home is `home` (absolute, no trailing /):
// ~/.aws/credentials and ~/.aws/config (with aws-sigv4 entries; the config
// keeps only the section headers and region/output of `real_aws_config`,
// the host's file, so no credential_process or sso_* reaches real keys),
// ~/.config/gh/hosts.yml, ~/.git-credentials, ~/.netrc, and every `file`
// source (its stub value; for a kube client certificate, the stub
// certificate over the source file and the stub key over source_key_file).
// Not here: the kubeconfig stub, made from the host's real kubeconfigs by
// tools/exec_kubeconfig.h (exec binds one over each real file; `askfirst
// credentials --sandbox-files` adds the merged one as ~/.kube/config).
std::vector<StubFile> stub_files(const std::vector<StubEntry>& entries, const std::string& home,
                                 const std::string& real_aws_config);

}  // namespace askfirst::sandbox_stubs
