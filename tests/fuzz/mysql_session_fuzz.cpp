// tests/fuzz/mysql_session_fuzz.cpp — libFuzzer target for the sans-io
// MySQL session (src/database/mysql_session.h): its packet framing both ways,
// greeting, authentication and command phases, fed arbitrary bytes.
//
// The input is a script. Byte 0 picks the inspection limit (tiny or the
// default). Then, repeatedly: one op byte, one length byte, that many bytes:
//   op % 8 == 0,1,2: guest bytes   3: server bytes   4: pass the held command
//   5: refuse it   6: guest EOF   7: server EOF (with data: the server failed)
// Besides ASan/UBSan findings, it checks the session's promises:
//   - nothing is emitted after CloseFlow;
//   - no DecideStatement while another is held; ids increase;
//   - while nothing was refused, what went upstream is exactly a prefix of
//     what the guest sent (nothing injected or reordered);
//   - a StartGuestTls read-ahead is the tail of what the guest sent (the
//     guest bytes after it are taken as the plaintext of its TLS);
//   (The greeting is rewritten on its way to the guest, so the guest-side
//   prefix check of the Redis target does not apply here.)
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "src/database/mysql_session.h"
#include "tests/fuzz/database_session_driver.h"

using namespace askfirst;
using namespace askfirst::database;

namespace {

struct Checker : fuzz::OneHeldStatement {
    void take(MysqlSession& session) {
        take_outputs(session, [&](const SessionOutput& output) {
            follow_question(output);
            if (const auto* tls = std::get_if<StartGuestTls>(&output)) {
                // The read-ahead is the start of the guest's TLS, never plaintext: it must be the
                // tail of what was sent, and the guest bytes after it stand for the TLS plaintext.
                if (!guest_sent.ends_with(tls->read_ahead)) std::abort();
                guest_sent.resize(guest_sent.size() - tls->read_ahead.size());
            }
        });
        if (!any_refused && guest_sent.compare(0, upstream_got.size(), upstream_got) != 0) std::abort();
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    MysqlSession session(MysqlSessionConfig{data[0] % 2 == 0 ? std::size_t{24} : kDefaultMaxInspectBytes});
    Checker check;
    fuzz::drive_session_script(session, check, fuzz::session_script(data, size));
    return 0;
}
