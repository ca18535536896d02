// classifiers/pktline.cpp — pkt-line reader and receive-pack command-list
// parser; see classifiers/pktline.h for the formats.
//
// Why by hand: no Debian package exposes git's pkt-line or push-request
// parsing as a library (libgit2 has it only inside its transport, driven by
// sockets), and the classifier needs only the command list, strictly.
#include "classifiers/pktline.h"

#include "src/base/result.h"
#include "classifiers/text_decoding.h"

namespace askfirst::classifiers::pktline {

namespace {

std::string_view without_newline(std::string_view line) {
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    return line;
}

// "old SP new SP refname"; a failure when the line is not one.
Result<RefUpdate> parse_command(std::string_view line) {
    using Parsed = Result<RefUpdate>;
    std::size_t first_space = line.find(' ');
    std::size_t second_space = first_space == std::string_view::npos ? first_space : line.find(' ', first_space + 1);
    if (second_space == std::string_view::npos) return Parsed::failure("a push command is not 'old-oid new-oid refname'");
    std::string_view old_oid = line.substr(0, first_space);
    std::string_view new_oid = line.substr(first_space + 1, second_space - first_space - 1);
    std::string_view refname = line.substr(second_space + 1);
    if (!is_object_id(old_oid) || !is_object_id(new_oid) || old_oid.size() != new_oid.size())
        return Parsed::failure("a push command has an invalid object id");
    if (refname.empty()) return Parsed::failure("a push command names no ref");
    for (char c : refname)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
            return Parsed::failure("a ref name contains a space or control character");
    bool old_zero = is_zero_object_id(old_oid);
    bool new_zero = is_zero_object_id(new_oid);
    if (old_zero && new_zero) return Parsed::failure("a push command with two zero object ids");
    RefUpdate update;
    update.old_oid = std::string(old_oid);
    update.new_oid = std::string(new_oid);
    update.refname = std::string(refname);
    update.kind = new_zero ? RefUpdateKind::del : old_zero ? RefUpdateKind::create : RefUpdateKind::update;
    return Parsed::success(std::move(update));
}

void split_capabilities(std::string_view text, std::vector<std::string>& out) {
    while (!text.empty()) {
        std::size_t space = text.find(' ');
        std::string_view word = text.substr(0, space);
        if (!word.empty()) out.emplace_back(word);
        if (space == std::string_view::npos) break;
        text.remove_prefix(space + 1);
    }
}

class RequestParser {
public:
    explicit RequestParser(std::string_view body) : reader_(body) {}
    ReceivePackParse run();

private:
    Reader reader_;
    ReceivePackParse result_;
    ReceivePackRequest request_;

