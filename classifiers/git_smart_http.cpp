// classifiers/git_smart_http.cpp — the `git` provider: git's smart HTTP
// protocol on any forge host (../shared/classifier-rules.md §4).
//
// Recognised by shape, not host: `GET <repo>/info/refs?service=git-…`,
// `POST <repo>/git-upload-pack`, `POST <repo>/git-receive-pack`. It sits
// first in the registry, before the forges' REST providers on the same hosts.
//
// Labels: ref discovery and upload-pack (clone, fetch, v2 ls-refs/fetch) are
// reads; discovery for receive-pack is a read flagged push-intent. A push is
// judged by its command list (classifiers/pktline.h): a zero new oid deletes
// a ref (destructive), anything else creates or moves one (write); the max
// over commands wins; a malformed list is a write. A force push has the same
// wire shape as a fast-forward, so it cannot be told apart here.
#include <string>

#include "classifiers/pktline.h"
#include "classifiers/provider.h"
#include "classifiers/url_query.h"

namespace askfirst::classifiers {

namespace {

constexpr std::string_view kUploadPack = "/git-upload-pack";
constexpr std::string_view kReceivePack = "/git-receive-pack";
constexpr std::string_view kInfoRefs = "/info/refs";
// Refs whose update deserves a flag even when it is a plain write (§4, "what
// a proxy can do": flag protected-pattern refs).
constexpr std::string_view kProtectedBranches[] = {"refs/heads/main", "refs/heads/master"};
constexpr std::string_view kProtectedPrefixes[] = {"refs/heads/release/"};
// Commands listed by name in the dialog line before "+N more".
constexpr std::size_t kMaxCommandsInDetail = 8;

bool is_git_service(std::string_view service) {
    return service == "git-upload-pack" || service == "git-receive-pack";
}

bool git_matches(const HttpRequest& request) {
    const std::string& path = request.path;
    if (path.ends_with(kUploadPack) || path.ends_with(kReceivePack)) return true;
    if (path.ends_with(kInfoRefs)) {
        auto service = query_param(request.query, "service");
        return service && is_git_service(*service);
    }
    return false;
}

// "github.com/acme/web.git" from "/acme/web.git/git-receive-pack".
std::string repository_of(const HttpRequest& request, std::string_view suffix) {
    std::string_view path = request.path;
    path.remove_suffix(suffix.size());
    return request.host + std::string(path);
}

bool is_protected(std::string_view refname) {
    for (auto branch : kProtectedBranches)
        if (refname == branch) return true;
    for (auto prefix : kProtectedPrefixes)
        if (refname.starts_with(prefix)) return true;
    return false;
}

// Indexed by pktline::RefUpdateKind: the words of the dialog's "git push" line.
constexpr std::string_view kRefUpdateVerbs[] = {"create", "update", "delete"};
static_assert(std::size(kRefUpdateVerbs) == static_cast<std::size_t>(pktline::RefUpdateKind::del) + 1,
              "kRefUpdateVerbs must name every RefUpdateKind");

std::string_view verb_of(pktline::RefUpdateKind kind) {
    const auto index = static_cast<std::size_t>(kind);
    return index < std::size(kRefUpdateVerbs) ? kRefUpdateVerbs[index] : "update";
}

std::string_view short_ref(std::string_view refname) {
    return refname.starts_with("refs/heads/") ? refname.substr(11) : refname;
}

bool has_capability(const pktline::ReceivePackRequest& push, std::string_view wanted) {
    for (const auto& capability : push.capabilities)
        if (capability == wanted) return true;
    return false;
}

// Several refs: "git push (create 2 branches)" when they agree, else
// "git push --atomic (update main, delete old-1, old-2)".
std::string multi_ref_operation(const pktline::ReceivePackRequest& push) {
    bool same_kind = true;
    bool all_branches = true;
    for (const auto& update : push.updates) {
        same_kind = same_kind && update.kind == push.updates.front().kind;
        all_branches = all_branches && update.refname.starts_with("refs/heads/");
    }
    std::string count = std::to_string(push.updates.size());
    if (same_kind)
        return "git push (" + std::string(verb_of(push.updates.front().kind)) + " " + count + (all_branches ? " branches)" : " refs)");
    std::string text = has_capability(push, "atomic") ? "git push --atomic (" : "git push (";
    std::size_t listed = 0;
    for (std::size_t i = 0; i < push.updates.size() && listed < kMaxCommandsInDetail; ++i, ++listed) {
        const auto& update = push.updates[i];
        bool same_as_before = i > 0 && push.updates[i - 1].kind == update.kind;
        text += i == 0 ? "" : ", ";
        if (!same_as_before) text += std::string(verb_of(update.kind)) + " ";
        text += short_ref(update.refname);
    }
    if (push.updates.size() > listed) text += ", +" + std::to_string(push.updates.size() - listed) + " more";
    return text + ")";
}

std::string push_operation(const pktline::ReceivePackRequest& push) {
    if (push.updates.size() != 1) return multi_ref_operation(push);
    const pktline::RefUpdate& update = push.updates.front();
    if (update.kind == pktline::RefUpdateKind::del) return "git push --delete " + update.refname;
    if (update.refname.starts_with("refs/for/")) return "git push (" + update.refname + ")";  // Gerrit-style review ref
    return "git push (" + std::string(verb_of(update.kind)) + " " + update.refname + ")";
}

Classification classify_push(const HttpRequest& request) {
    Classification result{"git", "git push", Tier::write, "", {}};
    std::string repository = repository_of(request, kReceivePack);
    if (request.method != "POST") {
        result.operation = "git-receive-pack " + request.method;
        result.detail = "unexpected " + request.method + " to " + repository;
        return result;
    }
    if (body_is_encoded(request)) {  // git does not gzip pushes; something else did
        result.tier = Tier::destructive;
        result.operation = "git push (encoded body)";
        result.detail = "git push to " + repository + " with Content-Encoding " +
                        std::string(request.header("Content-Encoding")) + ": commands not inspected";
        result.flags.push_back("body-encoded");
        return result;
    }
    pktline::ReceivePackParse parsed = pktline::parse_receive_pack_request(request.body);
    if (!parsed.request) {
        result.operation = "git push (unparsed)";
        result.detail = "git push to " + repository + ": " + parsed.error;
        result.flags.push_back("unparsed-push");
        return result;
    }
    const pktline::ReceivePackRequest& push = *parsed.request;
    result.operation = push_operation(push);
    result.detail = "git push:";
    std::size_t listed = 0;
    for (const auto& update : push.updates) {
        if (update.kind == pktline::RefUpdateKind::del) result.tier = Tier::destructive;
        if (update.kind == pktline::RefUpdateKind::update && update.refname.starts_with("refs/tags/"))
            result.flags.push_back("tag-repointed: " + update.refname);
        if (update.kind != pktline::RefUpdateKind::create && is_protected(update.refname))
            result.flags.push_back("protected-ref: " + update.refname);
        if (listed++ < kMaxCommandsInDetail)
            result.detail += std::string(listed > 1 ? ", " : " ") + std::string(verb_of(update.kind)) + " " + update.refname;
    }
    if (push.updates.size() > kMaxCommandsInDetail)
        result.detail += " (+" + std::to_string(push.updates.size() - kMaxCommandsInDetail) + " more)";
    result.detail += " on " + repository;
    if (!push.push_options.empty()) {
        result.detail += " (options:";
        for (const auto& option : push.push_options) result.detail += " " + option;
        result.detail += ")";
    }
    return result;
}

std::string upload_pack_command(const HttpRequest& request) {
    pktline::Reader reader(request.body);
    std::optional<pktline::Packet> first = reader.next();
    if (first && first->kind == pktline::PacketKind::data && first->payload.starts_with("command=")) {
        std::string_view command = first->payload.substr(8);
        if (command.ends_with('\n')) command.remove_suffix(1);
        return std::string(command);
    }
    return {};
}

Classification git_classify(const HttpRequest& request) {
    const std::string& path = request.path;
    if (path.ends_with(kReceivePack)) return classify_push(request);
    Classification result{"git", "", Tier::read, "", {}};
    bool read_method = request.method == "GET" || request.method == "HEAD";
    if (path.ends_with(kUploadPack)) {
        std::string command = upload_pack_command(request);
        result.operation = command.empty() ? "git-upload-pack (fetch)" : "git-upload-pack " + command;
        result.detail = "git fetch from " + repository_of(request, kUploadPack);
        if (request.method != "POST") result.tier = Tier::write;  // not the protocol: fail closed
        return result;
    }
    std::string service = query_param(request.query, "service").value_or("");
    result.operation = service + " (discovery)";
    result.detail = "git ref discovery (" + service + ") on " + repository_of(request, kInfoRefs);
    if (service == "git-receive-pack") result.flags.push_back("push-intent");
    if (!read_method) result.tier = Tier::write;
    return result;
}

// The push's command list decides; the head alone cannot. When the body was
// cut at the inspection limit but the whole command list was seen (the pack
// follows it), nothing more is needed.
bool git_needs_body(const HttpRequest& request) {
    if (!request.path.ends_with(kReceivePack)) return false;
    if (request.body.empty()) return true;
    return pktline::parse_receive_pack_request(request.body).incomplete;
}

}  // namespace

// Every entry point sees the path with unreserved escapes decoded (url_query.h).
extern const Provider kGitProvider{
    "git", [](const HttpRequest& r) { return on_normalized_path(r, git_matches); },
    [](const HttpRequest& r) { return on_normalized_path(r, git_classify); },
    [](const HttpRequest& r) { return on_normalized_path(r, git_needs_body); }};

}  // namespace askfirst::classifiers
