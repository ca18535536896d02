// src/database/mongodb_session.h — the sans-io MongoDB session of one flow:
// every message the guest sends is framed by its length, its command decoded
// (src/database/mongodb_wire.h) and handed out to be judged before a byte of
// it reaches the server; a refused command is answered with an error document
// {ok: 0, code: 13, codeName: "Unauthorized", errmsg: askfirst's sentence} on
// the request's own requestID (responseTo), so the driver raises it as an
// OperationFailure that prints the sentence and the connection stays usable.
// A FlowSession (src/flow_session.h) made by the "mongodb" row of the
// first-bytes detector table (mongo::detect_first_message).
//
// ## What is decided
//
// - OP_MSG: the body section (kind 0) with its document sequences (kind 1)
//   folded in, as JSON: DecideStatement with provider "mongodb", database
//   $db, `texts` = {that JSON}; classifiers/mongodb_commands.h judges it.
// - OP_QUERY: the command on "<db>.$cmd" (the legacy hello/isMaster
//   handshake), or a legacy find on a collection.
// - A handshake (hello / isMaster) that offers compressors passes without
//   the offer (mongo::decode_client_message), so the driver never
//   compresses; a client that sends OP_COMPRESSED anyway meets the next rule.
// - OP_COMPRESSED, the legacy write opcodes (OP_INSERT, OP_UPDATE,
//   OP_DELETE) and anything askfirst cannot decode are never passed unread:
//   judged the worst they could be (destructive), so a mode that stops
//   destructive operations refuses them.
//
// ## How a refusal is answered
//
// The refused message never reaches the server. The reply is written to the
// guest at the next boundary between the server's messages (they are framed
// by length too), so it never cuts into a server reply. A message with
// moreToCome set (an unacknowledged write) expects no reply and gets none; a
// refused legacy opcode, which has no reply to carry an error, ends the flow.
//
// ## Limits
//
// A message is kept whole up to max_inspect_bytes; a longer one is decided
// on its header alone, as the worst it could be, and its rest relayed only
// after a pass. A length over mongod's 48 MB maxMessageSizeBytes, or under a
// header, cannot be framed: the flow ends. While a message is held, up to
// kMaxHeldGuestBytes of later guest bytes are kept, then wants_guest_bytes()
// turns false.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "src/database/mongodb_wire.h"
#include "src/database/postgres_session.h"  // kDefaultMaxInspectBytes, kMaxHeldGuestBytes
#include "src/flow_session.h"

namespace askfirst::database {

struct MongodbSessionConfig {
    std::size_t max_inspect_bytes = kDefaultMaxInspectBytes;
};

class MongodbSession final : public FlowSession {
public:
    explicit MongodbSession(MongodbSessionConfig config = {});

    void on_guest_bytes(std::string_view bytes) override;
    void on_guest_eof() override;
    void on_upstream_bytes(std::string_view bytes) override;
    void on_upstream_eof() override;
    void on_upstream_failed(std::string_view reason) override;
    void on_verdict(RequestId id, const Verdict& verdict) override;
    void pass(RequestId id);
    void refuse(RequestId id, std::string_view message, std::string_view hint);

    std::vector<SessionOutput> take_outputs() override;
    bool wants_guest_bytes() const override;
    bool closed() const override { return closed_; }

private:
    // Where the guest's current message is.
    enum class MessagePhase { reading, held, rest_forwarded, rest_dropped };

    void parse_guest();
    void decide(mongo::ClientCommand command, std::size_t held_bytes);
    void after_verdict(bool passed);
    void emit_to_guest(std::string_view bytes);
    void emit_to_upstream(std::string_view bytes);
    void flush_refusals_at_boundary();
    void close_flow(const std::string& reason);

    MongodbSessionConfig config_;
    MessagePhase phase_ = MessagePhase::reading;
    std::string guest_in_;
    std::size_t rest_of_message_ = 0;   // bytes of the current message still to come after the held start
    RequestId held_id_ = 0;
    std::size_t held_bytes_ = 0;        // the held message's start at the front of guest_in_
    mongo::ClientCommand held_command_;
    // The server's side: bytes of the current reply still to come (0 at a
    // boundary) and the header of the next one while it is incomplete.
    std::size_t upstream_rest_ = 0;
    std::string upstream_header_;
    std::deque<std::string> refusals_;  // replies waiting for a boundary
    std::int32_t next_reply_id_ = 0x61736b00;  // "ask\0": any id; drivers match replies by responseTo
    RequestId next_id_ = 1;
    bool closed_ = false;
    std::vector<SessionOutput> outputs_;
};

}  // namespace askfirst::database
