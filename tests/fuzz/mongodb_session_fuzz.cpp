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
#include "tests/fuzz/database_session_driver.h"

using namespace askfirst;
using namespace askfirst::database;

namespace {

struct Checker : fuzz::OneHeldStatement {
    bool rewrites_possible = false;

    void judge(const DatabaseStatement& statement) {
        if (statement.complete != !statement.texts.empty()) std::abort();
        if (statement.provider != "mongodb") std::abort();
        for (const auto& text : statement.texts) (void)classifiers::mongodb::classify_mongodb_command(text);
    }

    void take(MongodbSession& session) {
        take_outputs(session, [&](const SessionOutput& output) {
            if (const auto* decide = follow_question(output)) judge(decide->statement);
        });
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
    fuzz::drive_session_script(session, check, fuzz::session_script(data, size));
    return 0;
}
