// classifiers/grpc.cpp — the `grpc` provider: any gRPC call (HTTP/2, POST,
// content-type application/grpc[+proto|+json...]) on any host. The operation
// is the method path /package.Service/Method; the verb lexicon judges the
// method name (Delete*/Drop*/Purge*/Destroy* destructive, Get*/List*/Watch*
// read, anything else a write), with an override table for the services an
// agent meets whose names lie or say too little (etcd, Google Cloud).
//
// Provider names: etcd's services are provider "etcd", Google Cloud's
// (google.spanner, google.pubsub, google.bigtable, google.firestore,
// google.storage) provider "gcp", so the profile's modes for those apply;
// any other service is provider "grpc".
//
// What is read of the body: the message is a 5-byte gRPC prefix and a
// protobuf; only Spanner's ExecuteSql/ExecuteStreamingSql (field 3 `sql`,
// judged by classify_sql), ExecuteBatchDml (each statement's SQL), Commit
// (whether a mutation deletes) and the resource name of a few
// admin calls (field 1 `name`/`database`, for the detail shown to a person)
// are decoded, by hand: no Debian package decodes a protobuf without its
// descriptors, and two length-delimited fields need no more than the wire
// format's varint and tag (protobuf encoding spec, "Message Structure").
// Every other rule reads only the method. Streaming methods never wait for
// their body (a client stream would hold the decision forever).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "classifiers/provider.h"
#include "classifiers/registry.h"
#include "classifiers/sql.h"
#include "classifiers/verb_lexicon.h"

