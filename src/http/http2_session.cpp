// src/http/http2_session.cpp — the guest side of the HTTP/2 session: the
// nghttp2 server session, each stream's request built, judged and either
// submitted upstream or answered here. The upstream side (the nghttp2 client
// session, responses relayed) is in http2_session_upstream.cpp, the C
// trampolines in http2_callbacks.cpp. Interface and limits: http2_session.h.

#include "src/http/http2_session.h"

#include <algorithm>
#include <cstring>

#include "classifiers/classification.h"
#include "src/http/http2_stream.h"
#include "src/http/http_head_lines.h"
#include "src/http/http_request_head.h"

namespace askfirst::http {

namespace {

// nghttp2's flood bounds, set explicitly so that a library default changing
// under us cannot loosen them. Numbers: nghttp2 1.52's own defaults.
constexpr std::size_t kMaxSettingsEntries = 32;
constexpr std::size_t kMaxOutboundAck = 1000;
constexpr std::size_t kMaxContinuations = 8;       // CVE-2024-28182
constexpr std::uint64_t kStreamResetBurst = 1000;  // CVE-2023-44487 (rapid reset)
constexpr std::uint64_t kStreamResetRate = 33;     // per second

// Guest bytes given to nghttp2 per call (one TLS record's worth).
constexpr std::size_t kGuestSliceBytes = 16 * 1024;

// Floods nghttp2 1.52 does not bound, bounded here (GOAWAY ENHANCE_YOUR_CALM):
// - frames that make no progress, between two that do (a HEADERS, or DATA
//   with payload): DATA frames with no payload and no END_STREAM
//   (CVE-2019-9518), PRIORITY frames (CVE-2019-9513's dependency-tree
//   churn). Each costs a frame's work and no flow-control window; measured,
//   askfirstd read a 320 MiB flood of either to its end (3 s of CPU), where
//   bulk DATA costs a quarter of that. Envoy allows 1 empty frame in a row
//   and 100 PRIORITY frames per stream, nginx 4 PRIORITY frames per stream
//   it allows: 100 leaves room for a browser's priority tree and a client
//   that flushes an empty frame now and then. Other frames (WINDOW_UPDATE,
//   PING, SETTINGS) neither count nor reset the count, so interleaving them
//   does not hide a flood; they cost no more than bulk DATA (a 320 MiB
//   WINDOW_UPDATE flood: 1.4 s), and PING/SETTINGS are bounded by their
//   answers (nghttp2's kMaxOutboundAck, the shell's guest back-pressure).
constexpr std::size_t kMaxFramesWithoutProgress = 100;
// - streams we reset as malformed (PROTOCOL_ERROR), on one connection: each
//   is a request the guest made us read, refuse and audit without counting
//   toward nghttp2's rapid-reset limit (which counts the guest's resets):
//   an oversized header block on stream after stream (an HPACK bomb), or a
//   content-length that DATA contradicts ("MadeYouReset", CVE-2025-8671).
//   No client that works sends a connection's worth of them (100 streams,
//   kH2MaxConcurrentStreams).
constexpr std::size_t kMaxMalformedStreams = kH2MaxConcurrentStreams;

std::string_view verdict_name(Http2Session::Stream::Verdict verdict) {
    switch (verdict) {
        case Http2Session::Stream::Verdict::pending: return "not yet decided";
        case Http2Session::Stream::Verdict::pass: return "passed";
        case Http2Session::Stream::Verdict::refuse: return "refused";
    }
    return "";
}

// The GOAWAY code for a guest's bytes nghttp2 refused: a flood nghttp2
// bounded (more queued ACKs than kMaxOutboundAck, more CONTINUATION frames
// than kMaxContinuations) is ENHANCE_YOUR_CALM (RFC 9113 §7: "excessive
// load"), as nginx and Envoy answer them; anything else broke the protocol.
std::uint32_t goaway_code_for(int lib_error) {
    return lib_error == NGHTTP2_ERR_FLOODED || lib_error == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS ? NGHTTP2_ENHANCE_YOUR_CALM
                                                                                               : NGHTTP2_PROTOCOL_ERROR;
}

std::string stream_label(std::int32_t id) { return "HTTP/2 stream " + std::to_string(id); }

std::string_view find_header(const Http2Session::HeaderList& headers, std::string_view name) {
    for (const auto& [n, v] : headers)
        if (n == name) return v;
    return {};
}

bool has_header(const Http2Session::HeaderList& headers, std::string_view name) {
    return std::any_of(headers.begin(), headers.end(), [&](const auto& h) { return h.first == name; });
}

}  // namespace

Http2Session::Http2Session(Http2Config config)
    : config_(std::move(config)), upstream_protocol_(config_.upstream) {
    h1_response_.read_response_headers();
    Nghttp2Callbacks callbacks = new_guest_callbacks();
    Nghttp2Option option = new_nghttp2_option();
    if (!callbacks || !option) {
        close_flow("cannot allocate the HTTP/2 session");
        return;
    }
    nghttp2_option_set_no_auto_window_update(option.get(), 1);  // held bodies keep their window closed
    nghttp2_option_set_max_settings(option.get(), kMaxSettingsEntries);
    nghttp2_option_set_max_outbound_ack(option.get(), kMaxOutboundAck);
    nghttp2_option_set_max_continuations(option.get(), kMaxContinuations);
    nghttp2_option_set_stream_reset_rate_limit(option.get(), kStreamResetBurst, kStreamResetRate);
    nghttp2_session* session = nullptr;
    if (nghttp2_session_server_new2(&session, callbacks.get(), this, option.get()) != 0) {
        close_flow("cannot start the HTTP/2 session");
        return;
    }
    guest_.reset(session);
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, kH2MaxConcurrentStreams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<std::uint32_t>(kH2StreamWindow)},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<std::uint32_t>(kMaxRequestHeadBytes)},
    };
    nghttp2_submit_settings(guest_.get(), NGHTTP2_FLAG_NONE, settings, std::size(settings));
    nghttp2_session_set_local_window_size(guest_.get(), NGHTTP2_FLAG_NONE, 0, kH2ConnectionWindow);
}

