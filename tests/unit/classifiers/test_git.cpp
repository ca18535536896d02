// Unit tests for classifiers/pktline and the `git` / `git-lfs` providers:
// pkt-line framing, push command lists (zero-oid delete, sha256 ids, push
// options, push certificates), malformed pushes, discovery and fetch, LFS.
#include <doctest.h>

#include <string>

#include "classifiers/pktline.h"
#include "classifiers/provider.h"

namespace askfirst::classifiers {
extern const Provider kGitProvider;
extern const Provider kGitLfsProvider;
}  // namespace askfirst::classifiers

using namespace askfirst::classifiers;

namespace {

const std::string kOidA(40, 'a');
const std::string kOidB = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
const std::string kZero(40, '0');
const std::string kOid256A(64, 'a');
const std::string kZero256(64, '0');
constexpr std::string_view kCaps = "report-status-v2 side-band-64k atomic object-format=sha1 agent=git/2.45.2";

std::string pkt(std::string_view payload) {
    char header[5];
    std::snprintf(header, sizeof header, "%04zx", payload.size() + 4);
    return std::string(header) + std::string(payload);
}

std::string command(const std::string& old_oid, const std::string& new_oid, std::string_view ref, bool first) {
    std::string line = old_oid + " " + new_oid + " " + std::string(ref);
    if (first) line += std::string(1, '\0') + std::string(kCaps);
    return pkt(line + "\n");
}

HttpRequest git_request(std::string method, std::string path, std::string query, std::string body) {
    HttpRequest request;
    request.method = std::move(method);
    request.host = "github.com";
    request.path = std::move(path);
    request.query = std::move(query);
    request.body = std::move(body);
    return request;
}

HttpRequest push(std::string body) { return git_request("POST", "/acme/web.git/git-receive-pack", "", std::move(body)); }

}  // namespace

TEST_CASE("pktline::Reader frames data, flush, delimiter and response-end packets") {
    pktline::Reader reader("0009abcde000000010002");
    auto first = reader.next();
    REQUIRE(first);
    CHECK(first->kind == pktline::PacketKind::data);
    CHECK(first->payload == "abcde");
    CHECK(reader.next()->kind == pktline::PacketKind::flush);
    CHECK(reader.next()->kind == pktline::PacketKind::delimiter);
    CHECK(reader.next()->kind == pktline::PacketKind::response_end);
    CHECK_FALSE(reader.next());
    CHECK_FALSE(reader.truncated());
    CHECK(reader.error().empty());

    pktline::Reader bad_length("0003");
    CHECK_FALSE(bad_length.next());
    CHECK_FALSE(bad_length.error().empty());
    pktline::Reader not_hex("00g5x");
    CHECK_FALSE(not_hex.next());
    CHECK_FALSE(not_hex.error().empty());
    pktline::Reader too_long("fff5");
    CHECK_FALSE(too_long.next());
    CHECK_FALSE(too_long.error().empty());
    pktline::Reader cut("0009ab");
    CHECK_FALSE(cut.next());
    CHECK(cut.truncated());
}

TEST_CASE("git push command lists are judged per command, max over commands") {
    struct Row { const char* behaviour; std::string body; Tier tier; std::string_view operation; };
    const std::string pack = "PACK\x00\x00\x00\x02";
    const Row rows[] = {
        {"zero new-oid deletes a branch", command(kOidB, kZero, "refs/heads/feature-x", true) + "0000", Tier::destructive,
         "git push --delete refs/heads/feature-x"},
        {"zero new-oid deletes a non-branch ref", command(kOidB, kZero, "refs/pull/42/head", true) + "0000", Tier::destructive,
         "git push --delete refs/pull/42/head"},
        {"sha256 zero new-oid deletes", command(kOid256A, kZero256, "refs/heads/main", true) + "0000", Tier::destructive,
         "git push --delete refs/heads/main"},
        {"zero old-oid creates", command(kZero, kOidB, "refs/heads/new", true) + "0000" + pack, Tier::write,
         "git push (create refs/heads/new)"},
        {"sha256 update", command(kOid256A, std::string(64, 'b'), "refs/heads/main", true) + "0000" + pack, Tier::write,
         "git push (update refs/heads/main)"},
        {"update is a write (force push looks the same)", command(kOidA, kOidB, "refs/heads/main", true) + "0000" + pack,
         Tier::write, "git push (update refs/heads/main)"},
        {"one delete among updates makes the push destructive",
         command(kOidA, kOidB, "refs/heads/main", true) + command(kOidB, kZero, "refs/heads/old", false) + "0000" + pack,
         Tier::destructive, "git push --atomic (update main, delete old)"},
        {"several creates", command(kZero, kOidA, "refs/heads/a", true) + command(kZero, kOidB, "refs/heads/b", false) + "0000" + pack,
         Tier::write, "git push (create 2 branches)"},
        {"gerrit review ref", command(kOidA, kOidB, "refs/for/main", true) + "0000" + pack, Tier::write, "git push (refs/for/main)"},
        {"shallow lines before the commands", pkt("shallow " + kOidA + "\n") + command(kOidA, kOidB, "refs/heads/x", true) + "0000",
         Tier::write, "git push (update refs/heads/x)"},
        {"malformed: mixed oid lengths", command(kOidA, kZero256, "refs/heads/x", true) + "0000", Tier::write, "git push (unparsed)"},
        {"malformed: upper-case hex", command(std::string(40, 'A'), kZero, "refs/heads/x", true) + "0000", Tier::write,
         "git push (unparsed)"},
        {"malformed: no capability list", pkt(kOidA + " " + kZero + " refs/heads/x\n") + "0000", Tier::write, "git push (unparsed)"},
        {"malformed: two zero ids", command(kZero, kZero, "refs/heads/x", true) + "0000", Tier::write, "git push (unparsed)"},
        {"malformed: no flush after commands", command(kOidB, kZero, "refs/heads/x", true), Tier::write, "git push (unparsed)"},
        {"malformed: empty command list", "0000", Tier::write, "git push (unparsed)"},
        {"malformed: empty body", "", Tier::write, "git push (unparsed)"},
        {"malformed: bad pkt-line header", "zzzz", Tier::write, "git push (unparsed)"},
    };
    for (const Row& row : rows) {
        CAPTURE(row.behaviour);
        Classification result = kGitProvider.classify(push(row.body));
        CHECK(result.provider == "git");
        CHECK(result.tier == row.tier);
        CHECK(result.operation == row.operation);
    }
}

