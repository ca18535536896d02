// tests/unit/src/session_playbook.h — a playbook driver for the sans-io HTTP
// session: feed guest/upstream bytes, answer decisions, and read back what the
// session asked for, in order, as a trace of short lines that tests compare.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "src/http/http_session.h"

namespace askfirst::http::testing {

// How the playbook answers DecideRequest events on its own (or not at all).
// Paths that start with "/deny" are refused with a 403, the rest passed.
enum class AutoAnswer { none, by_path };

struct Playbook {
    explicit Playbook(SessionConfig config = {}, AutoAnswer auto_answer = AutoAnswer::by_path)
        : session(std::move(config)), auto_answer(auto_answer) {}

    HttpSession session;
    AutoAnswer auto_answer;
    std::vector<SessionOutput> outputs;        // everything, in order
    std::vector<DecideRequest> decisions;      // every DecideRequest seen
    std::vector<RequestId> unanswered;         // decisions not answered yet (AutoAnswer::none)

    void guest(std::string_view bytes) { session.on_guest_bytes(bytes); collect(); }
    // The same bytes, one at a time: must give the same trace as guest().
    void guest_bytewise(std::string_view bytes) {
        for (char c : bytes) guest(std::string_view(&c, 1));
    }
    void upstream(std::string_view bytes) { session.on_upstream_bytes(bytes); collect(); }
    // As src/intercepting_pipeline feeds the upstream: bytes the session
    // leaves to its caller are "sent to the guest" here, in their place.
    std::size_t relayed_by_caller = 0;
    void upstream_relaying(std::string_view bytes) {
        const std::size_t relayed = session.on_upstream_bytes_relayed_by_caller(bytes);
        if (relayed > 0) outputs.push_back(SendToGuest{std::string(bytes.substr(0, relayed))});
        relayed_by_caller += relayed;
        collect();
    }
    void upstream_bytewise(std::string_view bytes) {
        for (char c : bytes) upstream(std::string_view(&c, 1));
    }
    void guest_eof() { session.on_guest_eof(); collect(); }
    void upstream_eof() { session.on_upstream_eof(); collect(); }
    void upstream_failed(std::string_view reason) { session.on_upstream_failed(reason); collect(); }
    void pass(RequestId id) { session.pass(id); collect(); }
    void refuse(RequestId id) { session.refuse(id, LocalResponse{403, R"({"error":"askfirst_denied"})"}); collect(); }

    std::string to_upstream() const;   // all SendToUpstream bytes concatenated
    std::string to_guest() const;      // all SendToGuest bytes concatenated
    bool closed() const;               // a CloseFlow was emitted
    // One line per output, adjacent byte writes to one side merged:
    // "upstream <bytes>", "guest <bytes>", "decide <id> <method> <host> <path> body=<n> complete=<0|1>",
    // "cancel <id>", "refusal <status>", "opaque", "halfclose-upstream", "halfclose-guest", "close".
    std::vector<std::string> trace() const;

private:
    void collect();
};

// The status code of the first HTTP response in `bytes` after skipping
// `skip` whole responses that start with "HTTP/1.1 " (0 if none).
int status_of_response(std::string_view guest_bytes, std::size_t index = 0);

}  // namespace askfirst::http::testing
