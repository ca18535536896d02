// tests/unit/src/http2_session_test.cpp — the sans-io HTTP/2 session between
// a real nghttp2 client (the guest) and a real nghttp2 server (the
// upstream): every stream judged on its own, refusals on their stream, the
// RFC 9113 §8 strictness cases and the flood bounds.
#include <doctest/doctest.h>

#include <algorithm>
#include <variant>

#include "tests/unit/src/http2_rig.h"

namespace askfirst::http::testing {

namespace {

constexpr std::string_view kHost = "api.example.test";

Fields request_fields(std::string method, std::string path, std::string authority = std::string(kHost)) {
    return {{":method", std::move(method)}, {":scheme", "https"}, {":authority", std::move(authority)},
            {":path", std::move(path)}};
}

std::string field(const Fields& fields, std::string_view name) {
    for (const auto& [n, v] : fields)
        if (n == name) return v;
    return {};
}

Http2Config tls_config() {
    Http2Config config;
    config.sni = std::string(kHost);
    return config;
}

}  // namespace

TEST_CASE("h2: a GET is judged, passes, and its response reaches the guest's stream") {
    H2Rig rig(tls_config());
    const auto id = rig.guest.request(request_fields("GET", "/v1/items?limit=2"));
    rig.pump();
    REQUIRE(rig.decisions.size() == 1);
    const auto& request = rig.decisions[0].request;
    CHECK(rig.decisions[0].id == static_cast<RequestId>(id));
    CHECK(request.method == "GET");
    CHECK(request.host == "api.example.test");
    CHECK(request.path == "/v1/items");
    CHECK(request.query == "limit=2");
    CHECK(request.body_complete);
    CHECK(rig.bytes_to_upstream == 0);  // nothing reaches the upstream before the verdict

    rig.pass(rig.decisions[0].id);
    REQUIRE(rig.upstream.requests_in_order.size() == 1);
    const auto upstream_id = rig.upstream.requests_in_order[0];
    CHECK(field(rig.upstream.seen[upstream_id].headers, ":path") == "/v1/items?limit=2");
    rig.upstream.respond(upstream_id, {{":status", "200"}, {"content-type", "text/plain"}}, "hello");
    rig.pump();
    CHECK(field(rig.guest.seen[id].headers, ":status") == "200");
    CHECK(rig.guest.seen[id].body == "hello");
    CHECK(rig.guest.seen[id].ended);
    CHECK_FALSE(rig.closed);
}

TEST_CASE("h2: a refused stream gets its 403 while a parallel stream completes on the same connection") {
    H2Rig rig(tls_config());
    const auto deleted = rig.guest.request(request_fields("DELETE", "/v1/volumes/prod"));
    const auto listed = rig.guest.request(request_fields("GET", "/v1/volumes"));
    rig.pump();
    REQUIRE(rig.decisions.size() == 2);
    rig.refuse(static_cast<RequestId>(deleted), LocalResponse{403, R"({"error":"askfirst_denied"})"});
    rig.pass(static_cast<RequestId>(listed));
    REQUIRE(rig.upstream.requests_in_order.size() == 1);  // the DELETE never went upstream
    CHECK(field(rig.upstream.seen[rig.upstream.requests_in_order[0]].headers, ":method") == "GET");
    rig.upstream.respond(rig.upstream.requests_in_order[0], {{":status", "200"}}, "[]");
    rig.pump();
    CHECK(field(rig.guest.seen[deleted].headers, ":status") == "403");
    CHECK(field(rig.guest.seen[deleted].headers, "content-type") == "application/json");
    CHECK(rig.guest.seen[deleted].body == "{\"error\":\"askfirst_denied\"}\n");
    CHECK(rig.guest.seen[deleted].ended);
    CHECK(rig.guest.seen[listed].body == "[]");
    CHECK_FALSE(rig.closed);
}

TEST_CASE("h2: a gRPC refusal is a trailers-only response with grpc-status 7") {
    H2Rig rig(tls_config());
    Fields fields = request_fields("POST", "/etcdserverpb.KV/DeleteRange");
    fields.emplace_back("content-type", "application/grpc");
    const auto id = rig.guest.request(fields, std::string("\0\0\0\0\0", 5));
    rig.pump();
    REQUIRE(rig.decisions.size() == 1);
    LocalResponse grpc_refusal{200, "", "application/grpc", "grpc-status: 7\r\ngrpc-message: askfirst%20refused\r\n"};
    grpc_refusal.final_newline = false;
    rig.refuse(rig.decisions[0].id, grpc_refusal);
    const auto& seen = rig.guest.seen[id];
    CHECK(field(seen.headers, ":status") == "200");
    CHECK(field(seen.headers, "grpc-status") == "7");
    CHECK(field(seen.headers, "grpc-message") == "askfirst%20refused");
    CHECK(field(seen.headers, "content-length").empty());
    CHECK(seen.body.empty());
    CHECK(seen.ended);
}

TEST_CASE("h2: a held stream keeps its body in the guest (flow control) while another stream completes") {
    H2Rig rig(tls_config());
    const std::string big(200 * 1024, 'x');
    const auto held = rig.guest.request(request_fields("POST", "/v1/upload"), big);
    const auto other = rig.guest.request(request_fields("GET", "/v1/status"));
    rig.pump();
    REQUIRE(rig.decisions.size() == 2);
    CHECK(rig.decisions[0].request.body.empty());
    CHECK_FALSE(rig.decisions[0].request.body_complete);  // judged on its head: it has a body
    rig.pass(static_cast<RequestId>(other));
    rig.upstream.respond(rig.upstream.requests_in_order.at(0), {{":status", "204"}});
    rig.pump();
    CHECK(field(rig.guest.seen[other].headers, ":status") == "204");
    CHECK(rig.guest.sources[held].bytes.size() >= big.size() - static_cast<std::size_t>(kH2StreamWindow));

    rig.pass(static_cast<RequestId>(held));
    REQUIRE(rig.upstream.requests_in_order.size() == 2);
    const auto upstream_held = rig.upstream.requests_in_order[1];
    CHECK(rig.upstream.seen[upstream_held].body == big);  // every byte, once passed
    CHECK(rig.upstream.seen[upstream_held].ended);
}

TEST_CASE("h2: a body the classifier needs is in the decision, or judged incomplete past the limit") {
    struct Row { const char* name; std::size_t body_size; bool complete; };
    for (Row row : {Row{"small body", 1000, true}, Row{"over the inspection limit", 5000, false}}) {
        CAPTURE(row.name);
        Http2Config config = tls_config();
        config.max_inspect_bytes = 4096;
        H2Rig rig(config);
        const std::string body(row.body_size, 'b');
        rig.guest.request(request_fields("POST", "/inspect/query"), body);
        rig.pump();
        REQUIRE(rig.decisions.size() == 1);
        CHECK(rig.decisions[0].request.body_complete == row.complete);
        CHECK(rig.decisions[0].request.body == body.substr(0, 4096));
        rig.pass(rig.decisions[0].id);
        CHECK(rig.upstream.seen[rig.upstream.requests_in_order.at(0)].body == body);
    }
}

TEST_CASE("h2: :authority that is not the SNI is answered 421 on its stream") {
    H2Rig rig(tls_config());
    const auto id = rig.guest.request(request_fields("GET", "/", "other.example.test"));
    const auto fine = rig.guest.request(request_fields("GET", "/ok"));
    rig.pump();
    CHECK(field(rig.guest.seen[id].headers, ":status") == "421");
    REQUIRE(rig.decisions.size() == 1);
    CHECK(rig.decisions[0].id == static_cast<RequestId>(fine));
    REQUIRE(rig.refusals.size() == 1);
    CHECK(rig.refusals[0].status == 421);
}

TEST_CASE("h2: upstream trailers (grpc-status) reach the guest after the body") {
    H2Rig rig(tls_config());
    Fields fields = request_fields("POST", "/pkg.Service/GetThing");
    fields.emplace_back("content-type", "application/grpc");
    fields.emplace_back("te", "trailers");
    const auto id = rig.guest.request(fields, std::string("\0\0\0\0\0", 5));
    rig.pump();
    rig.pass(rig.decisions.at(0).id);
    rig.upstream.respond(rig.upstream.requests_in_order.at(0), {{":status", "200"}, {"content-type", "application/grpc"}},
                         std::string("\0\0\0\0\0", 5), {{"grpc-status", "0"}});
    rig.pump();
    CHECK(rig.guest.seen[id].body.size() == 5);
    CHECK(field(rig.guest.seen[id].trailers, "grpc-status") == "0");
    CHECK(rig.guest.seen[id].ended);
}

TEST_CASE("h2: a guest reset of a stream awaiting its decision cancels the question") {
    H2Rig rig(tls_config());
    const auto id = rig.guest.request(request_fields("DELETE", "/v1/x"));
    rig.pump();
    REQUIRE(rig.decisions.size() == 1);
    rig.guest.reset(id, NGHTTP2_CANCEL);
    rig.pump();
    REQUIRE(rig.cancelled.size() == 1);
    CHECK(rig.cancelled[0] == static_cast<RequestId>(id));
    rig.pass(static_cast<RequestId>(id));  // too late: ignored
    CHECK(rig.upstream.requests_in_order.empty());
}

TEST_CASE("h2: a passed stream whose upstream failed gets a 502 on its stream") {
    H2Rig rig(tls_config());
    const auto id = rig.guest.request(request_fields("GET", "/"));
    rig.pump();
    rig.session.on_upstream_failed("certificate not valid for api.example.test");
    rig.pass(rig.decisions.at(0).id);
    CHECK(field(rig.guest.seen[id].headers, ":status") == "502");
    CHECK(rig.guest.seen[id].body.find("certificate not valid") != std::string::npos);
}

// ---- RFC 9113 §8 strictness: raw frames a real client would not send ----

TEST_CASE("h2 strictness: malformed requests are refused with PROTOCOL_ERROR on their stream, and reported") {
    using namespace http2_frames;
    struct Row { std::string name; Fields fields; std::string body; };
    const Fields base = request_fields("POST", "/v1/things");
    auto with = [&](Fields extra) {
        Fields f = base;
        f.insert(f.end(), extra.begin(), extra.end());
        return f;
    };
    const std::vector<Row> rows = {
        {"uppercase header name", with({{"X-Upper", "1"}}), ""},
        {"connection-specific header", with({{"connection", "keep-alive"}}), ""},
        {"transfer-encoding", with({{"transfer-encoding", "chunked"}}), ""},
        {"te other than trailers", with({{"te", "gzip"}}), ""},
        {"duplicate :path", with({{":path", "/other"}}), ""},
        {"pseudo-header after a regular one", Fields{{":method", "GET"}, {"accept", "*/*"}, {":scheme", "https"},
                                                      {":authority", "api.example.test"}, {":path", "/"}}, ""},
        {"missing :path", Fields{{":method", "GET"}, {":scheme", "https"}, {":authority", "api.example.test"}}, ""},
        {"unknown pseudo-header", with({{":protocol", "websocket"}}), ""},
        {"Host disagreeing with :authority", with({{"host", "evil.example.test"}}), ""},
        {"content-length disagreeing with DATA", with({{"content-length", "10"}}), "abc"},
        {"value with a newline", with({{"x-note", "a\nb"}}), ""},
        {":path with a space (an HTTP/1.1 upstream would read a second version)",
         Fields{{":method", "GET"}, {":scheme", "https"}, {":authority", "api.example.test"}, {":path", "/a HTTP/1.1"}}, ""},
        {":path with a tab", Fields{{":method", "GET"}, {":scheme", "https"}, {":authority", "api.example.test"},
                                    {":path", "/a\tb"}}, ""},
        {":authority with a path", Fields{{":method", "GET"}, {":scheme", "https"}, {":authority", "api.example.test/x"},
                                          {":path", "/"}}, ""},
        // Methods are case-sensitive, but Express, Werkzeug and others fold
        // them: "delete" judged as an unknown method (a write) ran a DELETE.
        {"lower-case method", Fields{{":method", "delete"}, {":scheme", "https"}, {":authority", "api.example.test"},
                                     {":path", "/v1/things/1"}}, ""},
        {"mixed-case method", Fields{{":method", "Delete"}, {":scheme", "https"}, {":authority", "api.example.test"},
                                     {":path", "/v1/things/1"}}, ""},
        {"absolute-form :path (an HTTP/1.1 upstream routes by its host)",
         Fields{{":method", "GET"}, {":scheme", "https"}, {":authority", "api.example.test"},
                {":path", "https://evil.example.test/x"}}, ""},
        {":path without a leading slash", Fields{{":method", "GET"}, {":scheme", "https"},
                                                 {":authority", "api.example.test"}, {":path", "v1/things"}}, ""},
        {"asterisk :path on a GET", Fields{{":method", "GET"}, {":scheme", "https"}, {":authority", "api.example.test"},
                                           {":path", "*"}}, ""},
    };
    for (const auto& row : rows) {
        CAPTURE(row.name);
        H2Rig rig(tls_config());
        std::string bytes = std::string(kPreface) + settings() + headers(1, row.fields, row.body.empty());
        if (!row.body.empty()) bytes += data(1, row.body, true);
        const auto frames = parse(rig.raw_guest(bytes));
        const bool reset = std::any_of(frames.begin(), frames.end(), [](const FrameSeen& f) {
            return f.type == NGHTTP2_RST_STREAM && f.stream_id == 1 && f.payload == std::string("\0\0\0\1", 4);
        });
        CHECK(reset);
        CHECK(rig.bytes_to_upstream == 0);
        CHECK_FALSE(rig.refusals.empty());
        // Refused before judged, or its question withdrawn.
        CHECK(rig.decisions.size() == rig.cancelled.size());
        CHECK_FALSE(rig.closed);  // the connection goes on
    }
}

// A server that merges trailers into the head (as some frameworks do) would
// act on a method override the classifier never saw: such trailers are
// refused on their stream, as framing and routing fields are.
TEST_CASE("h2 strictness: trailers carrying a method override or a routing field refuse their stream") {
    using namespace http2_frames;
    const std::vector<Fields> refused = {
        {{"x-http-method-override", "DELETE"}}, {{"x-http-method", "delete"}}, {{"x-method-override", "DELETE"}},
        {{"host", "evil.example.test"}}, {{"content-length", "3"}},
    };
    for (const auto& trailer : refused) {
        CAPTURE(trailer.at(0).first);
        H2Rig rig(tls_config());
        const std::string bytes = std::string(kPreface) + settings() + headers(1, request_fields("POST", "/v1/things"), false) +
                                  data(1, "abc", false) + headers(1, trailer, true);
        const auto frames = parse(rig.raw_guest(bytes));
        const bool reset = std::any_of(frames.begin(), frames.end(), [](const FrameSeen& f) {
            return f.type == NGHTTP2_RST_STREAM && f.stream_id == 1 && f.payload == std::string("\0\0\0\1", 4);
        });
        CHECK(reset);
        CHECK(rig.bytes_to_upstream == 0);
        REQUIRE_FALSE(rig.refusals.empty());
        CHECK(rig.refusals.back().reason.find("a field only a head may carry") != std::string::npos);
        CHECK(rig.decisions.size() == rig.cancelled.size());
        CHECK_FALSE(rig.closed);
    }
    // An ordinary trailer (a checksum) is not refused.
    H2Rig rig(tls_config());
    const std::string bytes = std::string(kPreface) + settings() + headers(1, request_fields("POST", "/v1/things"), false) +
                              data(1, "abc", false) + headers(1, {{"x-checksum", "abc"}}, true);
    rig.raw_guest(bytes);
    CHECK(rig.refusals.empty());
}

TEST_CASE("h2 bounds: an oversized header block (HPACK bomb) refuses the stream, not the connection") {
    using namespace http2_frames;
    H2Rig rig(tls_config());
    Fields fields = request_fields("GET", "/");
    for (int i = 0; i < 120; ++i) fields.emplace_back("x-field-" + std::to_string(i), "v");
    const auto frames = parse(rig.raw_guest(std::string(kPreface) + settings() + headers(1, fields, true)));
    CHECK(std::any_of(frames.begin(), frames.end(), [](const FrameSeen& f) { return f.type == NGHTTP2_RST_STREAM; }));
    CHECK(rig.decisions.empty());
    CHECK_FALSE(rig.closed);
}

TEST_CASE("h2 floods: PING ACKs queue at most 1000 per read; the rest is the shell's guest back-pressure") {
    using namespace http2_frames;
    H2Rig rig(tls_config());
    std::string pings;
    for (int i = 0; i < 5000; ++i) pings += ping(static_cast<std::uint64_t>(i));
    rig.session.on_guest_bytes(std::string(kPreface) + settings() + pings);
    std::size_t largest = 0;
    for (auto& output : rig.session.take_outputs())
        if (auto* to_guest = std::get_if<SendToGuest>(&output)) largest = std::max(largest, to_guest->bytes.size());
    CHECK(largest <= 1000 * 17 + 64);
}

TEST_CASE("h2 floods: SETTINGS floods, rapid reset and CONTINUATION floods end the connection") {
    using namespace http2_frames;
    struct Row { std::string name; std::string flood; };
    std::string settings_flood, rapid_reset, continuations;
    for (int i = 0; i < 3000; ++i) settings_flood += settings();
    for (int i = 0; i < 3000; ++i) {
        const std::int32_t id = 1 + 2 * i;
        rapid_reset += headers(id, request_fields("GET", "/"), true) + rst_stream(id, NGHTTP2_CANCEL);
    }
    continuations = frame(NGHTTP2_HEADERS, 0, 1, hpack(request_fields("GET", "/")));
    for (int i = 0; i < 100; ++i) continuations += frame(NGHTTP2_CONTINUATION, 0, 1, hpack({{"x-a", "b"}}));
    for (const Row& row : {Row{"SETTINGS flood", settings_flood},
                           Row{"rapid reset", rapid_reset}, Row{"CONTINUATION flood", continuations}}) {
        CAPTURE(row.name);
        H2Rig rig(tls_config());
        const auto frames = parse(rig.raw_guest(std::string(kPreface) + settings() + row.flood));
        CHECK(rig.closed);
        CHECK(std::any_of(frames.begin(), frames.end(), [](const FrameSeen& f) { return f.type == NGHTTP2_GOAWAY; }));
        CHECK_FALSE(rig.refusals.empty());
        CHECK(rig.decisions.size() < 2000);
    }
}

namespace {

// The error code of the GOAWAY the session sent, or -1 (RFC 9113 §6.8: last stream id, then the code).
std::int64_t goaway_code(const std::vector<http2_frames::FrameSeen>& frames) {
    for (const auto& f : frames)
        if (f.type == NGHTTP2_GOAWAY && f.payload.size() >= 8) {
            std::uint32_t code = 0;
            for (std::size_t i = 4; i < 8; ++i) code = (code << 8) | static_cast<std::uint8_t>(f.payload[i]);
            return code;
        }
    return -1;
}

}  // namespace

TEST_CASE("h2 floods: each flood ends the connection with GOAWAY ENHANCE_YOUR_CALM") {
    using namespace http2_frames;
    struct Row { std::string name; std::string flood; };
    std::string settings_flood, continuations, empty_data, empty_data_interleaved, priorities;
    for (int i = 0; i < 3000; ++i) settings_flood += settings();
    continuations = frame(NGHTTP2_HEADERS, 0, 1, hpack(request_fields("GET", "/")));
    for (int i = 0; i < 100; ++i) continuations += frame(NGHTTP2_CONTINUATION, 0, 1, hpack({{"x-a", "b"}}));
    // CVE-2019-9518: DATA frames without payload or END_STREAM, one after another
    empty_data = headers(1, request_fields("POST", "/upload"), false);
    for (int i = 0; i < 200; ++i) empty_data += data(1, "", false);
    // ... hidden between frames that make no progress either (WINDOW_UPDATE of 1, PING)
    empty_data_interleaved = headers(1, request_fields("POST", "/upload"), false);
    const std::string window_update_of_1 = frame(NGHTTP2_WINDOW_UPDATE, 0, 0, std::string("\0\0\0\1", 4));
    for (int i = 0; i < 200; ++i) empty_data_interleaved += data(1, "", false) + window_update_of_1 + ping(7);
    // CVE-2019-9513: PRIORITY frames on ever new idle streams, each the exclusive parent of the last
    for (int i = 0; i < 200; ++i) {
        const std::uint32_t parent = (i == 0 ? 0u : static_cast<std::uint32_t>(2 * i - 1)) | 0x80000000u;
        std::string payload;
        for (int shift = 24; shift >= 0; shift -= 8) payload += static_cast<char>((parent >> shift) & 0xff);
        payload += static_cast<char>(255);
        priorities += frame(NGHTTP2_PRIORITY, 0, 1 + 2 * i, payload);
    }
    for (const Row& row : {Row{"SETTINGS flood", settings_flood}, Row{"CONTINUATION flood", continuations},
                           Row{"empty DATA frames", empty_data},
                           Row{"empty DATA frames between WINDOW_UPDATEs and PINGs", empty_data_interleaved},
                           Row{"PRIORITY frames", priorities}}) {
        CAPTURE(row.name);
        H2Rig rig(tls_config());
        const auto frames = parse(rig.raw_guest(std::string(kPreface) + settings() + row.flood));
        CHECK(rig.closed);
        CHECK(goaway_code(frames) == NGHTTP2_ENHANCE_YOUR_CALM);
        CHECK(rig.bytes_to_upstream == 0);
    }
}

TEST_CASE("h2 floods: streams reset as malformed, one after another, end the connection past 100") {
    // An HPACK bomb on stream after stream, or MadeYouReset: each stream in
    // its own read, as a guest that waits for each reset would send them.
    using namespace http2_frames;
    H2Rig rig(tls_config());
    std::string out = rig.raw_guest(std::string(kPreface) + settings());
    for (int i = 0; i < 150 && !rig.closed; ++i) {
        Fields fields = request_fields("GET", "/");
        fields.emplace_back("X-Upper", "1");
        out += rig.raw_guest(headers(1 + 2 * i, fields, true));
    }
    const auto frames = parse(out);
    CHECK(rig.closed);
    CHECK(goaway_code(frames) == NGHTTP2_ENHANCE_YOUR_CALM);
    CHECK(std::count_if(frames.begin(), frames.end(), [](const FrameSeen& f) { return f.type == NGHTTP2_RST_STREAM; }) == 101);
    CHECK(rig.decisions.empty());
}

TEST_CASE("h2 floods: empty DATA frames count until a frame makes progress; a connection's worth of malformed streams is allowed") {
    using namespace http2_frames;
    std::string body = headers(1, request_fields("POST", "/upload"), false);
    for (int round = 0; round < 5; ++round) {
        for (int i = 0; i < 90; ++i) body += data(1, "", false);
        body += data(1, "x", false);
    }
    body += data(1, "", true);
    H2Rig rig(tls_config());
    CHECK(goaway_code(parse(rig.raw_guest(std::string(kPreface) + settings() + body))) == -1);
    CHECK_FALSE(rig.closed);

    H2Rig second(tls_config());
    std::string out = second.raw_guest(std::string(kPreface) + settings());
    for (int i = 0; i < 100; ++i) {
        Fields fields = request_fields("GET", "/");
        fields.emplace_back("X-Upper", "1");
        out += second.raw_guest(headers(1 + 2 * i, fields, true));
    }
    CHECK(goaway_code(parse(out)) == -1);
    CHECK_FALSE(second.closed);
    CHECK(second.refusals.size() == 100);
}

TEST_CASE("h2: a bad preface ends the connection and is reported") {
    H2Rig rig(tls_config());
    rig.raw_guest("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n");
    CHECK(rig.closed);
    CHECK_FALSE(rig.refusals.empty());
}

}  // namespace askfirst::http::testing