namespace askfirst::classifiers {
namespace {

struct ServiceFamily {
    std::string_view package_prefix;  // of the full service name
    std::string_view provider;
    std::string_view short_name;      // what a person reads: "gRPC spanner DropDatabase ..."
};

constexpr ServiceFamily kFamilies[] = {
    {"etcdserverpb.", "etcd", "etcd"},
    {"google.spanner.", "gcp", "spanner"},
    {"google.pubsub.", "gcp", "pubsub"},
    {"google.bigtable.", "gcp", "bigtable"},
    {"google.firestore.", "gcp", "firestore"},
    {"google.storage.", "gcp", "storage"},
};

// Where the lexicon's reading of the method name is wrong or too weak.
// Sources: etcd api/etcdserverpb/rpc.proto; googleapis (spanner v1 and
// admin.database.v1, pubsub v1, bigtable admin v2, firestore v1, storage v2).
constexpr OperationOverride kOverrides[] = {
    {"etcdserverpb.KV/Range", Tier::read, "reads a key range"},
    {"etcdserverpb.KV/DeleteRange", Tier::destructive, "deletes every key in the range"},
    {"etcdserverpb.KV/Compact", Tier::destructive, "discards the key history before a revision"},
    {"etcdserverpb.KV/Txn", Tier::destructive, "a transaction may carry DeleteRange; its body is not decoded"},
    {"etcdserverpb.Lease/LeaseRevoke", Tier::destructive, "revoking a lease deletes every key attached to it"},
    {"etcdserverpb.Lease/LeaseTimeToLive", Tier::read, "reads a lease"},
    {"etcdserverpb.Lease/LeaseLeases", Tier::read, "lists leases"},
    {"etcdserverpb.Maintenance/Status", Tier::read, "reads the member's status"},
    {"etcdserverpb.Maintenance/Alarm", Tier::write, "may deactivate alarms"},
    {"etcdserverpb.Maintenance/Hash", Tier::read, "reads a hash of the store"},
    {"etcdserverpb.Maintenance/HashKV", Tier::read, "reads a hash of the store"},
    {"etcdserverpb.Auth/AuthDisable", Tier::destructive, "turns authentication off for the cluster"},
    {"google.pubsub.v1.Subscriber/Pull", Tier::read, "reads messages (acknowledging is a separate write)"},
    {"google.pubsub.v1.Subscriber/StreamingPull", Tier::write, "acknowledges messages on the same stream"},
    {"google.pubsub.v1.Subscriber/Seek", Tier::destructive, "may mark every message acknowledged"},
    {"google.bigtable.admin.v2.BigtableTableAdmin/DropRowRange", Tier::destructive, "deletes rows"},
    {"google.storage.v2.Storage/ReadObject", Tier::read, "downloads an object"},
    {"google.firestore.v1.Firestore/RunQuery", Tier::read, "runs a read-only query"},
    {"google.firestore.v1.Firestore/Listen", Tier::read, "watches documents"},
    {"google.spanner.v1.Spanner/Read", Tier::read, "reads rows"},
    {"google.spanner.v1.Spanner/StreamingRead", Tier::read, "reads rows"},
    {"google.spanner.v1.Spanner/Commit", Tier::write, "commits mutations (a delete among them: destructive)"},
};

// Methods whose body is read (unary, or server-streaming: the client's half
// ends after its one message). sql: field 3 is SQL (ExecuteSqlRequest);
// sql_batch: field 3 repeats a Statement whose field 1 is SQL
// (ExecuteBatchDmlRequest); mutations: field 4 repeats a Mutation whose
// field 5 is a delete (CommitRequest); name: field 1 is the resource name,
// shown in the detail.
enum class BodyKind : std::uint8_t { name, sql, sql_batch, mutations };
struct BodyRule {
    std::string_view method;
    BodyKind kind;
};
constexpr BodyRule kBodyRules[] = {
    {"google.spanner.v1.Spanner/ExecuteSql", BodyKind::sql},
    {"google.spanner.v1.Spanner/ExecuteStreamingSql", BodyKind::sql},
    {"google.spanner.v1.Spanner/ExecuteBatchDml", BodyKind::sql_batch},
    {"google.spanner.v1.Spanner/Commit", BodyKind::mutations},
    {"google.spanner.admin.database.v1.DatabaseAdmin/DropDatabase", BodyKind::name},
    {"google.spanner.admin.instance.v1.InstanceAdmin/DeleteInstance", BodyKind::name},
    {"google.pubsub.v1.Publisher/DeleteTopic", BodyKind::name},
    {"google.pubsub.v1.Subscriber/DeleteSubscription", BodyKind::name},
    {"google.bigtable.admin.v2.BigtableTableAdmin/DeleteTable", BodyKind::name},
    {"google.bigtable.admin.v2.BigtableInstanceAdmin/DeleteInstance", BodyKind::name},
    {"google.firestore.v1.Firestore/DeleteDocument", BodyKind::name},
    {"google.storage.v2.Storage/DeleteBucket", BodyKind::name},
};

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// "/pkg.Service/Method" -> "pkg.Service/Method"; nothing unless exactly that shape.
std::optional<std::string_view> method_path(const HttpRequest& request) {
    std::string_view path = request.path;
    if (path.size() < 4 || path[0] != '/') return std::nullopt;
    path.remove_prefix(1);
    const std::size_t slash = path.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 >= path.size()) return std::nullopt;
    if (path.find('/', slash + 1) != std::string_view::npos) return std::nullopt;
    return path;
}

// The content types that carry a call to /package.Service/Method: gRPC
// (PROTOCOL-HTTP2.md), gRPC-Web (PROTOCOL-WEB.md: application/grpc-web and
// grpc-web-text, which a front end such as Envoy turns into gRPC), and the
// Connect protocol (application/connect+proto|json for streams,
// application/proto for unary calls). Media types compare without case
// (RFC 9110 §8.3.1). Each names the same method as gRPC does, so each is
// judged by the method: a DeleteTopic sent as grpc-web is destructive.
bool is_rpc_content_type(std::string_view header) {
    std::string type;
    for (char c : header.substr(0, header.find(';'))) type += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
    auto is_or_has_suffix = [&](std::string_view base) {
        return type == base || (starts_with(type, base) && type[base.size()] == '+');
    };
    return is_or_has_suffix("application/grpc") || is_or_has_suffix("application/grpc-web") ||
           is_or_has_suffix("application/grpc-web-text") || starts_with(type, "application/connect+") ||
           type == "application/proto";
}

// Only gRPC, binary gRPC-Web and Connect streams frame each message with
// the 5-byte prefix first_message reads; grpc-web-text is base64 and a
// Connect unary body is a bare protobuf, so their bodies are not read (an
// unread SQL body is judged the worst).
bool body_has_grpc_framing(const HttpRequest& request) {
    std::string type;
    for (char c : request.header("content-type")) type += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return !starts_with(type, "application/grpc-web-text") && !starts_with(type, "application/proto");
}

// gRPC calls are POSTs (gRPC over HTTP/2, PROTOCOL-HTTP2.md); any other
// method is judged by the host's own provider.
bool grpc_matches(const HttpRequest& request) {
    if (request.method != "POST") return false;
    return is_rpc_content_type(request.header("content-type")) && method_path(request).has_value();
}

const ServiceFamily* family_of(std::string_view service) {
    for (const ServiceFamily& family : kFamilies)
        if (starts_with(service, family.package_prefix)) return &family;
    return nullptr;
}

const BodyRule* body_rule(std::string_view method) {
    for (const BodyRule& rule : kBodyRules)
        if (rule.method == method) return &rule;
    return nullptr;
}

// ---- the few protobuf bytes we read ----

std::optional<std::uint64_t> read_varint(std::string_view& bytes) {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64 && !bytes.empty(); shift += 7) {
        const auto byte = static_cast<std::uint8_t>(bytes.front());
        bytes.remove_prefix(1);
        value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) return value;
    }
    return std::nullopt;
}

