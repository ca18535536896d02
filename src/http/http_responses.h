// src/http/http_responses.h — the complete HTTP/1.1 responses askfirstd itself
// sends to the guest: 400 (framing refused), 421 (Host is not the SNI),
// 403 (the decision refused the request), 502 (the upstream failed, e.g. its
// certificate), and the interim 100 Continue. Each carries Content-Length so
// the client can parse it and, where the connection stays usable (the 403),
// send its next request on the same connection (invariant 8).
//
// A 403 is shaped like the provider's own refusals (RefusalShape), so the
// agent's client prints askfirst's sentence instead of a parse error or a
// retry: awscli reads AWS's XML or JSON error shapes, kubectl a Status
// object, gh/glab a {"message"} object, GraphQL clients an "errors" array,
// git a text/plain body. Every shape carries the same facts: askfirst
// refused, the operation, its tier, the mode, the reason and how to get it
// allowed (denial_message()).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace askfirst::http {

enum class AfterResponse { keep_alive, close };

// A response askfirstd writes itself; the session adds the status line,
// Content-Length and, when it must close the connection, Connection: close.
struct LocalResponse {
    int status = 403;
    std::string body;
    std::string content_type = "application/json";
    std::string extra_headers;  // complete "Name: value\r\n" lines, our own values only
    bool final_newline = true;  // a '\n' after the body, for terminals; not for a binary protocol

    LocalResponse() = default;
    LocalResponse(int status_code, std::string json_body) : status(status_code), body(std::move(json_body)) {}
    LocalResponse(int status_code, std::string body_text, std::string type, std::string headers)
        : status(status_code), body(std::move(body_text)), content_type(std::move(type)),
          extra_headers(std::move(headers)) {}
};

// What the guest is told about a refusal (all values are ours, not the guest's).
struct DenialDetails {
    std::string provider;
    std::string operation;
    std::string tier;
    std::string mode;
    std::string reason;
    std::string how_to_allow;  // one sentence: who can allow it, and how
};

// The body shape a provider's clients parse for "access denied".
enum class RefusalShape : std::uint8_t {
    askfirst_json,      // {"error":"askfirst_denied",...}: providers without a shape of their own
    aws_query_xml,      // <ErrorResponse><Error><Type>Sender</Type><Code>..: query and rest-xml (not S3)
    aws_ec2_xml,        // <Response><Errors><Error><Code>..</Errors><RequestID>: the ec2 protocol
    aws_s3_xml,         // <Error><Code>AccessDenied</Code><Message>..: S3
    aws_json,           // x-amzn-ErrorType + {"__type","message"}: the json protocol (X-Amz-Target)
    aws_rest_json,      // the same, application/json: rest-json services (Lambda, EKS, ...)
    kubernetes_status,  // {"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden",...}
    forge_rest_json,    // {"message":..}: GitHub, GitLab and Gitea REST
    graphql_errors,     // {"errors":[{"message":..}],"message":..}: any GraphQL endpoint
    git_text,           // text/plain lines: git smart HTTP (git shows them as "remote: ...")
    grpc_status,        // HTTP/2 gRPC: 200, grpc-status 7 (PERMISSION_DENIED), grpc-message = the sentence
};

std::string_view refusal_shape_name(RefusalShape shape);

// "askfirst refused OPERATION (TIER, provider P, mode M): REASON. To allow it: HOW."
std::string denial_message(const DenialDetails& denial);

// {"error":"askfirst_denied","provider":...,"operation":...,"tier":...,"mode":...,"reason":...,
//  "how_to_allow":...,"message":...}
std::string denial_json(const DenialDetails& denial);
// The 403 for a refusal, in the shape the provider's clients parse.
LocalResponse shaped_denial(const DenialDetails& denial, RefusalShape shape);

// grpc-message's percent-encoding of a sentence.
std::string grpc_percent_encoded(std::string_view text);

// {"error":"askfirst_bad_request","reason":...}
std::string bad_request_json(std::string_view reason);
// {"error":"askfirst_misdirected","reason":...}
std::string misdirected_json(std::string_view reason);
// {"error":"askfirst_upstream_failed","host":...,"reason":...}
std::string upstream_failed_json(std::string_view host, std::string_view reason);

// The response on the wire: status line, Content-Type, Content-Length, the
// extra headers, `Connection: close` when `after` is close, the body.
std::string response_bytes(const LocalResponse& response, AfterResponse after);
// The same for a JSON body.
std::string json_response(int status, std::string_view json_body, AfterResponse after);

inline constexpr std::string_view kContinueResponse = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace askfirst::http
