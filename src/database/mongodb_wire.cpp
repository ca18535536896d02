// src/database/mongodb_wire.cpp — MongoDB message framing, client command
// decoding and refusal replies (see the header; BSON through libbson).
#include "src/database/mongodb_wire.h"

#include <bson/bson.h>

#include <memory>
#include <vector>

namespace askfirst::database::mongo {

namespace {

// ---- libbson handles (one owner each) ----

// A document libbson allocated (bson_new), destroyed with it. (Not a
// unique_ptr: bson_t's alignment attribute is dropped in a template argument.)
class OwnedBson {
public:
    OwnedBson() : document_(bson_new()) {}
    ~OwnedBson() { bson_destroy(document_); }
    OwnedBson(const OwnedBson&) = delete;
    OwnedBson& operator=(const OwnedBson&) = delete;
    bson_t* get() const { return document_; }
    const bson_t& operator*() const { return *document_; }
    const bson_t* operator->() const { return document_; }

private:
    bson_t* document_;
};

struct BsonTextDeleter {
    void operator()(char* text) const { bson_free(text); }
};
using OwnedBsonText = std::unique_ptr<char, BsonTextDeleter>;

std::uint32_t little_endian_u32(std::string_view bytes, std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at])) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 8 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 2])) << 16 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 3])) << 24;
}

void put_u32(std::string& out, std::uint32_t value) {
    for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
}

std::string opcode_name(std::int32_t opcode) {
    switch (opcode) {
    case kOpMsg: return "OP_MSG";
    case kOpQuery: return "OP_QUERY";
    case kOpCompressed: return "OP_COMPRESSED";
    case kOpInsert: return "OP_INSERT";
    case kOpUpdate: return "OP_UPDATE";
    case kOpDelete: return "OP_DELETE";
    case kOpGetMore: return "OP_GET_MORE";
    case kOpKillCursors: return "OP_KILL_CURSORS";
    default: return "opcode " + std::to_string(opcode);
    }
}

