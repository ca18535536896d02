// netstack/flow_pipeline.h — what sits between a guest's TCP byte stream and
// its upstream byte stream. The flow table (netstack/flow_table) owns the two
// sockets; a FlowPipeline decides what crosses and when:
//   - the relay (netstack/relay_pipeline) connects upstream at once and copies
//     bytes both ways;
//   - a TLS/HTTP pipeline (tls/, src/) connects after the ClientHello, holds a
//     request while a person decides, or never connects a refused flow.
// Back-pressure is explicit in both directions:
//   guest → upstream: bytes handed to on_guest_bytes keep lwIP's receive window
//     closed until the pipeline calls guest_consumed(); the relay does so when
//     upstream has taken them, so a slow upstream stops the guest.
//   upstream → guest: guest_send() takes only what lwIP's send buffer has room
//     for; the pipeline holds the rest, pauses upstream reading, and continues
//     on on_guest_send_space(), so a slow guest stops the upstream.
// Every callback comes from the loop, never from inside a FlowIo call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "netstack/ip_endpoint.h"

namespace askfirst::netstack {

struct FlowInfo {
    IpEndpoint guest;                 // the guest's source ip:port
    IpEndpoint original_destination;  // what the guest dialed (lwIP's local ip:port)
    IpEndpoint upstream;              // where upstream_connect() goes (upstream.map / host_services applied)
    std::string dns_name;             // the name the guest resolved to that address, if known
    std::uint64_t id = 0;             // for log lines
};

// What a pipeline may do with its flow. Implemented by the flow table.
class FlowIo {
public:
    virtual ~FlowIo() = default;
    virtual const FlowInfo& info() const = 0;

    // Guest side (lwIP).
    virtual std::size_t guest_send_space() const = 0;
    // Copies as much as lwIP's send buffer takes now; returns how much.
    virtual std::size_t guest_send(std::span<const std::uint8_t> bytes) = 0;
    // The pipeline is done with `bytes` of what on_guest_bytes gave it: reopen the window.
    virtual void guest_consumed(std::size_t bytes) = 0;
    virtual void guest_finish() = 0;  // FIN to the guest (after what was sent)

    // Upstream side (a libuv TCP socket).
    virtual void upstream_connect() = 0;
    // Writes what the socket takes now and queues (copies) the rest. Returns
    // the bytes written now; on_upstream_sent reports the queued ones later.
    virtual std::size_t upstream_send(std::span<const std::uint8_t> bytes) = 0;
    virtual std::size_t upstream_queued() const = 0;
    virtual void upstream_finish() = 0;  // shutdown(SHUT_WR) after the queued bytes
    virtual void upstream_pause_reading() = 0;
    virtual void upstream_resume_reading() = 0;

    // Ends the flow: RST to the guest, the upstream socket closed.
    virtual void reset(std::string_view reason) = 0;
};

class FlowPipeline {
public:
    virtual ~FlowPipeline() = default;
    virtual void on_start(FlowIo& io) = 0;  // the guest's handshake completed
    virtual void on_guest_bytes(std::span<const std::uint8_t> bytes) = 0;
    virtual void on_guest_finished() = 0;
    virtual void on_guest_send_space() = 0;
    virtual void on_upstream_connected() = 0;
    // Connect refused or timed out: the default pipeline reaction is reset().
    virtual void on_upstream_failed(std::string_view reason) = 0;
    virtual void on_upstream_bytes(std::span<const std::uint8_t> bytes) = 0;
    virtual void on_upstream_finished() = 0;
    virtual void on_upstream_sent(std::size_t bytes) = 0;
};

}  // namespace askfirst::netstack