Http2Session::~Http2Session() = default;

Http2Session::Stream* Http2Session::find_stream(std::int32_t stream_id) {
    auto it = streams_.find(stream_id);
    return it == streams_.end() ? nullptr : it->second.get();
}

// In slices, with a flush after each: a GOAWAY nghttp2 queued for a flood
// (rapid reset, say) is sent before the next slice, and nghttp2 then ignores
// the new streams that follow it instead of opening each one.
void Http2Session::on_guest_bytes(std::string_view bytes) {
    while (!closed_ && !bytes.empty()) {
        const std::string_view slice = bytes.substr(0, kGuestSliceBytes);
        bytes.remove_prefix(slice.size());
        const ssize_t rv = nghttp2_session_mem_recv(guest_.get(), reinterpret_cast<const std::uint8_t*>(slice.data()),
                                                    slice.size());
        if (rv < 0)
            connection_error(std::string("HTTP/2 from the guest refused: ") + nghttp2_strerror(static_cast<int>(rv)),
                             goaway_code_for(static_cast<int>(rv)));
        flush();
        end_if_flooding();
    }
}

// Counted in the callbacks, acted on here: the GOAWAY cannot be sent from
// inside nghttp2_session_mem_recv.
void Http2Session::end_if_flooding() {
    if (closed_) return;
    if (frames_without_progress_ > kMaxFramesWithoutProgress) {
        connection_error("HTTP/2 from the guest refused: more than " + std::to_string(kMaxFramesWithoutProgress) +
                             " empty DATA or PRIORITY frames without a request or body between them (a flood, "
                             "CVE-2019-9518, CVE-2019-9513)",
                         NGHTTP2_ENHANCE_YOUR_CALM);
    } else if (malformed_streams_ > kMaxMalformedStreams) {
        connection_error("HTTP/2 from the guest refused: more than " + std::to_string(kMaxMalformedStreams) +
                             " malformed streams on one connection",
                         NGHTTP2_ENHANCE_YOUR_CALM);
    }
}

void Http2Session::on_guest_eof() {
    if (closed_) return;
    guest_eof_ = true;
    flush();
}

bool Http2Session::wants_guest_bytes() const { return !closed_; }

// ---- the guest's streams ----

