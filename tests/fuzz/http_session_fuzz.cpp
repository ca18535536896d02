// tests/fuzz/http_session_fuzz.cpp — libFuzzer target for the sans-io HTTP
// session (src/http/http_session.h), fed arbitrary bytes in both directions.
//
// The input is a script. Byte 0 picks the configuration (SNI or not, a tiny
// or the default inspection limit). Then, repeatedly: one op byte, one
// length byte, and that many data bytes:
//   op % 8 == 0,1,2: guest bytes   3: upstream bytes   4: pass the pending request
//   5: refuse it   6: guest EOF   7: upstream EOF (or, with data, upstream failed)
// Besides ASan/UBSan findings, it checks the session's promises:
//   - nothing is emitted after CloseFlow;
//   - no byte goes upstream before a request was passed (or the flow turned opaque);
//   - every DecideRequest has a fresh, increasing id;
//   - while nothing was refused, what went upstream is exactly a prefix of
//     what the guest sent (byte-for-byte forwarding, nothing injected).
// The classifier is tests/unit/src/classifier_test_double.cpp (needs_body for
// paths under /inspect), so both the inspecting and the streaming paths run.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "src/http/http_session.h"

using namespace askfirst::http;

namespace {

struct Checker {
    bool closed = false;
    bool any_passed = false;
    RequestId last_id = 0;
    std::optional<RequestId> pending;
    bool any_refused = false;
    std::string guest_sent;
    std::string upstream_got;

    void take(HttpSession& session) {
        for (SessionOutput& output : session.take_outputs()) {
            if (closed) std::abort();  // output after CloseFlow
            if (auto* up = std::get_if<SendToUpstream>(&output)) {
                if (!any_passed && !session.opaque()) std::abort();
                upstream_got += up->bytes;
                if (!any_refused && guest_sent.compare(0, upstream_got.size(), upstream_got) != 0) std::abort();
            }
            if (auto* decide = std::get_if<DecideRequest>(&output)) {
                if (decide->id <= last_id) std::abort();
                last_id = decide->id;
                pending = decide->id;
            }
            if (auto* cancel = std::get_if<CancelDecision>(&output)) {
                if (pending == cancel->id) pending.reset();
            }
            if (std::holds_alternative<CloseFlow>(output)) closed = true;
        }
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    SessionConfig config;
    if (data[0] & 1) config.sni = "a.test";
    if (data[0] & 2) config.max_inspect_bytes = 16;
    HttpSession session(config);
    Checker checker;
    std::size_t at = 1;
    while (at + 2 <= size) {
        std::uint8_t op = data[at] % 8;
        std::size_t length = data[at + 1];
        at += 2;
        if (length > size - at) length = size - at;
        std::string_view bytes(reinterpret_cast<const char*>(data + at), length);
        at += length;
        switch (op) {
            case 0: case 1: case 2:
                if (!checker.closed) checker.guest_sent.append(bytes);
                session.on_guest_bytes(bytes);
                break;
            case 3: session.on_upstream_bytes(bytes); break;
            case 4:
                if (checker.pending) {
                    checker.any_passed = true;
                    session.pass(*checker.pending);
                    checker.pending.reset();
                }
                break;
            case 5:
                if (checker.pending) {
                    checker.any_refused = true;
                    session.refuse(*checker.pending, LocalResponse{403, "{}"});
                    checker.pending.reset();
                }
                break;
            case 6: session.on_guest_eof(); break;
            default:
                if (length == 0) session.on_upstream_eof();
                else session.on_upstream_failed(bytes);
                break;
        }
        checker.take(session);
        (void)session.wants_guest_bytes();
    }
    return 0;
}
