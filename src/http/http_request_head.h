// src/http/http_request_head.h — from a parsed request head to the request the
// classifier judges, or to the reason it is refused before it is judged.
//
// This is where invariant 5 lives (../shared/design.md): the name that is
// judged is the name the server routes by. It is the Host header (lower-cased,
// port removed), it must agree with the absolute-form target if one is used,
// and with the TLS SNI when there is one (else 421). Requests whose framing or
// protocol we refuse to relay (CONNECT, h2c, Transfer-Encoding in HTTP/1.0)
// are refused here too.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "classifiers/classification.h"
#include "src/http/http_message_parser.h"

namespace askfirst::http {

struct HeadRefusal {
    int status = 400;     // 400 or 421
    std::string reason;   // for the JSON body and the operator's log; never a header value
};

struct RequestHead {
    classifiers::HttpRequest request;  // body empty; filled later if inspected
    bool expect_continue = false;      // "Expect: 100-continue" on HTTP/1.1
    bool wants_upgrade = false;        // Connection: upgrade + Upgrade (judged, relayed opaque after 101)
};

struct RequestHeadResult {
    std::optional<HeadRefusal> refusal;
    RequestHead head;
};

// `sni` is empty for plain HTTP. Call at Boundary::headers_complete.
RequestHeadResult build_request_head(const MessageParser& parser, std::string_view sni);

// A field a classifier reads as one value (Content-Type, X-Amz-Target)
// sent more than once: servers differ on which
// copy counts (the first, the last, or both joined), so the request could
// run as another operation than the one judged. The field's name, or
// nothing. Used by the HTTP/1.1 and HTTP/2 sessions alike.
std::optional<std::string> repeated_single_value_field(const std::vector<classifiers::Header>& headers);

// "Api.Example.COM:8443" -> "api.example.com"; "[::1]:80" -> "[::1]".
// Nothing when the value is not a valid host[:port].
std::optional<std::string> normalize_host(std::string_view host_header_value);

}  // namespace askfirst::http
