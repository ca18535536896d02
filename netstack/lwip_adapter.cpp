// netstack/lwip_adapter.cpp — the only file that touches lwIP internals (see
// the theory of operation in netstack/lwip_adapter.h). Everything here runs
// on askfirstd's one loop thread; lwIP's core-lock check is inert because
// tcpip_init() never ran.
#include "netstack/lwip_adapter.h"

#include "netstack/internet_checksum.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstring>

extern "C" {
#include <lwip/inet_chksum.h>
#include <lwip/init.h>
#include <lwip/ip.h>
#include <lwip/ip6_zone.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/priv/tcp_priv.h>
#include <lwip/tcp.h>
#include <lwip/timeouts.h>
}

// The `ip_data` + `tcp_input()` entry and the listener behaviour were measured
// on Debian 12's liblwip-dev 2.1.3; another version must be re-checked.
#if LWIP_VERSION != ((2u << 24) | (1u << 16) | (3u << 8) | LWIP_RC_RELEASE)
#error "netstack/lwip_adapter.cpp was written against lwIP 2.1.3 (Debian 12): re-check ip_data/tcp_input use"
#endif
#if !LWIP_IPV4 || !LWIP_IPV6 || !LWIP_TCP || !LWIP_WND_SCALE
#error "lwIP must be built with IPv4, IPv6, TCP and window scaling (Debian's lwipopts.h)"
#endif

// lwIP's checksum, replaced. Debian's liblwip sums 16 bits per step in
// portable C (LWIP_CHKSUM_ALGORITHM 2), and every TCP payload byte passes
// through it (lwip_chksum_copy in tcp_write; the check of each guest segment
// on input): 37 % of askfirstd's CPU on a bulk download. liblwip calls
// it through its PLT, so this definition in our executable takes its place
// for every caller (ELF symbol interposition: the executable comes first in
// the lookup scope). Same contract: the folded one's-complement sum of the
// bytes as host-order 16-bit words, never inverted; an odd start address
// changes nothing (lwIP swaps its result back for those). The unit tests
// compare it with liblwip's own on every length and alignment and check that
// the override is in effect (lwip_checksum_is_ours).
extern "C" __attribute__((visibility("default"))) u16_t lwip_standard_chksum(const void* dataptr, int len) {
    if (len <= 0) return 0;
    return askfirst::netstack::ones_complement_sum_host_order(
        {static_cast<const std::uint8_t*>(dataptr), static_cast<std::size_t>(len)});
}

// tcp_write's copy of each payload into its segment (LWIP_CHECKSUM_ON_COPY:
// lwIP's own is memcpy, then the sum above over the copy): one pass instead.
extern "C" __attribute__((visibility("default"))) u16_t lwip_chksum_copy(void* dst, const void* src, u16_t len) {
    return askfirst::netstack::copy_and_sum_host_order(static_cast<std::uint8_t*>(dst),
                                                       {static_cast<const std::uint8_t*>(src), len});
}

