// src/first_bytes_detection.cpp — the detector table (see the header).
#include "src/first_bytes_detection.h"

#include <algorithm>

#include "classifiers/redis_commands.h"
#include "src/database/mongodb_session.h"
#include "src/database/mysql_session.h"
#include "src/database/postgres_session.h"
#include "src/database/postgres_wire.h"
#include "src/database/redis_session.h"
#include "src/first_plaintext_session.h"
#include "src/http/http2_session.h"
#include "src/http/http_session.h"

namespace askfirst {

namespace {

std::unique_ptr<FlowSession> make_http1_session(const SessionContext& context) {
    http::SessionConfig config;
    config.sni = context.sni;
    config.max_inspect_bytes = context.max_inspect_bytes;
    return std::make_unique<http::HttpSession>(std::move(config));
}

// HTTP/2 with prior knowledge (plain TCP, any port): the upstream is
// spoken to the same way. Inside TLS the upstream's ALPN decides.
std::unique_ptr<FlowSession> make_http2_session(const SessionContext& context, http::UpstreamProtocol upstream) {
    http::Http2Config config;
    config.sni = context.sni;
    config.max_inspect_bytes = context.max_inspect_bytes;
    config.upstream = upstream;
    return std::make_unique<http::Http2Session>(std::move(config));
}

std::unique_ptr<FlowSession> make_http2_prior_knowledge_session(const SessionContext& context) {
    return make_http2_session(context, http::UpstreamProtocol::http2);
}

std::unique_ptr<FlowSession> make_postgres_session(const SessionContext& context) {
    return std::make_unique<database::PostgresSession>(database::PostgresSessionConfig{context.max_inspect_bytes});
}

// A PostgreSQL startup packet (StartupMessage, SSLRequest, GSSENCRequest,
// CancelRequest): eight bytes tell it (src/database/postgres_wire.h).
tls::Fit fits_postgres_startup(std::span<const std::uint8_t> bytes) {
    switch (database::pg::detect_startup_packet({reinterpret_cast<const char*>(bytes.data()), bytes.size()})) {
    case database::pg::StartupDetection::need_more: return tls::Fit::need_more;
    case database::pg::StartupDetection::postgres: return tls::Fit::match;
    case database::pg::StartupDetection::not_postgres: return tls::Fit::no;
    }
    return tls::Fit::no;
}

std::unique_ptr<FlowSession> make_redis_session(const SessionContext& context) {
    return std::make_unique<database::RedisSession>(
        database::RedisSessionConfig{context.max_inspect_bytes, context.redis_scripts});
}

// A RESP command array ("*<n>\r\n$"): what every Redis client sends first.
tls::Fit fits_redis_command(std::span<const std::uint8_t> bytes) {
    switch (database::resp::detect_command_array({reinterpret_cast<const char*>(bytes.data()), bytes.size()})) {
    case database::resp::Detection::need_more: return tls::Fit::need_more;
    case database::resp::Detection::redis: return tls::Fit::match;
    case database::resp::Detection::not_redis: return tls::Fit::no;
    }
    return tls::Fit::no;
}

// An inline Redis command ("FLUSHALL\r\n", as telnet or a script sends it):
// the server executes it as it would the array, so it is read, never relayed
// as an opaque "tcp" write. Its first word must be a command Redis lists
// (or, while it is still coming, the start of one).
bool is_redis_command(std::string_view lower_word, bool whole) {
    if (whole) return classifiers::redis::find_redis_command(lower_word) != nullptr;
    const auto table = classifiers::redis::redis_command_table();
    const auto next = std::lower_bound(table.begin(), table.end(), lower_word,
                                       [](const auto& row, std::string_view word) { return row.name < word; });
    return next != table.end() && next->name.starts_with(lower_word);
}

// Only what neither HTTP row takes or still waits for: a method that is also
// a Redis command (GET, COPY, UNLINK) on a request line stays HTTP's.
tls::Fit fits_redis_inline_command(std::span<const std::uint8_t> bytes) {
    const tls::Fit http = tls::fits_lenient_http1_start(bytes);  // it defers to the strict row itself
    if (http == tls::Fit::need_more) return tls::Fit::need_more;
    if (http == tls::Fit::match || tls::fits_http1_request_line(bytes) == tls::Fit::match) return tls::Fit::no;
    switch (database::resp::detect_inline_command({reinterpret_cast<const char*>(bytes.data()), bytes.size()},
                                                  is_redis_command)) {
    case database::resp::Detection::need_more: return tls::Fit::need_more;
    case database::resp::Detection::redis: return tls::Fit::match;
    case database::resp::Detection::not_redis: return tls::Fit::no;
    }
    return tls::Fit::no;
}

std::unique_ptr<FlowSession> make_mongodb_session(const SessionContext& context) {
    return std::make_unique<database::MongodbSession>(database::MongodbSessionConfig{context.max_inspect_bytes});
}

// A MongoDB OP_MSG or OP_QUERY header (src/database/mongodb_wire.h): what
// every driver sends first (hello / isMaster).
tls::Fit fits_mongodb_message(std::span<const std::uint8_t> bytes) {
    switch (database::mongo::detect_first_message({reinterpret_cast<const char*>(bytes.data()), bytes.size()})) {
    case database::mongo::Detection::need_more: return tls::Fit::need_more;
    case database::mongo::Detection::mongodb: return tls::Fit::match;
    case database::mongo::Detection::not_mongodb: return tls::Fit::no;
    }
    return tls::Fit::no;
}

std::unique_ptr<FlowSession> make_mysql_session(const SessionContext& context) {
    return std::make_unique<database::MysqlSession>(database::MysqlSessionConfig{context.max_inspect_bytes});
}

// A MySQL/MariaDB HandshakeV10 greeting: the server's first packet.
tls::Fit fits_mysql_greeting(std::span<const std::uint8_t> bytes) {
    switch (database::mysql::detect_greeting({reinterpret_cast<const char*>(bytes.data()), bytes.size()})) {
    case database::mysql::Detection::need_more: return tls::Fit::need_more;
    case database::mysql::Detection::mysql: return tls::Fit::match;
    case database::mysql::Detection::not_mysql: return tls::Fit::no;
    }
    return tls::Fit::no;
}

// Protocols whose server speaks first, told by the upstream's first bytes
// when the probe dialed it for a silent guest.
constexpr FirstBytesDetector kServerFirstDetectors[] = {
    {"mysql", fits_mysql_greeting, make_mysql_session},
};

// The HTTP/2 preface ("PRI * HTTP/2.0", prior knowledge) starts an HTTP/2
// session (issue 16); it is tried before the request line, whose first line
// it resembles (it differs only at the version).
constexpr FirstBytesDetector kFirstBytesDetectors[] = {
    {"tls", tls::fits_tls_client_hello, nullptr},
    {"http2_prior_knowledge", tls::fits_http2_preface, make_http2_prior_knowledge_session},
    {"http1", tls::fits_http1_request_line, make_http1_session},
    {"postgres", fits_postgres_startup, make_postgres_session},
    {"redis", fits_redis_command, make_redis_session},
    {"mongodb", fits_mongodb_message, make_mongodb_session},
    // A registered method and a blank that the strict row refused
    // (tls/protocol_detect.h) still goes to the HTTP session, never opaque.
    {"http1_lenient", tls::fits_lenient_http1_start, make_http1_session},
    // Last: an inline Redis command that no HTTP row takes.
    {"redis_inline", fits_redis_inline_command, make_redis_session},
};

}  // namespace

std::span<const FirstBytesDetector> first_bytes_detectors() { return kFirstBytesDetectors; }

std::span<const FirstBytesDetector> server_first_detectors() { return kServerFirstDetectors; }

Detection detect_first_bytes(std::span<const std::uint8_t> first_bytes,
                             std::span<const FirstBytesDetector> detectors) {
    bool any_need_more = false;
    for (const auto& detector : detectors) {
        const tls::Fit fit = detector.fits(first_bytes);
        if (fit == tls::Fit::match) return {Detection::Outcome::matched, &detector};
        if (fit == tls::Fit::need_more) any_need_more = true;
    }
    return {any_need_more ? Detection::Outcome::need_more : Detection::Outcome::opaque, nullptr};
}

bool starts_session_of(const FirstBytesDetector& row, std::string_view protocol) {
    for (const auto table : {first_bytes_detectors(), server_first_detectors()})
        for (const FirstBytesDetector& main : table)
            if (main.name == protocol) return main.make_session == row.make_session;
    return false;
}

// Inside TLS: every row but TLS's own, chosen by the first plaintext
// (src/first_plaintext_session.h); what none recognises goes to HTTP/1.1.
std::unique_ptr<FlowSession> session_inside_tls(const SessionContext& context) {
    // A guest that negotiated h2 in ALPN speaks HTTP/2 (the upstream's ALPN
    // then decides the upstream's protocol); otherwise the first plaintext.
    if (context.guest_offers_h2) return make_http2_session(context, http::UpstreamProtocol::unknown);
    // Rows 0 and 1 are TLS itself and the HTTP/2 preface: a guest that did not
    // negotiate h2 in ALPN and sends the preface gets the HTTP/1.1 session's 400.
    static_assert(kFirstBytesDetectors[0].make_session == nullptr, "row 0 is TLS itself");
    static_assert(kFirstBytesDetectors[1].fits == tls::fits_http2_preface, "row 1 is the HTTP/2 preface");
    return std::make_unique<FirstPlaintextSession>(context, std::span(kFirstBytesDetectors).subspan(2),
                                                   make_http1_session);
}

}  // namespace askfirst
