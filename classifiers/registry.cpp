// classifiers/registry.cpp — picks the provider for a request and applies the
// rules that hold for every provider (../shared/design.md invariant 6).
//
// classify() tries kProviders in order; the first whose matches() says yes
// classifies. Nothing else is shared state: the table is constant.
#include "classifiers/registry.h"
#include "classifiers/method_override.h"

#include "classifiers/url_query.h"

#include <algorithm>
#include <iterator>

namespace askfirst::classifiers {

// Each provider file exports one of these (add a line, keep it sorted by area).
// core
extern const Provider kAwsProvider;
extern const Provider kGrpcProvider;
// forge
extern const Provider kGitProvider;
extern const Provider kGitLfsProvider;
extern const Provider kKubernetesProvider;
extern const Provider kGithubGraphqlProvider;
extern const Provider kGithubProvider;
extern const Provider kRailwayProvider;
extern const Provider kOciRegistryProvider;
extern const Provider kGitlabProvider;
extern const Provider kGitlabGraphqlProvider;
extern const Provider kBitbucketProvider;
extern const Provider kGiteaProvider;
extern const Provider kFlyProvider;
extern const Provider kGraphqlGenericProvider;
// data
extern const Provider kSqlProvider;
extern const Provider kRedisProvider;
extern const Provider kMongodbProvider;
// cloud
extern const Provider kLlmProvider;
extern const Provider kPackagesProvider;
extern const Provider kOpenSearchProvider;
extern const Provider kElasticsearchProvider;
extern const Provider kDigitalOceanProvider;
extern const Provider kGcpProvider;
extern const Provider kAzureProvider;
extern const Provider kCloudflareProvider;
extern const Provider kVercelProvider;
extern const Provider kSupabaseProvider;
extern const Provider kNeonProvider;
extern const Provider kTerraformCloudProvider;
extern const Provider kHerokuProvider;
extern const Provider kStripeProvider;
extern const Provider kSearchEnginePathProvider;

namespace {

// ORDER MATTERS: a request goes to the first provider that matches.
//  * Protocol fingerprints before host tables: git smart HTTP
//    (/info/refs?service=, /git-receive-pack) rides on github.com, gitlab.com
//    and any forge host, so it precedes the forges' REST/GraphQL providers.
//  * More specific hosts before broader ones on the same suffix: SigV4-signed
//    but not AWS APIs (OpenSearch *.es.amazonaws.com, EKS's Kubernetes API
//    *.eks.amazonaws.com) precede `aws`, which matches *.amazonaws.com and any
//    AWS4-HMAC-SHA256 signature (S3-compatible hosts such as R2 or MinIO).
//  * Header/path fingerprints that could appear on any host (Kubernetes
//    /api/v1, GraphQL /graphql) come after the host-specific providers.
// The generic method-based fallback is not in this list (kGenericProvider).
constexpr const Provider* kProviders[] = {
    // core: gRPC is a protocol fingerprint (content-type application/grpc and a
    // /package.Service/Method path) on any host, Google's included: first.
    &kGrpcProvider,
    // forges (git smart HTTP first), then data, then clouds: the other areas add their lines here.
    // forge: git smart HTTP and git-lfs are recognised by path shape on any host
    // (github.com, gitlab.com, dev.azure.com, …), so they precede every
    // host-based provider, including the forges' REST/GraphQL ones.
    &kGitProvider,
    &kGitLfsProvider,
    // forge: Kubernetes before AWS (EKS API servers are *.eks.amazonaws.com);
    // elsewhere it needs a Kubernetes path plus a client fingerprint.
    &kKubernetesProvider,
    // forge: GitHub GraphQL (/graphql, GHES /api/graphql) before GitHub REST on
    // the same hosts; GHES REST is any host with the /api/v3 prefix.
    &kGithubGraphqlProvider,
    &kGithubProvider,
    &kRailwayProvider,
    // forge: container registries (/v2/) before AWS: ECR is <acct>.dkr.ecr.<region>.amazonaws.com.
    &kOciRegistryProvider,
    // forge: GitLab REST (/api/v4 on any host); GitLab GraphQL takes every
    // /api/graphql that github-graphql (above) did not claim.
    &kGitlabProvider,
    &kGitlabGraphqlProvider,
    &kBitbucketProvider,
    // forge: Gitea/Forgejo /api/v1 after Kubernetes, which shares the prefix.
    &kGiteaProvider,
    &kFlyProvider,
    // data: SQL-over-HTTP carriers. Before the clouds: it claims only the SQL
    // endpoints of api.cloudflare.com (D1 query|raw) and api.supabase.com
    // (database/query), whose other paths belong to those providers.
    &kSqlProvider,
    &kRedisProvider,
    &kMongodbProvider,
    // cloud: model APIs (classifiers/llm.cpp) before GCP (Gemini and Vertex AI
    // are *.googleapis.com) and AWS (Bedrock runtime is *.amazonaws.com); it
    // claims Vertex AI only for its inference calls, Bedrock only bedrock-runtime.
    &kLlmProvider,
    // cloud: package registries and vulnerability databases (classifiers/packages.cpp), by host only.
    &kPackagesProvider,
    // cloud: search engines before AWS (OpenSearch domains are *.es.amazonaws.com, SigV4 `es`);
    // the other cloud APIs match their own hosts only (the data area's SQL carriers
    // for Supabase /database/query and Cloudflare D1 must come before them).
    &kOpenSearchProvider,
    &kElasticsearchProvider,
    &kDigitalOceanProvider,
    &kGcpProvider,
    &kAzureProvider,
    &kCloudflareProvider,
    &kVercelProvider,
    &kSupabaseProvider,
    &kNeonProvider,
    &kTerraformCloudProvider,
    &kHerokuProvider,
    &kStripeProvider,
    // core: AWS last among the SigV4 users, so more specific *.amazonaws.com hosts win.
    &kAwsProvider,
    // cloud (path fingerprint): Elasticsearch/OpenSearch by their `_` built-in
    // paths on hosts that no provider above claimed; last, before generic.
    &kSearchEnginePathProvider,
    // forge (path fingerprint): any other GraphQL endpoint (…/graphql with a
    // JSON, application/graphql or ?query= carrier); last, so every provider
    // with its own GraphQL rules (GitHub, GitLab, Railway, Fly, Cloudflare) wins.
    &kGraphqlGenericProvider,
};

constexpr std::string_view kBodyNotInspectedFlag = "body-not-inspected";
constexpr std::string_view kOpensUpgradedChannelFlag = "opens-upgraded-channel";

// After a 101 the connection is an opaque channel that nothing judges (a
// WebSocket can carry any command): opening one is at least a write, like
// any flow askfirst cannot read. To a provider's API it may carry that
// provider's worst operation (a graphql-ws connection to Railway runs
// mutations such as volumeDelete), so it is destructive there, as unread TLS
// to the provider's host is (src/request_decision.h). Two providers name
// what their channels carry and keep the write floor: Kubernetes
// (exec/attach/portforward: classifier-rules.md, write, arbitrary command
// execution) and the model APIs (llm: a realtime or Responses WebSocket
// carries inference, as Codex CLI's does).
Tier upgraded_channel_floor(const Provider& provider) {
    if (&provider == &kGenericProvider) return Tier::write;
    if (provider.name == "kubernetes" || provider.name == "llm") return Tier::write;
    return Tier::destructive;
}

}  // namespace

std::span<const Provider* const> registered_providers() { return kProviders; }

const Provider& select_provider(const HttpRequest& request) {
    for (const Provider* provider : kProviders)
        if (provider->matches(request)) return *provider;
    return kGenericProvider;
}

namespace {

constexpr std::string_view kMethodOverrideFlag = "method-override";

enum class FormBody { none, urlencoded, multipart };

// A POST whose body is a form: Rails (Rack::MethodOverride), Laravel and
// Express's method-override read `_method` from such a body's fields.
FormBody form_body_of(const HttpRequest& request) {
    if (request.method != "POST") return FormBody::none;
    std::string type(request.header("Content-Type"));
    for (char& c : type) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    const std::string_view media = std::string_view(type).substr(0, type.find(';'));
    const auto trimmed = [](std::string_view text) {
        while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
        return text;
    };
    if (trimmed(media) == "application/x-www-form-urlencoded") return FormBody::urlencoded;
    if (trimmed(media) == "multipart/form-data") return FormBody::multipart;
    return FormBody::none;
}

// The values of multipart parts named `_method` in what was inspected: the
// part's headers carry name="_method", its value runs to the next CRLF--.
// (Read by hand: a boundary scan for one field name; no Debian package
// parses multipart bodies for C++ without pulling in a web framework.)
std::vector<std::string> multipart_method_fields(std::string_view body) {
    std::vector<std::string> values;
    constexpr std::string_view kName = "name=\"_method\"";
    for (std::size_t at = body.find(kName); at != std::string_view::npos; at = body.find(kName, at + 1)) {
        const std::size_t value_start = body.find("\r\n\r\n", at);
        if (value_start == std::string_view::npos) break;
        const std::size_t value_end = body.find("\r\n--", value_start + 4);
        values.emplace_back(body.substr(value_start + 4, value_end == std::string_view::npos
                                                             ? std::string_view::npos
                                                             : value_end - value_start - 4));
    }
    return values;
}

// Where servers take a method to run instead of the request's: the override
// headers (classifiers/method_override.h), Laravel's and Express's query
// getter (_method), and a form body's `_method` field (Rails, Laravel).
// Each value found is a method the server may run. The request's own method
// in another case ("delete", "Delete") is one too: RFC 9110 §9.1 makes
// methods case-sensitive, but Django and Werkzeug (Flask) upper-case
// REQUEST_METHOD and run the DELETE handler.
std::vector<std::string> overriding_methods(const HttpRequest& request) {
    std::vector<std::string> methods;
    methods.push_back(request.method);
    for (const auto& header : request.headers)
        if (is_method_override_header(header.name)) methods.push_back(header.value);
    for (std::string& value : query_params(request.query, "_method")) methods.push_back(std::move(value));
    switch (form_body_of(request)) {
        case FormBody::urlencoded:
            for (std::string& value : query_params(request.body, "_method")) methods.push_back(std::move(value));
            break;
        case FormBody::multipart:
            for (std::string& value : multipart_method_fields(request.body)) methods.push_back(std::move(value));
            break;
        case FormBody::none: break;
    }
    for (std::string& method : methods) {
        std::string upper;
        for (char c : method)
            if (c != ' ' && c != '\t') upper += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
        method = std::move(upper);
    }
    return methods;
}

}  // namespace

Classification classify_with(const Provider& provider, const HttpRequest& request) {
    Classification result = provider.classify(request);
    // A method override: judged as that method too, the worse of the two.
    for (const std::string& method : overriding_methods(request)) {
        if (method.empty() || method == request.method) continue;
        HttpRequest overridden = request;
        overridden.method = method;
        Classification as_overridden = provider.classify(overridden);
        if (as_overridden.tier > result.tier) {
            as_overridden.flags.emplace_back(kMethodOverrideFlag);
            result = std::move(as_overridden);
        }
    }
    if (request.has_header("Upgrade")) {
        const Tier floor = upgraded_channel_floor(provider);
        if (result.tier < floor) {
            result.tier = floor;
            result.flags.emplace_back(kOpensUpgradedChannelFlag);
        }
    }
    // A url-encoded form longer than the inspection limit may carry `_method`
    // past what was seen (forms are small; a large multipart upload is judged
    // on the fields seen, its file parts come last in every client).
    if (!request.body_complete && (provider.needs_body(request) || form_body_of(request) == FormBody::urlencoded)) {
        // Invariant 6: what was not seen may be the worst it could be.
        result.tier = Tier::destructive;
        if (std::find(result.flags.begin(), result.flags.end(), kBodyNotInspectedFlag) ==
            result.flags.end())
            result.flags.emplace_back(kBodyNotInspectedFlag);
    }
    return result;
}

Classification classify(const HttpRequest& request) {
    return classify_with(select_provider(request), request);
}

bool needs_body(const HttpRequest& head) {
    return select_provider(head).needs_body(head) || form_body_of(head) != FormBody::none;
}

}  // namespace askfirst::classifiers
