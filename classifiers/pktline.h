// classifiers/pktline.h — git's pkt-line framing and the receive-pack
// reference-update request, parsed sans-io for the git smart HTTP classifier
// (classifiers/git_smart_http.cpp; ../shared/classifier-rules.md §4).
//
// pkt-line (gitprotocol-common): 4 hex digits of length that count
// themselves, then the payload. "0000" is a flush, "0001" a delimiter and
// "0002" a response end (protocol v2); "0003" and lengths above 65520 are
// invalid.
//
// A push (gitprotocol-pack, "Reference Update Request"):
//   [shallow <oid>]*  (or a push-cert block)
//   <old-oid> SP <new-oid> SP <refname> NUL <capabilities> LF   (first command)
//   <old-oid> SP <new-oid> SP <refname> LF                      (more commands)
//   0000  [push options ... 0000]  [PACK...]
// An all-zero old oid creates the ref, an all-zero new oid deletes it.
// Object ids are 40 hex digits (SHA-1) or 64 (SHA-256).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace askfirst::classifiers::pktline {

// gitprotocol-common: "the maximum length of a pkt-line's data component is
// 65516 bytes", i.e. 65520 with the 4-byte header (LARGE_PACKET_MAX).
inline constexpr std::size_t kMaxPacketLength = 65520;
// A push names at most this many refs before we stop and call it malformed;
// `git push --mirror` of a large repository stays far below it.
inline constexpr std::size_t kMaxRefUpdates = 100000;

enum class PacketKind { data, flush, delimiter, response_end };

struct Packet {
    PacketKind kind = PacketKind::data;
    std::string_view payload;  // data packets only; a view into the input
};

// Reads one packet at a time from a buffer.
class Reader {
public:
    explicit Reader(std::string_view input) : input_(input) {}
    // The next packet; nullopt at the end of the input, when the input ends
    // inside a packet (truncated()) or on a malformed header (error()).
    std::optional<Packet> next();
    bool truncated() const { return truncated_; }
    const std::string& error() const { return error_; }
    std::string_view rest() const { return input_.substr(offset_); }  // unread bytes (e.g. PACK data)
    std::size_t offset() const { return offset_; }

private:
    std::string_view input_;
    std::size_t offset_ = 0;
    bool truncated_ = false;
    std::string error_;
};

// Keep `del` last: kRefUpdateVerbs (git_smart_http.cpp) asserts its size by it.
enum class RefUpdateKind { create, update, del };

struct RefUpdate {
    std::string old_oid;
    std::string new_oid;
    std::string refname;
    RefUpdateKind kind = RefUpdateKind::update;
};

struct ReceivePackRequest {
    std::vector<RefUpdate> updates;
    std::vector<std::string> capabilities;
    std::vector<std::string> push_options;
    bool has_pack = false;    // bytes follow the command list (a packfile)
    bool push_cert = false;   // the commands came inside a signed push certificate
};

struct ReceivePackParse {
    std::optional<ReceivePackRequest> request;
    std::string error;         // set when request is empty
    bool incomplete = false;   // the input ended before the command list did
};

bool is_object_id(std::string_view text);   // 40 or 64 lower-case hex digits
bool is_zero_object_id(std::string_view text);

// Parses the command list (and push options) of a receive-pack request body.
// Anything that is not exactly the documented shape is an error.
ReceivePackParse parse_receive_pack_request(std::string_view body);

}  // namespace askfirst::classifiers::pktline