TEST_CASE("git push detail and flags name refs, tag re-points, protected refs and push options") {
    std::string body = command(kOidA, kOidB, "refs/tags/v1.0", true) + command(kOidA, kOidB, "refs/heads/main", false) + "0000";
    Classification result = kGitProvider.classify(push(body));
    CHECK(result.tier == Tier::write);
    CHECK(result.detail == "git push: update refs/tags/v1.0, update refs/heads/main on github.com/acme/web.git");
    REQUIRE(result.flags.size() == 2);
    CHECK(result.flags[0] == "tag-repointed: refs/tags/v1.0");
    CHECK(result.flags[1] == "protected-ref: refs/heads/main");

    result = kGitProvider.classify(push(command(kOidB, kZero, "refs/heads/main", true) + "0000"));
    CHECK(result.detail.starts_with("git push: delete refs/heads/main"));

    std::string with_options = pkt(kOidA + " " + kOidB + " refs/heads/main" + std::string(1, '\0') + "report-status push-options\n") +
                               "0000" + pkt("ci.skip\n") + pkt("merge_request.create\n") + "0000PACK";
    result = kGitProvider.classify(push(with_options));
    CHECK(result.tier == Tier::write);
    CHECK(result.detail.ends_with("(options: ci.skip merge_request.create)"));
}

TEST_CASE("git push inside a signed push certificate is judged by its commands") {
    std::string body = pkt(std::string("push-cert") + '\0' + "report-status\n") + pkt("certificate version 0.1\n") +
                       pkt("pusher C O Mitter <c@example.com> 1 +0000\n") + pkt("pushee https://github.com/acme/web.git\n") +
                       pkt("nonce 1-abc\n") + pkt("\n") + pkt(kOidB + " " + kZero + " refs/heads/release/1\n") +
                       pkt("-----BEGIN PGP SIGNATURE-----\n") + pkt("abc\n") + pkt("-----END PGP SIGNATURE-----\n") +
                       pkt("push-cert-end\n") + "0000";
    pktline::ReceivePackParse parsed = pktline::parse_receive_pack_request(body);
    REQUIRE_MESSAGE(parsed.request, parsed.error);
    CHECK(parsed.request->push_cert);
    REQUIRE(parsed.request->updates.size() == 1);
    CHECK(kGitProvider.classify(push(body)).tier == Tier::destructive);
}

TEST_CASE("git needs the body of a push only until its command list is complete") {
    HttpRequest head = push("");
    CHECK(kGitProvider.needs_body(head));
    std::string full = command(kOidA, kOidB, "refs/heads/main", true) + "0000PACK";
    HttpRequest cut_in_commands = push(full.substr(0, 30));
    cut_in_commands.body_complete = false;
    CHECK(kGitProvider.needs_body(cut_in_commands));
    HttpRequest cut_in_pack = push(full);
    cut_in_pack.body_complete = false;
    CHECK_FALSE(kGitProvider.needs_body(cut_in_pack));
    CHECK_FALSE(kGitProvider.needs_body(git_request("POST", "/a/b.git/git-upload-pack", "", "")));
}

