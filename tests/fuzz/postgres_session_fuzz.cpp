// tests/fuzz/postgres_session_fuzz.cpp — libFuzzer target for the sans-io
// PostgreSQL session (src/database/postgres_session.h): its framing of the
// guest's messages and the server's, fed arbitrary bytes both ways.
//
// The input is a script. Byte 0 picks the inspection limit (tiny or the
// default). Then, repeatedly: one op byte, one length byte, that many bytes:
//   op % 8 == 0,1,2: guest bytes   3: server bytes   4: pass the held statement
//   5: refuse it   6: guest EOF   7: server EOF (with data: the server failed)
// Besides ASan/UBSan findings, it checks the session's promises:
//   - nothing is emitted after CloseFlow;
//   - no DecideStatement while another is held; ids increase;
//   - while nothing was refused and no TLS or GSS encryption was asked for,
//     what went upstream is exactly a prefix of what the guest sent (nothing
//     injected or reordered).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "src/database/postgres_session.h"
#include "tests/fuzz/database_session_driver.h"

using namespace askfirst;
using namespace askfirst::database;

namespace {

struct Checker : fuzz::OneHeldStatement {
    bool tls = false;

    void take(PostgresSession& session) {
        take_outputs(session, [&](const SessionOutput& output) {
            follow_question(output);
            if (const auto* down = std::get_if<SendToGuest>(&output)) {
                if (down->bytes.starts_with("N")) tls = true;  // a GSSENCRequest, answered and not relayed
            } else if (std::holds_alternative<StartGuestTls>(output) || std::holds_alternative<StartUpstreamTls>(output)) {
                tls = true;
            }
        });
        if (!any_refused && !tls && guest_sent.compare(0, upstream_got.size(), upstream_got) != 0) std::abort();
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    PostgresSession session(PostgresSessionConfig{data[0] % 2 == 0 ? std::size_t{24} : kDefaultMaxInspectBytes});
    Checker check;
    fuzz::drive_session_script(session, check, fuzz::session_script(data, size));
    return 0;
}
