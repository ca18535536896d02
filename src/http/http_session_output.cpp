// src/http/http_session_output.cpp — how the HTTP session hands its results to the
// shell: an ordered list of outputs, adjacent byte writes to the same side
// merged, and the one place that ends a flow.
#include "src/http/http_session.h"

#include <utility>

namespace askfirst::http {

std::vector<SessionOutput> HttpSession::take_outputs() {
    std::vector<SessionOutput> taken;
    taken.swap(outputs_);
    return taken;
}

void HttpSession::emit(SessionOutput output) { outputs_.push_back(std::move(output)); }

void HttpSession::emit_to_guest(std::string_view bytes) { append_send<SendToGuest>(outputs_, bytes); }

void HttpSession::emit_to_upstream(std::string_view bytes) { append_send<SendToUpstream>(outputs_, bytes); }

void HttpSession::close_flow(const std::string& reason) {
    if (closed_) return;
    if (current_.decide_emitted && current_.verdict == Verdict::pending) emit(CancelDecision{current_.id});
    closed_ = true;
    current_ = CurrentRequest{};
    current_.phase = RequestPhase::stopped;
    exchanges_.clear();
    guest_unparsed_.clear();
    guest_unparsed_offset_ = 0;
    emit(CloseFlow{reason});
}

// The guest will send no more requests (EOF, Connection: close) and every
// answer it is owed has been sent: the flow is done.
void HttpSession::maybe_close_when_drained() {
    if (closed_ || opaque_ || !exchanges_.empty()) return;
    bool no_more = current_.phase == RequestPhase::stopped ||
                   (guest_eof_ && current_.phase == RequestPhase::idle &&
                    guest_unparsed_offset_ == guest_unparsed_.size());
    if (no_more) close_flow("the guest's last request was answered");
}

HttpSession::Exchange* HttpSession::find_exchange(RequestId id) {
    for (Exchange& exchange : exchanges_) {
        if (exchange.id == id) return &exchange;
    }
    return nullptr;
}

}  // namespace askfirst::http
