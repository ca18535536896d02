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

using namespace askfirst;
using namespace askfirst::database;

namespace {

struct Checker {
    bool closed = false;
    bool any_refused = false;
    RequestId last_id = 0;
    std::set<RequestId> pending;
    std::string guest_sent;
    std::string upstream_got;
    std::string server_sent;
    std::string guest_got;

    void take(RedisSession& session) {
        for (SessionOutput& output : session.take_outputs()) {
            if (closed) std::abort();  // nothing after CloseFlow
            if (auto* up = std::get_if<SendToUpstream>(&output)) upstream_got += up->bytes;
            else if (auto* down = std::get_if<SendToGuest>(&output)) guest_got += down->bytes;
            else if (auto* decide = std::get_if<DecideStatement>(&output)) {
                if (decide->id <= last_id || pending.size() >= kMaxCommandsInFlight) std::abort();
                pending.insert(last_id = decide->id);
            } else if (auto* cancel = std::get_if<CancelDecision>(&output)) {
                if (pending.erase(cancel->id) != 1) std::abort();
            } else if (std::holds_alternative<CloseFlow>(output)) {
                closed = true;
            }
        }
        if (closed && !pending.empty()) std::abort();  // every open question withdrawn
        if (!any_refused && guest_sent.compare(0, upstream_got.size(), upstream_got) != 0) std::abort();
        if (!any_refused && !closed && server_sent.compare(0, guest_got.size(), guest_got) != 0) std::abort();
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    RedisSession session(RedisSessionConfig{data[0] % 2 == 0 ? std::size_t{24} : kDefaultMaxInspectBytes});
    Checker check;
    std::size_t at = 1;
    while (at + 2 <= size) {
        const std::uint8_t op = data[at] % 8;
        const std::size_t length = std::min<std::size_t>(data[at + 1], size - at - 2);
        const std::string_view bytes(reinterpret_cast<const char*>(data + at + 2), length);
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
        case 4:
        case 5: {
            if (check.pending.empty()) break;
            const RequestId chosen = *std::next(check.pending.begin(),
                                                static_cast<std::ptrdiff_t>(length % check.pending.size()));
            check.pending.erase(chosen);
            if (op == 4) {
                session.pass(chosen);
            } else {
                check.any_refused = true;
                session.refuse(chosen, "askfirst refused it", "ask");
            }
            break;
        }
        case 6: session.on_guest_eof(); break;
        case 7: length > 0 ? session.on_upstream_failed(bytes) : session.on_upstream_eof(); break;
        }
        check.take(session);
    }
    return 0;
}
