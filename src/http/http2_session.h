// src/http/http2_session.h — the sans-io HTTP/2 session of one flow: the
// guest speaks HTTP/2 (ALPN "h2", or the prior-knowledge preface on plain
// TCP) and every stream is one request, judged on its own exactly like an
// HTTP/1.1 request (src/http/http_session.h): same HttpRequest for the
// classifier, same DecideRequest/pass/refuse, same outputs for the shell.
//
// ## What nghttp2 does and what askfirst adds
//
// nghttp2 (Debian's libnghttp2 1.52) does the protocol: framing, HPACK,
// flow control, stream states, and most of RFC 9113 §8 (pseudo-header order
// and duplicates, required pseudo-headers, connection-specific headers, TE
// other than "trailers", content-length against DATA), plus the flood
// bounds of its options (SETTINGS entries, outbound ACKs, CONTINUATION
// frames, rapid reset). We drive two nghttp2 sessions over memory, no socket:
// a server session facing the guest and a client session facing the
// upstream, streams mapped 1:1. askfirst adds on top:
//
// - the decision: a stream's request goes upstream only after pass(id)
//   (id = the guest's stream id); its body is held meanwhile, and flow
//   control keeps the rest in the guest: a held stream's window is not
//   reopened, the other streams go on (the connection window is large);
// - the body the classifier needs (classifiers::needs_body), up to
//   max_inspect_bytes, with a connection-wide inspection budget;
// - :authority (or Host) must agree with the SNI (421 on that stream), Host
//   must agree with :authority, CONNECT is refused (400 on that stream), a
//   :method with a lower-case letter is refused (PROTOCOL_ERROR: llhttp's
//   rule on HTTP/1.1; servers that fold case would run what was not judged);
// - header fields nghttp2 only ignores (uppercase or invalid names or
//   values) refuse the stream with PROTOCOL_ERROR, as do header blocks over
//   kMaxRequestHeadBytes or kMaxHeaderCount fields (HPACK bombs);
// - every stream refused for its protocol, and every connection error, is
//   reported as a ProtocolRefusal (the shell audits it), naming the stream;
// - a refusal is a complete response on that stream (a 403 in the
//   provider's shape, or gRPC's trailers-only PERMISSION_DENIED when the
//   shell shaped it so); the connection goes on.
//
// ## Wiring (a FlowSession, src/flow_session.h; same contract as HttpSession)
//
// guest bytes -> on_guest_bytes; upstream bytes -> on_upstream_bytes; EOFs,
// on_upstream_failed, on_verdict (pass/refuse); then drain take_outputs():
// SendToGuest, SendToUpstream (the upstream connection opens on the first
// one), DecideRequest (several may be pending at once, one per stream),
// CancelDecision (the stream went away), ProtocolRefusal (already answered:
// log and audit it), CloseFlow. The upstream speaks HTTP/2 (prior knowledge
// on plain TCP; ALPN h2 over TLS) or, over TLS when the server did not choose
// h2, HTTP/1.1: the shell offers h2 upstream (offers_h2_upstream) and tells
// the session what the handshake chose (on_upstream_alpn) before the
// upstream's first plaintext; until then passed streams wait, and one empty
// SendToUpstream asks for the connection. Guest-ward back-pressure is the
// shell's: while the guest does not read what the session wrote (ACKs, WINDOW_UPDATEs,
// responses), the shell stops feeding it guest bytes (session_stack).
//
// Why nghttp2 rather than our own framing: it is Debian's, maintained,
// fuzzed upstream, and already implements HPACK and flow control correctly;
// askfirst's part is the decision and the checks listed above.
//
// ## Limits
//
// 100 concurrent streams; stream window 64 KiB, connection window 16 MiB;
// a request header block 64 KiB or 100 fields; inspected body
// max_inspect_bytes per stream and 4x that per connection; nghttp2's
// defaults for SETTINGS entries (32), queued ACKs (1000), CONTINUATION
// frames (8) and the rapid-reset limit (1000 burst, 33/s); ours for empty
// DATA and PRIORITY frames between two that make progress (100) and streams
// reset as malformed (100 per connection), both ending it with GOAWAY
// ENHANCE_YOUR_CALM. A header block
// refused for its size is read on unchecked (HPACK's state only).
//
// An upstream that speaks only HTTP/1.1 (TLS, ALPN not h2) gets the passed
// streams in turn over its one connection (no pipelining): a long response
// delays the streams passed after it. Not done: more upstream connections
// for them. Response header blocks are relayed without askfirst's checks
// (nghttp2's client-side ones apply); PUSH_PROMISE is disabled.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/http/head_edits.h"
#include "src/http/http_responses.h"
#include "src/http/http_session.h"
#include "src/http/nghttp2_handles.h"

