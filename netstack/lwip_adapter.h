// netstack/lwip_adapter.h — the TCP terminator: Debian's lwIP 2.1.3 used as a
// library that accepts a TCP connection to ANY address and port the guest
// dials. This header is the only view the rest of askfirstd has of lwIP; the
// .cpp is the only file that touches lwIP internals.
//
// Theory of operation (facts measured on Debian 12, see design.md):
//  - the demux hands every guest TCP segment (IP packet) to `input_ip_packet`;
//    we fill lwIP's exported `ip_data` and call `tcp_input()` directly, never
//    `ip4_input`/`ip6_input`, which would try to forward foreign destinations;
//  - the first SYN to a port creates a listener on that port bound to
//    IP_ANY_TYPE, so the accepted connection's local ip:port is the original
//    destination the guest dialed;
//  - lwIP's output goes to one netif that wraps each IP packet in an Ethernet
//    header (source 52:55:0a:00:02:02, destination the learned guest MAC);
//  - `tcpip_init()` is never called: lwIP runs on askfirstd's single libuv
//    loop and its timers are driven by `run_timers()`, which also sends the
//    ACKs lwIP delays for guest data within kGuestAckDelayMs instead of at
//    lwIP's next 250 ms tick (a guest that waits for that ACK, Nagle, would
//    stall ~200 ms per request).
// Limits: lwIP is a process-wide singleton, so one LwipStack per process; the
// adapter widens lwIP's compiled TCP_WND and TCP_SND_BUF (64 KiB each) per
// accepted connection (128 KiB to receive, 256 KiB to send; see the .cpp);
// tcp_write/tcp_recved take 16-bit lengths, which LwipTcpConnection hides.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>

#include "src/base/result.h"
#include "netstack/ethernet_frame.h"
#include "netstack/ip_endpoint.h"

struct tcp_pcb;
struct tcp_pcb_listen;
struct pbuf;
struct netif;
struct ip4_addr;
struct ip6_addr;

namespace askfirst::netstack {

// What an accepted connection reports to its owner (the flow). Calls arrive
// from inside lwIP; the owner must not destroy the connection during one.
class LwipConnectionEvents {
public:
    virtual ~LwipConnectionEvents() = default;
    // Bytes from the guest, in order. The window reopens only when the owner
    // calls LwipTcpConnection::consumed(), which is how back-pressure works.
    virtual void on_guest_bytes(std::span<const std::uint8_t> bytes) = 0;
    virtual void on_guest_finished() = 0;           // the guest sent FIN
    virtual void on_guest_acked(std::size_t bytes) = 0;  // send space freed
    virtual void on_guest_gone(bool was_reset) = 0;  // the pcb is gone (RST, timeout, closed)
};

// One terminated guest TCP connection (owns its lwIP pcb).
class LwipTcpConnection {
public:
    LwipTcpConnection(tcp_pcb* pcb, IpEndpoint guest, IpEndpoint original_destination);
    ~LwipTcpConnection();  // aborts (RST) if still attached
    LwipTcpConnection(const LwipTcpConnection&) = delete;
    LwipTcpConnection& operator=(const LwipTcpConnection&) = delete;

    void set_events(LwipConnectionEvents* events) { events_ = events; }
    const IpEndpoint& guest() const { return guest_; }
    const IpEndpoint& original_destination() const { return original_destination_; }
    bool attached() const { return pcb_ != nullptr; }

    std::size_t send_space() const;  // bytes send() would take now
    std::size_t segment_bytes() const;  // the MSS lwIP sends to this guest with (0 once detached)
    // Copies as much of `bytes` as lwIP's send buffer takes (in 16-bit
    // pieces), pushes it out, and returns how much it took.
    std::size_t send(std::span<const std::uint8_t> bytes);
    void consumed(std::size_t bytes);  // reopen the receive window (tcp_recved)
    void finish();                     // FIN to the guest once sent data is out
    void abort();                      // RST to the guest; detaches

private:
    friend class LwipStack;
    void detach();
    void close_if_done();
    void grant_receive_window(std::size_t bytes);
    static std::int8_t on_recv(void* arg, tcp_pcb* pcb, pbuf* p, std::int8_t err);
    static std::int8_t on_sent(void* arg, tcp_pcb* pcb, std::uint16_t len);
    static void on_error(void* arg, std::int8_t err);

