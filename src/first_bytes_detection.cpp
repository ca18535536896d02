// src/first_bytes_detection.cpp — the detector table (see the header).
#include "src/first_bytes_detection.h"

#include "src/http/http_session.h"

namespace askfirst {

namespace {

std::unique_ptr<FlowSession> make_http1_session(const SessionContext& context) {
    http::SessionConfig config;
    config.sni = context.sni;
    config.max_inspect_bytes = context.max_inspect_bytes;
    return std::make_unique<http::HttpSession>(std::move(config));
}

// The HTTP/2 preface goes to the HTTP/1.1 session, which refuses it with a
// 400 (h2 is not inspected yet); it is tried before the request line, whose
// first line it resembles ("PRI * HTTP/2.0" differs only at the version).
constexpr FirstBytesDetector kFirstBytesDetectors[] = {
    {"tls", tls::fits_tls_client_hello, nullptr},
    {"http2_prior_knowledge", tls::fits_http2_preface, make_http1_session},
    {"http1", tls::fits_http1_request_line, make_http1_session},
    // Last: a registered method and a blank that the strict row refused
    // (tls/protocol_detect.h) still goes to the HTTP session, never opaque.
    {"http1_lenient", tls::fits_lenient_http1_start, make_http1_session},
};

}  // namespace

std::span<const FirstBytesDetector> first_bytes_detectors() { return kFirstBytesDetectors; }

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

std::unique_ptr<FlowSession> session_inside_tls(const SessionContext& context) {
    return make_http1_session(context);
}

}  // namespace askfirst