// The first gRPC message of the body (uncompressed), or nothing.
std::optional<std::string_view> first_message(std::string_view body) {
    if (body.size() < 5 || body[0] != 0) return std::nullopt;  // compressed messages are not read
    const std::uint32_t length = (std::uint32_t{static_cast<std::uint8_t>(body[1])} << 24) |
                                 (std::uint32_t{static_cast<std::uint8_t>(body[2])} << 16) |
                                 (std::uint32_t{static_cast<std::uint8_t>(body[3])} << 8) |
                                 std::uint32_t{static_cast<std::uint8_t>(body[4])};
    if (body.size() - 5 < length) return std::nullopt;
    return body.substr(5, length);
}

// Every length-delimited value of top-level field `number`, in order, or
// nothing if the message is malformed.
std::optional<std::vector<std::string_view>> string_fields(std::string_view message, std::uint64_t number);

// The last length-delimited value of top-level field `number` (protobuf's
// "last one wins" for a singular string), or nothing if absent or malformed.
std::optional<std::string_view> string_field(std::string_view message, std::uint64_t number) {
    const auto all = string_fields(message, number);
    if (!all || all->empty()) return std::nullopt;
    return all->back();
}

std::optional<std::vector<std::string_view>> string_fields(std::string_view message, std::uint64_t number) {
    std::vector<std::string_view> found;
    while (!message.empty()) {
        const auto tag = read_varint(message);
        if (!tag) return std::nullopt;
        switch (*tag & 7) {
            case 0:
                if (!read_varint(message)) return std::nullopt;
                break;
            case 1:
                if (message.size() < 8) return std::nullopt;
                message.remove_prefix(8);
                break;
            case 5:
                if (message.size() < 4) return std::nullopt;
                message.remove_prefix(4);
                break;
            case 2: {
                const auto length = read_varint(message);
                if (!length || *length > message.size()) return std::nullopt;
                if ((*tag >> 3) == number) found.push_back(message.substr(0, *length));
                message.remove_prefix(*length);
                break;
            }
            default:
                return std::nullopt;  // groups (3, 4) and unknown wire types
        }
    }
    return found;
}

