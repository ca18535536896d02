// src/http/http_session.h — the sans-io HTTP/1.1 session of one flow, both ways:
// guest→upstream requests and upstream→guest responses. It owns framing
// (invariant 4), the Host/SNI rule (invariant 5), holding a request until it
// is decided, and returning responses in request order. It never touches a
// socket, a clock, a classifier verdict or a mode: bytes and answers come
// in, bytes and events go out.
//
// ## Wiring it into a flow (for the shell in src/)
//
// One HttpSession per flow, created once the first guest bytes look like
// HTTP/1.x (or once TLS is open: then `sni` is the ClientHello's name). On
// each loop event the shell calls one method, then drains take_outputs():
//
//   guest bytes (plaintext)     -> on_guest_bytes(bytes)
//   guest EOF                   -> on_guest_eof()
//   upstream bytes (plaintext)  -> on_upstream_bytes(bytes)
//   upstream EOF                -> on_upstream_eof()
//   upstream connect/TLS failed -> on_upstream_failed(reason)   (502 to the guest)
//   a decision is ready         -> pass(id[, head edits]) | refuse(id, LocalResponse)
//
// What the shell does with each output, in the order they come:
//
//   SendToUpstream   write the bytes upstream. The upstream connection is
//                    opened lazily on the first one (to the address the guest
//                    dialed), so a flow whose requests are all refused never
//                    reaches the upstream.
//   SendToGuest      write the bytes to the guest.
//   DecideRequest    classify the request, apply the profile's mode, maybe
//                    ask a person (src/request_decision.h). Append the audit
//                    line (consent/audit_log.h) BEFORE calling pass(id): that
//                    is invariant 8. The answer may come much later (consent);
//                    the request waits with its bytes intact. pass/refuse
//                    may be called at any time, also while handling this
//                    batch of outputs (then drain take_outputs() again); an
//                    id that is not the request being decided (answered,
//                    cancelled) is ignored.
//   CancelDecision   the guest went away while a request was being decided:
//                    withdraw the question (a consent prompt), log nothing.
//   ProtocolRefusal  askfirstd refused a request before judging it (400,
//                    421, 502). Already answered to the guest; log one
//                    key=value line on stderr for the operator.
//   BecameOpaque     a 101 switched protocols: from now on the session
//                    relays bytes both ways unchanged (the shell may bypass
//                    it and splice the two connections).
//   HalfCloseUpstream / HalfCloseGuest   shutdown(SHUT_WR) that side after
//                    the bytes already written (opaque relays only).
//   CloseFlow        after writing the bytes already given, close both sides.
//                    The session accepts nothing after it.
//
// Back-pressure: while wants_guest_bytes() is false (a held request is
// waiting for its decision and the guest keeps sending), stop reading from
// the guest and ask again after each pass/refuse/on_upstream_* call.
// Guest-ward back-pressure is the shell's: the session keeps no upstream bytes.
//
// ## What the session guarantees
//
// - One request is decided at a time, in order: request N+1 is not parsed
//   before N is decided. DecideRequest carries the classifier's HttpRequest;
//   when classifiers::needs_body(head) is true the body is first buffered, up
//   to max_inspect_bytes (then body_complete=false: judge the worst). When
//   needs_body is false the request is decided on its head alone: `body` is
//   empty and body_complete is false if the request has a body at all.
// - A passed request goes upstream byte-for-byte as the guest sent it (head
//   and body, chunk framing included), but for the RequestEdits given to
//   pass() (src/http/head_edits.h: the credential broker's stub → real
//   secret in the head; an aws-chunked body's signatures), after the decision. A refused one never does; its body is
//   read and dropped, so the next request on the connection still works.
// - Responses reach the guest in request order: a 403 for request 2 waits
//   until the upstream's response to request 1 is complete (the session
//   parses responses for that: HEAD, 1xx, 204/304, close-delimited bodies).
// - Framing it cannot trust (llhttp errors, bare LF, obsolete folding, bounds
//   of src/http/http_head_lines.h, h2c, HTTP/2 preface, CONNECT) gets a 400 with a
//   JSON body and the flow closes; Host ≠ SNI gets 421 and the flow closes.
// - Expect: 100-continue: the session answers "100 Continue" itself as soon
//   as the head is accepted, reads the body, has it decided, and only then
//   sends the request (Expect header included, unchanged) upstream with its
//   body. The upstream's own "100 Continue" for that request is dropped: the
//   guest already had one, and the final response follows.
// - Upgrades: the upgrade request is judged like any request; after the
//   upstream's 101 the flow is an opaque relay (BecameOpaque). Any other
//   answer to it and the connection goes on as HTTP.
// - The upstream: its EOF ends a close-delimited response; an answer it owed
//   and had not begun becomes a 502; then the flow ends (the session never
//   asks for a second upstream connection). After on_upstream_failed the
//   answer owed, and any request passed later, is a 502 with the reason.
//   Bytes it sends that no passed request asked for end the flow.
//
// ## Limits (named constants below and in src/http/http_head_lines.h)
//
// Request head 64 KiB, request line 8 KiB, 100 header lines, trailers 16 KiB;
// inspected body max_inspect_bytes (1 MiB default), raw bytes read while
// inspecting 4x that; held bytes before back-pressure 1 MiB; upstream
// response head 256 KiB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "classifiers/classification.h"
#include "src/http/head_edits.h"
#include "src/http/http_head_lines.h"
#include "src/http/http_message_parser.h"
#include "src/http/http_responses.h"
#include "src/flow_session.h"

