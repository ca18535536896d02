// tests/fuzz/fuzz_pktline.cpp — libFuzzer target for the pkt-line reader and
// the receive-pack command-list parser (classifiers/pktline.h). Invariants
// checked: no crash or sanitizer report; a parsed push has at least one
// command, each with valid object ids of equal length, a non-empty ref name,
// and a kind that agrees with its zero ids.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "classifiers/pktline.h"

using namespace askfirst::classifiers::pktline;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);

    Reader reader(input);
    std::size_t packets = 0;
    while (auto packet = reader.next()) {
        if (packet->payload.size() + 4 > kMaxPacketLength) std::abort();
        ++packets;
    }
    if (reader.offset() > input.size()) std::abort();

    ReceivePackParse parsed = parse_receive_pack_request(input);
    if (parsed.request.has_value() == !parsed.error.empty()) std::abort();
    if (!parsed.request) return 0;
    if (parsed.request->updates.empty()) std::abort();
    for (const RefUpdate& update : parsed.request->updates) {
        if (!is_object_id(update.old_oid) || !is_object_id(update.new_oid)) std::abort();
        if (update.old_oid.size() != update.new_oid.size() || update.refname.empty()) std::abort();
        if ((update.kind == RefUpdateKind::del) != is_zero_object_id(update.new_oid)) std::abort();
    }
    return packets > 0 ? 0 : 0;
}