    bool fail(std::string message) {
        if (result_.error.empty()) result_.error = std::move(message);
        return false;
    }
    // The next packet, or a failure that says why there is none.
    std::optional<Packet> need_packet();
    bool parse_commands(Packet first);
    bool parse_push_cert(Packet first);
    bool parse_push_options();
};

std::optional<Packet> RequestParser::need_packet() {
    std::optional<Packet> packet = reader_.next();
    if (packet) return packet;
    if (!reader_.error().empty()) fail(reader_.error());
    else {
        result_.incomplete = true;
        fail("the push request ends before its command list does");
    }
    return std::nullopt;
}

ReceivePackParse RequestParser::run() {
    std::optional<Packet> packet = need_packet();
    while (packet && packet->kind == PacketKind::data && packet->payload.starts_with("shallow "))
        packet = need_packet();
    if (!packet) return result_;
    if (packet->kind != PacketKind::data) {
        fail("a push request without commands");
        return result_;
    }
    bool ok = packet->payload.starts_with("push-cert") ? parse_push_cert(*packet) : parse_commands(*packet);
    if (!ok || !parse_push_options()) return result_;
    request_.has_pack = !reader_.rest().empty();
    result_.request = std::move(request_);
    return result_;
}

bool RequestParser::parse_commands(Packet first) {
    std::string_view line = without_newline(first.payload);
    std::size_t nul = line.find('\0');
    if (nul == std::string_view::npos) return fail("the first push command carries no capability list");
    split_capabilities(line.substr(nul + 1), request_.capabilities);
    line = line.substr(0, nul);
    while (true) {
        Result<RefUpdate> update = parse_command(line);
        if (!update) return fail(update.error());
        if (request_.updates.size() >= kMaxRefUpdates) return fail("too many ref updates in one push");
        request_.updates.push_back(update.take());
        std::optional<Packet> packet = need_packet();
        if (!packet) return false;
        if (packet->kind == PacketKind::flush) return true;
        if (packet->kind != PacketKind::data) return fail("a delimiter packet inside a push command list");
        line = without_newline(packet->payload);
        if (line.find('\0') != std::string_view::npos) return fail("a NUL byte in a later push command");
    }
}

// gitprotocol-pack "push-cert": the commands are the certificate's lines
// between the blank line after its header and the signature.
bool RequestParser::parse_push_cert(Packet first) {
    std::string_view line = without_newline(first.payload);
    if (!line.starts_with(std::string_view("push-cert\0", 10))) return fail("a malformed push-cert line");
    split_capabilities(line.substr(10), request_.capabilities);
    request_.push_cert = true;
    bool in_header = true;
    bool in_signature = false;
    while (true) {
        std::optional<Packet> packet = need_packet();
        if (!packet) return false;
        if (packet->kind != PacketKind::data) return fail("a push certificate ends without push-cert-end");
        line = without_newline(packet->payload);
        if (line == "push-cert-end") break;
        if (in_header) {
            in_header = !line.empty();
            continue;
        }
        if (line.starts_with("-----BEGIN")) in_signature = true;
        if (in_signature) continue;
        Result<RefUpdate> update = parse_command(line);
        if (!update) return fail(update.error());
        if (request_.updates.size() >= kMaxRefUpdates) return fail("too many ref updates in one push");
        request_.updates.push_back(update.take());
    }
    if (request_.updates.empty()) return fail("a push certificate without commands");
    std::optional<Packet> flush = need_packet();
    if (!flush) return false;
    if (flush->kind != PacketKind::flush) return fail("no flush after the push certificate");
    return true;
}

bool RequestParser::parse_push_options() {
    bool announced = false;
    for (const auto& capability : request_.capabilities)
        if (capability == "push-options") announced = true;
    if (!announced) return true;
    while (true) {
        std::optional<Packet> packet = need_packet();
        if (!packet) return false;
        if (packet->kind == PacketKind::flush) return true;
        if (packet->kind != PacketKind::data) return fail("a delimiter packet among push options");
        request_.push_options.emplace_back(without_newline(packet->payload));
    }
}

}  // namespace

std::optional<Packet> Reader::next() {
    if (!error_.empty() || truncated_ || offset_ == input_.size()) return std::nullopt;
    if (input_.size() - offset_ < 4) {
        truncated_ = true;
        return std::nullopt;
    }
    std::size_t length = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        int digit = hex_digit_value(input_[offset_ + i]);
        if (digit < 0) {
            error_ = "a pkt-line length is not 4 hex digits at offset " + std::to_string(offset_);
            return std::nullopt;
        }
        length = length * 16 + static_cast<std::size_t>(digit);
    }
    Packet packet;
    if (length <= 2) {
        packet.kind = length == 0 ? PacketKind::flush : length == 1 ? PacketKind::delimiter : PacketKind::response_end;
        offset_ += 4;
        return packet;
    }
    if (length == 3 || length > kMaxPacketLength) {
        error_ = "an invalid pkt-line length " + std::to_string(length) + " at offset " + std::to_string(offset_);
        return std::nullopt;
    }
    if (input_.size() - offset_ < length) {
        truncated_ = true;
        return std::nullopt;
    }
    packet.payload = input_.substr(offset_ + 4, length - 4);
    offset_ += length;
    return packet;
}

bool is_object_id(std::string_view text) {
    if (text.size() != 40 && text.size() != 64) return false;
    for (char c : text)
        if (!is_lower_hex_digit(c)) return false;
    return true;
}

bool is_zero_object_id(std::string_view text) {
    if (!is_object_id(text)) return false;
    return text.find_first_not_of('0') == std::string_view::npos;
}

ReceivePackParse parse_receive_pack_request(std::string_view body) {
    RequestParser parser(body);
    return parser.run();
}

}  // namespace askfirst::classifiers::pktline
