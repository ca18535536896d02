// tests/fuzz/http2_session_fuzz.cpp — libFuzzer target for the sans-io HTTP/2
// session (src/http/http2_session.h): arbitrary guest frames, arbitrary
// upstream bytes (HTTP/2 or HTTP/1.1), and verdicts in any order.
//
// The input is a script. Byte 0 picks the configuration: bit 0 SNI or not,
// bit 1 a tiny inspection limit, bit 2 prepend the client preface and an
// empty SETTINGS (so most inputs reach the frame layer), bits 3-4 the
// upstream (h2 prior knowledge, unknown until told, HTTP/1.1). Then,
// repeatedly: one op byte, one length byte, that many data bytes:
//   op % 8 == 0,1,2: guest bytes   3: upstream bytes   4: pass the oldest pending
//   5: refuse it (a 403, or gRPC's trailers-only shape)   6: guest EOF
//   7: upstream EOF, or (with data) failed, or tell the upstream protocol
// Besides ASan/UBSan findings it checks the session's promises:
//   - nothing is emitted after CloseFlow;
//   - no byte goes upstream before a request was passed;
//   - a stream is put to the decision point at most once.
// The classifier is tests/unit/src/classifier_test_double.cpp (needs_body
// for /inspect paths), so the inspecting and the held paths both run.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <set>
#include <string>
#include <string_view>

#include "src/http/http2_session.h"

using namespace askfirst::http;

namespace {

constexpr std::string_view kPrefaceAndSettings("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\4\0\0\0\0\0", 33);

struct Checker {
    bool closed = false;
    bool any_passed = false;
    std::set<RequestId> decided;
    std::deque<RequestId> pending;

    void take(Http2Session& session) {
        for (SessionOutput& output : session.take_outputs()) {
            if (closed) std::abort();  // output after CloseFlow
            if (auto* up = std::get_if<SendToUpstream>(&output)) {
                if (!up->bytes.empty() && !any_passed) std::abort();  // upstream bytes before any verdict
            }
            if (auto* decide = std::get_if<DecideRequest>(&output)) {
                if (!decided.insert(decide->id).second) std::abort();  // one decision per stream
                pending.push_back(decide->id);
            }
            if (std::holds_alternative<CloseFlow>(output)) closed = true;
        }
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    Http2Config config;
    if (data[0] & 1) config.sni = "a.test";
    if (data[0] & 2) config.max_inspect_bytes = 16;
    const int upstream_choice = (data[0] >> 3) & 3;
    config.upstream = upstream_choice == 1   ? UpstreamProtocol::unknown
                      : upstream_choice == 2 ? UpstreamProtocol::http1
                                             : UpstreamProtocol::http2;
    Http2Session session(config);
    Checker checker;
    checker.take(session);
    if (data[0] & 4) {
        session.on_guest_bytes(kPrefaceAndSettings);
        checker.take(session);
    }
    std::size_t at = 1;
    while (at + 2 <= size) {
        const std::uint8_t op = data[at] % 8;
        std::size_t length = data[at + 1];
        at += 2;
        if (length > size - at) length = size - at;
        const std::string_view bytes(reinterpret_cast<const char*>(data + at), length);
        at += length;
        switch (op) {
            case 0: case 1: case 2: session.on_guest_bytes(bytes); break;
            case 3: session.on_upstream_bytes(bytes); break;
            case 4:
                if (!checker.pending.empty()) {
                    checker.any_passed = true;
                    session.pass(checker.pending.front());
                    checker.pending.pop_front();
                }
                break;
            case 5:
                if (!checker.pending.empty()) {
                    LocalResponse refusal{403, R"({"error":"askfirst_denied"})"};
                    if (length > 0) {
                        refusal = LocalResponse{200, "", "application/grpc", "grpc-status: 7\r\ngrpc-message: no\r\n"};
                        refusal.final_newline = false;
                    }
                    session.refuse(checker.pending.front(), refusal);
                    checker.pending.pop_front();
                }
                break;
            case 6: session.on_guest_eof(); break;
            case 7:
                if (length == 0) session.on_upstream_eof();
                else if (bytes[0] == 'h') session.on_upstream_protocol(UpstreamProtocol::http2);
                else if (bytes[0] == '1') session.on_upstream_protocol(UpstreamProtocol::http1);
                else session.on_upstream_failed(bytes);
                break;
        }
        checker.take(session);
    }
    return 0;
}
