// src/first_plaintext_session.cpp — the session inside TLS, chosen by the
// first plaintext (see the header).
#include "src/first_plaintext_session.h"

namespace askfirst {

FirstPlaintextSession::FirstPlaintextSession(SessionContext context, std::span<const FirstBytesDetector> detectors,
                                             SessionFactory fallback)
    : context_(std::move(context)), detectors_(detectors), fallback_(fallback) {}

void FirstPlaintextSession::choose(bool now) {
    if (chosen_) return;
    const auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(first_bytes_.data()), first_bytes_.size());
    const Detection detection = detect_first_bytes(bytes, detectors_);
    if (detection.outcome == Detection::Outcome::matched && detection.detector->make_session != nullptr)
        chosen_ = detection.detector->make_session(context_);
    else if (detection.outcome != Detection::Outcome::need_more || now || first_bytes_.size() > kMaxPlaintextDetectionBytes)
        chosen_ = fallback_(context_);
    if (!chosen_) return;
    if (!first_bytes_.empty()) chosen_->on_guest_bytes(first_bytes_);
    first_bytes_.clear();
    if (guest_eof_) chosen_->on_guest_eof();
}

void FirstPlaintextSession::on_guest_bytes(std::string_view plaintext) {
    if (chosen_) return chosen_->on_guest_bytes(plaintext);
    first_bytes_.append(plaintext);
    choose(false);
}

void FirstPlaintextSession::on_guest_eof() {
    if (chosen_) return chosen_->on_guest_eof();
    guest_eof_ = true;
    choose(true);
}

// The upstream is dialed only for a session's output, so it speaks only to a chosen session;
// should it speak first anyway, the fallback session judges what it says.
void FirstPlaintextSession::on_upstream_bytes(std::string_view plaintext) {
    choose(true);
    chosen_->on_upstream_bytes(plaintext);
}

std::size_t FirstPlaintextSession::on_upstream_bytes_relayed_by_caller(std::string_view plaintext) {
    choose(true);
    return chosen_->on_upstream_bytes_relayed_by_caller(plaintext);
}

void FirstPlaintextSession::on_upstream_eof() {
    choose(true);
    chosen_->on_upstream_eof();
}

void FirstPlaintextSession::on_upstream_failed(std::string_view reason) {
    choose(true);
    chosen_->on_upstream_failed(reason);
}

void FirstPlaintextSession::on_verdict(RequestId id, const Verdict& verdict) {
    if (chosen_) chosen_->on_verdict(id, verdict);
}

std::vector<SessionOutput> FirstPlaintextSession::take_outputs() {
    return chosen_ ? chosen_->take_outputs() : std::vector<SessionOutput>{};
}

bool FirstPlaintextSession::wants_guest_bytes() const { return chosen_ ? chosen_->wants_guest_bytes() : true; }

bool FirstPlaintextSession::closed() const { return chosen_ && chosen_->closed(); }

}  // namespace askfirst
