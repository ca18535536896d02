// src/http/raw_request.cpp — a raw request through an HttpSession, stopping at its
// DecideRequest (or at the refusal that replaces it).
#include "src/http/raw_request.h"

namespace askfirst::http {

RawRequestResult read_raw_request(std::string_view raw, std::string_view sni, std::size_t max_inspect_bytes) {
    HttpSession session(SessionConfig{std::string(sni), max_inspect_bytes});
    session.on_guest_bytes(raw);
    RawRequestResult result;
    for (SessionOutput& output : session.take_outputs()) {
        if (auto* decide = std::get_if<DecideRequest>(&output)) {
            result.request = std::move(decide->request);
            return result;
        }
        if (auto* refusal = std::get_if<ProtocolRefusal>(&output)) {
            result.refused_status = refusal->status;
            result.error = refusal->reason;
            return result;
        }
    }
    result.error = "the request is incomplete: its head or body ends before the framing says it should";
    return result;
}

}  // namespace askfirst::http
