// src/flow_session.h — the one interface every protocol session of a flow
// implements: the sans-io layer above TCP (and above TLS when the flow is
// encrypted) that parses what each side says, asks the decision point about
// each request, and says what to send where. The HTTP/1.1 session
// (src/http/http_session.h) implements it today; the database wire protocols
// and HTTP/2 implement it next.
//
// Where it sits in a flow (src/intercepting_pipeline.h is the shell):
//
//   lwIP ─► first-bytes detection (src/first_bytes_detection.h: a table)
//        ─► [guest TLS, our leaf] ─► FlowSession ─► [upstream TLS] ─► socket
//                                      │
//                                      └─ DecideRequest ─► src/request_decider
//
// The pipeline (src/session_stack.h) owns the TLS layers around a session,
// so a session sees plaintext only and never knows whether the flow is
// encrypted. A session never touches a socket, a clock or a verdict of its
// own: bytes and verdicts come in, SessionOutputs come out, in order.
//
// ## How a new protocol plugs in (PostgreSQL, MySQL, Redis, MongoDB, h2)
//
// 1. A detector entry: a `fits` function over the guest's first bytes
//    (match / no / need_more; a verdict never changes for a longer prefix)
//    and a row in kFirstBytesDetectors (src/first_bytes_detection.cpp) that
//    names it and gives its session factory. For a server-speaks-first
//    protocol (MySQL's greeting), the guest says nothing: the pipeline's
//    "who speaks first" probe dials the upstream; a session for it would be
//    chosen there from the upstream's first bytes (not done yet: such flows
//    are opaque today).
// 2. A session class: `class PostgresSession final : public FlowSession`,
//    sans-io, with its own doctest playbook like tests/unit/src/session_playbook.
//    It turns guest bytes into requests (the classifier's input) and emits
//    DecideRequest{id, request} for each; it holds the request's bytes until
//    on_verdict(id, verdict) and then emits SendToUpstream (pass) or writes
//    the protocol's own error message from verdict.reason (refuse).
// 3. A decide() call is all the session asks of the decision point: the
//    pipeline carries DecideRequest to src/request_decider (classify → mode
//    → maybe a person → audit line) and delivers the answer with
//    on_verdict(). The session never learns the mode or the profile.
//
// TLS mid-stream (PostgreSQL SSLRequest, MySQL's SSL flag, SMTP STARTTLS):
// the session answers the guest in plaintext (e.g. 'S'), then emits
// StartGuestTls; the pipeline reads the guest's next bytes as a ClientHello,
// opens TLS with our leaf (always: the flow was read in plaintext already,
// so tls.passthrough does not apply), and from then on gives the same
// session plaintext. A session that also needs the upstream encrypted says
// so with StartUpstreamTls once the upstream agreed (after its own 'S'):
// what it sent before goes in plaintext, the rest through our TLS client,
// which verifies the upstream for the ClientHello's SNI. A session that
// asks for TLS must not have been given bytes past the request that asked
// when its clients wait for an answer (PostgreSQL: it closes the flow). A
// MySQL client does not wait: its ClientHello follows the SSLRequest at
// once, so the bytes given past it go back in StartGuestTls::read_ahead and
// are read as the start of the ClientHello.
// (src/session_stack.cpp; the pipeline's playbook test drives both.)
//
// ## The session's duties (the pipeline relies on them)
//
// - Nothing reaches the upstream before a verdict passed it (invariant 1).
// - wants_guest_bytes() false stops reading from the guest (back-pressure).
// - After CloseFlow it accepts nothing more; closed() says so.
// - A verdict for an id that is not waiting (cancelled, answered) is ignored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "classifiers/classification.h"
#include "src/http/head_edits.h"
#include "src/http/http_responses.h"

namespace askfirst::database {
class RedisScriptCache;
}

