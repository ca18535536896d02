// src/database/mongodb_session.cpp — the MongoDB session: messages framed by
// length and judged one at a time; refusals answered on the request's id at
// a boundary between the server's replies (see the header for the rules).
#include "src/database/mongodb_session.h"

#include <algorithm>

namespace askfirst::database {

MongodbSession::MongodbSession(MongodbSessionConfig config) : config_(config) {
    // A message must hold at least its header to be decided on.
    config_.max_inspect_bytes = std::max(config_.max_inspect_bytes, mongo::kHeaderBytes + 4);
}

std::vector<SessionOutput> MongodbSession::take_outputs() {
    std::vector<SessionOutput> taken = std::move(outputs_);
    outputs_.clear();
    return taken;
}

bool MongodbSession::wants_guest_bytes() const {
    if (closed_) return false;
    return phase_ != MessagePhase::held || guest_in_.size() - held_bytes_ < kMaxHeldGuestBytes;
}

// ---- guest side ----

void MongodbSession::on_guest_bytes(std::string_view bytes) {
    if (closed_) return;
    guest_in_.append(bytes);
    parse_guest();
}

void MongodbSession::on_guest_eof() {
    if (closed_) return;
    if (phase_ == MessagePhase::held) outputs_.push_back(CancelDecision{held_id_});
    outputs_.push_back(CloseFlow{"the guest closed its connection"});
    closed_ = true;
}

void MongodbSession::parse_guest() {
    while (!closed_ && phase_ != MessagePhase::held) {
        if (phase_ == MessagePhase::rest_forwarded || phase_ == MessagePhase::rest_dropped) {
            const std::size_t take = std::min(rest_of_message_, guest_in_.size());
            if (take == 0) break;
            if (phase_ == MessagePhase::rest_forwarded) emit_to_upstream(std::string_view(guest_in_).substr(0, take));
            guest_in_.erase(0, take);
            rest_of_message_ -= take;
            if (rest_of_message_ == 0) phase_ = MessagePhase::reading;
            continue;
        }
        const auto header = mongo::read_header(guest_in_);
        if (!header) break;
        if (header->length < mongo::kHeaderBytes || header->length > mongo::kMaxMessageBytes)
            return close_flow("askfirst refused a MongoDB message it cannot frame (length " +
                              std::to_string(header->length) + ")");
        if (header->length <= config_.max_inspect_bytes) {
            if (guest_in_.size() < header->length) break;
            rest_of_message_ = 0;
            decide(mongo::decode_client_message(std::string_view(guest_in_).substr(0, header->length)), header->length);
        } else {
            if (guest_in_.size() < config_.max_inspect_bytes) break;
            rest_of_message_ = header->length - config_.max_inspect_bytes;
            decide(mongo::describe_partial_message(std::string_view(guest_in_).substr(0, config_.max_inspect_bytes)),
                   config_.max_inspect_bytes);
        }
    }
}

// A whole message, or the start of one over the inspection limit: decided now.
void MongodbSession::decide(mongo::ClientCommand command, std::size_t held_bytes) {
    DatabaseStatement statement;
    statement.provider = "mongodb";
    statement.database = command.database;
    statement.message = command.message;
    if (command.decoded) statement.texts.push_back(command.command_json);
    statement.complete = command.decoded;
    statement.why_incomplete = command.why_not;
    held_command_ = std::move(command);
    held_bytes_ = held_bytes;
    phase_ = MessagePhase::held;
    held_id_ = next_id_++;
    outputs_.push_back(DecideStatement{held_id_, std::move(statement)});
}

void MongodbSession::on_verdict(RequestId id, const Verdict& verdict) {
    if (verdict.pass) pass(id);
    else refuse(id, verdict.reason, verdict.how_to_allow);
}

void MongodbSession::pass(RequestId id) {
    if (closed_ || phase_ != MessagePhase::held || id != held_id_) return;
    if (!held_command_.rewritten_message.empty()) emit_to_upstream(held_command_.rewritten_message);
    else emit_to_upstream(std::string_view(guest_in_).substr(0, held_bytes_));
    after_verdict(true);
}

void MongodbSession::refuse(RequestId id, std::string_view message, std::string_view hint) {
    if (closed_ || phase_ != MessagePhase::held || id != held_id_) return;
    std::string text(message);
    if (!hint.empty()) text += " (" + std::string(hint) + ")";
    if (held_command_.reply == mongo::ReplyShape::none) {
        // moreToCome: the driver reads no reply (an unacknowledged write).
        // A legacy opcode has no reply that could carry an error: say it by ending the flow.
        if (held_command_.message != "OP_MSG") {
            phase_ = MessagePhase::reading;  // answered: nothing left to withdraw
            return close_flow(text);
        }
    } else {
        refusals_.push_back(mongo::refusal_reply(held_command_.reply, next_reply_id_++, held_command_.request_id, text));
        flush_refusals_at_boundary();
    }
    after_verdict(false);
}

// The held message's start leaves the buffer; its rest (if any) follows the verdict.
void MongodbSession::after_verdict(bool passed) {
    guest_in_.erase(0, held_bytes_);
    held_bytes_ = 0;
    if (rest_of_message_ == 0) phase_ = MessagePhase::reading;
    else phase_ = passed ? MessagePhase::rest_forwarded : MessagePhase::rest_dropped;
    parse_guest();
}

// ---- server side ----

void MongodbSession::on_upstream_bytes(std::string_view bytes) {
    if (closed_) return;
    std::size_t offset = 0;
    while (offset < bytes.size()) {
        if (upstream_rest_ == 0) {  // at a boundary, or inside the next header
            flush_refusals_at_boundary();
            const std::size_t take = std::min(mongo::kHeaderBytes - upstream_header_.size(), bytes.size() - offset);
            upstream_header_.append(bytes.substr(offset, take));
            emit_to_guest(bytes.substr(offset, take));
            offset += take;
            const auto header = mongo::read_header(upstream_header_);
            if (!header) continue;
            if (header->length < mongo::kHeaderBytes || header->length > mongo::kMaxMessageBytes)
                return close_flow("the MongoDB server sent a message askfirst cannot frame");
            upstream_rest_ = header->length - mongo::kHeaderBytes;
            upstream_header_.clear();
            continue;
        }
        const std::size_t take = std::min(upstream_rest_, bytes.size() - offset);
        emit_to_guest(bytes.substr(offset, take));
        upstream_rest_ -= take;
        offset += take;
    }
    flush_refusals_at_boundary();
}

void MongodbSession::flush_refusals_at_boundary() {
    if (upstream_rest_ != 0 || !upstream_header_.empty()) return;
    while (!refusals_.empty()) {
        emit_to_guest(refusals_.front());
        refusals_.pop_front();
    }
}

void MongodbSession::on_upstream_eof() {
    if (closed_) return;
    if (phase_ == MessagePhase::held) outputs_.push_back(CancelDecision{held_id_});
    outputs_.push_back(CloseFlow{"the server closed its connection"});
    closed_ = true;
}

void MongodbSession::on_upstream_failed(std::string_view reason) {
    if (closed_) return;
    close_flow("askfirst could not reach the MongoDB server: " + std::string(reason));
}

// ---- outputs ----

void MongodbSession::emit_to_guest(std::string_view bytes) { append_send<SendToGuest>(outputs_, bytes); }

void MongodbSession::emit_to_upstream(std::string_view bytes) { append_send<SendToUpstream>(outputs_, bytes); }

void MongodbSession::close_flow(const std::string& reason) {
    if (phase_ == MessagePhase::held) outputs_.push_back(CancelDecision{held_id_});
    outputs_.push_back(CloseFlow{reason});
    closed_ = true;
}

}  // namespace askfirst::database
