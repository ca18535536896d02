// src/http/http_session_upstream.cpp — the upstream side of the HTTP session:
// responses parsed only to find where each ends (bytes relayed unchanged),
// and the guest-ward queue that keeps answers in request order whether they
// come from the upstream or from askfirstd (403, 400, 421, 502).
#include "src/http/http_session.h"

namespace askfirst::http {

void HttpSession::on_upstream_bytes(std::string_view bytes) {
    if (closed_ || bytes.empty()) return;
    if (opaque_) {
        emit_to_guest(bytes);
        return;
    }
    parse_upstream(bytes);
}

std::size_t HttpSession::on_upstream_bytes_relayed_by_caller(std::string_view bytes) {
    if (closed_ || bytes.empty()) return 0;
    if (!outputs_.empty() || !(opaque_ || relaying_response_body())) {
        on_upstream_bytes(bytes);
        return 0;
    }
    if (opaque_) return bytes.size();
    const ParseStep step = response_parser_.parse(bytes);
    if (step.boundary == Boundary::need_more && step.consumed == bytes.size()) return bytes.size();
    parse_upstream(bytes, &step);  // the body ends (or breaks) within these bytes: the usual way
    return 0;
}

// Bytes that route_upstream_segment would pass to the guest unchanged: the
// body of a response from the upstream whose head already went out.
bool HttpSession::relaying_response_body() const {
    return !response_in_head_ && !response_swallowed_ && !exchanges_.empty() &&
           exchanges_.front().from == ResponseFrom::upstream && exchanges_.front().response_started;
}

void HttpSession::parse_upstream(std::string_view input, const ParseStep* first_step) {
    bool at_boundary = false;  // as in parse_guest: a boundary may need no more input
    while ((at_boundary || !input.empty()) && !closed_ && !opaque_) {
        if (exchanges_.empty() || exchanges_.front().from != ResponseFrom::upstream) {
            if (input.empty()) return;
            close_flow("upstream sent bytes that no passed request asked for");
            return;
        }
        ParseStep step;
        if (first_step != nullptr) {
            step = *first_step;
            first_step = nullptr;
        } else {
            response_parser_.set_response_to_head(exchanges_.front().head_method);
            step = response_parser_.parse(input);
        }
        std::string_view segment = input.substr(0, step.consumed);
        input.remove_prefix(step.consumed);
        if (step.boundary == Boundary::error || step.boundary == Boundary::upgrade ||
            step.boundary == Boundary::h2_preface) {
            upstream_protocol_error("upstream response framing: " + response_parser_.error_reason());
            return;
        }
        at_boundary = step.boundary != Boundary::need_more;
        if (!route_upstream_segment(segment, step.boundary)) return;
        if (step.boundary == Boundary::message_complete) on_response_complete();
    }
    if (opaque_ && !input.empty()) emit_to_guest(input);  // after a 101: the new protocol
}

// Head bytes are kept until the head is complete (so our own 100's duplicate
// can be dropped whole); body bytes go straight to the guest.
bool HttpSession::route_upstream_segment(std::string_view bytes, Boundary boundary) {
    Exchange& exchange = exchanges_.front();
    if (!response_in_head_) {
        if (!response_swallowed_) emit_to_guest(bytes);
        return true;
    }
    response_head_.append(bytes);
    if (response_head_.size() > kMaxResponseHeadBytes) {
        upstream_protocol_error("upstream response head longer than " + std::to_string(kMaxResponseHeadBytes) +
                                " bytes");
        return false;
    }
    if (boundary != Boundary::headers_complete) return true;
    response_in_head_ = false;
    if (response_parser_.status_code() == 101 && !exchange.upgrade_request) {
        upstream_protocol_error("upstream switched protocols for a request that asked for no upgrade");
        return false;
    }
    response_swallowed_ = response_parser_.status_code() == 100 && exchange.own_continue_sent;
    if (!response_swallowed_) {
        emit_to_guest(response_head_);
        exchange.response_started = true;
    }
    response_head_.clear();
    return true;
}

void HttpSession::on_response_complete() {
    int status = response_parser_.status_code();
    response_in_head_ = true;
    response_swallowed_ = false;
    if (status / 100 == 1 && status != 101) return;  // interim: the final response follows
    Exchange exchange = std::move(exchanges_.front());
    exchanges_.pop_front();
    if (status == 101) {  // only reached for an upgrade request (route_upstream_segment)
        start_opaque();
        return;
    }
    if (exchange.upgrade_request && upgrade_response_pending_) {
        upgrade_response_pending_ = false;  // refused upstream: the connection stays HTTP
        if (current_.phase == RequestPhase::awaiting_upgrade) current_.phase = RequestPhase::idle;
    }
    if (!response_parser_.keep_alive()) {
        // The response says the connection ends here; the guest expects nothing after it.
        close_flow("upstream ended the connection after its response");
        return;
    }
    flush_guestward();
    parse_guest();
}

void HttpSession::start_opaque() {
    opaque_ = true;
    emit(BecameOpaque{});
    std::string_view rest(guest_unparsed_);
    rest.remove_prefix(guest_unparsed_offset_);
    emit_to_upstream(rest);  // the guest may have sent the new protocol right after its request
    guest_unparsed_.clear();
    guest_unparsed_offset_ = 0;
    if (guest_eof_) emit(HalfCloseUpstream{});
    if (upstream_eof_) emit(HalfCloseGuest{});
}

// The upstream broke HTTP: if the guest has seen nothing of the answer yet it
// gets a 502, otherwise the connection just ends (what a client expects of a
// server that breaks off).
void HttpSession::upstream_protocol_error(const std::string& reason) {
    emit(ProtocolRefusal{502, reason});
    answer_first_unanswered(502, upstream_failed_json(config_.sni, reason));
}

void HttpSession::answer_first_unanswered(int status, const std::string& json_body) {
    for (auto it = exchanges_.begin(); it != exchanges_.end(); ++it) {
        if (it->from != ResponseFrom::upstream) continue;
        if (it->response_started) {
            close_flow("upstream failed in the middle of a response");
            return;
        }
        it->from = ResponseFrom::local;
        it->close_after = true;
        it->local_response = json_response(status, json_body, AfterResponse::close);
        exchanges_.erase(it + 1, exchanges_.end());
        if (current_.decide_emitted && current_.verdict == Verdict::pending) emit(CancelDecision{current_.id});
        current_ = CurrentRequest{};
        current_.phase = RequestPhase::stopped;
        flush_guestward();
        return;
    }
}

void HttpSession::on_upstream_eof() {
    if (closed_ || upstream_eof_) return;
    upstream_eof_ = true;
    if (opaque_) {
        emit(HalfCloseGuest{});
        if (guest_eof_) close_flow("both sides closed");
        return;
    }
    if (!exchanges_.empty() && exchanges_.front().from == ResponseFrom::upstream) {
        ParseStep step = response_parser_.finish();  // ends a close-delimited body
        if (step.boundary == Boundary::message_complete && !response_in_head_) {
            on_response_complete();
            return;
        }
        std::string reason = "upstream closed the connection before it answered";
        emit(ProtocolRefusal{502, reason});
        answer_first_unanswered(502, upstream_failed_json(config_.sni, reason));
        return;
    }
    // Nothing is owed by the upstream. A request still being decided would
    // have nowhere to go: the flow ends, as when a server closes a keep-alive
    // connection; the client retries on a new one.
    close_flow("upstream closed the connection");
}

void HttpSession::on_upstream_failed(std::string_view reason) {
    if (closed_) return;
    upstream_failure_ = std::string(reason);
    emit(ProtocolRefusal{502, upstream_failure_});
    for (const Exchange& exchange : exchanges_) {
        if (exchange.from == ResponseFrom::upstream) {
            answer_first_unanswered(502, upstream_failed_json(exchange.host, upstream_failure_));
            return;
        }
    }
}

// Sends what is ready at the head of the guest-ward queue, in order.
void HttpSession::flush_guestward() {
    while (!closed_ && !exchanges_.empty()) {
        Exchange& exchange = exchanges_.front();
        if (!exchange.interim.empty()) {
            emit_to_guest(exchange.interim);
            exchange.interim.clear();
        }
        if (exchange.from != ResponseFrom::local) break;  // undecided, or the upstream answers it
        emit_to_guest(exchange.local_response);
        bool close = exchange.close_after;
        exchanges_.pop_front();
        if (close) {
            close_flow("askfirstd answered and closed the connection");
            return;
        }
    }
    maybe_close_when_drained();
}

}  // namespace askfirst::http
