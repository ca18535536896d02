// classifiers/llm.cpp — the `llm` provider: the model APIs coding agents call
// (issue 14), and the agent vendors' own calls beside them.
//
// Recognise (by host; Vertex AI by its inference paths only, so that the rest
// of aiplatform stays `gcp`):
//   Anthropic          api.anthropic.com            /v1/messages, /v1/models, …, /api/claude_code/…
//   ChatGPT (Codex)    chatgpt.com                  /backend-api/codex/responses
//   OpenAI             api.openai.com               /v1/…
//   Mistral            api.mistral.ai, codestral.mistral.ai   /v1/… (OpenAI-shaped)
//   OpenRouter         openrouter.ai                /api/v1/… (OpenAI-shaped)
//   Groq               api.groq.com                 /openai/v1/… (OpenAI-shaped)
//   Azure OpenAI       *.openai.azure.com, *.cognitiveservices.azure.com
//                      /openai/deployments/{d}/…, /openai/v1/…, /openai/…
//   Gemini             generativelanguage.googleapis.com   /{version}/models/{m}:generateContent
//   Vertex AI          aiplatform.googleapis.com, {region}-aiplatform.googleapis.com
//                      …/publishers/{p}/models/{m}:generateContent|rawPredict|…
//   Bedrock runtime    bedrock-runtime[-fips].{region}.amazonaws.com   /model/{id}/invoke|converse|…
//   Agent sign-in      platform.claude.com, console.anthropic.com   POST /v1/oauth/token only
//                      auth.openai.com                              POST /oauth/token only
//                      (the rest of those hosts, web consoles, stays `generic`)
// (Bedrock's control plane, bedrock.{region}.amazonaws.com, stays `aws`.)
//
// Label (rules as tables below, one row per endpoint, each citing its API
// reference): inference, token counting and model listing are reads (they
// change nothing the user owns; a stored chat completion or response is a
// by-product the same call can avoid); everything else follows the usual REST
// rules: GET/HEAD read, POST/PUT/PATCH write, DELETE destructive, with
// DELETEs that only end a membership (a user leaves a project, a file leaves a
// vector store) as writes. The vendors' settings, feature-flag and telemetry
// calls that Claude Code makes are reads flagged `vendor-telemetry` (they
// change no user resource); the `agent` profile passes them with inference.
//
// Operation names: "<vendor>:<operation>", e.g. "anthropic:messages.create",
// "openai:chat.completions.create", "bedrock:InvokeModel",
// "vertex:streamRawPredict"; an endpoint without a row is
// "<vendor>:<METHOD> <path shape>" with the flag `unknown-endpoint`.
// Sans-io; the body is never needed (the method and path decide).
#include <algorithm>
#include <optional>

#include "classifiers/provider.h"
#include "classifiers/rest_resource.h"

