// src/http/http_responses.cpp — rendering askfirstd's own responses, and the
// provider-shaped bodies of a refusal (see the header). The shapes follow
// what the clients' parsers read: botocore's parsers.py (QueryParser,
// EC2QueryParser, RestXMLParser, BaseJSONParser/RestJSONParser), the
// Kubernetes meta/v1 Status type, GitHub's REST error object and the
// GraphQL-over-HTTP "errors" member.
#include "src/http/http_responses.h"

#include "src/base/json_text.h"

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

// The request id AWS clients print beside an error: ours says who answered.
constexpr std::string_view kAwsRequestId = "askfirst-refusal";
// The error code AWS services send for a refusal by policy (IAM's AccessDenied);
// JSON protocols spell it as an exception name. Neither is retried by botocore.
constexpr std::string_view kAwsXmlCode = "AccessDenied";
constexpr std::string_view kAwsJsonType = "AccessDeniedException";

// Length of the UTF-8 sequence starting at `text[at]`, or 0 if it is not valid
// (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence_length(std::string_view text, std::size_t at) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(at);
    std::size_t length = lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3
                         : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (length == 0 || at + length > text.size()) return 0;
    for (std::size_t i = 1; i < length; ++i)
        if ((byte(at + i) & 0xc0) != 0x80) return 0;
    const unsigned char second = length > 1 ? byte(at + 1) : 0;
    if ((lead == 0xe0 && second < 0xa0) || (lead == 0xed && second > 0x9f) || (lead == 0xf0 && second < 0x90) ||
        (lead == 0xf4 && second > 0x8f))
        return 0;
    return length;
}

// `text` as XML 1.0 character data: markup escaped, characters XML forbids
// (C0 controls but tab, LF, CR) and bytes that are not UTF-8 become '?', so
// the client's XML parser never fails on a path the guest sent.
std::string xml_text(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t at = 0; at < text.size();) {
        const std::size_t length = utf8_sequence_length(text, at);
        if (length == 0) {
            out += '?';
            ++at;
            continue;
        }
        const char c = text[at];
        if (length > 1) out.append(text.substr(at, length));
        else if (c == '&') out += "&amp;";
        else if (c == '<') out += "&lt;";
        else if (c == '>') out += "&gt;";
        else if (c == '"') out += "&quot;";
        else if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') out += '?';
        else out += c;
        at += length;
    }
    return out;
}

// One line of text for git: no control characters (git prints them raw).
std::string plain_line(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    return out;
}

std::string aws_query_xml(const std::string& message) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse><Error><Type>Sender</Type><Code>" +
           std::string(kAwsXmlCode) + "</Code><Message>" + xml_text(message) + "</Message></Error><RequestId>" +
           std::string(kAwsRequestId) + "</RequestId></ErrorResponse>";
}

std::string aws_ec2_xml(const std::string& message) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>" + std::string(kAwsXmlCode) +
           "</Code><Message>" + xml_text(message) + "</Message></Error></Errors><RequestID>" +
           std::string(kAwsRequestId) + "</RequestID></Response>";
}

std::string aws_s3_xml(const std::string& message) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + std::string(kAwsXmlCode) +
           "</Code><Message>" + xml_text(message) + "</Message><RequestId>" + std::string(kAwsRequestId) +
           "</RequestId></Error>";
}

std::string kubernetes_status(const std::string& message) {
    return JsonObjectText()
        .add("kind", "Status")
        .add("apiVersion", "v1")
        .add_raw("metadata", "{}")
        .add("status", "Failure")
        .add("message", message)
        .add("reason", "Forbidden")
        .add_raw("details", JsonObjectText().add("kind", "askfirst").finish())
        .add("code", std::int64_t{403})
        .finish();
}

// GraphQL clients read "errors" (GraphQL-over-HTTP); gh and Octokit read
// "message" of a non-2xx answer: this body satisfies both.
std::string graphql_errors(const DenialDetails& denial, const std::string& message) {
    const std::string extensions = JsonObjectText()
                                       .add("code", "FORBIDDEN")
                                       .add("askfirst_operation", denial.operation)
                                       .add("askfirst_tier", denial.tier)
                                       .finish();
    const std::string error =
        JsonObjectText().add("message", message).add("type", "FORBIDDEN").add_raw("extensions", extensions).finish();
    return JsonObjectText().add_raw("data", "null").add_raw("errors", "[" + error + "]").add("message", message).finish();
}

}  // namespace

std::string_view refusal_shape_name(RefusalShape shape) {
    switch (shape) {
        case RefusalShape::askfirst_json: return "askfirst-json";
        case RefusalShape::aws_query_xml: return "aws-query-xml";
        case RefusalShape::aws_ec2_xml: return "aws-ec2-xml";
        case RefusalShape::aws_s3_xml: return "aws-s3-xml";
        case RefusalShape::aws_json: return "aws-json";
        case RefusalShape::aws_rest_json: return "aws-rest-json";
        case RefusalShape::kubernetes_status: return "kubernetes-status";
        case RefusalShape::forge_rest_json: return "forge-rest-json";
        case RefusalShape::graphql_errors: return "graphql-errors";
        case RefusalShape::git_text: return "git-text";
        case RefusalShape::grpc_status: return "grpc-status";
    }
    return "askfirst-json";
}

