// tests/fuzz/fuzz_client_hello.cpp — libFuzzer target for the first bytes of
// a guest flow: the first-message recognisers and parse_client_hello() (tls/). Besides
// "no crash, no UB", it checks the properties the flow shell relies on:
// a complete ClientHello was detected as TLS, consumed no more than it was
// given, re-frames into one record that parses to the same fields, and each
// proper prefix of what it consumed is incomplete, never invalid.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "tls/client_hello.h"
#include "tls/protocol_detect.h"

using namespace askfirst::tls;

namespace {

void require(bool condition) {
    if (!condition) std::abort();
}

void check_complete(std::span<const std::uint8_t> stream, const ClientHello& hello) {
    require(fits_tls_client_hello(stream) == Fit::match);
    require(hello.consumed_bytes <= stream.size());
    const auto single = hello.as_single_record();
    const auto again = parse_client_hello(single);
    require(again.status == ClientHelloStatus::complete);
    require(again.hello.server_name == hello.server_name);
    require(again.hello.alpn_protocols == hello.alpn_protocols);
    require(again.hello.supported_versions == hello.supported_versions);
    require(again.hello.consumed_bytes == single.size());
    // Cutting the stream short anywhere must only ever ask for more bytes.
    for (std::size_t cut : {hello.consumed_bytes / 2, hello.consumed_bytes - 1})
        require(parse_client_hello(stream.first(cut)).status == ClientHelloStatus::incomplete);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> stream(data, size);
    const auto parse = parse_client_hello(stream);
    if (parse.status == ClientHelloStatus::complete) check_complete(stream, parse.hello);
    if (parse.status == ClientHelloStatus::invalid) require(!parse.error.empty());
    // Each recogniser is monotone: a verdict on a prefix stays the verdict.
    for (auto fits : {fits_tls_client_hello, fits_http2_preface, fits_http1_request_line}) {
        if (size <= 1) break;
        const Fit on_prefix = fits(stream.first(size - 1));
        require(on_prefix == Fit::need_more || on_prefix == fits(stream));
    }
    return 0;
}