int Http2Session::guest_begin_headers(const nghttp2_frame& frame) {
    const std::int32_t id = frame.hd.stream_id;
    if (frame.headers.cat == NGHTTP2_HCAT_REQUEST) {
        auto stream = std::make_unique<Stream>();
        stream->id = id;
        streams_[id] = std::move(stream);
    } else if (Stream* stream = find_stream(id)) {
        stream->in_trailers = true;
    }
    return 0;
}

// A stream refused while its header block is being read says so to nghttp2
// (NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE): nghttp2 then only decodes the rest
// of the block for HPACK's sake, without checking or handing us its fields.
// Returning 0 instead let it check every field of the block, each reference
// to a large indexed field costing a scan of its value: one 16 KiB HEADERS
// frame of 1-byte references to a 4 KB field cost 64 MB of scanning (an
// HPACK bomb, measured 1 s of CPU per MiB the guest sent, and the one event
// loop of askfirstd busy meanwhile). nghttp2 resets the stream for it with
// INTERNAL_ERROR only if we did not reset it first: ours (PROTOCOL_ERROR)
// was submitted by refuse_stream_protocol, so the guest sees that one.
int Http2Session::guest_header(std::int32_t stream_id, std::string_view name, std::string_view value) {
    Stream* stream = find_stream(stream_id);
    if (stream == nullptr) return 0;
    if (stream->header_refused) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    // RFC 9113 §6.5.2's accounting: name, value and 32 bytes per field.
    stream->header_bytes += name.size() + value.size() + 32;
    if (++stream->header_fields > kMaxHeaderCount || stream->header_bytes > kMaxRequestHeadBytes) {
        refuse_stream_protocol(*stream, "header block over " + std::to_string(kMaxRequestHeadBytes) + " bytes or " +
                                            std::to_string(kMaxHeaderCount) + " fields");
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    if (stream->in_trailers) {
        if (auto refused = refused_trailer_field(name)) {
            refuse_stream_protocol(*stream, *refused);
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        }
    }
    (stream->in_trailers ? stream->request_trailers : stream->request_headers).emplace_back(name, value);
    return 0;
}

// nghttp2 drops a field whose name or value breaks RFC 9113 §8.2.1 (an
// uppercase or invalid name, a value with NUL/CR/LF or edge whitespace) and
// goes on with the rest: we refuse the whole stream instead (the request
// would otherwise be judged without a field the guest meant to send), and
// nghttp2 reads the rest of the block unchecked (guest_header says why: the
// invalid fields are not counted there, so without this a block of
// references to a large invalid field was an HPACK bomb of its own).
int Http2Session::guest_invalid_header(std::int32_t stream_id, std::string_view name) {
    Stream* stream = find_stream(stream_id);
    if (stream == nullptr) return 0;
    if (stream->header_refused) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    std::string shown;
    for (char c : name.substr(0, 64)) shown += (c >= 0x21 && c <= 0x7e && c != '"' && c != '\\') ? c : '?';
    refuse_stream_protocol(*stream, "header field '" + shown + "' is not valid HTTP/2 (RFC 9113 §8.2.1)");
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
}

int Http2Session::guest_frame_recv(const nghttp2_frame& frame) {
    const bool end_stream = (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (frame.hd.type == NGHTTP2_HEADERS) {
        frames_without_progress_ = 0;
    } else if (frame.hd.type == NGHTTP2_DATA) {
        const bool has_payload = frame.hd.length > frame.data.padlen;  // padlen counts the Pad Length field too
        if (has_payload) frames_without_progress_ = 0;
        else if (!end_stream) ++frames_without_progress_;
    } else if (frame.hd.type == NGHTTP2_PRIORITY) {
        ++frames_without_progress_;
    }
    Stream* stream = find_stream(frame.hd.stream_id);
    if (stream == nullptr || stream->header_refused) return 0;
    if (frame.hd.type == NGHTTP2_HEADERS && frame.headers.cat == NGHTTP2_HCAT_REQUEST) {
        on_request_headers(*stream, end_stream);
    } else if ((frame.hd.type == NGHTTP2_HEADERS || frame.hd.type == NGHTTP2_DATA) && end_stream) {
        on_guest_body_end(*stream);
    }
    return 0;
}

// A frame nghttp2 refused: for a stream, it has sent RST_STREAM
// PROTOCOL_ERROR (RFC 9113 §8.1.1 malformed messages); we report it.
int Http2Session::guest_invalid_frame(const nghttp2_frame& frame, int lib_error) {
    if (frame.hd.stream_id == 0) return 0;  // connection errors end in GOAWAY: reported when it is sent
    Stream* stream = find_stream(frame.hd.stream_id);
    if (stream != nullptr) {
        if (stream->header_refused) return 0;
        stream->header_refused = true;
        withdraw_decision(*stream);
    }
    emit(ProtocolRefusal{400, stream_label(frame.hd.stream_id) + " refused with PROTOCOL_ERROR: " +
                                                nghttp2_strerror(lib_error)});
    return 0;
}

int Http2Session::guest_frame_sent(const nghttp2_frame& frame) {
    // nghttp2 resets some malformed streams without an invalid-frame callback
    // (content-length disagreeing with DATA): report those here.
    Stream* sent_on = find_stream(frame.hd.stream_id);
    // Counted toward kMaxMalformedStreams, except a body cut short after our answer (below).
    if (frame.hd.type == NGHTTP2_RST_STREAM && frame.rst_stream.error_code == NGHTTP2_PROTOCOL_ERROR &&
        !(sent_on != nullptr && sent_on->verdict == Stream::Verdict::refuse && sent_on->answered))
        ++malformed_streams_;
    // No RST_STREAM NO_ERROR after our complete answer to a request still
    // sending its body (RFC 9113 §8.1 allows it): curl 7.88 then reports the
    // request failed. Its body is drained and dropped instead; curl may end
    // it short, which nghttp2 resets as malformed: not reported below, the
    // request was already answered and audited.
    if (frame.hd.type == NGHTTP2_RST_STREAM && frame.rst_stream.error_code == NGHTTP2_PROTOCOL_ERROR) {
        Stream* stream = sent_on;
        // A stream already answered by askfirst (refused, or a 502) needs no second word.
        if (stream != nullptr && !stream->header_refused && !(stream->verdict == Stream::Verdict::refuse && stream->answered)) {
            stream->header_refused = true;
            withdraw_decision(*stream);
            emit(ProtocolRefusal{400, stream_label(stream->id) + " (" + stream->request.method + " " +
                                                        stream->request.path + ", " + std::string(verdict_name(stream->verdict)) +
                                                        ") refused with PROTOCOL_ERROR: malformed message "
                                                        "(RFC 9113 §8.1.1, e.g. content-length disagreeing with DATA)"});
        }
    }
    if (frame.hd.type == NGHTTP2_GOAWAY && frame.goaway.error_code != NGHTTP2_NO_ERROR && !goaway_reported_) {
        goaway_reported_ = true;
        emit(ProtocolRefusal{
            400, "HTTP/2 connection ended with GOAWAY " +
                     std::string(nghttp2_http2_strerror(frame.goaway.error_code)) +
                     (last_connection_error_.empty() ? "" : ": " + last_connection_error_)});
    }
    return 0;
}

void Http2Session::on_request_headers(Stream& stream, bool end_stream) {
    stream.guest_ended = end_stream;
    const std::string_view method = find_header(stream.request_headers, ":method");
    // Methods are case-sensitive (RFC 9110 §9.1) and every registered one is
    // upper case; llhttp refuses others on HTTP/1.1. nghttp2 takes any token,
    // and servers that fold case (Express, Werkzeug) run "delete" as the
    // DELETE that the classifiers, matching exactly, judged unknown: a write.
    if (std::any_of(method.begin(), method.end(), [](char c) { return c >= 'a' && c <= 'z'; })) {
        refuse_stream_protocol(stream, ":method '" + std::string(method.substr(0, 32)) +
                                           "' is not upper case: servers that fold case would run another method "
                                           "than the one judged");
        return;
    }
    if (method == "CONNECT") {
        answer_locally(stream, 400, "CONNECT is refused: askfirst judges HTTP requests, not tunnels");
        return;
    }
    const std::string_view authority = find_header(stream.request_headers, ":authority");
    const std::string_view host_header = find_header(stream.request_headers, "host");
    if (authority.empty() && host_header.empty()) {
        refuse_stream_protocol(stream, "request has neither :authority nor Host (RFC 9113 §8.3.1)");
        return;
    }
    auto host = normalize_host(authority.empty() ? host_header : authority);
    if (!host) {
        refuse_stream_protocol(stream, ":authority is not a valid host[:port]");
        return;
    }
    if (!authority.empty() && has_header(stream.request_headers, "host") && normalize_host(host_header) != host) {
        refuse_stream_protocol(stream, "Host names another host than :authority (RFC 9113 §8.3.1)");
        return;
    }
    if (!config_.sni.empty() && !classifiers::equals_ignoring_ascii_case(*host, config_.sni)) {
        answer_locally(stream, 421, "Host '" + *host + "' does not match the TLS server name '" + config_.sni +
                                        "'; open a new connection for that host");
        return;
    }
    classifiers::HttpRequest& request = stream.request;
    request.method = std::string(method);
    request.host = std::move(*host);
    const std::string_view target = find_header(stream.request_headers, ":path");
    const std::size_t question = target.find('?');
    request.path = std::string(target.substr(0, question));
    request.query = question == std::string_view::npos ? "" : std::string(target.substr(question + 1));
    for (const auto& [name, value] : stream.request_headers)
        if (!name.starts_with(':')) request.headers.push_back({name, value});
    if (auto repeated = repeated_single_value_field(request.headers)) {
        refuse_stream_protocol(stream, "more than one " + *repeated + " header: servers differ on which one counts");
        return;
    }
    // The judged view carries the Host an HTTP/1.1 request would: :authority
    // (RFC 9113 §8.3.1), which is what a SigV4 signer signs as `host`.
    if (!authority.empty() && !has_header(stream.request_headers, "host"))
        request.headers.push_back({"host", std::string(authority)});
    // Expect: 100-continue is answered here at once, as the HTTP/1.1 session
    // does: the body is needed to judge or to hold it. The upstream's own 100
    // is not relayed (interim responses never are).
    if (!end_stream && classifiers::equals_ignoring_ascii_case(request.header("expect"), "100-continue")) {
        const nghttp2_nv interim{const_cast<std::uint8_t*>(reinterpret_cast<const std::uint8_t*>(":status")),
                                 const_cast<std::uint8_t*>(reinterpret_cast<const std::uint8_t*>("100")), 7, 3,
                                 NGHTTP2_NV_FLAG_NONE};
        nghttp2_submit_headers(guest_.get(), NGHTTP2_FLAG_NONE, stream.id, nullptr, &interim, 1, nullptr);
    }
    if (!end_stream && classifiers::needs_body(request)) {
        stream.inspecting = true;
        return;
    }
    emit_decide(stream, end_stream);  // judged on its head; a body it has is not in `request.body`
}

// A stream going away (reset, refused for its protocol) while its question
// is open: withdrawn once, and no verdict applies to it any more.
void Http2Session::withdraw_decision(Stream& stream) {
    if (!stream.decide_emitted || stream.verdict != Stream::Verdict::pending) return;
    stream.verdict = Stream::Verdict::refuse;
    emit(CancelDecision{static_cast<RequestId>(stream.id)});
}

void Http2Session::emit_decide(Stream& stream, bool body_complete) {
    if (stream.decide_emitted) return;
    stream.decide_emitted = true;
    classifiers::HttpRequest request = stream.request;
    if (stream.inspecting) request.body = stream.body_out.substr(0, stream.inspected);
    request.body_complete = body_complete;
    emit(DecideRequest{static_cast<RequestId>(stream.id), std::move(request)});
}

int Http2Session::guest_data_chunk(std::int32_t stream_id, std::string_view data) {
    Stream* stream = find_stream(stream_id);
    if (stream == nullptr || stream->header_refused || stream->verdict == Stream::Verdict::refuse) {
        nghttp2_session_consume(guest_.get(), stream_id, data.size());  // dropped: reopen the window
        return 0;
    }
    stream->body_out.append(data);
    if (stream->inspecting && !stream->decide_emitted) {
        const std::size_t total = inspected_bytes_total();
        const std::size_t budget = config_.max_inspect_bytes * kH2InspectBudgetFactor;
        std::size_t room = config_.max_inspect_bytes - std::min(stream->inspected, config_.max_inspect_bytes);
        room = std::min(room, budget - std::min(total, budget));
        const std::size_t taken = std::min(room, data.size());
        stream->inspected += taken;
        stream->body_out_consumed += taken;
        nghttp2_session_consume(guest_.get(), stream_id, taken);
        if (taken < data.size()) emit_decide(*stream, false);  // too large to inspect: judged as the worst
    }
    upstream_body_available(*stream);
    return 0;
}

void Http2Session::on_guest_body_end(Stream& stream) {
    stream.guest_ended = true;
    if (stream.inspecting) emit_decide(stream, true);
    upstream_body_available(stream);
}

std::size_t Http2Session::inspected_bytes_total() const {
    std::size_t total = 0;
    for (const auto& [id, stream] : streams_)
        if (stream->inspecting && !stream->decide_emitted) total += stream->inspected;
    return total;
}

int Http2Session::guest_stream_close(std::int32_t stream_id) {
    Stream* stream = find_stream(stream_id);
    if (stream == nullptr) return 0;
    withdraw_decision(*stream);
    if (stream->upstream_id > 0) {
        if (upstream_ && !stream->upstream_closed)
            nghttp2_submit_rst_stream(upstream_.get(), NGHTTP2_FLAG_NONE, stream->upstream_id, NGHTTP2_CANCEL);
        guest_id_by_upstream_.erase(stream->upstream_id);
    }
    const bool h1_upload_cut = stream_id == h1_current_ && !h1_request_done_;
    streams_.erase(stream_id);
    // An HTTP/1.1 request cannot be withdrawn half sent: that connection is done.
    if (h1_upload_cut) fail_upstream_streams("the guest reset a stream in the middle of its upload to an HTTP/1.1 upstream");
    return 0;
}

// ---- verdicts ----

void Http2Session::pass(RequestId id, const RequestEdits& edits) {
    Stream* stream = find_stream(static_cast<std::int32_t>(id));
    if (closed_ || stream == nullptr || !stream->decide_emitted || stream->verdict != Stream::Verdict::pending) return;
    stream->verdict = Stream::Verdict::pass;
    if (!upstream_failure_.empty()) {
        answer_locally(*stream, 502, upstream_failure_);
    } else {
        // A body rewritten as it streams (an aws-chunked upload re-signed with
        // the real key): every byte of it goes through the rewriter (take_body_out).
        stream->body_rewriter = edits.body;
        // The credential broker's edits (src/http/head_edits.h), after the decision only.
        apply_field_edits(stream->request_headers, edits.head);
        for (const HeadEdit& edit : edits.head) {
            std::string name = edit.kind == HeadEdit::Kind::replace_in_target ? ":path" : edit.header;
            for (char& c : name) c = classifiers::ascii_lower(c);
            stream->secret_fields.push_back(std::move(name));
        }
        // Passed: its body now only streams through, so its window widens
        // (kH2PassedStreamWindow says why and what bounds it).
        nghttp2_session_set_local_window_size(guest_.get(), NGHTTP2_FLAG_NONE, stream->id, kH2PassedStreamWindow);
        submit_upstream_request(*stream);
    }
    flush();
}

void Http2Session::on_verdict(RequestId id, const askfirst::Verdict& verdict) {
    if (verdict.pass) pass(id, verdict.edits);
    else refuse(id, verdict.http_refusal);
}

void Http2Session::refuse(RequestId id, const LocalResponse& response) {
    Stream* stream = find_stream(static_cast<std::int32_t>(id));
    if (closed_ || stream == nullptr || !stream->decide_emitted || stream->verdict != Stream::Verdict::pending) return;
    stream->verdict = Stream::Verdict::refuse;
    submit_local_response(*stream, response);
    flush();
}

// Refused before it was judged (or instead of reaching a failed upstream):
// answered on its stream, reported for the audit, the connection goes on.
void Http2Session::answer_locally(Stream& stream, int status, const std::string& reason) {
    emit(ProtocolRefusal{status, status == 502 ? reason : stream_label(stream.id) + ": " + reason});
    withdraw_decision(stream);
    stream.verdict = Stream::Verdict::refuse;
    std::string body = status == 421   ? misdirected_json(reason)
                       : status == 502 ? upstream_failed_json(stream.request.host, reason)
                                       : bad_request_json(reason);
    submit_local_response(stream, LocalResponse{status, std::move(body)});
}

// A malformed request (RFC 9113 §8.1.1): RST_STREAM PROTOCOL_ERROR, reported.
void Http2Session::refuse_stream_protocol(Stream& stream, const std::string& reason) {
    stream.header_refused = true;
    withdraw_decision(stream);
    nghttp2_submit_rst_stream(guest_.get(), NGHTTP2_FLAG_NONE, stream.id, NGHTTP2_PROTOCOL_ERROR);
    emit(ProtocolRefusal{400, stream_label(stream.id) + " refused with PROTOCOL_ERROR: " + reason});
}

void Http2Session::submit_local_response(Stream& stream, const LocalResponse& response) {
    // What the guest sent of a body it will not need: dropped, window reopened.
    const std::size_t unconsumed = stream.body_out.size() - stream.body_out_consumed;
    if (unconsumed > 0) nghttp2_session_consume(guest_.get(), stream.id, unconsumed);
    stream.body_out.clear();
    stream.body_out_consumed = 0;
    stream.response_body = response.body;
    if (response.final_newline) stream.response_body += '\n';
    stream.response_ended = true;
    stream.answered = true;
    HeaderList headers{{":status", std::to_string(response.status)}, {"content-type", response.content_type}};
    if (!stream.response_body.empty()) headers.emplace_back("content-length", std::to_string(stream.response_body.size()));
    headers.emplace_back("cache-control", "no-store");
    for (auto& field : h2_fields_of(response.extra_headers)) headers.push_back(std::move(field));
    submit_guest_response(stream, headers, !stream.response_body.empty());
}

// ---- output ----

void Http2Session::emit(SessionOutput output) { outputs_.push_back(std::move(output)); }

std::vector<SessionOutput> Http2Session::take_outputs() {
    std::vector<SessionOutput> taken;
    taken.swap(outputs_);
    return taken;
}

void Http2Session::connection_error(const std::string& reason, std::uint32_t goaway_code) {
    if (closed_) return;
    last_connection_error_ = reason;
    nghttp2_session_terminate_session(guest_.get(), goaway_code);
    if (!goaway_reported_) {
        goaway_reported_ = true;
        emit(ProtocolRefusal{400, reason});
    }
    flush_guest();
    close_flow(reason);
}

void Http2Session::close_flow(const std::string& reason) {
    if (closed_) return;
    for (const auto& [id, stream] : streams_)
        if (stream->decide_emitted && stream->verdict == Stream::Verdict::pending)
            emit(CancelDecision{static_cast<RequestId>(id)});
    closed_ = true;
    emit(CloseFlow{reason});
}

bool Http2Session::flush_guest() {
    if (!guest_) return false;
    std::string out;
    for (;;) {
        const std::uint8_t* data = nullptr;
        const ssize_t n = nghttp2_session_mem_send(guest_.get(), &data);
        if (n <= 0) break;
        out.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
    }
    if (out.empty()) return false;
    emit(SendToGuest{std::move(out)});
    return true;
}

bool Http2Session::flush_upstream() {
    if (!upstream_) return false;
    std::string out;
    for (;;) {
        const std::uint8_t* data = nullptr;
        const ssize_t n = nghttp2_session_mem_send(upstream_.get(), &data);
        if (n <= 0) break;
        append_wiping(out, std::string_view(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n)));
        // A HEADERS frame may carry a real credential: nghttp2 never reads a
        // frame's bytes again once mem_send returned them (the next call
        // resets its frame buffer), so they are wiped where they lie.
        wipe_bytes(const_cast<std::uint8_t*>(data), static_cast<std::size_t>(n));
    }
    if (out.empty()) return false;
    emit(SendToUpstream{std::move(out)});
    return true;
}

// Sending on one side can free window on the other (a body copied upstream
// reopens the guest's window), so both are drained until neither moves.
void Http2Session::flush() {
    if (closed_) return;
    bool moved = true;
    while (moved) {
        const bool guest_moved = flush_guest();
        const bool upstream_moved = flush_upstream();
        moved = guest_moved || upstream_moved;
    }
    if (!nghttp2_session_want_read(guest_.get()) && !nghttp2_session_want_write(guest_.get())) {
        close_flow(last_connection_error_.empty() ? "HTTP/2 session ended" : last_connection_error_);
    } else if (guest_eof_ && streams_.empty()) {
        close_flow("guest closed the connection");
    }
}

}  // namespace askfirst::http
