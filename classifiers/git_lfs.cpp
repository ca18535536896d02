// classifiers/git_lfs.cpp — the `git-lfs` provider: the Git LFS batch and
// locking APIs under `<repo>/info/lfs/` on any forge host
// (../shared/classifier-rules.md §4, git-lfs docs/api/batch.md, locking.md).
//
// Labels: batch `"operation":"download"` → read, `"upload"` → write (any
// other or unreadable body → write); lock listing and `locks/verify` → read;
// creating a lock and unlocking (force or not) → write; the legacy per-object
// API (`info/lfs/objects/<oid>`) by method. Registered next to `git`, before
// the forges' REST providers on the same hosts.
#include <string>

#include "classifiers/json_body.h"
#include "classifiers/provider.h"
#include "classifiers/url_query.h"

namespace askfirst::classifiers {

namespace {

constexpr std::string_view kLfsMarker = "/info/lfs/";
constexpr std::string_view kLfsMediaType = "application/vnd.git-lfs+json";

bool lfs_matches(const HttpRequest& request) {
    if (request.path.find(kLfsMarker) != std::string::npos) return true;
    return request.header("Content-Type").starts_with(kLfsMediaType) ||
           request.header("Accept").starts_with(kLfsMediaType);
}

// The part of the path after "/info/lfs/" ("objects/batch", "locks/12/unlock").
std::string_view lfs_endpoint(const HttpRequest& request, std::string& repository) {
    std::string_view path = request.path;
    std::size_t marker = path.find(kLfsMarker);
    if (marker == std::string_view::npos) {
        repository = request.host;
        return path;
    }
    repository = request.host + std::string(path.substr(0, marker));
    return path.substr(marker + kLfsMarker.size());
}

Classification classify_batch(const HttpRequest& request, const std::string& repository) {
    Classification result{"git-lfs", "lfs batch", Tier::write, "", {}};
    if (body_is_encoded(request)) {
        result.detail = "git-lfs batch request with an encoded body on " + repository;
        result.flags.push_back("body-encoded");
        return result;  // at worst an upload: a write
    }
    JsonTree body = parse_json(request.body);
    // A repeated "operation" key is a download only when every copy says so.
    std::string operation = json_string(body.get(), "operation").value_or("");
    if (json_members(body.get(), "operation").size() > 1) {
        bool all_download = json_every_member(body.get(), "operation", [](const cJSON* member) {
            return cJSON_IsString(member) && std::string_view(member->valuestring) == "download";
        });
        operation = all_download ? "download" : "upload";
    }
    const cJSON* objects = json_member(body.get(), "objects");
    int count = cJSON_IsArray(objects) ? cJSON_GetArraySize(objects) : 0;
    std::string what = std::to_string(count) + " object" + (count == 1 ? "" : "s");
    if (operation == "download") {
        result.tier = Tier::read;
        result.operation = "lfs download";
        result.detail = "git-lfs download of " + what + " from " + repository;
    } else if (operation == "upload") {
        result.operation = "lfs upload";
        result.detail = "git-lfs upload of " + what + " to " + repository;
    } else {
        result.detail = "git-lfs batch request without a known operation on " + repository;
        result.flags.push_back("unparsed-lfs-batch");
    }
    return result;
}

Classification classify_locks(const HttpRequest& request, std::string_view endpoint, const std::string& repository) {
    Classification result{"git-lfs", "", Tier::write, "", {}};
    bool read_method = request.method == "GET" || request.method == "HEAD";
    JsonTree body = parse_json(request.body);
    if (endpoint == "locks" && read_method) {
        result.tier = Tier::read;
        result.operation = "lfs list locks";
    } else if (endpoint == "locks/verify" && request.method == "POST") {
        result.tier = Tier::read;
        result.operation = "lfs verify locks";
    } else if (endpoint == "locks" && request.method == "POST") {
        result.operation = "lfs lock";
        result.detail = "git-lfs lock " + json_string(body.get(), "path").value_or("?") + " on " + repository;
    } else if (endpoint.ends_with("/unlock") && request.method == "POST") {
        result.operation = "lfs unlock";
        if (json_is_true(body.get(), "force")) result.flags.push_back("force-unlock");
    } else {
        result.operation = "lfs " + std::string(endpoint);
    }
    if (result.detail.empty()) result.detail = "git-lfs " + result.operation.substr(4) + " on " + repository;
    return result;
}

Classification lfs_classify(const HttpRequest& request) {
    std::string repository;
    std::string_view endpoint = lfs_endpoint(request, repository);
    if (endpoint == "objects/batch" && request.method == "POST") return classify_batch(request, repository);
    if (endpoint == "locks" || endpoint.starts_with("locks/")) return classify_locks(request, endpoint, repository);
    // Legacy v1 object API and transfer hrefs on the forge host: by method.
    bool read_method = request.method == "GET" || request.method == "HEAD";
    return {"git-lfs", "lfs " + request.method + " " + std::string(endpoint), read_method ? Tier::read : Tier::write,
            "git-lfs " + request.method + " " + std::string(endpoint) + " on " + repository, {}};
}

bool lfs_needs_body(const HttpRequest& request) {
    return request.method == "POST" && request.path.find(kLfsMarker) != std::string::npos;
}

}  // namespace

// Every entry point sees the path with unreserved escapes decoded (url_query.h).
extern const Provider kGitLfsProvider{
    "git-lfs", [](const HttpRequest& r) { return on_normalized_path(r, lfs_matches); },
    [](const HttpRequest& r) { return on_normalized_path(r, lfs_classify); },
    [](const HttpRequest& r) { return on_normalized_path(r, lfs_needs_body); }};

}  // namespace askfirst::classifiers
