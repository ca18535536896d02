// Unit tests for the `llm` provider (classifiers/llm.cpp) beside its labeled
// requests (tests/classifiers/llm.jsonl, test_labeled_requests.cpp): the
// registry's routing around it (Vertex AI's non-inference calls stay `gcp`, Bedrock's control plane
// stays `aws`), and invariant 6 on the model hosts.
#include <doctest.h>

#include <algorithm>
#include <string>

#include "classifiers/registry.h"
#include "cloud_request.h"

using namespace askfirst::classifiers;

namespace {

HttpRequest make(std::string_view method, std::string_view host, std::string_view target) {
    return cloud_test::make_request(method, host, target);
}

bool has_flag(const Classification& result, std::string_view flag) {
    return std::find(result.flags.begin(), result.flags.end(), flag) != result.flags.end();
}

}  // namespace

TEST_CASE("llm: the registry routes model traffic to llm and leaves the control planes alone") {
    struct Row { const char* behaviour; HttpRequest request; std::string_view provider; Tier tier; };
    const Row rows[] = {
        {"Vertex AI inference is llm",
         make("POST", "europe-west4-aiplatform.googleapis.com",
              "/v1beta1/projects/p/locations/europe-west4/publishers/google/models/gemini-2.5-pro:streamGenerateContent"),
         "llm", Tier::read},
        {"Vertex AI OpenAI-compatible chat is llm",
         make("POST", "us-central1-aiplatform.googleapis.com", "/v1/projects/p/locations/us-central1/endpoints/openapi/chat/completions"),
         "llm", Tier::read},
        {"Vertex AI endpoint deletion stays gcp",
         make("DELETE", "us-central1-aiplatform.googleapis.com", "/v1/projects/p/locations/us-central1/endpoints/123"), "gcp",
         Tier::destructive},
        {"Vertex AI model deployment stays gcp",
         make("POST", "us-central1-aiplatform.googleapis.com", "/v1/projects/p/locations/us-central1/endpoints/123:deployModel"),
         "gcp", Tier::write},
        {"a look-alike region host is not Vertex AI (gcp judges it by its own verb rule)",
         make("POST", "evil.us-central1-aiplatform.googleapis.com", "/v1/projects/p/locations/l/publishers/google/models/m:generateContent"),
         "gcp", Tier::read},
        {"Bedrock control plane stays aws", make("DELETE", "bedrock.us-east-1.amazonaws.com", "/custom-models/my-model"), "aws",
         Tier::destructive},
        {"Bedrock runtime FIPS endpoint is llm",
         make("POST", "bedrock-runtime-fips.us-east-1.amazonaws.com", "/model/amazon.nova-lite-v1%3A0/converse"), "llm", Tier::read},
        {"Gemini model listing is a read", make("GET", "generativelanguage.googleapis.com", "/v1beta/models"), "llm", Tier::read},
        {"other googleapis hosts stay gcp", make("DELETE", "compute.googleapis.com", "/compute/v1/projects/p/zones/z/instances/vm"),
         "gcp", Tier::destructive},
        {"Claude Code's sign-in refresh is an llm read", make("POST", "platform.claude.com", "/v1/oauth/token"), "llm",
         Tier::read},
        {"the older Claude sign-in host too", make("POST", "console.anthropic.com", "/v1/oauth/token"), "llm", Tier::read},
        {"Codex's ChatGPT sign-in refresh is an llm read", make("POST", "auth.openai.com", "/oauth/token"), "llm",
         Tier::read},
        {"the rest of the Claude console stays generic (an API key created there is a write)",
         make("POST", "platform.claude.com", "/api/organizations/o/api_keys"), "generic", Tier::write},
        {"a GET of the token path is not the refresh", make("GET", "auth.openai.com", "/oauth/token"), "generic", Tier::read},
        {"revoking the sign-in stays generic", make("POST", "auth.openai.com", "/oauth/revoke"), "generic", Tier::write},
    };
    for (const Row& row : rows) {
        INFO(std::string(row.behaviour));
        const Classification got = classify(row.request);
        CHECK(got.provider == row.provider);
        CHECK(tier_name(got.tier) == tier_name(row.tier));
    }
}

// Invariant 6 on the model hosts: only the rows' inference endpoints read; a
// POST no row names, a read-looking path, a Google verb the table does not
// list, or an unknown method is at least a write.
TEST_CASE("llm: what no row names is never a read on a model host") {
    struct Row { const char* behaviour; HttpRequest request; };
    const Row rows[] = {
        {"an Anthropic POST no row names", make("POST", "api.anthropic.com", "/v1/messages/batches/x/results")},
        {"a path that only starts like an inference path", make("POST", "api.anthropic.com", "/v1/messages/extra")},
        {"an Anthropic /api path no row names", make("POST", "api.anthropic.com", "/api/claude_code/settings")},
        {"inference paths under the wrong base", make("POST", "api.openai.com", "/v2/chat/completions")},
        {"OpenAI assistants run", make("POST", "api.openai.com", "/v1/threads/thread_abc/runs")},
        {"OpenAI realtime client secret", make("POST", "api.openai.com", "/v1/realtime/sessions")},
        {"a Gemini verb the table does not list", make("POST", "generativelanguage.googleapis.com", "/v1beta/models/m:predictLongRunning")},
        {"a Gemini inference verb on a non-model path", make("POST", "generativelanguage.googleapis.com", "/v1beta/corpora/c:generateContent")},
        {"a Bedrock runtime path no row names", make("POST", "bedrock-runtime.us-east-1.amazonaws.com", "/guardrail/g/version/1/apply")},
        {"an Azure OpenAI assistants call", make("POST", "acme.openai.azure.com", "/openai/assistants")},
        {"an unknown method on an inference path", make("PROPFIND", "api.openai.com", "/v1/chat/completions")},
        {"a lower-case method on an inference path", make("post", "api.anthropic.com", "/v1/messages")},
    };
    for (const Row& row : rows) {
        INFO(std::string(row.behaviour));
        const Classification got = classify(row.request);
        CHECK(got.provider == "llm");
        CHECK(got.tier >= Tier::write);
        CHECK(has_flag(got, "unknown-endpoint"));
    }
    HttpRequest realtime = make("GET", "api.openai.com", "/v1/realtime");
    realtime.headers = {{"Upgrade", "websocket"}};
    CHECK(classify(realtime).tier == Tier::write);  // an upgraded channel is never read (registry)
}

TEST_CASE("llm: the dialog names the model, deployment and telemetry") {
    Classification got = classify(make("POST", "bedrock-runtime.us-west-2.amazonaws.com",
                                       "/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke-with-response-stream"));
    CHECK(got.detail == "bedrock:InvokeModelWithResponseStream on bedrock-runtime.us-west-2.amazonaws.com model "
                        "us.anthropic.claude-sonnet-4-5-20250929-v1:0");
    got = classify(make("POST", "acme.openai.azure.com", "/openai/deployments/gpt-4o-prod/chat/completions"));
    CHECK(got.detail == "azure-openai:chat.completions.create on acme.openai.azure.com model gpt-4o-prod");
    got = classify(make("POST", "api.anthropic.com", "/api/event_logging/v2/batch"));
    CHECK(got.tier == Tier::read);
    CHECK(has_flag(got, "vendor-telemetry"));
    CHECK_FALSE(needs_body(make("POST", "api.anthropic.com", "/v1/messages")));
}
