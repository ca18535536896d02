// src/http_responses.cpp — rendering askfirstd's own responses.
#include "src/http_responses.h"

#include "consent/json_text.h"

namespace askfirst::http {

namespace {

// RFC 9110 §15 reason phrases for the statuses askfirstd sends.
std::string_view reason_phrase(int status) {
    switch (status) {
        case 400: return "Bad Request";
        case 403: return "Forbidden";
        case 421: return "Misdirected Request";
        case 502: return "Bad Gateway";
        default: return "Error";
    }
}

}  // namespace

std::string denial_json(const DenialDetails& denial) {
    return consent::JsonObjectText()
        .add("error", "askfirst_denied")
        .add("provider", denial.provider)
        .add("operation", denial.operation)
        .add("tier", denial.tier)
        .add("mode", denial.mode)
        .add("reason", denial.reason)
        .finish();
}

std::string bad_request_json(std::string_view reason) {
    return consent::JsonObjectText().add("error", "askfirst_bad_request").add("reason", reason).finish();
}

std::string misdirected_json(std::string_view reason) {
    return consent::JsonObjectText().add("error", "askfirst_misdirected").add("reason", reason).finish();
}

std::string upstream_failed_json(std::string_view host, std::string_view reason) {
    return consent::JsonObjectText()
        .add("error", "askfirst_upstream_failed")
        .add("host", host)
        .add("reason", reason)
        .finish();
}

std::string json_response(int status, std::string_view json_body, AfterResponse after) {
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason_phrase(status)) + "\r\n";
    out += "Content-Type: application/json\r\n";
    out += "Content-Length: " + std::to_string(json_body.size() + 1) + "\r\n";  // +1: final newline
    out += "Cache-Control: no-store\r\n";
    if (after == AfterResponse::close) out += "Connection: close\r\n";
    out += "\r\n";
    out += json_body;
    out += '\n';
    return out;
}

std::string forbidden_response(const DenialDetails& denial, AfterResponse after) {
    return json_response(403, denial_json(denial), after);
}

}  // namespace askfirst::http
