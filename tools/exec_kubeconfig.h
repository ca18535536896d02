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
// Sans-io: text in, text out (the keeper does the files).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace askfirst::exec_credentials {

struct KubeStub {
    std::vector<std::string> hosts;   // the entry's host patterns
    std::string token;                // a bearer stub, or
    std::string client_certificate;   // a stub client certificate (PEM)
    std::string client_key;           // and its key (PEM)
};

// The stub for `real_yaml`; a failure when it does not parse as a kubeconfig
// (the sentence follows the file's path: "is not a kubeconfig ...").
Result<std::string> stub_kubeconfig(std::string_view real_yaml, const std::vector<KubeStub>& stubs,
                                    const std::string& ca_file);

// The kubeconfig files kubectl would read: $KUBECONFIG's list, else ~/.kube/config.
std::vector<std::string> kubeconfig_paths();

}  // namespace askfirst::exec_credentials