namespace askfirst::netstack {
namespace {

// RFC 7600's IPv4 dummy address: lwIP's default route needs a non-zero netif
// address; no guest ever uses this one, and segments from it are dropped so
// lwIP never loops a reply back into itself.
constexpr std::uint8_t kNetifAddressV4[4] = {192, 0, 0, 8};
constexpr std::uint16_t kMaxLwipLength = 0xFFFF;  // tcp_write/tcp_recved take u16_t
// Bytes in flight to the guest per flow. Debian's compiled TCP_SND_BUF (64 KiB)
// serializes a bulk download into 64 KiB bursts, one loop round trip each
// (~120 MB/s measured); lwIP keeps snd_buf and cwnd in 32-bit fields under
// LWIP_WND_SCALE, so the accepted pcb gets a larger budget. Its compiled
// TCP_SND_QUEUELEN (180 segments x 1460 B = ~256 KiB) caps it anyway.
constexpr tcpwnd_size_t kGuestSendBufferBytes = 256 * 1024;
// Bytes the guest may have in flight to us per flow. Debian's compiled
// TCP_WND (65535) is one large-MSS segment (65480 bytes on a 65520-MTU TAP),
// so an upload went one segment per round trip: send, wait for our window
// update, send. lwIP keeps rcv_wnd in 32 bits under LWIP_WND_SCALE, but its
// tcp_recved() clamps it to TCP_WND, so the adapter reopens the window itself
// (grant_receive_window). The cap is the most our window field can say at
// the compiled scale (TCP_RCV_SCALE 1): 0xFFFF << 1, two segments.
constexpr tcpwnd_size_t kGuestReceiveWindowBytes = tcpwnd_size_t{0xFFFF} << TCP_RCV_SCALE;
// Segment sizes. Debian's lwIP clamps the MSS to its compiled TCP_MSS (1460)
// on both sides; a guest on a large-MTU TAP may take far bigger segments, so
// the adapter sets the accepted pcb's mss from the guest's own SYN option and
// rewrites the MSS option of lwIP's SYN-ACK to what our MTU allows. The cap
// keeps every segment pbuf (u16 lengths) under 64 KiB with its headers.
constexpr std::size_t kMaxSegmentBytes = kIpMtu - 60;  // IPv6 (40) + TCP (20) headers
constexpr std::uint16_t kDefaultGuestMss = 536;        // RFC 9293: no MSS option
constexpr std::uint8_t kTcpOptionEnd = 0, kTcpOptionNop = 1, kTcpOptionMss = 2;
// Connections lwIP would keep in TIME_WAIT (it closed first, e.g. after an
// HTTP server's Connection: close). lwIP answers a new SYN on a TIME_WAIT
// 4-tuple with RST or a bare ACK instead of accepting it as Linux does
// (RFC 6191), and a guest reuses its ports at once: measured, a Connection:
// close load fell from ~650 to ~20 flows/s as TIME_WAIT pcbs piled up. A
// virtual wire neither reorders nor duplicates segments, so TIME_WAIT
// protects nothing here: none are kept, and a SYN frees a matching one first.
constexpr std::size_t kMaxTimeWaitPcbs = 0;
// Handshakes lwIP has answered but the guest has not completed (SYN_RCVD).
// lwIP allocates a pcb per SYN without limit and keeps it through ~1 min of
// SYN-ACK retransmissions; a guest flooding SYNs would grow askfirstd's
// memory. Beyond this many, new SYNs are dropped (the guest retries).
// 4096 pcbs of ~250 B is 1 MiB.
constexpr std::size_t kMaxHalfOpenConnections = 4096;
// How long guest data may wait for its ACK when no reply carries it. lwIP
// sends delayed ACKs only from tcp_fasttmr, every TCP_TMR_INTERVAL (250 ms);
// a guest with Nagle on (a request written as headers then body, no
// TCP_NODELAY) holds its second write until that ACK, and its RTO (Linux:
// 200 ms minimum) fires first: measured, such keep-alive POSTs took 206 ms
// each through askfirst (100 guest RTOs per 200 requests) against 44 ms
// direct, where Linux's own delayed ACK is 40 ms. 10 ms keeps the ACK riding
// on the reply whenever the upstream answers within it (loopback: ~1 ms) and
// costs one bare ACK per request otherwise.
constexpr std::uint32_t kGuestAckDelayMs = 10;
constexpr std::uint8_t kTcpFlagSyn = 0x02;
constexpr std::uint8_t kTcpFlagAck = 0x10;

bool g_stack_alive = false;

ip_addr_t to_lwip(const IpAddress& address, netif* interface) {
    ip_addr_t out;
    std::memset(&out, 0, sizeof out);
    if (address.is_v4()) {
        IP_SET_TYPE_VAL(out, IPADDR_TYPE_V4);
        std::memcpy(&ip_2_ip4(&out)->addr, address.bytes.data(), 4);
    } else {
        IP_SET_TYPE_VAL(out, IPADDR_TYPE_V6);
        std::memcpy(ip_2_ip6(&out)->addr, address.bytes.data(), 16);
        ip6_addr_assign_zone(ip_2_ip6(&out), IP6_UNKNOWN, interface);
    }
    return out;
}

IpAddress from_lwip(const ip_addr_t& address) {
    if (IP_IS_V4_VAL(address))
        return IpAddress::from_v4_bytes(reinterpret_cast<const std::uint8_t*>(&ip_2_ip4(&address)->addr));
    return IpAddress::from_v6_bytes(reinterpret_cast<const std::uint8_t*>(ip_2_ip6(&address)->addr));
}

// The 2-byte value of the MSS option in a TCP header, or nullptr.
std::uint8_t* find_mss_option(std::uint8_t* tcp, std::size_t available) {
    if (available < 20) return nullptr;
    const std::size_t header_bytes = std::min<std::size_t>(static_cast<std::size_t>(tcp[12] >> 4) * 4, available);
    for (std::size_t at = 20; at < header_bytes;) {
        const std::uint8_t kind = tcp[at];
        if (kind == kTcpOptionEnd) break;
        if (kind == kTcpOptionNop) {
            ++at;
            continue;
        }
        if (at + 1 >= header_bytes || tcp[at + 1] < 2 || at + tcp[at + 1] > header_bytes) break;
        if (kind == kTcpOptionMss && tcp[at + 1] == 4) return tcp + at + 2;
        at += tcp[at + 1];
    }
    return nullptr;
}

// Sets the SYN-ACK's MSS option to what our MTU allows and re-checksums it.
void advertise_large_mss(std::uint8_t* ip, std::size_t ip_bytes, bool v4) {
    const std::size_t ip_header = v4 ? static_cast<std::size_t>(ip[0] & 0x0f) * 4 : 40;
    if (ip_bytes < ip_header + 20) return;
    std::uint8_t* tcp = ip + ip_header;
    std::uint8_t* mss = find_mss_option(tcp, ip_bytes - ip_header);
    if (mss == nullptr) return;
    write_be16(mss, static_cast<std::uint16_t>(kIpMtu - ip_header - 20));
    const IpAddress source = v4 ? IpAddress::from_v4_bytes(ip + 12) : IpAddress::from_v6_bytes(ip + 8);
    const IpAddress destination = v4 ? IpAddress::from_v4_bytes(ip + 16) : IpAddress::from_v6_bytes(ip + 24);
    const std::size_t tcp_bytes = ip_bytes - ip_header;
    write_be16(tcp + 16, 0);
    const auto sum = pseudo_header_sum(source, destination, kIpProtoTcp, tcp_bytes);
    write_be16(tcp + 16, checksum_fold(checksum_add(sum, {tcp, tcp_bytes})));
}

void clear_ip_data() {
    ip_data.current_netif = nullptr;
    ip_data.current_input_netif = nullptr;
    ip_data.current_ip4_header = nullptr;
    ip_data.current_ip6_header = nullptr;
    ip_data.current_ip_header_tot_len = 0;
    ip_addr_set_zero(&ip_data.current_iphdr_src);
    ip_addr_set_zero(&ip_data.current_iphdr_dest);
}

}  // namespace

bool lwip_checksum_is_ours() {
    return dlsym(RTLD_DEFAULT, "lwip_standard_chksum") == reinterpret_cast<void*>(&lwip_standard_chksum) &&
           dlsym(RTLD_DEFAULT, "lwip_chksum_copy") == reinterpret_cast<void*>(&lwip_chksum_copy);
}

struct LwipStack::NetifState {
    netif interface{};
};

// ---- LwipTcpConnection ---------------------------------------------------

LwipTcpConnection::LwipTcpConnection(tcp_pcb* pcb, IpEndpoint guest, IpEndpoint original_destination)
    : pcb_(pcb), guest_(guest), original_destination_(original_destination) {
    tcp_arg(pcb_, this);
    tcp_recv(pcb_, reinterpret_cast<tcp_recv_fn>(&LwipTcpConnection::on_recv));
    tcp_sent(pcb_, reinterpret_cast<tcp_sent_fn>(&LwipTcpConnection::on_sent));
    tcp_err(pcb_, reinterpret_cast<tcp_err_fn>(&LwipTcpConnection::on_error));
    tcp_nagle_disable(pcb_);  // a relay forwards what it has; the sender chose the sizes
    pcb_->snd_buf = kGuestSendBufferBytes;
    pcb_->ssthresh = kGuestSendBufferBytes;  // slow start up to the whole buffer
    // The guest scales our window field only if both SYNs carried the option.
    if ((pcb_->flags & TF_WND_SCALE) != 0) grant_receive_window(kGuestReceiveWindowBytes);
}

LwipTcpConnection::~LwipTcpConnection() { abort(); }

void LwipTcpConnection::detach() {
    if (pcb_ == nullptr) return;
    tcp_arg(pcb_, nullptr);
    tcp_recv(pcb_, nullptr);
    tcp_sent(pcb_, nullptr);
    tcp_err(pcb_, nullptr);
    pcb_ = nullptr;
}

std::size_t LwipTcpConnection::send_space() const {
    if (pcb_ == nullptr || we_finished_) return 0;
    if (tcp_sndqueuelen(pcb_) >= TCP_SND_QUEUELEN) return 0;
    return tcp_sndbuf(pcb_);
}

std::size_t LwipTcpConnection::segment_bytes() const { return pcb_ == nullptr ? 0 : tcp_mss(pcb_); }

// Pieces are cut at whole segments while more than one segment is left: a
// piece ending mid-segment becomes a runt segment on the guest's wire (a
// 65535-byte piece with a 65460-byte MSS sent 65460 + 75 bytes, a second
// frame, syscall and guest ACK for 75 bytes). Only the end of what the caller
// has may be shorter; while send space is short of a segment, the rest waits
// for the guest's ACKs (which free the whole buffer, far above one segment).
std::size_t LwipTcpConnection::send(std::span<const std::uint8_t> bytes) {
    std::size_t taken = 0;
    const std::size_t segment = segment_bytes();
    while (taken < bytes.size()) {
        const std::size_t space = send_space();
        if (space == 0) break;
        const std::size_t left = bytes.size() - taken;
        std::size_t piece = std::min({space, left, std::size_t{kMaxLwipLength}});
        if (segment > 0 && piece < left) {
            piece -= piece % segment;
            if (piece == 0) break;
        }
        const bool more = taken + piece < bytes.size();
        const err_t err = tcp_write(pcb_, bytes.data() + taken, static_cast<u16_t>(piece),
                                    TCP_WRITE_FLAG_COPY | (more ? TCP_WRITE_FLAG_MORE : 0));
        if (err != ERR_OK) break;  // ERR_MEM: queue full; the sent callback will call back
        taken += piece;
    }
    if (taken > 0) tcp_output(pcb_);
    return taken;
}

void LwipTcpConnection::consumed(std::size_t bytes) {
    bytes = std::min(bytes, unconsumed_);
    unconsumed_ -= bytes;
    if (pcb_ == nullptr || bytes == 0) return;
    if ((pcb_->flags & TF_WND_SCALE) != 0) return grant_receive_window(bytes);
    while (bytes > 0) {
        const std::size_t piece = std::min(bytes, std::size_t{kMaxLwipLength});
        tcp_recved(pcb_, static_cast<u16_t>(piece));
        bytes -= piece;
    }
}

// tcp_recved() without its clamp to the compiled TCP_WND: the window grows
// back by `bytes` up to kGuestReceiveWindowBytes, and an update worth sending
// goes out now, as tcp_recved() does.
void LwipTcpConnection::grant_receive_window(std::size_t bytes) {
    const std::size_t wider = std::min<std::size_t>(std::size_t{pcb_->rcv_wnd} + bytes, kGuestReceiveWindowBytes);
    pcb_->rcv_wnd = static_cast<tcpwnd_size_t>(wider);
    if (tcp_update_rcv_ann_wnd(pcb_) >= TCP_WND_UPDATE_THRESHOLD) {
        tcp_ack_now(pcb_);
        tcp_output(pcb_);
    }
}

void LwipTcpConnection::finish() {
    if (pcb_ == nullptr || we_finished_) return;
    we_finished_ = true;
    if (guest_finished_) {
        close_if_done();
        return;
    }
    if (tcp_shutdown(pcb_, 0, 1) != ERR_OK) abort();
}

// Both sides sent FIN: hand the pcb to lwIP to finish (LAST_ACK/TIME_WAIT).
// Reopening the window first keeps tcp_close from answering with RST.
void LwipTcpConnection::close_if_done() {
    if (pcb_ == nullptr || !guest_finished_ || !we_finished_) return;
    consumed(unconsumed_);
    // lwIP's tcp_close reads "rcv_wnd is not the compiled TCP_WND" as data
    // the application never read and answers with RST; with everything
    // consumed, the wider window (grant_receive_window) is said as that.
    if (pcb_->rcv_wnd > TCP_WND_MAX(pcb_)) pcb_->rcv_wnd = TCP_WND_MAX(pcb_);
    tcp_pcb* pcb = pcb_;
    detach();
    if (tcp_close(pcb) != ERR_OK) tcp_abort(pcb);
}

void LwipTcpConnection::abort() {
    if (pcb_ == nullptr) return;
    tcp_pcb* pcb = pcb_;
    detach();
    tcp_abort(pcb);  // sends RST and frees the pcb
    if (callback_depth_ > 0) aborted_in_callback_ = true;
}

err_t LwipTcpConnection::on_recv(void* arg, tcp_pcb* pcb, pbuf* p, err_t) {
    auto* self = static_cast<LwipTcpConnection*>(arg);
    if (self == nullptr) {  // not ours any more: drain as lwIP's default would
        if (p != nullptr) {
            tcp_recved(pcb, p->tot_len);
            pbuf_free(p);
        }
        return ERR_OK;
    }
    ++self->callback_depth_;
    if (p == nullptr) {
        self->guest_finished_ = true;
        if (self->events_ != nullptr) self->events_->on_guest_finished();
    } else {
        self->unconsumed_ += p->tot_len;
        for (pbuf* piece = p; piece != nullptr && self->pcb_ != nullptr; piece = piece->next) {
            if (self->events_ != nullptr)
                self->events_->on_guest_bytes({static_cast<const std::uint8_t*>(piece->payload), piece->len});
        }
        pbuf_free(p);
    }
    --self->callback_depth_;
    if (self->aborted_in_callback_) {
        self->aborted_in_callback_ = false;
        return ERR_ABRT;
    }
    self->close_if_done();
    return ERR_OK;
}

err_t LwipTcpConnection::on_sent(void* arg, tcp_pcb*, u16_t len) {
    auto* self = static_cast<LwipTcpConnection*>(arg);
    if (self == nullptr) return ERR_OK;
    ++self->callback_depth_;
    if (self->events_ != nullptr) self->events_->on_guest_acked(len);
    --self->callback_depth_;
    if (self->aborted_in_callback_) {
        self->aborted_in_callback_ = false;
        return ERR_ABRT;
    }
    return ERR_OK;
}

// lwIP already freed the pcb (RST from the guest, retransmission timeout, or
// the final close of a half-closed pcb).
void LwipTcpConnection::on_error(void* arg, err_t err) {
    auto* self = static_cast<LwipTcpConnection*>(arg);
    if (self == nullptr) return;
    self->pcb_ = nullptr;
    if (self->events_ != nullptr) self->events_->on_guest_gone(err == ERR_RST || err == ERR_ABRT);
}

// ---- LwipStack -------------------------------------------------------------

Result<std::unique_ptr<LwipStack>> LwipStack::create(FrameSink send_frame, AcceptHandler on_accept) {
    using Created = Result<std::unique_ptr<LwipStack>>;
    if (g_stack_alive) return Created::failure("lwIP is a process-wide singleton and one LwipStack is already running");
    static bool lwip_initialized = false;
    if (!lwip_initialized) {
        lwip_init();
        lwip_initialized = true;
    }
    std::unique_ptr<LwipStack> stack(new LwipStack(std::move(send_frame), std::move(on_accept)));
    ip4_addr_t address;
    ip4_addr_t netmask;
    ip4_addr_t gateway;
    IP4_ADDR(&address, kNetifAddressV4[0], kNetifAddressV4[1], kNetifAddressV4[2], kNetifAddressV4[3]);
    IP4_ADDR(&netmask, 255, 255, 255, 255);
    ip4_addr_set_zero(&gateway);
    netif* interface = &stack->netif_->interface;
    if (netif_add(interface, &address, &netmask, &gateway, stack.get(),
                  reinterpret_cast<netif_init_fn>(&LwipStack::netif_init), netif_input) == nullptr)
        return Created::failure("lwIP refused to add its network interface (netif_add failed)");
    netif_set_default(interface);
    netif_set_up(interface);
    netif_set_link_up(interface);
    g_stack_alive = true;
    return Created::success(std::move(stack));
}

LwipStack::LwipStack(FrameSink send_frame, AcceptHandler on_accept)
    : send_frame_(std::move(send_frame)), accept_(std::move(on_accept)), netif_(std::make_unique<NetifState>()) {}

LwipStack::~LwipStack() {
    for (auto& [port, listener] : listeners_) tcp_close(listener);
    listeners_.clear();
    if (g_stack_alive) {
        netif_remove(&netif_->interface);
        g_stack_alive = false;
    }
}

err_t LwipStack::netif_init(netif* interface) {
    interface->name[0] = 'a';
    interface->name[1] = 'f';
    interface->mtu = static_cast<u16_t>(kIpMtu);
#if LWIP_ND6_ALLOW_RA_UPDATES
    interface->mtu6 = static_cast<u16_t>(kIpMtu);
#endif
    interface->hwaddr_len = 6;
    std::memcpy(interface->hwaddr, kGatewayMac.data(), 6);
    interface->output = reinterpret_cast<netif_output_fn>(&LwipStack::output_v4);
    interface->output_ip6 = reinterpret_cast<netif_output_ip6_fn>(&LwipStack::output_v6);
    return ERR_OK;
}

err_t LwipStack::output_v4(netif* interface, pbuf* packet, const ip4_addr*) {
    static_cast<LwipStack*>(interface->state)->send_ip_packet(packet, kEtherTypeIpv4);
    return ERR_OK;
}

err_t LwipStack::output_v6(netif* interface, pbuf* packet, const ip6_addr*) {
    static_cast<LwipStack*>(interface->state)->send_ip_packet(packet, kEtherTypeIpv6);
    return ERR_OK;
}

// Wraps one IP packet from lwIP in an Ethernet header for the guest. Only TCP
// leaves: lwIP's own IGMP/MLD/ND chatter has no business on the guest's wire.
// A segment lwIP built in one pbuf (the usual case: LWIP_NETIF_TX_SINGLE_PBUF)
// has room for a link header in front of its IP header (PBUF_LINK_HLEN): the
// Ethernet header is written there and the frame leaves from lwIP's own
// buffer, saving a copy of every byte sent. Others, and SYN-ACKs (their MSS
// option is rewritten, which lwIP's kept copy must not see), are copied.
void LwipStack::send_ip_packet(pbuf* packet, std::uint16_t ether_type) {
    static std::uint8_t frame[kMaxFrameBytes];
    const std::size_t ip_bytes = packet->tot_len;
    if (ip_bytes + kEthernetHeaderBytes > kMaxFrameBytes || ip_bytes < 40) return;
    const bool contiguous = packet->next == nullptr && packet->len == packet->tot_len;
    if (!contiguous) pbuf_copy_partial(packet, frame + kEthernetHeaderBytes, static_cast<u16_t>(ip_bytes), 0);
    const auto* ip = contiguous ? static_cast<const std::uint8_t*>(packet->payload) : frame + kEthernetHeaderBytes;
    const bool v4 = ether_type == kEtherTypeIpv4;
    if ((v4 ? ip[9] : ip[6]) != kIpProtoTcp) return;
    const std::size_t ip_header = v4 ? static_cast<std::size_t>(ip[0] & 0x0f) * 4 : 40;
    const bool syn = ip_bytes > ip_header + 13 && (ip[ip_header + 13] & kTcpFlagSyn) != 0;
    if (contiguous && !syn && pbuf_add_header(packet, kEthernetHeaderBytes) == 0) {
        auto* in_place = static_cast<std::uint8_t*>(packet->payload);
        write_ethernet_header(in_place, ether_type);
        send_frame_({in_place, ip_bytes + kEthernetHeaderBytes});
        pbuf_remove_header(packet, kEthernetHeaderBytes);
        return;
    }
    if (contiguous) std::memcpy(frame + kEthernetHeaderBytes, ip, ip_bytes);
    if (syn) advertise_large_mss(frame + kEthernetHeaderBytes, ip_bytes, v4);
    write_ethernet_header(frame, ether_type);
    send_frame_({frame, ip_bytes + kEthernetHeaderBytes});
}

void LwipStack::write_ethernet_header(std::uint8_t* frame, std::uint16_t ether_type) const {
    std::memcpy(frame, guest_mac_.data(), 6);
    std::memcpy(frame + 6, kGatewayMac.data(), 6);
    write_be16(frame + 12, ether_type);
}

// After lwIP answered a SYN: give the new pcb the guest's own MSS (lwIP
// clamped it to its compiled 1460).
void LwipStack::apply_guest_mss(const ParsedFrame& parsed, std::uint16_t guest_mss) {
    netif* interface = &netif_->interface;
    const ip_addr_t guest = to_lwip(parsed.source.address, interface);
    const ip_addr_t destination = to_lwip(parsed.destination.address, interface);
    for (tcp_pcb* pcb = tcp_active_pcbs; pcb != nullptr; pcb = pcb->next) {
        if (pcb->state != SYN_RCVD || pcb->remote_port != parsed.source.port ||
            pcb->local_port != parsed.destination.port || !ip_addr_cmp(&pcb->remote_ip, &guest) ||
            !ip_addr_cmp(&pcb->local_ip, &destination))
            continue;
        pcb->mss = static_cast<u16_t>(std::min<std::size_t>(guest_mss, kMaxSegmentBytes));
        return;
    }
}

bool LwipStack::ensure_listener(std::uint16_t port) {
    if (listeners_.count(port) != 0) return true;
    tcp_pcb* pcb = tcp_new_ip_type(IPADDR_TYPE_ANY);
    if (pcb == nullptr) return false;
    ip_set_option(pcb, SOF_REUSEADDR);
    if (tcp_bind(pcb, IP_ANY_TYPE, port) != ERR_OK) {
        tcp_abort(pcb);
        return false;
    }
    err_t err = ERR_OK;
    tcp_pcb* listener = tcp_listen_with_backlog_and_err(pcb, TCP_DEFAULT_LISTEN_BACKLOG, &err);
    if (listener == nullptr) {
        tcp_abort(pcb);
        return false;
    }
    tcp_arg(listener, this);
    tcp_accept(listener, reinterpret_cast<tcp_accept_fn>(&LwipStack::on_accept));
    listeners_.emplace(port, listener);
    return true;
}

err_t LwipStack::on_accept(void* arg, tcp_pcb* pcb, err_t err) {
    auto* self = static_cast<LwipStack*>(arg);
    if (err != ERR_OK || pcb == nullptr || self == nullptr) return ERR_VAL;
    const IpEndpoint guest{from_lwip(pcb->remote_ip), pcb->remote_port};
    const IpEndpoint destination{from_lwip(pcb->local_ip), pcb->local_port};
    auto connection = std::make_unique<LwipTcpConnection>(pcb, guest, destination);
    LwipTcpConnection* accepted = connection.get();
    ++accepted->callback_depth_;  // an abort() from inside the handler must return ERR_ABRT
    self->accept_(connection);
    if (connection != nullptr) {
        connection.reset();  // refused: the destructor sent RST
        return ERR_ABRT;
    }
    // Kept by the handler, which never deletes it synchronously (flows are reaped later).
    --accepted->callback_depth_;
    if (accepted->aborted_in_callback_) {
        accepted->aborted_in_callback_ = false;
        return ERR_ABRT;
    }
    return ERR_OK;
}

void LwipStack::input_tcp_segment(std::span<const std::uint8_t> frame, const ParsedFrame& parsed) {
    const IpAddress netif_address = IpAddress::from_v4_bytes(kNetifAddressV4);
    // A source lwIP could route back into itself (loopback, its own address)
    // would make it queue a loopback packet for a tcpip thread that never runs.
    if (parsed.source.address.is_host_local_or_special() || parsed.source.address == netif_address) return;
    if (parsed.destination.address.is_host_local_or_special()) return;
    const bool is_syn = (parsed.tcp_flags & kTcpFlagSyn) != 0 && (parsed.tcp_flags & kTcpFlagAck) == 0;
    if (is_syn) {
        if (half_open_ >= kMaxHalfOpenConnections) {
            count_half_open();  // some may have completed since the last count
            if (half_open_ >= kMaxHalfOpenConnections) return;
        }
        if (!ensure_listener(parsed.destination.port)) return;
        drop_time_wait(parsed);
        ++half_open_;  // an estimate until the next count
    }
    const auto packet = frame.subspan(parsed.ip_offset, parsed.ip_packet_bytes);
    pbuf* p = pbuf_alloc(PBUF_RAW, static_cast<u16_t>(packet.size()), PBUF_RAM);
    if (p == nullptr) return;
    pbuf_take(p, packet.data(), static_cast<u16_t>(packet.size()));
    netif* interface = &netif_->interface;
    ip_data.current_netif = interface;
    ip_data.current_input_netif = interface;
    if (parsed.ether_type == kEtherTypeIpv4) {
        ip_data.current_ip4_header = static_cast<const ip_hdr*>(p->payload);
        ip_data.current_ip6_header = nullptr;
    } else {
        ip_data.current_ip4_header = nullptr;
        ip_data.current_ip6_header = static_cast<ip6_hdr*>(p->payload);
    }
    const std::size_t header_bytes = parsed.l4_offset - parsed.ip_offset;
    ip_data.current_ip_header_tot_len = static_cast<u16_t>(header_bytes);
    ip_data.current_iphdr_src = to_lwip(parsed.source.address, interface);
    ip_data.current_iphdr_dest = to_lwip(parsed.destination.address, interface);
    pbuf_remove_header(p, header_bytes);
    std::uint16_t guest_mss = kDefaultGuestMss;
    if (is_syn) {
        auto* tcp = const_cast<std::uint8_t*>(frame.data() + parsed.l4_offset);
        if (const std::uint8_t* mss = find_mss_option(tcp, parsed.ip_offset + parsed.ip_packet_bytes - parsed.l4_offset))
            guest_mss = read_be16(mss);
    }
    const auto* tcp_header = frame.data() + parsed.l4_offset;
    const std::size_t tcp_bytes = parsed.ip_offset + parsed.ip_packet_bytes - parsed.l4_offset;
    const bool carries_data = tcp_bytes > 20 && tcp_bytes > static_cast<std::size_t>(tcp_header[12] >> 4) * 4;
    tcp_input(p, interface);
    clear_ip_data();
    if (carries_data) arm_ack_flush();
    if (is_syn && guest_mss > TCP_MSS) apply_guest_mss(parsed, guest_mss);
}

std::uint32_t LwipStack::run_timers() {
    sys_check_timeouts();
    const std::uint32_t ack_flush_in_ms = flush_delayed_acks_if_due();
    trim_time_wait();
    // Recount at most every 250 ms (lwIP's TCP timer period): the walk is O(flows).
    const u32_t now = sys_now();
    if (half_open_ > 0 && now - half_open_counted_ms_ >= 250) {
        count_half_open();
        half_open_counted_ms_ = now;
    }
    return std::min<std::uint32_t>(sys_timeouts_sleeptime(), ack_flush_in_ms);
}

void LwipStack::arm_ack_flush() {
    if (ack_flush_armed_) return;  // an earlier flush time covers this data too
    ack_flush_armed_ = true;
    ack_flush_due_ms_ = sys_now() + kGuestAckDelayMs;
}

// Sends the delayed ACKs lwIP holds, as its tcp_fasttmr would (ACK now,
// output, clear the delay flags). A reply sent meanwhile already carried the
// ACK and cleared TF_ACK_DELAY. The walk is O(active pcbs), at most once per
// kGuestAckDelayMs and only after guest data arrived. Returns ms until the
// next flush (UINT32_MAX when none is pending).
std::uint32_t LwipStack::flush_delayed_acks_if_due() {
    if (!ack_flush_armed_) return UINT32_MAX;
    const std::uint32_t left = ack_flush_due_ms_ - sys_now();
    if (left != 0 && left <= kGuestAckDelayMs) return left;  // not due yet (unsigned: past due wraps high)
    ack_flush_armed_ = false;
    for (tcp_pcb* pcb = tcp_active_pcbs; pcb != nullptr; pcb = pcb->next) {
        if ((pcb->flags & TF_ACK_DELAY) == 0) continue;
        tcp_ack_now(pcb);
        tcp_output(pcb);
        tcp_clear_flags(pcb, TF_ACK_DELAY | TF_ACK_NOW);
    }
    return UINT32_MAX;
}

void LwipStack::count_half_open() {
    std::size_t count = 0;
    for (const tcp_pcb* pcb = tcp_active_pcbs; pcb != nullptr; pcb = pcb->next)
        if (pcb->state == SYN_RCVD) ++count;
    half_open_ = count;
}

std::size_t LwipStack::time_wait_count() const {
    std::size_t count = 0;
    for (const tcp_pcb* pcb = tcp_tw_pcbs; pcb != nullptr; pcb = pcb->next) ++count;
    return count;
}

// A SYN reusing the 4-tuple of a TIME_WAIT pcb: free that pcb so lwIP accepts the SYN.
void LwipStack::drop_time_wait(const ParsedFrame& parsed) {
    netif* interface = &netif_->interface;
    const ip_addr_t guest = to_lwip(parsed.source.address, interface);
    const ip_addr_t destination = to_lwip(parsed.destination.address, interface);
    for (tcp_pcb* pcb = tcp_tw_pcbs; pcb != nullptr; pcb = pcb->next) {
        if (pcb->remote_port == parsed.source.port && pcb->local_port == parsed.destination.port &&
            ip_addr_cmp(&pcb->remote_ip, &guest) && ip_addr_cmp(&pcb->local_ip, &destination)) {
            tcp_abort(pcb);
            return;
        }
    }
}

// New TIME_WAIT pcbs go to the front of lwIP's list, so the tail is the
// oldest. tcp_abort() on a TIME_WAIT pcb frees it without sending anything.
void LwipStack::trim_time_wait() {
    std::size_t kept = 0;
    tcp_pcb* pcb = tcp_tw_pcbs;
    while (pcb != nullptr && kept < kMaxTimeWaitPcbs) {
        pcb = pcb->next;
        ++kept;
    }
    while (pcb != nullptr) {
        tcp_pcb* next = pcb->next;
        tcp_abort(pcb);
        pcb = next;
    }
}

}  // namespace askfirst::netstack
