// src/http/http_session.cpp — the guest side of the HTTP session: requests parsed
// one at a time, held until decided, then forwarded unchanged or dropped.
// The upstream side (responses, ordering) is in http_session_upstream.cpp,
// output plumbing in http_session_output.cpp. Interface: http_session.h.
#include "src/http/http_session.h"

#include <utility>

#include "src/http/http_request_head.h"

namespace askfirst::http {

namespace {

// While a head is being read, llhttp gets at most this much per call, so the
// head bounds are checked before a huge header value is copied (one lwIP
// window's worth).
constexpr std::size_t kHeadParseSliceBytes = 16 * 1024;

}  // namespace

HttpSession::HttpSession(SessionConfig config) : config_(std::move(config)) {}

void HttpSession::on_guest_bytes(std::string_view bytes) {
    if (closed_ || bytes.empty()) return;
    if (opaque_) {
        emit_to_upstream(bytes);
        return;
    }
    if (current_.phase == RequestPhase::stopped) return;  // nothing after the last request is read
    guest_unparsed_.append(bytes);
    parse_guest();
}

bool HttpSession::guest_parsing_halted() const {
    switch (current_.phase) {
        case RequestPhase::complete:          // waiting for its verdict
        case RequestPhase::awaiting_upgrade:  // waiting for the upstream's answer to an upgrade
        case RequestPhase::stopped:
            return true;
        default:
            return closed_ || opaque_;
    }
}

void HttpSession::parse_guest() {
    // After a boundary llhttp may reach the next one without more input (the
    // end of a bodiless request right after its head), so parse once more.
    bool at_boundary = false;
    while (!guest_parsing_halted() && (at_boundary || guest_unparsed_offset_ < guest_unparsed_.size())) {
        std::string_view input(guest_unparsed_);
        input.remove_prefix(guest_unparsed_offset_);
        if (current_.phase == RequestPhase::idle || current_.phase == RequestPhase::head) {
            input = input.substr(0, kHeadParseSliceBytes);
        }
        ParseStep step = request_parser_.parse(input);
        guest_unparsed_offset_ += step.consumed;
        if (step.boundary == Boundary::error) {
            refuse_framing(400, "request framing refused: " + request_parser_.error_reason());
            break;
        }
        route_guest_bytes(input.substr(0, step.consumed));
        at_boundary = step.boundary != Boundary::need_more;
        if (at_boundary && !guest_parsing_halted()) on_request_boundary(step.boundary);
    }
    if (guest_unparsed_offset_ == guest_unparsed_.size()) {
        guest_unparsed_.clear();
        guest_unparsed_offset_ = 0;
    } else if (guest_unparsed_offset_ > kHeadParseSliceBytes) {
        guest_unparsed_.erase(0, guest_unparsed_offset_);
        guest_unparsed_offset_ = 0;
    }
}

void HttpSession::route_guest_bytes(std::string_view bytes) {
    if (bytes.empty()) return;
    switch (current_.phase) {
        case RequestPhase::idle:
            current_.phase = RequestPhase::head;
            [[fallthrough]];
        case RequestPhase::head:
            if (auto refused = current_.head_bounds.append(bytes)) {
                refuse_framing(400, *refused);
                return;
            }
            current_.raw_head.append(bytes);
            return;
        case RequestPhase::body:
            route_request_bytes(bytes);
            if (current_.inspecting && !current_.decide_emitted) {
                std::size_t raw_cap = config_.max_inspect_bytes * kInspectRawFactor + kMaxRequestHeadBytes;
                if (request_parser_.body_overflowed() || current_.held.size() > raw_cap) {
                    maybe_emit_decide(false);
                }
            }
            return;
        case RequestPhase::trailers:
            current_.trailers.append(bytes);
            if (current_.trailers.size() > kMaxTrailerBytes) {
                refuse_framing(400, "trailer section longer than " + std::to_string(kMaxTrailerBytes) + " bytes");
            }
            return;
        default:
            return;
    }
}

// Body bytes of the current request: forwarded once passed, dropped once
// refused, held while the verdict is pending.
void HttpSession::route_request_bytes(std::string_view bytes) {
    switch (current_.verdict) {
        case Verdict::pass:
            if (!current_.body_rewriter) {
                emit_to_upstream(bytes);
            } else if (!bytes.empty()) {
                const std::string rewritten = current_.body_rewriter->rewrite(bytes);
                if (!current_.body_rewriter->failure().empty()) {
                    // The upstream has a truncated body and gets no more: it ends there
                    // (its answer, or a 502, goes to the guest); the rest of the guest's
                    // body is read and dropped, as for a refused request.
                    emit(ProtocolRefusal{502, current_.body_rewriter->failure()});
                    current_.verdict = Verdict::refuse;
                    current_.body_rewriter.reset();
                    emit(HalfCloseUpstream{});
                    return;
                }
                emit_to_upstream(rewritten);
            }
            return;
        case Verdict::refuse: return;
        case Verdict::pending: current_.held.append(bytes); return;
    }
}

void HttpSession::on_request_boundary(Boundary boundary) {
    switch (boundary) {
        case Boundary::headers_complete: on_request_head_complete(); return;
        case Boundary::trailers_begin: current_.phase = RequestPhase::trailers; return;
        case Boundary::message_complete: on_request_complete(); return;
        case Boundary::upgrade:
            if (upgrade_response_pending_) {
                current_.phase = RequestPhase::awaiting_upgrade;  // what follows may not be HTTP
            } else {
                request_parser_.resume_after_upgrade();  // the upgrade was refused: still HTTP
            }
            return;
        case Boundary::h2_preface:
            refuse_framing(400, "HTTP/2 with prior knowledge is refused: askfirst judges HTTP/1.1 only");
            return;
        default:
            return;
    }
}

void HttpSession::on_request_head_complete() {
    if (auto refused = check_request_head_lines(current_.raw_head)) {
        refuse_framing(400, *refused);
        return;
    }
    RequestHeadResult built = build_request_head(request_parser_, config_.sni);
    if (built.refusal) {
        refuse_framing(built.refusal->status, built.refusal->reason);
        return;
    }
    if (request_parser_.has_transfer_encoding() && !request_parser_.is_chunked()) {
        // llhttp refuses this too, but only after on_headers_complete: refuse
        // it before the request is judged (RFC 9112 §6.3 item 4).
        refuse_framing(400, "Transfer-Encoding whose final coding is not chunked: length unknown");
        return;
    }
    current_.id = next_id_++;
    current_.request = std::move(built.head.request);
    current_.keep_alive = request_parser_.keep_alive();
    current_.wants_upgrade = built.head.wants_upgrade;
    current_.held = std::move(current_.raw_head);
    current_.raw_head.clear();
    current_.head_bytes = current_.held.size();
    current_.phase = RequestPhase::body;

    Exchange exchange;
    exchange.id = current_.id;
    exchange.host = current_.request.host;
    exchange.head_method = current_.request.method == "HEAD";
    exchange.upgrade_request = built.head.wants_upgrade;
    if (built.head.expect_continue) {
        exchange.interim = std::string(kContinueResponse);
        exchange.own_continue_sent = true;
    }
    exchanges_.push_back(std::move(exchange));
    flush_guestward();  // our 100 Continue goes out now if nothing is before it

    bool has_body = request_parser_.has_body_framing();
    if (has_body && (classifiers::needs_body(current_.request) || body_may_name_the_target() ||
                     needs_body_to_resign(current_.request))) {
        current_.inspecting = true;
        request_parser_.inspect_body(config_.max_inspect_bytes);
    } else {
        // Judged on its head. A body it has is not in `request.body`.
        maybe_emit_decide(!has_body);
    }
}

// The tier is known from the head, but a question should name its target,
// and that may be in the body (a DynamoDB DeleteTable's TableName): when the
// head's classification names none (its detail is only the operation), read
// a body that fits the inspection limit whole before deciding (issue 14). A
// read is never asked; a body longer than the limit (or chunked, length
// unknown), or a request whose head already names its target, is judged on
// its head and streams as before.
bool HttpSession::body_may_name_the_target() const {
    if (!request_parser_.has_declared_length_at_most(config_.max_inspect_bytes)) return false;
    const classifiers::Classification on_head = classifiers::classify(current_.request);
    return on_head.tier != classifiers::Tier::read && (on_head.detail.empty() || on_head.detail == on_head.operation);
}

void HttpSession::on_request_complete() {
    if (current_.phase == RequestPhase::trailers) {
        if (auto refused = check_trailer_lines(current_.trailers)) {
            refuse_framing(400, *refused);
            return;
        }
        route_request_bytes(current_.trailers);
        current_.trailers.clear();
    }
    if (current_.inspecting) maybe_emit_decide(!request_parser_.body_overflowed());
    current_.phase = RequestPhase::complete;
    if (current_.verdict != Verdict::pending) finish_request();
}

void HttpSession::maybe_emit_decide(bool body_complete) {
    if (current_.decide_emitted) return;
    current_.decide_emitted = true;
    if (current_.inspecting) current_.request.body = request_parser_.inspected_body();
    current_.request.body_complete = body_complete;
    emit(DecideRequest{current_.id, std::move(current_.request)});
}

// The current request is complete and decided: get ready for the next one.
void HttpSession::finish_request() {
    bool keep_alive = current_.keep_alive;
    if (current_.wants_upgrade && current_.verdict == Verdict::pass) upgrade_response_pending_ = true;
    current_ = CurrentRequest{};
    if (!keep_alive) current_.phase = RequestPhase::stopped;
    maybe_close_when_drained();
}

void HttpSession::pass(RequestId id, const RequestEdits& edits) {
    if (closed_ || id != current_.id || !current_.decide_emitted || current_.verdict != Verdict::pending) return;
    if (!upstream_failure_.empty()) {
        refuse(id, LocalResponse{502, upstream_failed_json(config_.sni, upstream_failure_)});
        return;
    }
    current_.verdict = Verdict::pass;
    if (Exchange* exchange = find_exchange(id)) exchange->from = ResponseFrom::upstream;
    current_.body_rewriter = edits.body;
    if (edits.head.empty() && !edits.body) {
        emit_to_upstream(current_.held);
        wipe_string(current_.held);
    } else {
        std::string head =
            apply_head_edits(std::string_view(current_.held).substr(0, current_.head_bytes), edits.head);
        emit_to_upstream(head);
        wipe_string(head);
        std::string body = current_.held.substr(current_.head_bytes);
        wipe_string(current_.held);
        route_request_bytes(body);
        if (closed_) return;
    }
    if (current_.phase == RequestPhase::complete) finish_request();
    parse_guest();
}

void HttpSession::refuse(RequestId id, const LocalResponse& response) {
    if (closed_ || id != current_.id || !current_.decide_emitted || current_.verdict != Verdict::pending) return;
    current_.verdict = Verdict::refuse;
    current_.held.clear();
    if (Exchange* exchange = find_exchange(id)) {
        bool close = !current_.keep_alive || response.status >= 500;
        exchange->from = ResponseFrom::local;
        exchange->close_after = close;
        exchange->local_response = response_bytes(response, close ? AfterResponse::close : AfterResponse::keep_alive);
    }
    if (current_.phase == RequestPhase::complete) finish_request();
    flush_guestward();
    parse_guest();
}

// A request we will not relay because its framing or protocol cannot be
// trusted (400) or it names another host than the TLS session (421). The
// connection cannot be trusted after it either: answer in order, then close.
void HttpSession::on_verdict(RequestId id, const askfirst::Verdict& verdict) {
    if (verdict.pass) pass(id, verdict.edits);
    else refuse(id, verdict.http_refusal);
}

void HttpSession::refuse_framing(int status, const std::string& reason) {
    if (closed_) return;
    emit(ProtocolRefusal{status, reason});
    if (current_.decide_emitted && current_.verdict == Verdict::pending) emit(CancelDecision{current_.id});
    std::string body = status == 421 ? misdirected_json(reason) : bad_request_json(reason);
    std::string response = json_response(status, body, AfterResponse::close);
    Exchange* exchange = current_.id != 0 ? find_exchange(current_.id) : nullptr;
    if (exchange != nullptr && exchange->response_started) {
        close_flow("request framing refused after its response began: " + reason);
        return;
    }
    if (exchange == nullptr) {
        exchanges_.emplace_back();
        exchange = &exchanges_.back();
    }
    exchange->from = ResponseFrom::local;
    exchange->local_response = std::move(response);
    exchange->close_after = true;
    current_ = CurrentRequest{};
    current_.phase = RequestPhase::stopped;
    flush_guestward();
}

void HttpSession::on_guest_eof() {
    if (closed_ || guest_eof_) return;
    guest_eof_ = true;
    if (opaque_) {
        emit(HalfCloseUpstream{});
        if (upstream_eof_) close_flow("both sides closed");
        return;
    }
    switch (current_.phase) {
        case RequestPhase::head:
        case RequestPhase::body:
        case RequestPhase::trailers:
            close_flow("guest closed the connection in the middle of a request");
            return;
        case RequestPhase::idle:
            current_.phase = RequestPhase::stopped;
            break;
        default:
            break;  // a complete request still waits for its verdict or its answer
    }
    maybe_close_when_drained();
}

bool HttpSession::wants_guest_bytes() const {
    if (closed_) return false;
    if (opaque_) return true;
    bool waiting = guest_parsing_halted() || (current_.decide_emitted && current_.verdict == Verdict::pending);
    if (!waiting) return true;  // streaming, or inspecting (bounded by the inspection cap)
    std::size_t backlog = (guest_unparsed_.size() - guest_unparsed_offset_) + current_.held.size();
    return backlog < kMaxHeldGuestBytes;
}

}  // namespace askfirst::http
