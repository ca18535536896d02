// src/first_plaintext_session.h — the session inside a TLS flow we opened,
// chosen by the first plaintext the guest sends through it: the detector
// table's rows for plaintext protocols (HTTP/1.x, the h2 preface, PostgreSQL,
// Redis) are tried on those bytes, as on a plaintext flow's first bytes. So
// `rediss://` (redis-cli --tls) is read command by command like plain Redis,
// and HTTPS stays HTTP. Plaintext that no row recognises goes to the HTTP/1.1
// session, which refuses what is not HTTP (as every TLS flow's plaintext was
// before): nothing inside TLS is relayed unread.
//
// It is a FlowSession that holds the first guest bytes (at most
// kMaxPlaintextDetectionBytes, the same bound the pipeline keeps for a
// plaintext flow's detection) and then hands them, and every later event, to
// the session it chose.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "src/first_bytes_detection.h"

namespace askfirst {

// Beyond this many plaintext bytes without a verdict, the HTTP session takes them.
inline constexpr std::size_t kMaxPlaintextDetectionBytes = 16 * 1024;

class FirstPlaintextSession final : public FlowSession {
public:
    FirstPlaintextSession(SessionContext context, std::span<const FirstBytesDetector> detectors,
                          SessionFactory fallback);

    void on_guest_bytes(std::string_view plaintext) override;
    void on_guest_eof() override;
    void on_upstream_bytes(std::string_view plaintext) override;
    std::size_t on_upstream_bytes_relayed_by_caller(std::string_view plaintext) override;
    void on_upstream_eof() override;
    void on_upstream_failed(std::string_view reason) override;
    void on_verdict(RequestId id, const Verdict& verdict) override;
    std::vector<SessionOutput> take_outputs() override;
    bool wants_guest_bytes() const override;
    bool closed() const override;

private:
    // Picks the session when the bytes so far decide (or `now`: the fallback).
    void choose(bool now);

    SessionContext context_;
    std::span<const FirstBytesDetector> detectors_;
    SessionFactory fallback_;
    std::unique_ptr<FlowSession> chosen_;
    std::string first_bytes_;
    bool guest_eof_ = false;
};

}  // namespace askfirst
