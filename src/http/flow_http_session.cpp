// src/http/flow_http_session.cpp — the two sessions behind FlowHttpSession
// (flow_http_session.h): thin forwarding, nothing else.
#include "src/http/flow_http_session.h"

namespace askfirst::http {

namespace {

class Http1FlowSession final : public FlowHttpSession {
public:
    explicit Http1FlowSession(SessionConfig config) : session_(std::move(config)) {}
    void on_guest_bytes(std::string_view bytes) override { session_.on_guest_bytes(bytes); }
    void on_guest_eof() override { session_.on_guest_eof(); }
    void on_upstream_bytes(std::string_view bytes) override { session_.on_upstream_bytes(bytes); }
    std::size_t on_upstream_bytes_relayed_by_caller(std::string_view bytes) override {
        return session_.on_upstream_bytes_relayed_by_caller(bytes);
    }
    void on_upstream_eof() override { session_.on_upstream_eof(); }
    void on_upstream_failed(std::string_view reason) override { session_.on_upstream_failed(reason); }
    void on_upstream_alpn(std::string_view) override {}
    void pass(RequestId id) override { session_.pass(id); }
    void refuse(RequestId id, const LocalResponse& response) override { session_.refuse(id, response); }
    std::vector<SessionOutput> take_outputs() override { return session_.take_outputs(); }
    bool wants_guest_bytes() const override { return session_.wants_guest_bytes(); }
    bool closed() const override { return session_.closed(); }
    bool multiplexed() const override { return false; }
    bool offers_h2_upstream() const override { return false; }

private:
    HttpSession session_;
};

class Http2FlowSession final : public FlowHttpSession {
public:
    explicit Http2FlowSession(Http2Config config) : session_(std::move(config)) {}
    void on_guest_bytes(std::string_view bytes) override { session_.on_guest_bytes(bytes); }
    void on_guest_eof() override { session_.on_guest_eof(); }
    void on_upstream_bytes(std::string_view bytes) override { session_.on_upstream_bytes(bytes); }
    std::size_t on_upstream_bytes_relayed_by_caller(std::string_view bytes) override {
        session_.on_upstream_bytes(bytes);
        return 0;
    }
    void on_upstream_eof() override { session_.on_upstream_eof(); }
    void on_upstream_failed(std::string_view reason) override { session_.on_upstream_failed(reason); }
    void on_upstream_alpn(std::string_view protocol) override {
        session_.on_upstream_protocol(protocol == "h2" ? UpstreamProtocol::http2 : UpstreamProtocol::http1);
    }
    void pass(RequestId id) override { session_.pass(id); }
    void refuse(RequestId id, const LocalResponse& response) override { session_.refuse(id, response); }
    std::vector<SessionOutput> take_outputs() override { return session_.take_outputs(); }
    bool wants_guest_bytes() const override { return session_.wants_guest_bytes(); }
    bool closed() const override { return session_.closed(); }
    bool multiplexed() const override { return true; }
    bool offers_h2_upstream() const override { return true; }

private:
    Http2Session session_;
};

}  // namespace

std::unique_ptr<FlowHttpSession> make_http1_flow_session(SessionConfig config) {
    return std::make_unique<Http1FlowSession>(std::move(config));
}

std::unique_ptr<FlowHttpSession> make_http2_flow_session(Http2Config config) {
    return std::make_unique<Http2FlowSession>(std::move(config));
}

}  // namespace askfirst::http