std::string denial_message(const DenialDetails& denial) {
    std::string message = "askfirst refused " + denial.operation + " (" + denial.tier + ", provider " +
                          denial.provider + ", mode " + denial.mode + "): " + denial.reason + ".";
    if (!denial.how_to_allow.empty()) message += " To allow it: " + denial.how_to_allow + ".";
    return message;
}

std::string denial_json(const DenialDetails& denial) {
    return JsonObjectText()
        .add("error", "askfirst_denied")
        .add("provider", denial.provider)
        .add("operation", denial.operation)
        .add("tier", denial.tier)
        .add("mode", denial.mode)
        .add("reason", denial.reason)
        .add("how_to_allow", denial.how_to_allow)
        .add("message", denial_message(denial))
        .finish();
}

// grpc-message's encoding (PROTOCOL-HTTP2.md): bytes outside 0x20-0x7E, and
// '%', as %XX.
std::string grpc_percent_encoded(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte > 0x7e || c == '%') {
            out += '%';
            out += kHex[byte >> 4];
            out += kHex[byte & 15];
        } else {
            out += c;
        }
    }
    return out;
}

LocalResponse shaped_denial(const DenialDetails& denial, RefusalShape shape) {
    const std::string message = denial_message(denial);
    const std::string amz_id = "x-amzn-RequestId: " + std::string(kAwsRequestId) + "\r\n";
    switch (shape) {
        case RefusalShape::askfirst_json: return LocalResponse{403, denial_json(denial)};
        case RefusalShape::aws_query_xml: return LocalResponse{403, aws_query_xml(message), "text/xml", amz_id};
        case RefusalShape::aws_ec2_xml: return LocalResponse{403, aws_ec2_xml(message), "text/xml", amz_id};
        case RefusalShape::aws_s3_xml:
            return LocalResponse{403, aws_s3_xml(message), "application/xml",
                                 "x-amz-request-id: " + std::string(kAwsRequestId) + "\r\n"};
        case RefusalShape::aws_json:
        case RefusalShape::aws_rest_json: {
            std::string body = JsonObjectText().add("__type", kAwsJsonType).add("message", message).finish();
            std::string type = shape == RefusalShape::aws_json ? "application/x-amz-json-1.1" : "application/json";
            return LocalResponse{403, std::move(body), std::move(type),
                                 "x-amzn-ErrorType: " + std::string(kAwsJsonType) + "\r\n" + amz_id};
        }
        case RefusalShape::kubernetes_status: return LocalResponse{403, kubernetes_status(message)};
        case RefusalShape::forge_rest_json:
            return LocalResponse{403, JsonObjectText().add("message", message).add("askfirst", true).finish()};
        case RefusalShape::graphql_errors: return LocalResponse{403, graphql_errors(denial, message)};
        case RefusalShape::git_text:
            return LocalResponse{403, plain_line(message), "text/plain; charset=utf-8", ""};
        case RefusalShape::grpc_status: {
            // gRPC's "Trailers-Only" response (gRPC over HTTP/2, PROTOCOL-HTTP2.md):
            // HTTP 200, no body, grpc-status 7 (PERMISSION_DENIED) and the
            // percent-encoded sentence in grpc-message; grpcio and grpc-go show it
            // as the call's error details.
            LocalResponse response{200, "", "application/grpc",
                                   "grpc-status: 7\r\ngrpc-message: " + grpc_percent_encoded(message) + "\r\n"};
            response.final_newline = false;
            return response;
        }
    }
    return LocalResponse{403, denial_json(denial)};
}

std::string bad_request_json(std::string_view reason) {
    return JsonObjectText().add("error", "askfirst_bad_request").add("reason", reason).finish();
}

std::string misdirected_json(std::string_view reason) {
    return JsonObjectText().add("error", "askfirst_misdirected").add("reason", reason).finish();
}

std::string upstream_failed_json(std::string_view host, std::string_view reason) {
    return JsonObjectText()
        .add("error", "askfirst_upstream_failed")
        .add("host", host)
        .add("reason", reason)
        .finish();
}

std::string response_bytes(const LocalResponse& response, AfterResponse after) {
    std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " +
                      std::string(reason_phrase(response.status)) + "\r\n";
    out += "Content-Type: " + response.content_type + "\r\n";
    const std::size_t length = response.body.size() + (response.final_newline ? 1 : 0);
    out += "Content-Length: " + std::to_string(length) + "\r\n";
    out += "Cache-Control: no-store\r\n";
    out += response.extra_headers;
    if (after == AfterResponse::close) out += "Connection: close\r\n";
    out += "\r\n";
    out += response.body;
    if (response.final_newline) out += '\n';
    return out;
}

std::string json_response(int status, std::string_view json_body, AfterResponse after) {
    return response_bytes(LocalResponse{status, std::string(json_body)}, after);
}

}  // namespace askfirst::http