    tcp_pcb* pcb_;
    LwipConnectionEvents* events_ = nullptr;
    IpEndpoint guest_;
    IpEndpoint original_destination_;
    bool guest_finished_ = false;
    bool we_finished_ = false;
    bool aborted_in_callback_ = false;
    std::size_t unconsumed_ = 0;  // received from the guest, window not yet reopened
    int callback_depth_ = 0;
};

// True when liblwip's checksum calls reach netstack's fast sum (the override
// in the .cpp). False would mean a liblwip bound to its own definition
// (linked -Bsymbolic): still correct, but the data path is slower.
bool lwip_checksum_is_ours();

class LwipStack {
public:
    using FrameSink = std::function<void(std::span<const std::uint8_t> frame)>;
    // Called once the handshake completes. The handler takes the connection
    // (moves it out) to keep it; leaving it there refuses the flow (RST).
    using AcceptHandler = std::function<void(std::unique_ptr<LwipTcpConnection>& connection)>;

    // Fails (with a sentence) if another LwipStack is alive: lwIP is global.
    static Result<std::unique_ptr<LwipStack>> create(FrameSink send_frame, AcceptHandler on_accept);
    ~LwipStack();
    LwipStack(const LwipStack&) = delete;
    LwipStack& operator=(const LwipStack&) = delete;

    void set_guest_mac(const MacAddress& mac) { guest_mac_ = mac; }
    // One TCP segment from the guest: `frame` is the whole Ethernet frame and
    // `parsed` its headers as the demux found them (ip_protocol == TCP).
    void input_tcp_segment(std::span<const std::uint8_t> frame, const ParsedFrame& parsed);
    // Runs due lwIP timers; returns ms until the next one (or UINT32_MAX).
    std::uint32_t run_timers();
    std::size_t listener_count() const { return listeners_.size(); }
    std::size_t half_open_count() const { return half_open_; }
    std::size_t time_wait_count() const;  // pcbs lwIP keeps in TIME_WAIT (none after run_timers)

private:
    LwipStack(FrameSink send_frame, AcceptHandler on_accept);
    struct NetifState;
    bool ensure_listener(std::uint16_t port);
    void send_ip_packet(pbuf* packet, std::uint16_t ether_type);
    void write_ethernet_header(std::uint8_t* frame, std::uint16_t ether_type) const;
    void apply_guest_mss(const ParsedFrame& parsed, std::uint16_t guest_mss);
    void trim_time_wait();
    void drop_time_wait(const ParsedFrame& parsed);
    void count_half_open();
    void arm_ack_flush();
    std::uint32_t flush_delayed_acks_if_due();
    static std::int8_t on_accept(void* arg, tcp_pcb* pcb, std::int8_t err);
    static std::int8_t netif_init(netif* interface);
    static std::int8_t output_v4(netif* interface, pbuf* packet, const ip4_addr* destination);
    static std::int8_t output_v6(netif* interface, pbuf* packet, const ip6_addr* destination);

    FrameSink send_frame_;
    AcceptHandler accept_;
    MacAddress guest_mac_{};
    std::unique_ptr<NetifState> netif_;
    // One listener per destination port the guest ever dialed, kept for the
    // stack's lifetime (re-binding a port with live flows on it would fail).
    // Bounded by the port space: at most 65535 small listen pcbs.
    std::unordered_map<std::uint16_t, tcp_pcb*> listeners_;
    std::size_t half_open_ = 0;  // SYN_RCVD pcbs, recounted by run_timers()
    std::uint32_t half_open_counted_ms_ = 0;
    // Guest data lwIP has not ACKed yet (its delayed ACK waits for the next
    // 250 ms tick): when run_timers() sends those ACKs (see kGuestAckDelayMs).
    bool ack_flush_armed_ = false;
    std::uint32_t ack_flush_due_ms_ = 0;
};

}  // namespace askfirst::netstack
