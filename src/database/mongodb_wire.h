// src/database/mongodb_wire.h — the MongoDB wire protocol's messages, as
// far as askfirst reads them: the 16-byte header that frames every message,
// the detection of a client's first message, the decoding of a client's
// command (OP_MSG, and the legacy OP_QUERY older drivers still send for the
// hello/isMaster handshake) into the JSON the classifier reads
// (classifiers/mongodb_commands.h), and the error replies of a refusal.
// Sans-io; used by src/database/mongodb_session.h and the detector table.
//
// BSON is read and written with libbson (Debian's libbson-dev 1.23): it
// validates every document and renders relaxed extended JSON. Only the
// message framing around the documents (header, OP_MSG sections, OP_QUERY's
// fields) is read by hand here: it is a few fixed little-endian fields, and
// libbson, the one Debian package that knows BSON, has no wire-protocol
// reader (that lives in libmongoc, whose client would need a server to talk
// to, not bytes to read).
//
// Source of every layout: the MongoDB Wire Protocol reference,
// https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace askfirst::database::mongo {

inline constexpr std::size_t kHeaderBytes = 16;  // messageLength, requestID, responseTo, opCode
// mongod's maxMessageSizeBytes (48,000,000 since 2.6): a longer length is not a message.
inline constexpr std::size_t kMaxMessageBytes = 48'000'000;

enum Opcode : std::int32_t {
    kOpReply = 1,        // the server's answer to OP_QUERY
    kOpUpdate = 2001,    // legacy writes and reads, removed in MongoDB 6.0
    kOpInsert = 2002,
    kOpQuery = 2004,
    kOpGetMore = 2005,
    kOpDelete = 2006,
    kOpKillCursors = 2007,
    kOpCommand = 2010,   // internal, removed in MongoDB 4.2
    kOpCompressed = 2012,
    kOpMsg = 2013,
};

// OP_MSG flagBits.
inline constexpr std::uint32_t kChecksumPresent = 1u << 0;
inline constexpr std::uint32_t kMoreToCome = 1u << 1;     // the sender expects no reply
inline constexpr std::uint32_t kExhaustAllowed = 1u << 16;

struct MessageHeader {
    std::uint32_t length = 0;
    std::int32_t request_id = 0;
    std::int32_t response_to = 0;
    std::int32_t opcode = 0;
};

// The header at the start of `bytes`, or nullopt when fewer than 16 bytes.
std::optional<MessageHeader> read_header(std::string_view bytes);

enum class Detection { need_more, mongodb, not_mongodb };
// A client's first message: a plausible length (a header and a document, at
// most mongod's maximum) and an opcode mongod reads from clients; an OP_MSG
// also has no unknown required flag and a section kind 0 or 1 next. Decided
// at the 4th byte (the length) or the 16th (the opcode) for anything else,
// at the 21st for an OP_MSG. Never changes its answer for a longer prefix.
Detection detect_first_message(std::string_view bytes);

// How the client reads the answer to a message.
enum class ReplyShape { op_msg, op_reply, none };

struct ClientCommand {
    std::string message = "OP_MSG";  // the opcode's name: "OP_MSG", "OP_QUERY", "OP_COMPRESSED", "OP_DELETE", ...
    std::int32_t request_id = 0;
    ReplyShape reply = ReplyShape::op_msg;  // none: moreToCome, or a legacy opcode that has no reply
    bool decoded = false;             // false: judged the worst it could be, for `why_not`
    std::string why_not;
    std::string database;             // OP_MSG's $db; OP_QUERY's namespace before the first '.'
    std::string command_json;         // the command as relaxed extended JSON, sequences folded in
    // Not empty: what goes to the server if it passes, in the message's place
    // (a handshake without its compression offer; see decode_client_message).
    std::string rewritten_message;
};

// A whole client message (header included; its length as the header says).
// A handshake (hello / isMaster) that offers compressors is read and sent on
// without the offer, so the server agrees to none and the driver never
// compresses (askfirst reads no OP_COMPRESSED: each would be judged the worst).
ClientCommand decode_client_message(std::string_view message);
// The start of a message longer than askfirst inspects: what its header and
// flags say (how to answer it), judged the worst it could be.
ClientCommand describe_partial_message(std::string_view start);

// The reply that refuses request `request_id`: an error document
// {ok: 0, errmsg, code: 13, codeName: "Unauthorized"}, as an OP_MSG or an
// OP_REPLY, with responseTo = request_id. Empty for ReplyShape::none.
std::string refusal_reply(ReplyShape shape, std::int32_t reply_id, std::int32_t request_id, std::string_view errmsg);

}  // namespace askfirst::database::mongo