namespace askfirst::classifiers {
namespace {

using LlmRoute = MethodRoute;  // route_template.h

constexpr std::string_view kTelemetry = "vendor-telemetry";
constexpr std::string_view kMembership = "removes-membership";
constexpr std::string_view kVendorAuth = "vendor-auth";

// Anthropic: https://docs.anthropic.com/en/api (Messages, Token counting,
// Models, Text completions, Message batches, Files, Admin API). The /api/…
// rows are the calls Claude Code 2.1 makes beside its model calls (issue 14,
// observed through askfirst).
constexpr LlmRoute kAnthropicRoutes[] = {
    {"POST", "/v1/messages", "messages.create", Tier::read, ""},
    {"POST", "/v1/messages/count_tokens", "messages.count_tokens", Tier::read, ""},
    {"POST", "/v1/complete", "completions.create", Tier::read, ""},
    {"GET", "/v1/models", "models.list", Tier::read, ""},
    {"GET", "/v1/models/{model_id}", "models.retrieve", Tier::read, ""},
    {"POST", "/v1/messages/batches", "messages.batches.create", Tier::write, ""},
    {"POST", "/v1/messages/batches/{id}/cancel", "messages.batches.cancel", Tier::write, ""},
    {"DELETE", "/v1/messages/batches/{id}", "messages.batches.delete", Tier::destructive, ""},
    {"POST", "/v1/files", "files.upload", Tier::write, ""},
    {"DELETE", "/v1/files/{file_id}", "files.delete", Tier::destructive, ""},
    {"POST", "/v1/organizations/api_keys/{api_key_id}", "admin.api_keys.update", Tier::write, ""},
    {"POST", "/v1/organizations/workspaces", "admin.workspaces.create", Tier::write, ""},
    {"POST", "/v1/organizations/workspaces/{id}/archive", "admin.workspaces.archive", Tier::write, ""},
    {"DELETE", "/v1/organizations/workspaces/{id}/members/{user_id}", "admin.workspaces.members.delete", Tier::write,
     kMembership},
    {"DELETE", "/v1/organizations/users/{user_id}", "admin.users.delete", Tier::write, kMembership},
    {"DELETE", "/v1/organizations/invites/{invite_id}", "admin.invites.delete", Tier::destructive, ""},
    {"GET", "/api/claude_code/settings", "claude_code.settings", Tier::read, ""},
    {"GET", "/api/claude_code/policy_limits", "claude_code.policy_limits", Tier::read, ""},
    {"HEAD", "/api/hello", "hello", Tier::read, ""},
    {"GET", "/api/claude_cli/bootstrap", "claude_cli.bootstrap", Tier::read, ""},
    {"POST", "/api/eval/{client_key}", "eval.feature_flags", Tier::read, kTelemetry},
    {"POST", "/api/event_logging/v2/batch", "event_logging.batch", Tier::read, kTelemetry},
};

// Codex CLI signed in with a ChatGPT account sends the Responses API to
// ChatGPT's backend instead of api.openai.com (openai/codex, codex-rs: the
// ChatGPT auth mode's base URL https://chatgpt.com/backend-api/codex).
constexpr LlmRoute kChatgptCodexRoutes[] = {
    {"POST", "/backend-api/codex/responses", "codex.responses.create", Tier::read, ""},
};

// The agents' sign-in refresh (RFC 6749 §6): Claude Code signed in with a
// Claude account refreshes its OAuth token at platform.claude.com (its
// TOKEN_URL; console.anthropic.com before), Codex signed in with ChatGPT at
// auth.openai.com. A refresh changes nothing the user owns: a read flagged
// `vendor-auth`, so the `agent` profile does not ask about it. Only these
// rows are claimed: the rest of those hosts are web consoles (API keys,
// billing) and stay `generic`.
constexpr LlmRoute kClaudeSignInRoutes[] = {
    {"POST", "/v1/oauth/token", "oauth.token_refresh", Tier::read, kVendorAuth},
};
constexpr LlmRoute kOpenAiSignInRoutes[] = {
    {"POST", "/oauth/token", "oauth.token_refresh", Tier::read, kVendorAuth},
};

// OpenAI-shaped APIs, below each vendor's base path. OpenAI:
// https://platform.openai.com/docs/api-reference (Chat, Responses,
// Completions, Embeddings, Moderations, Audio, Images, Models, Vector stores,
// Administration); Mistral: https://docs.mistral.ai/api/ (FIM, Agents
// completions, OCR, Classifiers); Groq: https://console.groq.com/docs/api-reference;
// OpenRouter: https://openrouter.ai/docs/api-reference; Azure OpenAI:
// https://learn.microsoft.com/azure/ai-services/openai/reference.
constexpr LlmRoute kOpenAiShapedRoutes[] = {
    {"POST", "/chat/completions", "chat.completions.create", Tier::read, ""},
    {"POST", "/completions", "completions.create", Tier::read, ""},
    {"POST", "/embeddings", "embeddings.create", Tier::read, ""},
    {"POST", "/responses", "responses.create", Tier::read, ""},
    {"POST", "/responses/input_tokens", "responses.input_tokens.count", Tier::read, ""},
    {"POST", "/moderations", "moderations.create", Tier::read, ""},
    {"POST", "/audio/transcriptions", "audio.transcriptions.create", Tier::read, ""},
    {"POST", "/audio/translations", "audio.translations.create", Tier::read, ""},
    {"POST", "/audio/speech", "audio.speech.create", Tier::read, ""},
    {"POST", "/images/generations", "images.generate", Tier::read, ""},
    {"POST", "/images/edits", "images.edit", Tier::read, ""},
    {"POST", "/images/variations", "images.create_variation", Tier::read, ""},
    {"POST", "/fim/completions", "fim.completions.create", Tier::read, ""},
    {"POST", "/agents/completions", "agents.completions.create", Tier::read, ""},
    {"POST", "/ocr", "ocr.process", Tier::read, ""},
    {"POST", "/classifications", "classifiers.classify", Tier::read, ""},
    {"POST", "/chat/classifications", "classifiers.classify_chat", Tier::read, ""},
    {"POST", "/chat/moderations", "moderations.create_chat", Tier::read, ""},
    {"GET", "/models", "models.list", Tier::read, ""},
    {"GET", "/models/{model}", "models.retrieve", Tier::read, ""},
    {"DELETE", "/models/{model}", "models.delete", Tier::destructive, ""},
    {"POST", "/vector_stores/{vector_store_id}/search", "vector_stores.search", Tier::read, ""},
    {"POST", "/chat/completions/{completion_id}", "chat.completions.update", Tier::write, ""},
    {"DELETE", "/chat/completions/{completion_id}", "chat.completions.delete", Tier::destructive, ""},
    {"DELETE", "/responses/{response_id}", "responses.delete", Tier::destructive, ""},
    {"POST", "/responses/{response_id}/cancel", "responses.cancel", Tier::write, ""},
    {"POST", "/files", "files.create", Tier::write, ""},
    {"DELETE", "/files/{file_id}", "files.delete", Tier::destructive, ""},
    {"POST", "/batches", "batches.create", Tier::write, ""},
    {"POST", "/batches/{batch_id}/cancel", "batches.cancel", Tier::write, ""},
    {"POST", "/fine_tuning/jobs", "fine_tuning.jobs.create", Tier::write, ""},
    {"POST", "/fine_tuning/jobs/{job_id}/cancel", "fine_tuning.jobs.cancel", Tier::write, ""},
    {"DELETE", "/vector_stores/{vector_store_id}", "vector_stores.delete", Tier::destructive, ""},
    {"DELETE", "/vector_stores/{vector_store_id}/files/{file_id}", "vector_stores.files.delete", Tier::write,
     kMembership},
    {"DELETE", "/assistants/{assistant_id}", "assistants.delete", Tier::destructive, ""},
    {"DELETE", "/threads/{thread_id}", "threads.delete", Tier::destructive, ""},
    {"DELETE", "/organization/users/{user_id}", "admin.users.delete", Tier::write, kMembership},
    {"DELETE", "/organization/projects/{project_id}/users/{user_id}", "admin.projects.users.delete", Tier::write,
     kMembership},
    {"DELETE", "/organization/admin_api_keys/{key_id}", "admin.admin_api_keys.delete", Tier::destructive, ""},
    {"DELETE", "/organization/projects/{project_id}/api_keys/{key_id}", "admin.projects.api_keys.delete",
     Tier::destructive, ""},
    {"POST", "/organization/projects/{project_id}/archive", "admin.projects.archive", Tier::write, ""},
    {"DELETE", "/keys/{hash}", "keys.delete", Tier::destructive, ""},
};

// Gemini API (https://ai.google.dev/api: generateContent, countTokens,
// embeddings, models) and Vertex AI (https://cloud.google.com/vertex-ai/docs/reference/rest:
// projects.locations.publishers.models and .endpoints). The custom verb is
// matched apart from the path ("models/gemini-2.0-flash:generateContent").
struct GoogleVerb {
    std::string_view verb;
    Tier tier;
};
constexpr GoogleVerb kGoogleInferenceVerbs[] = {
    {"generateContent", Tier::read},     {"streamGenerateContent", Tier::read}, {"countTokens", Tier::read},
    {"computeTokens", Tier::read},       {"embedContent", Tier::read},          {"batchEmbedContents", Tier::read},
    {"predict", Tier::read},             {"rawPredict", Tier::read},            {"streamRawPredict", Tier::read},
    {"serverStreamingPredict", Tier::read},
};
constexpr std::string_view kGeminiModelRoutes[] = {"/{version}/models/{model}", "/{version}/tunedModels/{model}"};
constexpr std::string_view kVertexModelRoutes[] = {
    "/{version}/projects/{project}/locations/{location}/publishers/{publisher}/models/{model}",
    "/{version}/projects/{project}/locations/{location}/endpoints/{endpoint}",
    "/{version}/publishers/{publisher}/models/{model}",
};
// Vertex AI's OpenAI-compatible endpoint.
constexpr std::string_view kVertexChatRoute =
    "/{version}/projects/{project}/locations/{location}/endpoints/openapi/chat/completions";

// Bedrock runtime: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_Operations_Amazon_Bedrock_Runtime.html
constexpr LlmRoute kBedrockRuntimeRoutes[] = {
    {"POST", "/model/{modelId}/invoke", "InvokeModel", Tier::read, ""},
    {"POST", "/model/{modelId}/invoke-with-response-stream", "InvokeModelWithResponseStream", Tier::read, ""},
    {"POST", "/model/{modelId}/converse", "Converse", Tier::read, ""},
    {"POST", "/model/{modelId}/converse-stream", "ConverseStream", Tier::read, ""},
    {"POST", "/model/{modelId}/count-tokens", "CountTokens", Tier::read, ""},
    {"POST", "/async-invoke", "StartAsyncInvoke", Tier::write, ""},
};

// How a vendor's paths are matched: its own route table (Anthropic, ChatGPT's
// Codex backend, Bedrock runtime), the OpenAI-shaped table below a base
// path, or Google's model paths with a custom verb.
// own_table_only: the vendor's rows and nothing else of the host (sign-in).
enum class ApiShape { own_table, own_table_only, openai, gemini, vertex };

struct Vendor {
    std::string_view host;  // host pattern (provider.h)
    std::string_view name;
    ApiShape shape;
    std::span<const std::string_view> bases;  // OpenAI-shaped: the base paths (templates), most specific first
    std::span<const LlmRoute> routes = {};     // own_table: the vendor's routes
};

constexpr std::string_view kOpenAiBase[] = {"/v1"};
constexpr std::string_view kOpenRouterBase[] = {"/api/v1"};
constexpr std::string_view kGroqBase[] = {"/openai/v1"};
constexpr std::string_view kAzureOpenAiBases[] = {"/openai/deployments/{deployment}", "/openai/v1", "/openai"};

constexpr Vendor kVendors[] = {
    {"api.anthropic.com", "anthropic", ApiShape::own_table, {}, kAnthropicRoutes},
    {"chatgpt.com", "chatgpt", ApiShape::own_table, {}, kChatgptCodexRoutes},
    {"api.openai.com", "openai", ApiShape::openai, kOpenAiBase},
    {"api.mistral.ai", "mistral", ApiShape::openai, kOpenAiBase},
    {"codestral.mistral.ai", "mistral", ApiShape::openai, kOpenAiBase},
    {"openrouter.ai", "openrouter", ApiShape::openai, kOpenRouterBase},
    {"api.groq.com", "groq", ApiShape::openai, kGroqBase},
    {"*.openai.azure.com", "azure-openai", ApiShape::openai, kAzureOpenAiBases},
    {"*.cognitiveservices.azure.com", "azure-openai", ApiShape::openai, kAzureOpenAiBases},
    {"generativelanguage.googleapis.com", "gemini", ApiShape::gemini, {}},
    {"platform.claude.com", "anthropic", ApiShape::own_table_only, {}, kClaudeSignInRoutes},
    {"console.anthropic.com", "anthropic", ApiShape::own_table_only, {}, kClaudeSignInRoutes},
    {"auth.openai.com", "openai", ApiShape::own_table_only, {}, kOpenAiSignInRoutes},
};
// Matched by is_vertex_host() and is_bedrock_runtime_host() below (their
// hosts have a region in the middle), not as host patterns.
constexpr Vendor kVertex{"aiplatform.googleapis.com", "vertex", ApiShape::vertex, {}};
constexpr Vendor kBedrockRuntime{"bedrock-runtime.*.amazonaws.com", "bedrock", ApiShape::own_table, {}, kBedrockRuntimeRoutes};

// aiplatform.googleapis.com and {region}-aiplatform.googleapis.com.
bool is_vertex_host(std::string_view host) {
    constexpr std::string_view kRegionalSuffix = "-aiplatform.googleapis.com";
    if (host == "aiplatform.googleapis.com") return true;
    if (!host.ends_with(kRegionalSuffix)) return false;
    const std::string_view region = host.substr(0, host.size() - kRegionalSuffix.size());
    return !region.empty() && region.find('.') == std::string_view::npos;
}

// bedrock-runtime.{region}.amazonaws.com and bedrock-runtime-fips.{region}.amazonaws.com.
bool is_bedrock_runtime_host(std::string_view host) {
    if (!host.ends_with(".amazonaws.com")) return false;
    return host.starts_with("bedrock-runtime.") || host.starts_with("bedrock-runtime-fips.");
}

// What the table said about one request.
struct Match {
    std::string operation;  // without the vendor prefix
    Tier tier = Tier::write;
    std::string_view flag;
    std::string target;     // the model, deployment or endpoint named in the path
};

// The most specific row of `routes` that matches; nullopt when none does.
std::optional<Match> match_routes(std::span<const LlmRoute> routes, std::string_view method, const RequestPath& path) {
    const LlmRoute* best = best_method_route(routes, method, path);
    if (best == nullptr) return std::nullopt;
    Match match{std::string(best->operation), best->tier, best->flag, {}};
    match.target = std::string(route_parameter(best->route, path, "modelId"));
    return match;
}

// `path` without its first `count` segments.
RequestPath drop_segments(const RequestPath& path, std::size_t count) {
    RequestPath rest;
    rest.too_long = path.too_long;
    rest.segments.assign(path.segments.begin() + static_cast<std::ptrdiff_t>(std::min(count, path.segments.size())),
                         path.segments.end());
    return rest;
}

// A template's segment count ("/openai/deployments/{deployment}" -> 3).
std::size_t segment_count(std::string_view route) { return static_cast<std::size_t>(std::count(route.begin(), route.end(), '/')); }

// Does `path` start with the segments of `base` (a template)?
std::optional<std::size_t> base_length(std::string_view base, const RequestPath& path) {
    const std::size_t length = segment_count(base);
    if (path.segments.size() < length) return std::nullopt;
    RequestPath head;
    head.segments.assign(path.segments.begin(), path.segments.begin() + static_cast<std::ptrdiff_t>(length));
    if (!match_route(base, head)) return std::nullopt;
    return length;
}

std::optional<Match> match_openai_shaped(const Vendor& vendor, std::string_view method, const RequestPath& path) {
    for (std::string_view base : vendor.bases) {
        const auto length = base_length(base, path);
        if (!length) continue;
        if (auto match = match_routes(kOpenAiShapedRoutes, method, drop_segments(path, *length))) {
            if (base.ends_with("{deployment}")) match->target = path.segments[*length - 1];
            return match;
        }
    }
    return std::nullopt;
}

// Google: the last segment's ":verb" against the inference verbs, the rest
// against the model routes.
std::optional<Match> match_google(std::span<const std::string_view> routes, std::string_view method, RequestPath path) {
    if (method != "POST" || path.segments.empty()) return std::nullopt;
    std::string& last = path.segments.back();
    const std::size_t colon = last.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    const std::string verb = last.substr(colon + 1);
    last.resize(colon);
    const auto known = std::find_if(std::begin(kGoogleInferenceVerbs), std::end(kGoogleInferenceVerbs),
                                    [&](const GoogleVerb& row) { return row.verb == verb; });
    if (known == std::end(kGoogleInferenceVerbs)) return std::nullopt;
    for (std::string_view route : routes)
        if (match_route(route, path)) return Match{verb, known->tier, {}, last};
    return std::nullopt;
}

std::optional<Match> match_vendor(const Vendor& vendor, std::string_view method, const RequestPath& path) {
    switch (vendor.shape) {
        case ApiShape::own_table:
        case ApiShape::own_table_only: return match_routes(vendor.routes, method, path);
        case ApiShape::openai: return match_openai_shaped(vendor, method, path);
        case ApiShape::gemini: return match_google(kGeminiModelRoutes, method, path);
        case ApiShape::vertex:
            if (method == "POST" && match_route(kVertexChatRoute, path)) return Match{"chat.completions.create", Tier::read, {}, {}};
            return match_google(kVertexModelRoutes, method, path);
    }
    return std::nullopt;
}

constexpr Vendor kUnknownVendor{"", "unknown", ApiShape::openai, {}};

// "<METHOD> <path shape>" for an endpoint no row names; a Google custom verb
// stays visible ("POST /v1beta/models/{id}:batchGenerateContent").
std::string unmatched_operation(const Vendor& vendor, std::string_view method, RequestPath path) {
    std::string verb;
    if ((vendor.shape == ApiShape::gemini || vendor.shape == ApiShape::vertex) && !path.segments.empty()) {
        std::string& last = path.segments.back();
        if (const std::size_t colon = last.rfind(':'); colon != std::string::npos) {
            verb = last.substr(colon);
            last.resize(colon);
        }
    }
    return method_and_shape(method, path) + verb;
}

const Vendor* vendor_of(const HttpRequest& request) {
    for (const Vendor& vendor : kVendors)
        if (host_matches_pattern(request.host, vendor.host)) return &vendor;
    if (is_bedrock_runtime_host(request.host)) return &kBedrockRuntime;
    if (is_vertex_host(request.host)) return &kVertex;
    return nullptr;
}

bool llm_matches(const HttpRequest& request) {
    const Vendor* vendor = vendor_of(request);
    if (vendor == nullptr) return false;
    // Vertex AI: only its inference calls; the rest of aiplatform is `gcp`.
    // Sign-in hosts: only the token refresh; the rest is `generic`.
    if (vendor->shape == ApiShape::vertex || vendor->shape == ApiShape::own_table_only) return match_vendor(*vendor, request.method, split_request_path(request.path)).has_value();
    return true;
}

Classification llm_classify(const HttpRequest& request) {
    const Vendor* vendor = vendor_of(request);
    if (vendor == nullptr) vendor = &kUnknownVendor;  // only when called without llm_matches()
    const std::string_view vendor_name = vendor->name;
    const RequestPath path = split_request_path(request.path);
    const std::optional<Match> match = match_vendor(*vendor, request.method, path);
    if (!match) {
        return classify_unnamed_endpoint("llm", std::string(vendor_name) + ":" + unmatched_operation(*vendor, request.method, path),
                                         request);
    }
    Classification result = make_classification("llm", std::string(vendor_name) + ":" + match->operation, match->tier, request);
    result.detail = result.operation + " on " + request.host;
    if (!match->target.empty()) result.detail += " model " + match->target;
    if (!match->flag.empty()) add_flag(result, match->flag);
    return result;
}

bool llm_needs_body(const HttpRequest&) { return false; }  // the method and the path decide

}  // namespace

extern const Provider kLlmProvider;
const Provider kLlmProvider{"llm", llm_matches, llm_classify, llm_needs_body};

}  // namespace askfirst::classifiers
