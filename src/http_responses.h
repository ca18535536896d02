// src/http_responses.h — the complete HTTP/1.1 responses askfirstd itself
// sends to the guest: 400 (framing refused), 421 (Host is not the SNI),
// 403 (the decision refused the request), 502 (the upstream failed, e.g. its
// certificate), and the interim 100 Continue. Each carries Content-Length so
// the client can parse it and, where the connection stays usable (the 403),
// send its next request on the same connection (invariant 8).
#pragma once

#include <string>
#include <string_view>

namespace askfirst::http {

enum class AfterResponse { keep_alive, close };

// What the guest is told about a refusal (all values are ours, not the guest's).
struct DenialDetails {
    std::string provider;
    std::string operation;
    std::string tier;
    std::string mode;
    std::string reason;
};

// {"error":"askfirst_denied","provider":...,"operation":...,"tier":...,"mode":...,"reason":...}
std::string denial_json(const DenialDetails& denial);
// {"error":"askfirst_bad_request","reason":...}
std::string bad_request_json(std::string_view reason);
// {"error":"askfirst_misdirected","reason":...}
std::string misdirected_json(std::string_view reason);
// {"error":"askfirst_upstream_failed","host":...,"reason":...}
std::string upstream_failed_json(std::string_view host, std::string_view reason);

// "HTTP/1.1 <status> <phrase>" with a JSON body; `Connection: close` when
// `after` is close.
std::string json_response(int status, std::string_view json_body, AfterResponse after);

// The 403 for a refused request; keep-alive unless the request asked to close.
std::string forbidden_response(const DenialDetails& denial, AfterResponse after);

inline constexpr std::string_view kContinueResponse = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace askfirst::http
