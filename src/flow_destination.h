// src/flow_destination.h — how a flow's destination is named, once, for
// every stage of the pipeline (detection, the opaque decision, the session
// stack): in log lines, audit records and the decision point's FlowFacts.
// The name is the guest's SNI when it sent one, else the name it resolved
// through askfirst's DNS to the address it dialed, else that address.
#pragma once

#include <string>
#include <string_view>

#include "netstack/flow_pipeline.h"
#include "src/request_decision.h"

namespace askfirst {

std::string destination_host(const netstack::FlowInfo& info, std::string_view sni);
std::string destination_host_port(const netstack::FlowInfo& info, std::string_view sni);
// The provider that claims the SNI or, failing that, the name the guest
// resolved for this address (a guest may send any SNI to a provider's
// address); empty when none does (classifiers/host_claims.h).
std::string provider_claiming_destination(const netstack::FlowInfo& info, std::string_view sni);
http::FlowFacts flow_facts(std::string_view vm_name, const netstack::FlowInfo& info, std::string_view sni);

}  // namespace askfirst