namespace askfirst::http {

using askfirst::RequestId;

// Profile http.max_inspect_bytes default (../shared/design.md, profile).
inline constexpr std::size_t kDefaultMaxInspectBytes = 1024 * 1024;
// How many guest bytes a held request may keep in memory before the shell is
// told to stop reading (about 16 lwIP windows; the guest's TCP then waits).
inline constexpr std::size_t kMaxHeldGuestBytes = 1024 * 1024;
// Raw bytes read while inspecting a body before it is judged anyway: chunk
// framing (tiny chunks, long extensions) can make the raw size far exceed the
// body; past 4x the inspection limit the body counts as too large to inspect.
inline constexpr std::size_t kInspectRawFactor = 4;
// A response head from the upstream is kept until it is complete (to drop
// our own 100's duplicate); big Set-Cookie sets fit easily in 256 KiB.
inline constexpr std::size_t kMaxResponseHeadBytes = 256 * 1024;

struct SessionConfig {
    std::string sni;  // the TLS server name; empty for plain HTTP
    std::size_t max_inspect_bytes = kDefaultMaxInspectBytes;
};

// The outputs are the flow-session outputs every protocol shares (src/flow_session.h).
using askfirst::BecameOpaque;
using askfirst::CancelDecision;
using askfirst::CloseFlow;
using askfirst::DecideRequest;
using askfirst::HalfCloseGuest;
using askfirst::HalfCloseUpstream;
using askfirst::ProtocolRefusal;
using askfirst::SendToGuest;
using askfirst::SendToUpstream;
using askfirst::SessionOutput;

// refuse() takes a LocalResponse (src/http/http_responses.h: the shell renders its
// body, e.g. shaped_denial()); the session writes it with response_bytes().

class HttpSession final : public FlowSession {
public:
    explicit HttpSession(SessionConfig config);

    void on_guest_bytes(std::string_view bytes) override;
    void on_guest_eof() override;
    void on_upstream_bytes(std::string_view bytes) override;
    // on_upstream_bytes without the copy, for the common case of a long
    // response body: when every byte is body of the response being relayed
    // (or of an opaque flow) and no output is waiting before it, returns
    // bytes.size() and emits nothing: the shell sends them to the guest
    // itself, ahead of anything take_outputs() returns later. Otherwise
    // returns 0, having done exactly what on_upstream_bytes does.
    std::size_t on_upstream_bytes_relayed_by_caller(std::string_view bytes) override;
    void on_upstream_eof() override;
    void on_upstream_failed(std::string_view reason) override;
    // `edits` change the head as it goes upstream (and only then); its
    // bytes held before are wiped once sent.
    void pass(RequestId id, const RequestEdits& edits = {});
    void refuse(RequestId id, const LocalResponse& response);
    // FlowSession's verdict: pass(id), or refuse(id, verdict.http_refusal).
    void on_verdict(RequestId id, const askfirst::Verdict& verdict) override;

