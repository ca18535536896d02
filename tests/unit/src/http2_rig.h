// tests/unit/src/http2_rig.h — drives the sans-io HTTP/2 session between two
// real nghttp2 endpoints in memory: a client playing the guest and a server
// playing the upstream, so each test says what the guest sent, what the
// upstream answered and what each side saw. Raw frames (http2_frames) are
// for what a real client would never send (the strictness cases).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "src/http/http2_session.h"

namespace askfirst::http::testing {

using Fields = Http2Session::HeaderList;

// One real nghttp2 endpoint (client or server) and what it saw per stream.
class H2Peer {
public:
    struct Seen {
        Fields headers;           // the request (server) or the final response (client)
        Fields trailers;
        std::string body;
        bool ended = false;       // END_STREAM received
        std::uint32_t reset = 0;  // RST_STREAM code + 1 (0: not reset)
    };
    explicit H2Peer(bool server);
    H2Peer(const H2Peer&) = delete;
    H2Peer& operator=(const H2Peer&) = delete;

    // client: a request; its body sent at once, then END_STREAM (or held open when `end` is false)
    std::int32_t request(const Fields& headers, std::string body = {}, bool end = true);
    // client: more body for a request opened with end=false
    void send_more(std::int32_t stream_id, std::string_view body, bool end);
    // server: a response, its body and trailers
    void respond(std::int32_t stream_id, const Fields& headers, std::string body = {}, Fields trailers = {});
    void reset(std::int32_t stream_id, std::uint32_t code);

    std::string take_output();
    void feed(std::string_view bytes);

    std::map<std::int32_t, Seen> seen;
    std::vector<std::int32_t> requests_in_order;  // server: streams whose request headers arrived
    bool got_goaway = false;
    std::uint32_t goaway_code = 0;

    // Data sources (public for the C callbacks).
    struct Source {
        std::string bytes;
        bool end = true;
        Fields trailers;
    };
    std::map<std::int32_t, Source> sources;
    nghttp2_session* raw() { return session_.get(); }

private:
    Nghttp2Session session_;
};

struct H2Rig {
    explicit H2Rig(Http2Config config = {});
    Http2Session session;
    H2Peer guest{false};
    H2Peer upstream{true};
    std::vector<DecideRequest> decisions;
    std::vector<ProtocolRefusal> refusals;
    std::vector<RequestId> cancelled;
    std::string close_reason;
    bool closed = false;
    std::size_t bytes_to_upstream = 0;
    std::size_t upstream_writes = 0;   // SendToUpstream outputs, empty ones included
    // When true, upstream bytes are kept in `upstream_wire` (an HTTP/1.1 upstream) instead of the H2Peer.
    bool raw_upstream = false;
    std::string upstream_wire;
    void upstream_raw(std::string_view bytes) { session.on_upstream_bytes(bytes); pump(); }

    // Moves bytes both ways until nothing moves.
    void pump();
    void pass(RequestId id) { session.pass(id); pump(); }
    void refuse(RequestId id, const LocalResponse& response) { session.refuse(id, response); pump(); }
    // Raw guest bytes (no guest H2Peer involved): returns what the session sent back.
    std::string raw_guest(std::string_view bytes);

private:
    void collect(std::string* raw_out = nullptr);
};

// Raw HTTP/2 frames for malformed input.
namespace http2_frames {
inline constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
std::string frame(std::uint8_t type, std::uint8_t flags, std::int32_t stream_id, std::string_view payload);
std::string settings();
// An HPACK block of `fields` as they are (nothing checked), literal without indexing.
std::string hpack(const Fields& fields);
std::string headers(std::int32_t stream_id, const Fields& fields, bool end_stream);
std::string data(std::int32_t stream_id, std::string_view payload, bool end_stream);
std::string rst_stream(std::int32_t stream_id, std::uint32_t code);
std::string ping(std::uint64_t opaque);
struct FrameSeen {
    std::uint8_t type;
    std::uint8_t flags;
    std::int32_t stream_id;
    std::string payload;
};
std::vector<FrameSeen> parse(std::string_view bytes);  // frames the session sent (after no preface)
}  // namespace http2_frames

}  // namespace askfirst::http::testing
