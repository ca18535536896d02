// src/http/git_push_refusal.h — a refused `git push` answered in git's own
// protocol, because git never shows the body of a 403 to its
// git-receive-pack POST (it prints only "RPC failed; HTTP 403"; measured
// with git 2.39 through the rig). The answer is what a server that rejects
// every ref sends: HTTP 200, application/x-git-receive-pack-result,
// "unpack ok" and "ng <ref> <askfirst's sentence>" for each ref pushed (inside
// side-band 1 when the client asked for side-band, with the sentence also on
// band 2, which git prints as "remote: ..."). git then reports
// "! [remote rejected] main -> main (askfirst refused ...)" and exits 1. The
// push itself never reached the server: only the answer is git-shaped.
//
// The command list is read by hand (a few pkt-lines; the classifiers'
// pktline parser is not linked into src/'s HTTP core, which the unit tests
// build against a classifier test double).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/http/http_responses.h"

namespace askfirst::http {

struct PushCommands {
    std::vector<std::string> refs;          // the refs the push updates, in order
    std::vector<std::string> capabilities;  // from the first command, e.g. "report-status", "side-band-64k"
};

// The command list at the start of a receive-pack request body (up to its
// flush-pkt); nullopt if it is not one we can answer (malformed, cut short,
// a push certificate, no command).
std::optional<PushCommands> read_push_commands(std::string_view body);

// The 200 receive-pack result that rejects every ref with `message`.
LocalResponse git_push_rejection(const PushCommands& push, std::string_view message);

}  // namespace askfirst::http
