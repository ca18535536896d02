// tools/exec_kubeconfig.h — the stub kubeconfig of `askfirst exec` (issue 13,
// "Stubs into the sandbox": ~/.kube/config). The keeper binds the result of
// stub_kubeconfig() over every real kubeconfig it finds ($KUBECONFIG's files,
// else ~/.kube/config), so kubectl inside the sandbox works unchanged while
// the real tokens, client keys, exec plugins and auth providers cannot be
// read there:
//
// - clusters keep `server` and `tls-server-name`; their CA becomes the
//   sandbox's bundle (askfirst's CA: askfirstd terminates the TLS and checks
//   the real cluster's certificate against tls.extra_ca itself);
//   insecure-skip-tls-verify, proxy-url and extensions are dropped;
// - each user holds the stub of the kube entry whose hosts list the server
//   of a context that uses it (a token, or the minted client certificate and
//   key as *-data), or nothing at all when no entry covers it;
// - contexts, current-context, preferences, kind and apiVersion are kept.
//
// The output is JSON, which kubectl reads as YAML. The input is parsed with
// libyaml (Debian's libyaml-dev); nothing YAML is written by hand.
//
// `askfirst credentials --sandbox-files` uses the same generator for a VM
// guest (merged_stub_kubeconfig: one ~/.kube/config for the user `agent`,
// the CA inline since the guest's paths are not the host's).
//
// Sans-io: text in, text out (the keeper and the CLI do the files).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "src/base/result.h"
#include "tools/sandbox_stub_files.h"

namespace askfirst::exec_credentials {

struct KubeStub {
    std::vector<std::string> hosts;   // the entry's host patterns
    std::string token;                // a bearer stub, or
    std::string client_certificate;   // a stub client certificate (PEM)
    std::string client_key;           // and its key (PEM)
};

// The kube entries' stubs (kind "kube") out of askfirstd's stubs JSON.
std::vector<KubeStub> kube_stubs(const std::vector<sandbox_stubs::StubEntry>& entries);

// Where the stub's clusters find askfirst's CA.
struct SandboxCa {
    std::string file;  // a path that holds it inside the sandbox (exec: the bound system bundle), or
    std::string pem;   // the CA itself, written as certificate-authority-data (a VM guest, whose paths differ)
};

// The stub for `real_yaml`; a failure when it does not parse as a kubeconfig
// (the sentence follows the file's path: "is not a kubeconfig ...").
// `merged_with`: every file of the same $KUBECONFIG list (this one included),
// which kubectl merges: a user defined here may be used by a context or a
// cluster defined in another file, and that decides its stub. Files of the
// list that do not parse are left out of that view.
Result<std::string> stub_kubeconfig(std::string_view real_yaml, const std::vector<KubeStub>& stubs, const SandboxCa& ca,
                                    const std::vector<std::string_view>& merged_with = {});

// One stub kubeconfig for the whole list, merged as kubectl merges it (the
// first file to name a cluster, user or context, or to set current-context,
// wins): what a VM guest gets as ~/.kube/config. A failure when a file does
// not parse (naming its position in the list).
Result<std::string> merged_stub_kubeconfig(const std::vector<std::string_view>& real_yamls,
                                           const std::vector<KubeStub>& stubs, const SandboxCa& ca);

// The kubeconfig files kubectl would read: the list in `kubeconfig_variable`
// (colon-separated; null or empty: none), else HOME/.kube/config.
std::vector<std::string> kubeconfig_paths(const char* kubeconfig_variable, const std::string& home);

// The same from this process's $KUBECONFIG and $HOME.
std::vector<std::string> kubeconfig_paths();

// The kubeconfig files CMD names itself: `--kubeconfig PATH` and
// `--kubeconfig=PATH` among its arguments, or among the words of one
// (`sh -c "kubectl --kubeconfig PATH get pods"`; quotes and a trailing `;`
// around a word are dropped). A best effort: a path the agent picks later
// cannot be known before CMD starts.
std::vector<std::string> kubeconfig_paths_in_command(const std::vector<std::string>& command);

// Whether `yaml` is a kubeconfig: a mapping with `kind: Config`, or with
// clusters, users or contexts. A file CMD names after --kubeconfig that is
// not one (`grep -- --kubeconfig README`) is left as it is.
bool looks_like_kubeconfig(std::string_view yaml);

}  // namespace askfirst::exec_credentials