namespace askfirst {

using RequestId = std::uint64_t;

// ---- what a session asks the pipeline to do (in order) ----

struct SendToUpstream { std::string bytes; };    // plaintext for the upstream; dials it on the first one
struct SendToGuest { std::string bytes; };       // plaintext for the guest
// Classify, apply the mode, maybe ask a person; answer with on_verdict(id).
// The request is what classifiers/ take (an HTTP request today; a wire
// protocol renders its statement as one, e.g. provider "postgres").
struct DecideRequest { RequestId id = 0; classifiers::HttpRequest request; };
// A database wire protocol's statement (src/database/): judged as SQL (or a
// Redis command) by the decider (src/statement_decision.h) rather than by
// classifiers::classify.
struct DatabaseStatement {
    std::string provider;            // "postgres", "mysql", "redis", "mongodb"
    std::string database;            // from the protocol's startup
    std::string user;
    std::string message;             // the protocol message: "Query", "Execute", "COM_QUERY", "command"
    std::vector<std::string> texts;  // SQL, judged as the worst of them (Redis: the command's arguments; MongoDB: the command as JSON)
    bool complete = true;            // false: judged the worst it could be
    std::string why_incomplete;      // for the question's detail when !complete
};
struct DecideStatement { RequestId id = 0; DatabaseStatement statement; };
struct CancelDecision { RequestId id = 0; };       // the guest went away: withdraw the question
// Refused before it was judged (bad framing, Host != SNI, an upstream that
// failed): already answered to the guest; the pipeline logs and audits it.
struct ProtocolRefusal { int status = 0; std::string reason; };
struct BecameOpaque {};                          // relays bytes both ways unchanged from now on
struct HalfCloseUpstream {};                     // shutdown(SHUT_WR) upstream after what was sent
struct HalfCloseGuest {};                        // FIN to the guest after what was sent
struct CloseFlow { std::string reason; };        // after what was sent, close both sides
// The guest's next bytes are a TLS ClientHello: open TLS with our leaf on
// the guest side, then keep feeding this session plaintext. `read_ahead`:
// bytes the session was given past the request that asked for TLS (already
// taken from the guest), to be read before any later guest bytes.
struct StartGuestTls { std::string read_ahead; };
// Encrypt the upstream side from now on (after the upstream agreed in plaintext).
struct StartUpstreamTls {};

using SessionOutput = std::variant<SendToUpstream, SendToGuest, DecideRequest, CancelDecision,
                                   ProtocolRefusal, BecameOpaque, HalfCloseUpstream,
                                   HalfCloseGuest, CloseFlow, StartGuestTls, StartUpstreamTls, DecideStatement>;

// Appends bytes to a session's outputs as one `Send` (SendToGuest or
// SendToUpstream), merged into the last output when it is of the same kind:
// the one rule every session follows for the bytes it hands on.
template <typename Send>
void append_send(std::vector<SessionOutput>& outputs, std::string_view bytes) {
    if (bytes.empty()) return;
    if (!outputs.empty())
        if (auto* last = std::get_if<Send>(&outputs.back())) {
            last->bytes.append(bytes);
            return;
        }
    outputs.push_back(Send{std::string(bytes)});
}

// ---- what the pipeline tells a session ----

// The decision point's answer to one DecideRequest.
struct Verdict {
    bool pass = false;
    // A refusal: one sentence for a person (a wire protocol puts it in its
    // error message), and the HTTP-shaped answer the decider rendered for
    // the request's provider (an HTTP session writes that).
    std::string reason;
    http::LocalResponse http_refusal;
    // Who can allow it and how (a wire protocol's hint line; HTTP has it in http_refusal).
    std::string how_to_allow;
    // A pass: what the credential broker changes on the way upstream (the
    // real secret in place of the stub; src/http/head_edits.h). Applied only
    // after this verdict, never before.
    http::RequestEdits edits;
};

// What a session is told when it starts.
struct SessionContext {
    std::string sni;  // the guest's TLS server name; empty for a plaintext flow
    std::size_t max_inspect_bytes = 0;
    // The guest's TLS handshake settles on ALPN h2 (tls::negotiates_h2):
    // the session inside is HTTP/2 (issue 16).
    bool guest_offers_h2 = false;
    // askfirstd's Redis scripts by SHA1 (src/database/redis_script_cache.h), for Redis flows.
    database::RedisScriptCache* redis_scripts = nullptr;
};

class FlowSession {
public:
    virtual ~FlowSession() = default;

    virtual void on_guest_bytes(std::string_view plaintext) = 0;
    virtual void on_guest_eof() = 0;
    virtual void on_upstream_bytes(std::string_view plaintext) = 0;
    // on_upstream_bytes without a copy through the outputs: when the session
    // would only forward all of `plaintext` to the guest as is (a response
    // body) and nothing waits before it, it returns plaintext.size(), emits
    // nothing, and the pipeline sends the bytes itself. Otherwise it does
    // what on_upstream_bytes does and returns 0.
    virtual std::size_t on_upstream_bytes_relayed_by_caller(std::string_view plaintext) {
        on_upstream_bytes(plaintext);
        return 0;
    }
    virtual void on_upstream_eof() = 0;
    // Connect or upstream TLS failed: what is owed becomes the protocol's error.
    virtual void on_upstream_failed(std::string_view reason) = 0;
    virtual void on_verdict(RequestId id, const Verdict& verdict) = 0;

    virtual std::vector<SessionOutput> take_outputs() = 0;
    virtual bool wants_guest_bytes() const = 0;
    virtual bool closed() const = 0;

    // HTTP/2 (src/http/http2_session.h) needs three more things of the stack:
    // several requests may await their verdict at once, and each RequestId is
    // the request's stream id (written in its audit line); the upstream TLS
    // session offers h2 in ALPN; and what that handshake negotiated is told
    // before the upstream's first plaintext.
    virtual bool multiplexed() const { return false; }
    virtual bool offers_h2_upstream() const { return false; }
    virtual void on_upstream_alpn(std::string_view protocol) { (void)protocol; }
};

}  // namespace askfirst