namespace askfirst::http {

// How many streams the guest may open at once (our SETTINGS).
inline constexpr std::uint32_t kH2MaxConcurrentStreams = 100;
// Per-stream receive window: what a held stream may leave in our memory
// before the guest must wait (RFC 9113 §6.9.2 default, 65535).
inline constexpr std::int32_t kH2StreamWindow = 65535;
// Connection receive window: large, so held streams do not stall the others.
inline constexpr std::int32_t kH2ConnectionWindow = 16 * 1024 * 1024;
// A passed stream's receive window. With 64 KiB a guest's upload waits for a
// WINDOW_UPDATE every 64 KiB (a round trip through the guest's stack):
// measured with curl -T over h2 to nginx over HTTP/1.1, 31 MB/s against
// 75 MB/s for the same upload over HTTP/1.1. A passed body leaves as it
// comes (its window reopens as the upstream takes it), and all streams
// together stay within the connection window.
inline constexpr std::int32_t kH2PassedStreamWindow = 1024 * 1024;
// Inspection across all streams of a connection, in multiples of max_inspect_bytes.
inline constexpr std::size_t kH2InspectBudgetFactor = 4;

// What the upstream connection speaks. Plain TCP: HTTP/2 with prior
// knowledge (the guest chose it, so the server must speak it). TLS: unknown
// until the upstream's handshake says (ALPN), see on_upstream_protocol().
enum class UpstreamProtocol : std::uint8_t { unknown, http2, http1 };

struct Http2Config {
    std::string sni;  // the TLS server name; empty for plain HTTP/2
    std::size_t max_inspect_bytes = kDefaultMaxInspectBytes;
    UpstreamProtocol upstream = UpstreamProtocol::http2;
};

class Http2Session final : public FlowSession {
public:
    explicit Http2Session(Http2Config config);
    ~Http2Session();
    Http2Session(const Http2Session&) = delete;
    Http2Session& operator=(const Http2Session&) = delete;

    void on_guest_bytes(std::string_view bytes) override;
    void on_guest_eof() override;
    void on_upstream_bytes(std::string_view bytes) override;
    void on_upstream_eof() override;
    void on_upstream_failed(std::string_view reason) override;
    void pass(RequestId id, const RequestEdits& edits = {});
    void refuse(RequestId id, const LocalResponse& response);
    // FlowSession's verdict: pass(id), or refuse(id, verdict.http_refusal).
    void on_verdict(RequestId id, const askfirst::Verdict& verdict) override;
    bool multiplexed() const override { return true; }
    bool offers_h2_upstream() const override { return true; }
    void on_upstream_alpn(std::string_view protocol) override {
        on_upstream_protocol(protocol == "h2" ? UpstreamProtocol::http2 : UpstreamProtocol::http1);
    }
    // TLS upstreams: once their handshake is done, what ALPN chose ("h2":
    // http2, anything else: http1). Until then passed streams wait, and the
    // session asks for the connection with one empty SendToUpstream.
    void on_upstream_protocol(UpstreamProtocol protocol);

    std::vector<SessionOutput> take_outputs() override;
    bool wants_guest_bytes() const override;
    bool closed() const override { return closed_; }