namespace askfirst::http::testing {

TEST_CASE("h2 over TLS: passed streams wait for the upstream's ALPN, asking for the connection once") {
    Http2Config config = tls_config();
    config.upstream = UpstreamProtocol::unknown;
    H2Rig rig(config);
    const auto id = rig.guest.request(request_fields("GET", "/a"));
    rig.pump();
    rig.pass(rig.decisions.at(0).id);
    CHECK(rig.upstream_writes == 1);
    CHECK(rig.bytes_to_upstream == 0);
    rig.session.on_upstream_protocol(UpstreamProtocol::http2);
    rig.pump();
    REQUIRE(rig.upstream.requests_in_order.size() == 1);
    rig.upstream.respond(rig.upstream.requests_in_order[0], {{":status", "200"}}, "ok");
    rig.pump();
    CHECK(rig.guest.seen[id].body == "ok");
}

TEST_CASE("h2 guest, HTTP/1.1 upstream: streams in turn, bodies framed, responses relayed") {
    Http2Config config = tls_config();
    config.upstream = UpstreamProtocol::unknown;
    H2Rig rig(config);
    rig.raw_upstream = true;
    const auto first = rig.guest.request(request_fields("POST", "/v1/items"), "hello");
    const auto second = rig.guest.request(request_fields("GET", "/v1/items"));
    rig.pump();
    REQUIRE(rig.decisions.size() == 2);
    rig.pass(static_cast<RequestId>(first));
    rig.pass(static_cast<RequestId>(second));
    rig.session.on_upstream_protocol(UpstreamProtocol::http1);
    rig.pump();
    // Only the first request is on the wire until its response is complete.
    CHECK(rig.upstream_wire == "POST /v1/items HTTP/1.1\r\nHost: api.example.test\r\nContent-Length: 5\r\n\r\nhello");
    rig.upstream_wire.clear();
    rig.upstream_raw("HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
                     "Connection: keep-alive\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    CHECK(field(rig.guest.seen[first].headers, ":status") == "201");
    CHECK(field(rig.guest.seen[first].headers, "content-type") == "text/plain");
    CHECK(field(rig.guest.seen[first].headers, "transfer-encoding").empty());
    CHECK(field(rig.guest.seen[first].headers, "connection").empty());
    CHECK(rig.guest.seen[first].body == "abc");
    CHECK(rig.guest.seen[first].ended);
    CHECK(rig.upstream_wire == "GET /v1/items HTTP/1.1\r\nHost: api.example.test\r\n\r\n");
    rig.upstream_raw("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]");
    CHECK(rig.guest.seen[second].body == "[]");
    CHECK(rig.guest.seen[second].ended);
}

TEST_CASE("h2: a passed stream's window widens to kH2PassedStreamWindow; a stream awaiting its decision keeps 64 KiB") {
    Http2Config config = tls_config();
    config.upstream = UpstreamProtocol::http1;
    H2Rig rig(config);
    rig.raw_upstream = true;
    const auto id = rig.guest.request(request_fields("PUT", "/v1/blob"), "part1", false);
    rig.pump();
    REQUIRE(rig.decisions.size() == 1);
    CHECK(nghttp2_session_get_stream_remote_window_size(rig.guest.raw(), id) <= kH2StreamWindow);
    rig.pass(static_cast<RequestId>(id));
    // The widened window, less what the guest sent since the last update.
    CHECK(nghttp2_session_get_stream_remote_window_size(rig.guest.raw(), id) > kH2PassedStreamWindow - kH2StreamWindow);
    const std::string big(3 * kH2StreamWindow, 'x');
    rig.guest.send_more(id, big, true);
    rig.pump();
    CHECK(rig.upstream_wire.ends_with("0\r\n\r\n"));
}

TEST_CASE("h2 guest, HTTP/1.1 upstream: a body still coming is sent chunked") {
    Http2Config config = tls_config();
    config.upstream = UpstreamProtocol::http1;
    H2Rig rig(config);
    rig.raw_upstream = true;
    const auto id = rig.guest.request(request_fields("PUT", "/v1/blob"), "part1", false);
    rig.pump();
    rig.pass(static_cast<RequestId>(id));
    rig.guest.send_more(id, "part2", true);
    rig.pump();
    CHECK(rig.upstream_wire == "PUT /v1/blob HTTP/1.1\r\nHost: api.example.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "5\r\npart1\r\n5\r\npart2\r\n0\r\n\r\n");
}

// nginx answers a PUT with Expect: 100-continue with an interim "100
// Continue" in its own read, then "201 Created" with no body once the body is
// in. The end of a message without body, at the end of a read, is reported by
// the parser only on the next (empty) parse: when an empty parse skipped
// llhttp, the guest's stream never ended (curl -T over h2: 120 s until nginx
// closed the idle connection, then INTERNAL_ERROR).
TEST_CASE("h2 guest, HTTP/1.1 upstream: bodiless responses end their streams (100 Continue, then 201, then 204)") {
    Http2Config config = tls_config();
    config.upstream = UpstreamProtocol::http1;
    H2Rig rig(config);
    rig.raw_upstream = true;
    Fields fields = request_fields("PUT", "/v1/blob");
    fields.emplace_back("expect", "100-continue");
    fields.emplace_back("content-length", "10");
    const auto id = rig.guest.request(fields, "part1", false);
    rig.pump();
    rig.pass(static_cast<RequestId>(id));
    CHECK(rig.upstream_wire == "PUT /v1/blob HTTP/1.1\r\nHost: api.example.test\r\nexpect: 100-continue\r\n"
                               "content-length: 10\r\n\r\npart1");
    rig.upstream_raw("HTTP/1.1 100 Continue\r\n\r\n");
    rig.guest.send_more(id, "part2", true);
    rig.pump();
    CHECK(rig.upstream_wire.ends_with("part1part2"));
    rig.upstream_raw("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
    // askfirst's own 100 came first (the guest's Expect), so the rig's peer files the final head with the trailers.
    CHECK(field(rig.guest.seen[id].headers, ":status") == "100");
    CHECK(field(rig.guest.seen[id].trailers, ":status") == "201");
    CHECK(rig.guest.seen[id].body.empty());
    CHECK(rig.guest.seen[id].ended);
    // The next request goes out once that response ended, and its 204 ends its stream too.
    rig.upstream_wire.clear();
    const auto next = rig.guest.request(request_fields("DELETE", "/v1/blob"));
    rig.pump();
    rig.pass(static_cast<RequestId>(next));
    CHECK(rig.upstream_wire == "DELETE /v1/blob HTTP/1.1\r\nHost: api.example.test\r\n\r\n");
    rig.upstream_raw("HTTP/1.1 204 No Content\r\n\r\n");
    CHECK(field(rig.guest.seen[next].headers, ":status") == "204");
    CHECK(rig.guest.seen[next].ended);
}

}  // namespace askfirst::http::testing

namespace askfirst::http::testing {

TEST_CASE("h2: a stream refused before its body arrived still drains the body, and is not reset") {
    H2Rig rig(tls_config());
    Fields fields = request_fields("DELETE", "/v1/x");
    fields.emplace_back("content-length", "5");
    const auto id = rig.guest.request(fields, "", false);
    rig.pump();
    REQUIRE(rig.decisions.size() == 1);
    rig.refuse(rig.decisions[0].id, LocalResponse{403, R"({"error":"askfirst_denied"})"});
    rig.guest.send_more(id, "hello", true);
    rig.pump();
    CHECK(field(rig.guest.seen[id].headers, ":status") == "403");
    CHECK(rig.guest.seen[id].ended);
    CHECK(rig.guest.seen[id].reset != NGHTTP2_PROTOCOL_ERROR + 1);
    CHECK(rig.refusals.empty());
}

}  // namespace askfirst::http::testing

namespace askfirst::http::testing {

TEST_CASE("h2: a stream refused after its whole body arrived is answered, not reset") {
    H2Rig rig(tls_config());
    Fields fields = request_fields("DELETE", "/v1/x");
    fields.emplace_back("content-length", "14");
    const auto id = rig.guest.request(fields, "payload-DELETE", true);
    rig.pump();
    REQUIRE(rig.decisions.size() == 1);
    rig.refuse(rig.decisions[0].id, LocalResponse{403, R"({"error":"askfirst_denied"})"});
    CHECK(field(rig.guest.seen[id].headers, ":status") == "403");
    CHECK(rig.guest.seen[id].ended);
    CHECK(rig.guest.seen[id].reset == 0);
    CHECK(rig.refusals.empty());
}

// ---- a body rewritten as it streams (aws-chunked re-signed with the real key) ----

namespace {

// A stand-in for the aws-chunked re-signer (its own tests pin the signing):
// "chunks" end with '.', each let out upper-cased once whole; a '!' fails.
class UppercaseChunks : public BodyRewriter {
public:
    std::string rewrite(std::string_view body_bytes) override {
        if (body_bytes.find('!') != std::string_view::npos) {
            failure_ = "chunk signature does not verify";
            return "";
        }
        held_ += body_bytes;
        const std::size_t end = held_.rfind('.');
        if (end == std::string::npos) return "";
        std::string out = held_.substr(0, end + 1);
        held_.erase(0, end + 1);
        std::transform(out.begin(), out.end(), out.begin(),
                       [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; });
        return out;
    }
    const std::string& failure() const override { return failure_; }

private:
    std::string held_, failure_;
};

// The body of the one chunked HTTP/1.1 request on `wire` ("" when not whole).
std::string dechunked_body(std::string_view wire) {
    std::size_t at = wire.find("\r\n\r\n");
    if (at == std::string_view::npos) return "";
    at += 4;
    std::string body;
    for (;;) {
        const std::size_t line_end = wire.find("\r\n", at);
        if (line_end == std::string_view::npos) return "";
        const std::size_t size = std::stoul(std::string(wire.substr(at, line_end - at)), nullptr, 16);
        if (size == 0) return wire.substr(line_end) == "\r\n\r\n" ? body : "";
        body += wire.substr(line_end + 2, size);
        at = line_end + 2 + size + 2;
    }
}

RequestEdits rewriting_edits() {
    RequestEdits edits;
    edits.body = std::make_shared<UppercaseChunks>();
    return edits;
}

}  // namespace

TEST_CASE("h2: a passed body with a rewriter reaches the upstream rewritten, chunk by chunk, held and streamed") {
    struct Row {
        const char* name;
        UpstreamProtocol upstream;
    };
    for (const Row& row : {Row{"HTTP/2 upstream", UpstreamProtocol::http2}, Row{"HTTP/1.1 upstream", UpstreamProtocol::http1}}) {
        CAPTURE(std::string(row.name));
        Http2Config config = tls_config();
        config.upstream = row.upstream;
        H2Rig rig(config);
        rig.raw_upstream = row.upstream == UpstreamProtocol::http1;
        const auto id = rig.guest.request(request_fields("PUT", "/bucket/key"), "ab.c", false);
        rig.pump();
        REQUIRE(rig.decisions.size() == 1);
        rig.session.pass(rig.decisions[0].id, rewriting_edits());
        rig.pump();
        rig.guest.send_more(id, "d.", false);
        rig.pump();
        const std::string big(100000, 'x');  // one chunk over several DATA frames and window updates
        rig.guest.send_more(id, big + ".", true);
        rig.pump();
        const std::string expected = "AB.CD." + std::string(100000, 'X') + ".";
        if (row.upstream == UpstreamProtocol::http2) {
            REQUIRE(rig.upstream.requests_in_order.size() == 1);
            const auto& seen = rig.upstream.seen[rig.upstream.requests_in_order[0]];
            CHECK(seen.body == expected);
            CHECK(seen.ended);
        } else {
            CHECK(dechunked_body(rig.upstream_wire) == expected);
        }
        CHECK(rig.refusals.empty());
    }
}

TEST_CASE("h2: a rewriter's failure, or a body ending inside a chunk, answers 502 and sends nothing more") {
    struct Row {
        const char* name;
        const char* body;
        const char* reason;
        UpstreamProtocol upstream;
    };
    const Row rows[] = {
        {"a chunk that does not verify, HTTP/2 upstream", "ab.c!d.", "does not verify", UpstreamProtocol::http2},
        {"a chunk that does not verify, HTTP/1.1 upstream", "ab.c!d.", "does not verify", UpstreamProtocol::http1},
        {"ended inside a chunk, HTTP/2 upstream", "ab.cd", "ended inside a chunk", UpstreamProtocol::http2},
        {"ended inside a chunk, HTTP/1.1 upstream", "ab.cd", "ended inside a chunk", UpstreamProtocol::http1},
    };
    for (const Row& row : rows) {
        CAPTURE(std::string(row.name));
        Http2Config config = tls_config();
        config.upstream = row.upstream;
        H2Rig rig(config);
        rig.raw_upstream = row.upstream == UpstreamProtocol::http1;
        const auto id = rig.guest.request(request_fields("PUT", "/bucket/key"), row.body, true);
        rig.pump();
        REQUIRE(rig.decisions.size() == 1);
        rig.session.pass(rig.decisions[0].id, rewriting_edits());
        rig.pump();
        CHECK(field(rig.guest.seen[id].headers, ":status") == "502");
        CHECK(rig.guest.seen[id].body.find(row.reason) != std::string::npos);
        CHECK(std::any_of(rig.refusals.begin(), rig.refusals.end(), [&](const ProtocolRefusal& refusal) {
            return refusal.status == 502 && refusal.reason.find(row.reason) != std::string::npos;
        }));
        if (row.upstream == UpstreamProtocol::http2) {
            for (const auto& [upstream_id, seen] : rig.upstream.seen) CHECK_FALSE(seen.ended);  // never a whole body
        } else {
            CHECK(rig.upstream_wire.find("0\r\n\r\n") == std::string::npos);
        }
    }
}

}  // namespace askfirst::http::testing
