// src/first_bytes_detection.h — the first stage of every guest TCP flow:
// which protocol it speaks, judged from the guest's first bytes against a
// TABLE of detectors. Sans-io: the pipeline (src/intercepting_pipeline.h)
// buffers what the guest sent so far and asks again after every segment.
//
// Each row names a protocol, recognises its first message (tls::Fit:
// match / no / need_more, never changing its mind for a longer prefix) and
// says what the flow becomes: TLS (the pipeline opens TLS with our leaf and
// starts the session for the plaintext inside it), or a FlowSession
// (src/flow_session.h) made by the row's factory. The first row that matches
// wins; when every row says no, the flow is opaque (judged once as
// "tcp HOST:PORT", then relayed).
//
// Adding a protocol (PostgreSQL, MySQL, Redis, MongoDB): write its `fits`
// function and its session, and add a row to kFirstBytesDetectors in the
// .cpp; the order of rows matters only where first messages overlap.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "src/flow_session.h"
#include "tls/protocol_detect.h"

namespace askfirst {

using SessionFactory = std::unique_ptr<FlowSession> (*)(const SessionContext& context);

struct FirstBytesDetector {
    std::string_view name;                          // for log lines: "tls", "http1", "postgres"
    tls::Fit (*fits)(std::span<const std::uint8_t> first_bytes);
    // What the flow becomes. nullptr: TLS; the session inside is
    // session_inside_tls()'s.
    SessionFactory make_session;
};

// The table askfirstd uses, in the order the rows are tried.
std::span<const FirstBytesDetector> first_bytes_detectors();
// The table for the upstream's first bytes when the guest stayed silent and
// the probe dialed (server-speaks-first protocols: MySQL's greeting). Their
// sessions start with the upstream connected: the server's first bytes are
// theirs to relay.
std::span<const FirstBytesDetector> server_first_detectors();

// Does this row start the session of `protocol` (a main row's name)? The
// rows that only recognise another form of a protocol ("redis_inline",
// "http1_lenient") start the same session as its main row.
bool starts_session_of(const FirstBytesDetector& row, std::string_view protocol);

struct Detection {
    enum class Outcome { need_more, matched, opaque } outcome = Outcome::need_more;
    const FirstBytesDetector* detector = nullptr;  // when matched
};

Detection detect_first_bytes(std::span<const std::uint8_t> first_bytes,
                             std::span<const FirstBytesDetector> detectors = first_bytes_detectors());

// The session for the plaintext of a TLS flow we opened: HTTP/2 when the
// guest offered h2 (our server prefers it, so the handshake settles on it),
// else HTTP/1.1.
std::unique_ptr<FlowSession> session_inside_tls(const SessionContext& context);

}  // namespace askfirst
