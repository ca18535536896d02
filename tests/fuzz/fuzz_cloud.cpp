// tests/fuzz/fuzz_cloud.cpp — libFuzzer target for the cloud classifiers'
// request parsing: the Elasticsearch/OpenSearch route matcher and `_bulk`
// NDJSON reader, DigitalOcean droplet actions, Azure ARM paths and batches,
// Terraform Cloud runs, Neon restores, and the Google batch part reader.
//
// Input: byte 0 picks a host, byte 1 a method, then the path up to the first
// '\n', then the body. Invariants checked: no crash or sanitizer report;
// every result names its provider and an operation; a request whose body was
// cut short (body_complete=false) and whose label needs the body is never
// judged read; a `_bulk` body with a `{"delete":…}` action line is destructive.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "classifiers/gcp_content.h"
#include "classifiers/provider.h"

namespace askfirst::classifiers {
extern const Provider kElasticsearchProvider;
extern const Provider kOpenSearchProvider;
extern const Provider kDigitalOceanProvider;
extern const Provider kAzureProvider;
extern const Provider kTerraformCloudProvider;
extern const Provider kNeonProvider;
}  // namespace askfirst::classifiers

using namespace askfirst::classifiers;

namespace {

struct Target {
    const char* host;
    const Provider* provider;
};
const std::array<Target, 6> kTargets = {{
    {"localhost", &kElasticsearchProvider},
    {"search-a.us-east-1.es.amazonaws.com", &kOpenSearchProvider},
    {"api.digitalocean.com", &kDigitalOceanProvider},
    {"management.azure.com", &kAzureProvider},
    {"app.terraform.io", &kTerraformCloudProvider},
    {"console.neon.tech", &kNeonProvider},
}};
constexpr std::array<const char*, 7> kMethods = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const Target& target = kTargets[data[0] % kTargets.size()];
    std::string_view rest(reinterpret_cast<const char*>(data + 2), size - 2);
    const auto newline = rest.find('\n');
    HttpRequest request;
    request.method = kMethods[data[1] % kMethods.size()];
    request.host = target.host;
    request.headers.push_back({"Host", std::string(target.host) + ":9200"});
    request.path = std::string(rest.substr(0, newline));
    if (newline != std::string_view::npos) request.body = std::string(rest.substr(newline + 1));

    const Classification result = target.provider->classify(request);
    if (result.provider.empty() || result.operation.empty()) std::abort();

    request.body_complete = false;
    if (target.provider->needs_body(request) && target.provider->classify(request).tier == Tier::read) std::abort();

    if (target.provider == &kElasticsearchProvider && request.method == "POST" && request.path == "/_bulk" &&
        request.body.rfind("{\"delete\":{}}\n", 0) == 0) {
        request.body_complete = true;
        if (target.provider->classify(request).tier != Tier::destructive) std::abort();
    }
    for_each_batch_part(request.body, [](std::string_view method, std::string_view path) {
        if (method.empty() || path.find('\n') != std::string_view::npos) std::abort();
    });
    return 0;
}