    // Callbacks of the two nghttp2 sessions (public for the C trampolines only).
    struct Stream;
    using HeaderList = std::vector<std::pair<std::string, std::string>>;
    int guest_begin_headers(const nghttp2_frame& frame);
    int guest_header(std::int32_t stream_id, std::string_view name, std::string_view value);
    int guest_invalid_header(std::int32_t stream_id, std::string_view name);
    int guest_frame_recv(const nghttp2_frame& frame);
    int guest_invalid_frame(const nghttp2_frame& frame, int lib_error);
    int guest_frame_sent(const nghttp2_frame& frame);
    int guest_data_chunk(std::int32_t stream_id, std::string_view data);
    int guest_stream_close(std::int32_t stream_id);
    ssize_t guest_read_response(std::int32_t stream_id, std::uint8_t* buffer, std::size_t length,
                                std::uint32_t* flags);
    int upstream_begin_headers(const nghttp2_frame& frame);
    int upstream_header(const nghttp2_frame& frame, std::string_view name, std::string_view value);
    int upstream_frame_recv(const nghttp2_frame& frame);
    int upstream_data_chunk(std::int32_t upstream_id, std::string_view data);
    int upstream_stream_close(std::int32_t upstream_id, std::uint32_t error_code);
    ssize_t upstream_read_request(std::int32_t upstream_id, std::uint8_t* buffer, std::size_t length,
                                  std::uint32_t* flags);

private:
    Stream* find_stream(std::int32_t stream_id);
    Stream* find_by_upstream(std::int32_t upstream_id);
    void on_request_headers(Stream& stream, bool end_stream);
    void on_guest_body_end(Stream& stream);
    void submit_guest_response(Stream& stream, const HeaderList& headers, bool with_body);
    void emit_decide(Stream& stream, bool body_complete);
    void withdraw_decision(Stream& stream);
    void refuse_stream_protocol(Stream& stream, const std::string& reason);
    void answer_locally(Stream& stream, int status, const std::string& reason);
    void submit_local_response(Stream& stream, const LocalResponse& response);
    void submit_upstream_request(Stream& stream);
    void submit_h2_request(Stream& stream);
    void upstream_body_available(Stream& stream);
    std::string take_guest_body(Stream& stream, std::size_t at_most);
    std::string take_body_out(Stream& stream, std::size_t at_most);
    // http2_session_http1_upstream.cpp: streams in turn over one HTTP/1.1 connection
    void h1_send_next();
    void h1_send_body(Stream& stream);
    void h1_parse(std::string_view bytes, bool at_eof);
    void h1_response_head(Stream* stream);
    bool h1_response_step(ParseStep step);
    bool start_upstream_session();
    void fail_upstream_streams(const std::string& reason);
    // GOAWAY with goaway_code (an RFC 9113 §7 code), reported, then the flow closes.
    void connection_error(const std::string& reason, std::uint32_t goaway_code = NGHTTP2_PROTOCOL_ERROR);
    void end_if_flooding();
    // Out of line: GCC 12 warns (maybe-uninitialized, a false positive)
    // when a temporary variant is pushed inline.
    [[gnu::noinline]] void emit(SessionOutput output);
    void flush();
    bool flush_guest();
    bool flush_upstream();
    void close_flow(const std::string& reason);
    std::size_t inspected_bytes_total() const;

    Http2Config config_;
    Nghttp2Session guest_;
    Nghttp2Session upstream_;
    std::map<std::int32_t, std::unique_ptr<Stream>> streams_;  // by guest stream id
    std::map<std::int32_t, std::int32_t> guest_id_by_upstream_;
    std::string upstream_failure_;
    UpstreamProtocol upstream_protocol_ = UpstreamProtocol::http2;
    bool upstream_requested_ = false;
    std::string early_upstream_bytes_;  // arrived before on_upstream_protocol
    std::vector<std::int32_t> awaiting_upstream_;  // passed while the upstream protocol is unknown
    // The HTTP/1.1 upstream: passed streams in turn, one request at a time.
    std::deque<std::int32_t> h1_queue_;
    std::int32_t h1_current_ = 0;      // the stream whose request/response is on the wire
    bool h1_request_done_ = false;
    bool h1_chunked_ = false;
    bool h1_interim_ = false;          // a 1xx response is being skipped
    MessageParser h1_response_{MessageKind::response};
    std::string last_connection_error_;
    // Flood counters (http2_session.cpp's kMaxFramesWithoutProgress, kMaxMalformedStreams).
    std::size_t frames_without_progress_ = 0;
    std::size_t malformed_streams_ = 0;
    bool goaway_reported_ = false;
    bool guest_eof_ = false;
    bool upstream_eof_ = false;
    bool closed_ = false;
    std::vector<SessionOutput> outputs_;
};

}  // namespace askfirst::http
