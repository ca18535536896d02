// tests/fuzz/redis_session_fuzz.cpp — libFuzzer target for the sans-io Redis
// session (src/database/redis_session.h) and its RESP framing
// (src/database/resp_framing.h), fed arbitrary bytes both ways.
//
// The input is a script. Byte 0 picks the inspection limit (tiny or the
// default). Then, repeatedly: one op byte, one length byte, that many bytes:
//   op % 8 == 0,1,2: guest bytes   3: server bytes   4: pass an open command
//   5: refuse it (the open command: the length byte's choice among them, so
//   verdicts come out of order)   6: guest EOF   7: server EOF (with data: the
//   server failed)
// Besides ASan/UBSan findings, it checks the session's promises:
//   - nothing is emitted after CloseFlow;
//   - ids increase; at most kMaxCommandsInFlight are open; a cancel names an
//     open one; after CloseFlow none is left open;
//   - while nothing was refused, what went upstream is exactly a prefix of
//     what the guest sent (nothing injected or reordered);
//   - while no reply was replaced, what the guest got is a prefix of what the
//     server sent (except askfirst's own error when it closes the flow).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <set>
#include <string>
#include <string_view>
#include <variant>

#include "src/database/redis_session.h"
#include "tests/fuzz/database_session_driver.h"

using namespace askfirst;
using namespace askfirst::database;

namespace {

struct Checker : fuzz::SessionRecord {
    std::set<RequestId> pending;

    // The length byte chooses among the open commands, so verdicts come out of order.
    void give_verdict(RedisSession& session, bool pass, std::size_t choice) {
        if (pending.empty()) return;
        const RequestId chosen = *std::next(pending.begin(), static_cast<std::ptrdiff_t>(choice % pending.size()));
        pending.erase(chosen);
        if (pass) {
            session.pass(chosen);
        } else {
            any_refused = true;
            session.refuse(chosen, "askfirst refused it", "ask");
        }
    }

    void take(RedisSession& session) {
        take_outputs(session, [&](const SessionOutput& output) {
            if (const auto* decide = std::get_if<DecideStatement>(&output)) {
                if (decide->id <= last_id || pending.size() >= kMaxCommandsInFlight) std::abort();
                pending.insert(last_id = decide->id);
            } else if (const auto* cancel = std::get_if<CancelDecision>(&output)) {
                if (pending.erase(cancel->id) != 1) std::abort();
            }
        });
        if (closed && !pending.empty()) std::abort();  // every open question withdrawn
        if (!any_refused && guest_sent.compare(0, upstream_got.size(), upstream_got) != 0) std::abort();
        if (!any_refused && !closed && server_sent.compare(0, guest_got.size(), guest_got) != 0) std::abort();
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    RedisScriptCache scripts;  // EVAL/SCRIPT LOAD remembered, EVALSHA rewritten to the EVAL of its body
    RedisSession session(RedisSessionConfig{data[0] % 2 == 0 ? std::size_t{24} : kDefaultMaxInspectBytes, &scripts});
    Checker check;
    fuzz::drive_session_script(session, check, fuzz::session_script(data, size));
    return 0;
}