// A bson_t that reads `bytes` in place. (A bson_t points into itself: it is
// never copied, only made again from the bytes where needed.)
bool view_bson(std::string_view bytes, bson_t& out) {
    return bson_init_static(&out, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

// A reader over a message's body with bounds checks: every read says
// whether the bytes were there.
class BodyReader {
public:
    explicit BodyReader(std::string_view bytes) : bytes_(bytes) {}
    std::size_t left() const { return bytes_.size() - at_; }
    bool u32(std::uint32_t& out) {
        if (left() < 4) return false;
        out = little_endian_u32(bytes_, at_);
        at_ += 4;
        return true;
    }
    bool byte(unsigned char& out) {
        if (left() < 1) return false;
        out = static_cast<unsigned char>(bytes_[at_++]);
        return true;
    }
    bool cstring(std::string& out) {
        const std::size_t end = bytes_.find('\0', at_);
        if (end == std::string_view::npos) return false;
        out = std::string(bytes_.substr(at_, end - at_));
        at_ = end + 1;
        return true;
    }
    // One BSON document, its length its own first four bytes; validated by libbson.
    bool document(std::string_view& out) {
        if (left() < 5) return false;
        const std::uint32_t length = little_endian_u32(bytes_, at_);
        if (length < 5 || length > left()) return false;
        bson_t document;
        if (!view_bson(bytes_.substr(at_, length), document)) return false;
        std::size_t error_offset = 0;
        if (!bson_validate(&document, BSON_VALIDATE_UTF8, &error_offset)) return false;
        out = bytes_.substr(at_, length);
        at_ += length;
        return true;
    }
    std::string_view take(std::size_t count) {
        const std::string_view taken = bytes_.substr(at_, count);
        at_ += taken.size();
        return taken;
    }

private:
    std::string_view bytes_;
    std::size_t at_ = 0;
};

ClientCommand undecoded(ClientCommand command, std::string why) {
    command.decoded = false;
    command.why_not = std::move(why);
    command.command_json.clear();
    return command;
}

std::string relaxed_json(const bson_t& document) {
    std::size_t length = 0;
    OwnedBsonText text(bson_as_relaxed_extended_json(&document, &length));
    return text ? std::string(text.get(), length) : std::string();
}

std::string utf8_member(const bson_t& document, const char* key) {
    bson_iter_t it;
    if (!bson_iter_init_find(&it, &document, key) || !BSON_ITER_HOLDS_UTF8(&it)) return {};
    std::uint32_t length = 0;
    const char* text = bson_iter_utf8(&it, &length);
    return std::string(text, length);
}

struct DocumentSequence {
    std::string identifier;
    std::vector<std::string_view> documents;  // validated documents, in the message
};

// The handshake (hello / isMaster) without its "compression" offer: the
// server then agrees to no compressor and the driver never sends
// OP_COMPRESSED, which askfirst would have to judge unread, as the worst.
// nullopt when the command is no handshake or offers none.
std::optional<std::string> handshake_without_compression(const bson_t& command) {
    bson_iter_t it;
    if (!bson_iter_init(&it, &command) || !bson_iter_next(&it)) return std::nullopt;
    const std::string_view name = bson_iter_key(&it);
    if (name != "hello" && name != "isMaster" && name != "ismaster") return std::nullopt;
    if (!bson_has_field(&command, "compression")) return std::nullopt;
    OwnedBson stripped;
    bson_copy_to_excluding_noinit(&command, stripped.get(), "compression", nullptr);
    return std::string(reinterpret_cast<const char*>(bson_get_data(stripped.get())), stripped->len);
}

std::string header_bytes(const MessageHeader& header, std::size_t body_size) {
    std::string out;
    put_u32(out, static_cast<std::uint32_t>(kHeaderBytes + body_size));
    put_u32(out, static_cast<std::uint32_t>(header.request_id));
    put_u32(out, static_cast<std::uint32_t>(header.response_to));
    put_u32(out, static_cast<std::uint32_t>(header.opcode));
    return out;
}

// OP_MSG: flagBits, then sections: kind 0 (the body, exactly once) and kind 1
// (a size, an identifier, documents); a checksum at the end when flagged.
ClientCommand decode_op_msg(ClientCommand command, const MessageHeader& header, std::string_view body) {
    BodyReader reader(body);
    std::uint32_t flags = 0;
    if (!reader.u32(flags)) return undecoded(command, "an OP_MSG without flags");
    if (flags & kMoreToCome) command.reply = ReplyShape::none;
    if ((flags & 0xffff) & ~(kChecksumPresent | kMoreToCome)) return undecoded(command, "an OP_MSG with unknown required flags");
    BodyReader sections(reader.take(reader.left() - ((flags & kChecksumPresent) ? std::min<std::size_t>(4, reader.left()) : 0)));
    std::optional<std::string_view> main;
    std::vector<DocumentSequence> sequences;
    while (sections.left() > 0) {
        unsigned char kind = 0;
        sections.byte(kind);
        if (kind == 0) {
            std::string_view document;
            if (main || !sections.document(document)) return undecoded(command, "an OP_MSG body askfirst cannot read");
            main = document;
        } else if (kind == 1) {
            std::uint32_t size = 0;
            if (!sections.u32(size) || size < 4 || size - 4 > sections.left())
                return undecoded(command, "an OP_MSG document sequence askfirst cannot frame");
            BodyReader sequence(sections.take(size - 4));
            DocumentSequence read;
            if (!sequence.cstring(read.identifier)) return undecoded(command, "an OP_MSG document sequence without a name");
            while (sequence.left() > 0) {
                std::string_view document;
                if (!sequence.document(document)) return undecoded(command, "an OP_MSG document sequence askfirst cannot read");
                read.documents.push_back(document);
            }
            sequences.push_back(std::move(read));
        } else {
            return undecoded(command, "an OP_MSG section of kind " + std::to_string(kind));
        }
    }
    if (!main) return undecoded(command, "an OP_MSG without a body section");
    const std::optional<std::string> stripped = [&] {
        bson_t document;
        view_bson(*main, document);
        return handshake_without_compression(document);
    }();
    if (stripped) main = *stripped;  // read (and sent on) without the offer
    bson_t body_document;
    view_bson(*main, body_document);
    command.database = utf8_member(body_document, "$db");
    if (command.database.empty()) return undecoded(command, "an OP_MSG command without $db");
    if (stripped) {  // the message again: the new body, the same sequences, no checksum (it would be wrong)
        std::string sections_out;
        put_u32(sections_out, flags & ~kChecksumPresent);
        sections_out.push_back('\0');
        sections_out.append(*stripped);
        for (const auto& sequence : sequences) {
            std::string documents;
            for (const auto document : sequence.documents) documents.append(document);
            sections_out.push_back('\1');
            put_u32(sections_out, static_cast<std::uint32_t>(4 + sequence.identifier.size() + 1 + documents.size()));
            sections_out.append(sequence.identifier);
            sections_out.push_back('\0');
            sections_out.append(documents);
        }
        command.rewritten_message = header_bytes(header, sections_out.size()) + sections_out;
    }
    // The body with each sequence folded in as an array under its identifier
    // (as mongod reads them: a field of the command).
    OwnedBson whole;
    bson_concat(whole.get(), &body_document);
    for (const auto& sequence : sequences) {
        bson_t array;
        bson_append_array_begin(whole.get(), sequence.identifier.c_str(), static_cast<int>(sequence.identifier.size()), &array);
        for (std::size_t i = 0; i < sequence.documents.size(); ++i) {
            const std::string index = std::to_string(i);
            bson_t document;
            view_bson(sequence.documents[i], document);
            bson_append_document(&array, index.c_str(), static_cast<int>(index.size()), &document);
        }
        bson_append_array_end(whole.get(), &array);
    }
    command.command_json = relaxed_json(*whole);
    if (command.command_json.empty()) return undecoded(command, "an OP_MSG command libbson cannot render");
    command.decoded = true;
    return command;
}

// OP_QUERY: flags, fullCollectionName, numberToSkip, numberToReturn, query
// [, returnFieldsSelector]. On "<db>.$cmd" the query is a command, possibly
// wrapped as {$query: {...}} or {query: {...}} with read preferences beside it.
ClientCommand decode_op_query(ClientCommand command, const MessageHeader& header, std::string_view body) {
    command.reply = ReplyShape::op_reply;
    BodyReader reader(body);
    std::uint32_t flags = 0, skip = 0, count = 0;
    std::string ns;
    std::string_view query_bytes;
    if (!reader.u32(flags) || !reader.cstring(ns) || !reader.u32(skip) || !reader.u32(count) || !reader.document(query_bytes))
        return undecoded(command, "an OP_QUERY askfirst cannot read");
    bson_t query;
    view_bson(query_bytes, query);
    const std::size_t dot = ns.find('.');
    if (dot == std::string::npos || dot == 0) return undecoded(command, "an OP_QUERY on namespace " + ns);
    command.database = ns.substr(0, dot);
    const std::string collection = ns.substr(dot + 1);
    if (collection == "$cmd") {
        bson_iter_t it;
        bson_t inner;
        if (bson_iter_init(&it, &query) && bson_iter_next(&it) &&
            (std::string_view(bson_iter_key(&it)) == "$query" || std::string_view(bson_iter_key(&it)) == "query") &&
            BSON_ITER_HOLDS_DOCUMENT(&it)) {
            std::uint32_t length = 0;
            const std::uint8_t* data = nullptr;
            bson_iter_document(&it, &length, &data);
            if (!bson_init_static(&inner, data, length)) return undecoded(command, "an OP_QUERY command askfirst cannot read");
            command.command_json = relaxed_json(inner);
        } else if (bson_has_field(&query, "$query") || bson_has_field(&query, "query")) {
            // A wrapper that is not the first field: whether the server would unwrap it is not ours to guess.
            return undecoded(command, "an OP_QUERY command with its $query wrapper after other fields");
        } else if (const auto stripped = handshake_without_compression(query)) {
            const std::size_t query_at = static_cast<std::size_t>(query_bytes.data() - body.data());
            const std::string rewritten_body = std::string(body.substr(0, query_at)) + *stripped +
                                               std::string(body.substr(query_at + query_bytes.size()));
            command.rewritten_message = header_bytes(header, rewritten_body.size()) + rewritten_body;
            bson_t without;
            view_bson(*stripped, without);
            command.command_json = relaxed_json(without);
        } else {
            command.command_json = relaxed_json(query);
        }
    } else if (collection.find('$') != std::string::npos) {
        return undecoded(command, "an OP_QUERY on namespace " + ns);
    } else {  // a legacy find: the query is its filter
        OwnedBson find;
        BSON_APPEND_UTF8(find.get(), "find", collection.c_str());
        BSON_APPEND_DOCUMENT(find.get(), "filter", &query);
        BSON_APPEND_UTF8(find.get(), "$db", command.database.c_str());
        command.command_json = relaxed_json(*find);
    }
    if (command.command_json.empty()) return undecoded(command, "an OP_QUERY command libbson cannot render");
    command.decoded = true;
    return command;
}

// How a message of this opcode (and OP_MSG flags) is answered.
ReplyShape reply_shape(std::int32_t opcode, std::string_view after_header) {
    switch (opcode) {
    case kOpMsg:
        if (after_header.size() >= 4 && (little_endian_u32(after_header, 0) & kMoreToCome)) return ReplyShape::none;
        return ReplyShape::op_msg;
    case kOpQuery:
    case kOpGetMore: return ReplyShape::op_reply;
    case kOpCompressed:  // answered as the message inside it would be: originalOpcode comes first
        if (after_header.size() >= 4) {
            const auto original = static_cast<std::int32_t>(little_endian_u32(after_header, 0));
            if (original == kOpQuery || original == kOpGetMore) return ReplyShape::op_reply;
            if (original == kOpMsg) return ReplyShape::op_msg;  // its flags are compressed: assume a reply is awaited
        }
        return ReplyShape::none;
    default: return ReplyShape::none;
    }
}

}  // namespace

std::optional<MessageHeader> read_header(std::string_view bytes) {
    if (bytes.size() < kHeaderBytes) return std::nullopt;
    MessageHeader header;
    header.length = little_endian_u32(bytes, 0);
    header.request_id = static_cast<std::int32_t>(little_endian_u32(bytes, 4));
    header.response_to = static_cast<std::int32_t>(little_endian_u32(bytes, 8));
    header.opcode = static_cast<std::int32_t>(little_endian_u32(bytes, 12));
    return header;
}

// Every opcode mongod reads from a client, current and legacy: a first
// message with any of them is read (the session judges what it cannot decode
// as the worst), so none reaches a server as an unread "tcp" flow.
bool is_client_opcode(std::int32_t opcode) {
    switch (opcode) {
    case kOpMsg: case kOpQuery: case kOpCompressed: case kOpInsert: case kOpUpdate: case kOpDelete:
    case kOpGetMore: case kOpKillCursors: case kOpCommand: return true;
    default: return false;
    }
}

// responseTo is not looked at: mongod does not check it on a request, so a
// guest could set it to pass a first message by unread.
Detection detect_first_message(std::string_view bytes) {
    constexpr std::size_t kSmallestMessage = kHeaderBytes + 5;  // a header and an empty document
    if (bytes.size() >= 4) {
        const std::uint32_t length = little_endian_u32(bytes, 0);
        if (length < kSmallestMessage || length > kMaxMessageBytes) return Detection::not_mongodb;
    }
    if (bytes.size() < kHeaderBytes) return Detection::need_more;
    const auto opcode = static_cast<std::int32_t>(little_endian_u32(bytes, 12));
    if (!is_client_opcode(opcode)) return Detection::not_mongodb;
    if (opcode == kOpMsg) {
        if (bytes.size() < 20) return Detection::need_more;
        // Required flag bits (0..15) mongod does not know make it refuse the message.
        if (little_endian_u32(bytes, 16) & 0xffffu & ~(kChecksumPresent | kMoreToCome)) return Detection::not_mongodb;
        if (bytes.size() < 21) return Detection::need_more;
        return bytes[20] == 0 || bytes[20] == 1 ? Detection::mongodb : Detection::not_mongodb;
    }
    return Detection::mongodb;
}

ClientCommand decode_client_message(std::string_view message) {
    ClientCommand command;
    const auto header = read_header(message);
    if (!header) return undecoded(command, "a message shorter than its header");
    command.request_id = header->request_id;
    command.message = opcode_name(header->opcode);
    const std::string_view body = message.substr(kHeaderBytes);
    command.reply = reply_shape(header->opcode, body);
    switch (header->opcode) {
    case kOpMsg: return decode_op_msg(command, *header, body);
    case kOpQuery: return decode_op_query(command, *header, body);
    case kOpCompressed: return undecoded(command, "a compressed message (OP_COMPRESSED), which askfirst does not decompress");
    default: return undecoded(command, "a legacy " + command.message + " message, which askfirst does not read");
    }
}

ClientCommand describe_partial_message(std::string_view start) {
    ClientCommand command;
    if (const auto header = read_header(start)) {
        command.request_id = header->request_id;
        command.message = opcode_name(header->opcode);
        command.reply = reply_shape(header->opcode, start.substr(kHeaderBytes));
    }
    return undecoded(command, "a message longer than the inspection limit");
}

std::string refusal_reply(ReplyShape shape, std::int32_t reply_id, std::int32_t request_id, std::string_view errmsg) {
    if (shape == ReplyShape::none) return {};
    OwnedBson error;
    BSON_APPEND_DOUBLE(error.get(), "ok", 0.0);
    bson_append_utf8(error.get(), "errmsg", 6, errmsg.data(), static_cast<int>(errmsg.size()));
    BSON_APPEND_INT32(error.get(), "code", 13);  // Unauthorized (mongod's error_codes.yml)
    BSON_APPEND_UTF8(error.get(), "codeName", "Unauthorized");
    const std::string_view document(reinterpret_cast<const char*>(bson_get_data(error.get())), error->len);
    std::string body;
    if (shape == ReplyShape::op_msg) {
        put_u32(body, 0);  // flagBits
        body.push_back('\0');  // section kind 0
    } else {
        put_u32(body, 0);  // responseFlags
        put_u32(body, 0);  // cursorID, 8 bytes
        put_u32(body, 0);
        put_u32(body, 0);  // startingFrom
        put_u32(body, 1);  // numberReturned
    }
    body.append(document);
    std::string out;
    put_u32(out, static_cast<std::uint32_t>(kHeaderBytes + body.size()));
    put_u32(out, static_cast<std::uint32_t>(reply_id));
    put_u32(out, static_cast<std::uint32_t>(request_id));
    put_u32(out, static_cast<std::uint32_t>(shape == ReplyShape::op_msg ? kOpMsg : kOpReply));
    return out + body;
}

}  // namespace askfirst::database::mongo
