// classifiers/vercel.cpp — the Vercel REST API and Vercel Blob provider
// (../shared/classifier-rules.md §15, Vercel).
//
// Recognize: api.vercel.com (`Authorization: Bearer`, `?teamId=`; path
// versions vary per endpoint: /v9/projects, /v13/deployments) and the Blob
// hosts (blob.vercel-storage.com for the API, <store>.public.blob… for data).
// Label: GET read; POST/PATCH/PUT write (promote and rollback included);
// DELETE destructive: projects, deployments, domains, env vars, Blob stores.
// Blob deletes arrive as `POST https://blob.vercel-storage.com/delete` with
// `{"urls": [...]}` (the @vercel/blob client's del()), a POST that deletes.
#include <iterator>

#include "classifiers/provider.h"
#include "classifiers/rest_resource.h"

namespace askfirst::classifiers {
namespace {

constexpr std::string_view kVercelApiHosts[] = {"api.vercel.com"};
constexpr std::string_view kVercelBlobHosts[] = {"blob.vercel-storage.com", "*.blob.vercel-storage.com"};

// Last path segments of Vercel API POSTs worth a flag.
struct VercelFlagRule {
    std::string_view last_segment;
    std::string_view flag;
};
constexpr VercelFlagRule kVercelPostFlags[] = {
    {"promote", "changes-production-deployment"},
    {"rollback", "changes-production-deployment"},
    {"transfer-request", "transfers-project"},
};

Classification classify_blob(const HttpRequest& request, const RequestPath& path) {
    const bool delete_call = request.method == "POST" && path.segments.size() == 1 && path.segments[0] == "delete";
    Tier tier = delete_call ? Tier::destructive : tier_for_rest_method(request.method);
    std::string operation = delete_call ? "blob del" : "blob " + method_and_shape(request.method, path);
    return make_classification("vercel", std::move(operation), tier, request);
}

Classification vercel_classify(const HttpRequest& request) {
    const RequestPath path = split_request_path(request.path);
    if (host_matches_any(request.host, kVercelBlobHosts)) return classify_blob(request, path);
    Classification result = make_classification("vercel", method_and_shape(request.method, path),
                                                 tier_for_rest_method(request.method), request);
    if (request.method == "POST") {
        for (const VercelFlagRule& rule : kVercelPostFlags)
            for (const std::string& segment : path.segments)
                if (segment == rule.last_segment) add_flag(result, rule.flag);
    }
    return result;
}

bool vercel_matches(const HttpRequest& request) {
    return host_matches_any(request.host, kVercelApiHosts) || host_matches_any(request.host, kVercelBlobHosts);
}
bool vercel_needs_body(const HttpRequest&) { return false; }  // the path and method decide

}  // namespace

extern const Provider kVercelProvider;
const Provider kVercelProvider{"vercel", vercel_matches, vercel_classify, vercel_needs_body};

}  // namespace askfirst::classifiers
