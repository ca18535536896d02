// src/http/flow_http_session.h — what the flow shell (src/intercepting_pipeline)
// drives once a flow speaks HTTP: the HTTP/1.1 session (http_session.h) or
// the HTTP/2 session (http2_session.h), behind one interface so that the
// shell's pump, back-pressure and decisions are written once. Both keep
// their own contracts (see their headers); the differences the shell must
// know are named here:
//   - multiplexed(): several requests may await their decision at once
//     (HTTP/2: request ids are stream ids); HTTP/1.1 decides one at a time.
//   - on_upstream_alpn(): the upstream TLS handshake's ALPN, which an
//     HTTP/2 session needs before it speaks upstream (h2 or HTTP/1.1).
//   - offers_h2_upstream(): the upstream TLS session must offer h2.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "src/http/http2_session.h"
#include "src/http/http_session.h"

namespace askfirst::http {

class FlowHttpSession {
public:
    virtual ~FlowHttpSession() = default;
    virtual void on_guest_bytes(std::string_view bytes) = 0;
    virtual void on_guest_eof() = 0;
    virtual void on_upstream_bytes(std::string_view bytes) = 0;
    // HttpSession's zero-copy relay (see there); the HTTP/2 session takes no part: 0.
    virtual std::size_t on_upstream_bytes_relayed_by_caller(std::string_view bytes) = 0;
    virtual void on_upstream_eof() = 0;
    virtual void on_upstream_failed(std::string_view reason) = 0;
    virtual void on_upstream_alpn(std::string_view protocol) = 0;
    virtual void pass(RequestId id) = 0;
    virtual void refuse(RequestId id, const LocalResponse& response) = 0;
    virtual std::vector<SessionOutput> take_outputs() = 0;
    virtual bool wants_guest_bytes() const = 0;
    virtual bool closed() const = 0;
    virtual bool multiplexed() const = 0;
    virtual bool offers_h2_upstream() const = 0;
};

std::unique_ptr<FlowHttpSession> make_http1_flow_session(SessionConfig config);
std::unique_ptr<FlowHttpSession> make_http2_flow_session(Http2Config config);

}  // namespace askfirst::http