    std::vector<SessionOutput> take_outputs() override;
    bool wants_guest_bytes() const override;
    bool closed() const override { return closed_; }
    bool opaque() const { return opaque_; }

private:
    // Where the guest-side parser is in the current request.
    enum class RequestPhase { idle, head, body, trailers, complete, awaiting_upgrade, stopped };
    enum class Verdict { pending, pass, refuse };
    enum class ResponseFrom { undecided, upstream, local };

    // One request and its response slot, in guest order.
    struct Exchange {
        RequestId id = 0;             // 0: a refusal of a request that was never judged
        ResponseFrom from = ResponseFrom::undecided;
        std::string host;             // for a 502's body
        std::string interim;          // our own 100 Continue, sent when at the head
        std::string local_response;   // when from == local
        bool close_after = false;     // close the flow once this response is sent
        bool head_method = false;
        bool upgrade_request = false;
        bool own_continue_sent = false;
        bool response_started = false;  // upstream bytes of it already went to the guest
    };

    // The request the guest-side parser is reading now.
    struct CurrentRequest {
        RequestId id = 0;
        RequestPhase phase = RequestPhase::idle;
        Verdict verdict = Verdict::pending;
        bool decide_emitted = false;
        bool inspecting = false;
        bool keep_alive = true;
        bool wants_upgrade = false;
        RequestHeadBounds head_bounds;
        std::string raw_head;    // until headers_complete
        std::string held;        // raw bytes kept until the verdict
        std::size_t head_bytes = 0;  // the head at the start of `held`
        std::shared_ptr<BodyRewriter> body_rewriter;  // from pass(): the body is rewritten on its way
        std::string trailers;    // the trailer section, checked before it is routed
        classifiers::HttpRequest request;
    };

    // http_session.cpp: guest side
    void parse_guest();
    bool guest_parsing_halted() const;
    void route_guest_bytes(std::string_view bytes);
    void route_request_bytes(std::string_view bytes);
    void on_request_boundary(Boundary boundary);
    void on_request_head_complete();
    void on_request_complete();
    void maybe_emit_decide(bool body_complete);
    bool body_may_name_the_target() const;
    void finish_request();
    void refuse_framing(int status, const std::string& reason);
    void start_opaque();
    // http_session_upstream.cpp: upstream side and ordering
    // `first_step`: the parser already took the first step over `bytes`.
    void parse_upstream(std::string_view bytes, const ParseStep* first_step = nullptr);
    bool relaying_response_body() const;
    bool route_upstream_segment(std::string_view bytes, Boundary boundary);
    void on_response_complete();
    void upstream_protocol_error(const std::string& reason);
    void flush_guestward();
    void answer_first_unanswered(int status, const std::string& json_body);
    // http_session_output.cpp
    void emit_to_guest(std::string_view bytes);
    void emit_to_upstream(std::string_view bytes);
    void emit(SessionOutput output);
    void close_flow(const std::string& reason);
    void maybe_close_when_drained();
    Exchange* find_exchange(RequestId id);

    SessionConfig config_;
    MessageParser request_parser_{MessageKind::request};
    MessageParser response_parser_{MessageKind::response};
    std::string guest_unparsed_;
    std::size_t guest_unparsed_offset_ = 0;
    CurrentRequest current_;
    std::deque<Exchange> exchanges_;
    std::string response_head_;      // bytes of the current response head
    bool response_in_head_ = true;
    bool response_swallowed_ = false;  // the upstream's 100 after our own
    bool upgrade_response_pending_ = false;  // a passed upgrade awaits its 101 (or not)
    std::string upstream_failure_;   // set by on_upstream_failed: later passes get a 502
    RequestId next_id_ = 1;
    bool guest_eof_ = false;
    bool upstream_eof_ = false;
    bool opaque_ = false;
    bool closed_ = false;
    std::vector<SessionOutput> outputs_;
};

}  // namespace askfirst::http