std::string printable(std::string_view text, std::size_t limit = 160) {
    std::string out;
    for (char c : text.substr(0, limit)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
    if (text.size() > limit) out += "...";
    return out;
}

// A guest chooses its content-type: "application/grpc" on a REST call to a
// provider's host (POST api.github.com/markdown/GetRaw) must not lower that
// provider's verdict, since the server routes REST by its path whatever the
// type says. So when another provider claims the request, the tier is the
// higher of the two. Google's APIs (*.googleapis.com) are the exception:
// their front end routes application/grpc as gRPC, and the tables above are
// the rules for them.
void never_below_the_hosts_provider(const HttpRequest& request, const ServiceFamily* family, Classification& result) {
    if (family != nullptr && family->provider == "gcp" && host_matches_pattern(request.host, "*.googleapis.com")) return;
    for (const Provider* provider : registered_providers()) {
        if (provider->name == "grpc" || !provider->matches(request)) continue;
        const Classification other = provider->classify(request);
        if (other.tier > result.tier) {
            result.tier = other.tier;
            result.flags.push_back("judged-as-" + std::string(provider->name) + "-too");
        }
        return;
    }
}

// ExecuteBatchDml: the worst of its statements' SQL. Commit: destructive if
// a mutation deletes, else the write it is. Unreadable: the worst (invariant 6).
void judge_batch(BodyKind kind, std::optional<std::string_view> message, bool complete, Classification& result) {
    const auto items = message && complete ? string_fields(*message, kind == BodyKind::sql_batch ? 3 : 4) : std::nullopt;
    if (!items) {
        result.tier = Tier::destructive;
        result.flags.emplace_back(kind == BodyKind::sql_batch ? "sql-not-read" : "mutations-not-read");
        return;
    }
    Tier worst = Tier::read;
    for (const std::string_view item : *items) {
        if (kind == BodyKind::mutations) {
            const auto deleted = string_fields(item, 5);
            if (!deleted || !deleted->empty()) {
                worst = Tier::destructive;
                result.detail += " (a mutation deletes rows)";
                break;
            }
            worst = std::max(worst, Tier::write);
            continue;
        }
        const auto sql = string_field(item, 1);
        if (!sql) {
            worst = Tier::destructive;
            result.flags.emplace_back("sql-not-read");
            break;
        }
        worst = std::max(worst, classify_sql(*sql, SqlDialect::generic).tier);
    }
    if (kind == BodyKind::mutations) worst = std::max(worst, Tier::write);  // a commit writes
    result.tier = worst;
}

// Whether any word of a method name is a destructive verb ("Delete" in
// List|And|Delete|Things; "Deleted" in List|Deleted|Secrets is not one).
bool names_a_destructive_verb(std::string_view method) {
    for (const std::string_view word : split_name_words(method).view())
        if (verb_word_tier(word) == Tier::destructive) return true;
    return false;
}

Classification grpc_classify(const HttpRequest& request) {
    const std::string_view path = *method_path(request);
    const std::size_t slash = path.find('/');
    const std::string_view service = path.substr(0, slash);
    const std::string_view method = path.substr(slash + 1);
    const ServiceFamily* family = family_of(service);

    Classification result;
    result.provider = family != nullptr ? std::string(family->provider) : "grpc";
    result.operation = "grpc:" + std::string(path);
    // Both word orders, the worse: "GetOrDelete" read as its first verb
    // alone was a read. A destructive verb anywhere in a name no row
    // overrides counts too ("ListAndDeleteThings" has it in the middle).
    result.tier = std::max(tier_with_overrides(kOverrides, path, method, NameOrder::verb_first),
                           tier_with_overrides(kOverrides, path, method, NameOrder::noun_first));
    if (find_override(kOverrides, path) == nullptr && names_a_destructive_verb(method)) {
        result.tier = Tier::destructive;
        result.flags.push_back("destructive-verb-in-name");
    }
    std::string shown_service = family != nullptr ? std::string(family->short_name) : std::string(service);
    result.detail = "gRPC " + shown_service + " " + std::string(method);

    never_below_the_hosts_provider(request, family, result);
    if (const BodyRule* rule = body_rule(path)) {
        const auto message = body_has_grpc_framing(request) ? first_message(request.body) : std::nullopt;
        if (rule->kind == BodyKind::sql_batch || rule->kind == BodyKind::mutations) {
            judge_batch(rule->kind, message, request.body_complete, result);
        } else if (rule->kind == BodyKind::sql) {
            const auto sql = message ? string_field(*message, 3) : std::nullopt;
            if (sql && request.body_complete) {
                SqlVerdict verdict = classify_sql(*sql, SqlDialect::generic);
                result.tier = verdict.tier;
                result.detail += " " + verdict.detail;
                for (auto& flag : verdict.flags) result.flags.push_back(std::move(flag));
            } else {
                result.tier = Tier::destructive;  // invariant 6: SQL we could not read is judged the worst
                result.flags.emplace_back("sql-not-read");
            }
        } else if (const auto name = message ? string_field(*message, 1) : std::nullopt) {
            result.detail += " " + printable(*name);
        }
    }
    return result;
}

bool grpc_needs_body(const HttpRequest& head) {
    const auto path = method_path(head);
    return path && body_rule(*path) != nullptr;
}

}  // namespace

extern const Provider kGrpcProvider;
const Provider kGrpcProvider{"grpc", grpc_matches, grpc_classify, grpc_needs_body};

}  // namespace askfirst::classifiers
