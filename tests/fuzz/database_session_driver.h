// tests/fuzz/database_session_driver.h — the script driver shared by the
// database session fuzz targets (postgres, redis, mysql, mongodb): it plays
// one fuzz input against a sans-io database session, as the flow shell would
// (guest bytes, server bytes, verdicts, EOFs), and lets the target's checker
// judge what the session emitted after every step. Each target keeps only
// what is its own: the session's config, and the checker's promises.
//
// The script (the input after byte 0, which each target uses to pick the
// inspection limit) is, repeatedly: one op byte, one length byte, that many bytes:
//   op % 8 == 0,1,2: guest bytes   3: server bytes   4: pass a held statement
//   5: refuse it   6: guest EOF   7: server EOF (with data: the server failed)
// The driver records into the checker what the guest and the server sent
// while the session was open (guest_sent, server_sent); the verdicts of ops 4
// and 5 go through the checker's give_verdict (which statement is meant is the
// checker's business; the length byte may choose among several), then the
// checker's take(session) reads the session's outputs.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "src/flow_session.h"

namespace askfirst::fuzz {

// What every checker records; the driver fills guest_sent and server_sent,
// the checker's take() the rest.
struct SessionRecord {
    bool closed = false;
    bool any_refused = false;
    RequestId last_id = 0;
    std::string guest_sent;
    std::string upstream_got;
    std::string server_sent;
    std::string guest_got;

    // Takes the session's outputs: what went upstream and to the guest is recorded, CloseFlow
    // closes (nothing may follow it), and every output is then shown to on_output.
    template <typename Session, typename OnOutput>
    void take_outputs(Session& session, OnOutput&& on_output) {
        for (SessionOutput& output : session.take_outputs()) {
            if (closed) std::abort();  // nothing after CloseFlow
            if (const auto* up = std::get_if<SendToUpstream>(&output)) upstream_got += up->bytes;
            else if (const auto* down = std::get_if<SendToGuest>(&output)) guest_got += down->bytes;
            else if (std::holds_alternative<CloseFlow>(output)) closed = true;
            on_output(output);
        }
    }
};

// The verdicts of a session that holds at most one statement at a time.
struct OneHeldStatement : SessionRecord {
    std::optional<RequestId> pending;

    // Follows the questions: no DecideStatement while another is held, ids increase, a cancel
    // names the held one. Returns the new question when output is one.
    const DecideStatement* follow_question(const SessionOutput& output) {
        if (const auto* decide = std::get_if<DecideStatement>(&output)) {
            if (pending || decide->id <= last_id) std::abort();
            pending = last_id = decide->id;
            return decide;
        }
        if (const auto* cancel = std::get_if<CancelDecision>(&output)) {
            if (pending != cancel->id) std::abort();
            pending.reset();
        }
        return nullptr;
    }

    template <typename Session>
    void give_verdict(Session& session, bool pass, std::size_t /*choice*/) {
        if (pending) {
            if (pass) {
                session.pass(*pending);
            } else {
                any_refused = true;
                session.refuse(*pending, "askfirst refused it", "ask");
            }
        }
        pending.reset();
    }
};

// Plays script (the input without its byte 0) against session, calling
// check.take(session) after every step.
template <typename Session, typename Checker>
void drive_session_script(Session& session, Checker& check, std::string_view script) {
    std::size_t at = 0;
    while (at + 2 <= script.size()) {
        const std::uint8_t op = static_cast<std::uint8_t>(script[at]) % 8;
        const std::size_t length = std::min<std::size_t>(static_cast<std::uint8_t>(script[at + 1]),
                                                         script.size() - at - 2);
        const std::string_view bytes = script.substr(at + 2, length);
        at += 2 + length;
        switch (op) {
        case 0: case 1: case 2:
            if (!session.closed()) check.guest_sent.append(bytes);
            session.on_guest_bytes(bytes);
            break;
        case 3:
            if (!session.closed()) check.server_sent.append(bytes);
            session.on_upstream_bytes(bytes);
            break;
        case 4: check.give_verdict(session, true, length); break;
        case 5: check.give_verdict(session, false, length); break;
        case 6: session.on_guest_eof(); break;
        case 7: length > 0 ? session.on_upstream_failed(bytes) : session.on_upstream_eof(); break;
        }
        check.take(session);
    }
}

// The script of a fuzz input: everything after byte 0.
inline std::string_view session_script(const std::uint8_t* data, std::size_t size) {
    return std::string_view(reinterpret_cast<const char*>(data), size).substr(1);
}

}  // namespace askfirst::fuzz
