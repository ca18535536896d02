// netstack/flow_table.h — every live guest TCP flow. lwIP's accept handler
// lands here: the table decides where the flow may connect
// (netstack/upstream_routing), refuses it (RST) when the destination is not
// allowed or the table is full, learns the DNS name the guest meant, and
// creates the flow with a pipeline from the factory (the relay until the TLS
// pipeline lands).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <uv.h>

#include "netstack/dns_name_memory.h"
#include "netstack/flow.h"
#include "netstack/upstream_routing.h"
#include "netstack/uv_handles.h"

namespace askfirst::netstack {

struct FlowLimits {
    // Flows at once; beyond it new flows get RST rather than memory growing.
    // Each flow holds one host socket, so askfirstd raises RLIMIT_NOFILE and
    // caps this below it. 16384 flows is ~32 MiB at ~2 KiB per flow.
    std::size_t max_flows = 16384;
    // Upstream connect deadline: a guest client should fail fast against a
    // black-holed destination rather than wait out the kernel's ~127 s of
    // SYN retries. 10 s is above any sane TCP handshake RTT.
    std::uint64_t connect_timeout_ms = 10000;
};

class FlowTable {
public:
    using PipelineFactory = std::function<std::unique_ptr<FlowPipeline>(const FlowInfo& info)>;
    using LogHandler = std::function<void(const std::string& line)>;

    FlowTable(uv_loop_t* loop, UpstreamTables tables, FlowLimits limits, PipelineFactory make_pipeline,
              LogHandler log, bool verbose);
    ~FlowTable();
    FlowTable(const FlowTable&) = delete;
    FlowTable& operator=(const FlowTable&) = delete;

    // lwIP's accept handler: takes the connection, or leaves it (→ RST).
    void accept(std::unique_ptr<LwipTcpConnection>& connection);
    DnsNameMemory& dns_names() { return dns_names_; }
    std::size_t live_flows() const { return flows_.size(); }
    std::uint64_t total_flows() const { return next_flow_id_; }

    // For Flow:
    uv_loop_t* loop() const { return loop_; }
    const FlowLimits& limits() const { return limits_; }
    void log(const std::string& line) { log_(line); }
    bool verbose() const { return verbose_; }
    void retire(Flow* flow);
    // One loop-wide read buffer for upstream reads: a read is consumed (sent
    // to lwIP or held by the pipeline) before the next one is made.
    static constexpr std::size_t kUpstreamReadBytes = 65536;
    char* upstream_read_buffer() { return upstream_read_buffer_.get(); }

private:
    void reap();

    uv_loop_t* loop_;
    UpstreamTables tables_;
    FlowLimits limits_;
    PipelineFactory make_pipeline_;
    LogHandler log_;
    bool verbose_;
    DnsNameMemory dns_names_;
    std::unordered_map<Flow*, std::unique_ptr<Flow>> flows_;
    std::vector<std::unique_ptr<Flow>> retired_;
    std::unique_ptr<uv_check_t, UvHandleCloser<uv_check_t>> reaper_;
    std::unique_ptr<char[]> upstream_read_buffer_;
    std::uint64_t next_flow_id_ = 0;
};

}  // namespace askfirst::netstack
