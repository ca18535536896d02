// tests/fuzz/mongodb_session_fuzz.cpp — libFuzzer target for the sans-io
// MongoDB session (src/database/mongodb_session.h), its message framing and
// libbson decoding (src/database/mongodb_wire.h), and the wire-command
// classifier (classifiers/mongodb_commands.h) on every command it decodes,
// fed arbitrary bytes both ways.
//
// The input is a script. Byte 0 picks the inspection limit (tiny or the
// default). Then, repeatedly: one op byte, one length byte, that many bytes:
//   op % 8 == 0,1,2: guest bytes   3: server bytes   4: pass the held message
//   5: refuse it   6: guest EOF   7: server EOF (with data: the server failed)
// Besides ASan/UBSan findings, it checks the session's promises:
//   - nothing is emitted after CloseFlow;
//   - no DecideStatement while another is held; ids increase;
//   - a statement that was not decoded has no text, and is marked incomplete;
//   - while nothing was refused, what went upstream is exactly a prefix of
//     what the guest sent (nothing injected or reordered), unless the input
//     holds "compression" (a handshake's offer is removed on the way);
//   - while nothing was refused, what the guest got is a prefix of what the
//     server sent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "classifiers/mongodb_commands.h"
#include "src/database/mongodb_session.h"

using namespace askfirst;
using namespace askfirst::database;

namespace {

struct Checker {
    bool closed = false;
    bool any_refused = false;
    bool rewrites_possible = false;
    RequestId last_id = 0;
    std::optional<RequestId> pending;
    std::string guest_sent;
    std::string upstream_got;
    std::string server_sent;
    std::string guest_got;

    void judge(const DatabaseStatement& statement) {
        if (statement.complete != !statement.texts.empty()) std::abort();
        if (statement.provider != "mongodb") std::abort();
        for (const auto& text : statement.texts) (void)classifiers::mongodb::classify_mongodb_command(text);
    }

    void take(MongodbSession& session) {
        for (SessionOutput& output : session.take_outputs()) {
            if (closed) std::abort();  // nothing after CloseFlow
            if (auto* up = std::get_if<SendToUpstream>(&output)) upstream_got += up->bytes;
            else if (auto* down = std::get_if<SendToGuest>(&output)) guest_got += down->bytes;
            else if (auto* decide = std::get_if<DecideStatement>(&output)) {
                if (pending || decide->id <= last_id) std::abort();
                pending = last_id = decide->id;
                judge(decide->statement);
            } else if (auto* cancel = std::get_if<CancelDecision>(&output)) {
                if (pending != cancel->id) std::abort();
                pending.reset();
            } else if (std::holds_alternative<CloseFlow>(output)) {
                closed = true;
            }
        }
        if (!any_refused && !rewrites_possible && guest_sent.compare(0, upstream_got.size(), upstream_got) != 0)
            std::abort();
        if (!any_refused && server_sent.compare(0, guest_got.size(), guest_got) != 0) std::abort();
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    MongodbSession session(MongodbSessionConfig{data[0] % 2 == 0 ? std::size_t{64} : kDefaultMaxInspectBytes});
    Checker check;
    check.rewrites_possible = std::string_view(reinterpret_cast<const char*>(data), size).find("compression") !=
                              std::string_view::npos;
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
            if (check.pending) session.pass(*check.pending);
            check.pending.reset();
            break;
        case 5:
            if (check.pending) {
                check.any_refused = true;
                session.refuse(*check.pending, "askfirst refused it", "ask");
            }
            check.pending.reset();
            break;
        case 6: session.on_guest_eof(); break;
        case 7: length > 0 ? session.on_upstream_failed(bytes) : session.on_upstream_eof(); break;
        }
        check.take(session);
    }
    return 0;
}
