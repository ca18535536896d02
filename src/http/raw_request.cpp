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

namespace {

// The head's bare LF line ends as CRLF, when the head has no CR at all.
std::string with_crlf_head(std::string_view bytes) {
    const auto head_end = bytes.find("\n\n");
    if (head_end == std::string_view::npos || bytes.substr(0, head_end).find('\r') != std::string_view::npos)
        return std::string(bytes);
    std::string out;
    for (const char c : bytes.substr(0, head_end + 2)) {
        if (c == '\n') out += '\r';
        out += c;
    }
    out.append(bytes.substr(head_end + 2));
    return out;
}

}  // namespace

Result<classifiers::HttpRequest> read_saved_request(std::string_view file_bytes) {
    using Read = Result<classifiers::HttpRequest>;
    RawRequestResult read = read_raw_request(with_crlf_head(file_bytes));
    if (read.request) return Read::success(std::move(*read.request));
    if (read.refused_status != 0)
        return Read::failure("askfirstd would refuse this request with " + std::to_string(read.refused_status) +
                             " before judging it: " + read.error);
    return Read::failure(read.error + " (a raw request is 'METHOD TARGET HTTP/1.1', headers, a blank line, the body)");
}

}  // namespace askfirst::http