TEST_CASE("git discovery and fetch are reads; receive-pack discovery flags push intent") {
    struct Row { const char* behaviour; HttpRequest request; Tier tier; std::string_view operation; bool push_intent; };
    const Row rows[] = {
        {"clone discovery", git_request("GET", "/acme/web.git/info/refs", "service=git-upload-pack", ""), Tier::read,
         "git-upload-pack (discovery)", false},
        {"push discovery", git_request("GET", "/acme/web/info/refs", "service=git-receive-pack", ""), Tier::read,
         "git-receive-pack (discovery)", true},
        {"v2 ls-refs", git_request("POST", "/acme/web.git/git-upload-pack", "", "0014command=ls-refs\n0000"), Tier::read,
         "git-upload-pack ls-refs", false},
        {"v2 fetch", git_request("POST", "/acme/web.git/git-upload-pack", "", "0012command=fetch\n00010009done\n0000"), Tier::read,
         "git-upload-pack fetch", false},
        {"v0 negotiation", git_request("POST", "/acme/web.git/git-upload-pack", "", "0032want " + kOidB + "\n00000009done\n"),
         Tier::read, "git-upload-pack (fetch)", false},
        {"discovery by POST is not the protocol", git_request("POST", "/a/info/refs", "service=git-upload-pack", ""), Tier::write,
         "git-upload-pack (discovery)", false},
    };
    for (const Row& row : rows) {
        CAPTURE(row.behaviour);
        CHECK(kGitProvider.matches(row.request));
        Classification result = kGitProvider.classify(row.request);
        CHECK(result.tier == row.tier);
        CHECK(result.operation == row.operation);
        CHECK((!result.flags.empty() && result.flags[0] == "push-intent") == row.push_intent);
    }
    CHECK_FALSE(kGitProvider.matches(git_request("GET", "/acme/web/info/refs", "", "")));
    CHECK_FALSE(kGitProvider.matches(git_request("GET", "/repos/acme/web", "", "")));
}

TEST_CASE("git-lfs batch, locks and legacy objects") {
    struct Row { const char* behaviour; HttpRequest request; Tier tier; std::string_view operation; };
    const Row rows[] = {
        {"batch download", git_request("POST", "/acme/web.git/info/lfs/objects/batch", "",
                                       R"({"operation":"download","objects":[{"oid":"x","size":1}]})"), Tier::read, "lfs download"},
        {"batch upload", git_request("POST", "/acme/web.git/info/lfs/objects/batch", "",
                                     R"({"operation":"upload","objects":[{"oid":"x","size":1}]})"), Tier::write, "lfs upload"},
        {"batch without operation", git_request("POST", "/acme/web.git/info/lfs/objects/batch", "", "{}"), Tier::write, "lfs batch"},
        {"duplicated operation key is not a download", git_request("POST", "/acme/web.git/info/lfs/objects/batch", "",
                                       R"({"operation":"download","operation":"upload","objects":[]})"), Tier::write, "lfs upload"},
        {"batch with unreadable body", git_request("POST", "/acme/web.git/info/lfs/objects/batch", "", "{"), Tier::write, "lfs batch"},
        {"create a lock", git_request("POST", "/acme/web.git/info/lfs/locks", "", R"({"path":"a.psd"})"), Tier::write, "lfs lock"},
        {"list locks", git_request("GET", "/acme/web.git/info/lfs/locks", "path=a.psd", ""), Tier::read, "lfs list locks"},
        {"verify locks", git_request("POST", "/acme/web.git/info/lfs/locks/verify", "", "{}"), Tier::read, "lfs verify locks"},
        {"force unlock", git_request("POST", "/acme/web.git/info/lfs/locks/12/unlock", "", R"({"force":true})"), Tier::write,
         "lfs unlock"},
        {"legacy object download", git_request("GET", "/acme/web.git/info/lfs/objects/abc", "", ""), Tier::read, "lfs GET objects/abc"},
        {"legacy object upload", git_request("PUT", "/acme/web.git/info/lfs/objects/abc", "", "x"), Tier::write, "lfs PUT objects/abc"},
    };
    for (const Row& row : rows) {
        CAPTURE(row.behaviour);
        CHECK(kGitLfsProvider.matches(row.request));
        Classification result = kGitLfsProvider.classify(row.request);
        CHECK(result.provider == "git-lfs");
        CHECK(result.tier == row.tier);
        CHECK(result.operation == row.operation);
    }
    Classification unlock = kGitLfsProvider.classify(
        git_request("POST", "/acme/web.git/info/lfs/locks/12/unlock", "", R"({"force":true})"));
    REQUIRE(unlock.flags.size() == 1);
    CHECK(unlock.flags[0] == "force-unlock");
}

TEST_CASE("git push and lfs batch with an encoded body are not read as plain bytes") {
    HttpRequest gzipped = push("\x1f\x8b\x08\x00");
    gzipped.headers.push_back({"Content-Encoding", "gzip"});
    CHECK(kGitProvider.classify(gzipped).tier == Tier::destructive);
    HttpRequest batch = git_request("POST", "/acme/web.git/info/lfs/objects/batch", "", "\x1f\x8b");
    batch.headers.push_back({"Content-Encoding", "gzip"});
    Classification result = kGitLfsProvider.classify(batch);
    CHECK(result.tier == Tier::write);
    CHECK(result.flags.size() == 1);
}
