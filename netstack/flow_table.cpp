// netstack/flow_table.cpp — admission of accepted flows and the reaper that
// deletes retired ones outside lwIP's callbacks (netstack/flow_table.h).
#include "netstack/flow_table.h"

namespace askfirst::netstack {

FlowTable::FlowTable(uv_loop_t* loop, UpstreamTables tables, FlowLimits limits, PipelineFactory make_pipeline,
                     LogHandler log, bool verbose)
    : loop_(loop), tables_(std::move(tables)), limits_(limits), make_pipeline_(std::move(make_pipeline)),
      log_(std::move(log)), verbose_(verbose), upstream_read_buffer_(new char[kUpstreamReadBytes]) {
    reaper_.reset(new uv_check_t);
    uv_check_init(loop_, reaper_.get());
    reaper_->data = this;
    uv_check_start(reaper_.get(), [](uv_check_t* handle) { static_cast<FlowTable*>(handle->data)->reap(); });
    uv_unref(reinterpret_cast<uv_handle_t*>(reaper_.get()));
}

FlowTable::~FlowTable() {
    for (auto& [raw, flow] : flows_) {
        flow->abort_both_sides();  // while lwIP and the transport still exist
        retired_.push_back(std::move(flow));
    }
    flows_.clear();
    reap();
}

void FlowTable::accept(std::unique_ptr<LwipTcpConnection>& connection) {
    const IpEndpoint guest = connection->guest();
    const IpEndpoint destination = connection->original_destination();
    if (flows_.size() >= limits_.max_flows) {
        log_("event=flow_refused guest=" + guest.to_string() + " dst=" + destination.to_string() +
             " reason=\"" + std::to_string(limits_.max_flows) + " flows open, the maximum\"");
        return;  // left with lwIP's accept: RST
    }
    const UpstreamRoute route = route_upstream(destination, tables_);
    if (!route.upstream) {
        log_("event=flow_refused guest=" + guest.to_string() + " dst=" + destination.to_string() + " reason=\"" +
             std::string(route.reason) + "\"");
        return;
    }
    FlowInfo info{guest, destination, *route.upstream, dns_names_.name_for(destination.address), ++next_flow_id_};
    auto pipeline = make_pipeline_(info);
    if (!pipeline) return;
    auto flow = std::make_unique<Flow>(*this, std::move(info), std::move(connection), std::move(pipeline));
    Flow* raw = flow.get();
    flows_.emplace(raw, std::move(flow));
    raw->start();
}

void FlowTable::retire(Flow* flow) {
    auto found = flows_.find(flow);
    if (found == flows_.end()) return;
    retired_.push_back(std::move(found->second));
    flows_.erase(found);
}

// Runs after each loop poll, never inside an lwIP callback.
void FlowTable::reap() {
    std::vector<std::unique_ptr<Flow>> ending;
    ending.swap(retired_);
    for (auto& flow : ending) flow.release()->close_and_delete();
}

}  // namespace askfirst::netstack
