// Unit tests for the `grpc` provider (classifiers/grpc.cpp): the method path
// judged by the verb lexicon and the override table, the provider by the
// service's package, and the few protobuf fields read (Spanner SQL, resource
// names). Every row is named.
#include <doctest.h>

#include <string>
#include <vector>

#include "classifiers/registry.h"

using namespace askfirst::classifiers;

namespace {

std::string varint(std::uint64_t value) {
    std::string out;
    while (value >= 0x80) {
        out += static_cast<char>((value & 0x7f) | 0x80);
        value >>= 7;
    }
    out += static_cast<char>(value);
    return out;
}

// A protobuf with one string field, framed as one uncompressed gRPC message.
std::string grpc_message(std::uint64_t field, const std::string& text) {
    std::string message = varint(field << 3 | 2) + varint(text.size()) + text;
    std::string framed(1, '\0');
    for (int shift = 24; shift >= 0; shift -= 8) framed += static_cast<char>((message.size() >> shift) & 0xff);
    return framed + message;
}

HttpRequest grpc_request(std::string host, std::string path, std::string body = {}) {
    HttpRequest request;
    request.method = "POST";
    request.host = std::move(host);
    request.path = std::move(path);
    request.headers = {{"content-type", "application/grpc"}, {"te", "trailers"}};
    request.body = std::move(body);
    return request;
}

}  // namespace

TEST_CASE("grpc: the method path is the operation, judged by the lexicon and the overrides") {
    struct Row {
        const char* behaviour;
        std::string host, path;
        std::string provider;
        Tier tier;
    };
    const std::vector<Row> rows = {
        {"etcd Range is a read", "etcd.internal", "/etcdserverpb.KV/Range", "etcd", Tier::read},
        {"etcd DeleteRange is destructive", "etcd.internal", "/etcdserverpb.KV/DeleteRange", "etcd", Tier::destructive},
        {"etcd Put is a write", "etcd.internal", "/etcdserverpb.KV/Put", "etcd", Tier::write},
        {"etcd Txn may delete: destructive", "etcd.internal", "/etcdserverpb.KV/Txn", "etcd", Tier::destructive},
        {"etcd Watch is a read", "etcd.internal", "/etcdserverpb.Watch/Watch", "etcd", Tier::read},
        {"etcd LeaseRevoke deletes keys", "etcd.internal", "/etcdserverpb.Lease/LeaseRevoke", "etcd", Tier::destructive},
        {"Spanner DropDatabase is destructive", "spanner.googleapis.com",
         "/google.spanner.admin.database.v1.DatabaseAdmin/DropDatabase", "gcp", Tier::destructive},
        {"Spanner ListDatabases is a read", "spanner.googleapis.com",
         "/google.spanner.admin.database.v1.DatabaseAdmin/ListDatabases", "gcp", Tier::read},
        {"Pub/Sub Publish is a write", "pubsub.googleapis.com", "/google.pubsub.v1.Publisher/Publish", "gcp", Tier::write},
        {"Pub/Sub Seek may drop messages", "pubsub.googleapis.com", "/google.pubsub.v1.Subscriber/Seek", "gcp",
         Tier::destructive},
        {"Bigtable DropRowRange is destructive", "bigtableadmin.googleapis.com",
         "/google.bigtable.admin.v2.BigtableTableAdmin/DropRowRange", "gcp", Tier::destructive},
        {"Firestore GetDocument is a read", "firestore.googleapis.com", "/google.firestore.v1.Firestore/GetDocument",
         "gcp", Tier::read},
        {"Storage DeleteObject is destructive", "storage.googleapis.com", "/google.storage.v2.Storage/DeleteObject",
         "gcp", Tier::destructive},
        {"an unknown service's Get is a read", "svc.internal", "/acme.inventory.v1.Items/GetItem", "grpc", Tier::read},
        {"an unknown service's Purge is destructive", "svc.internal", "/acme.Cache/PurgeAll", "grpc", Tier::destructive},
        {"an unknown verb is a write", "svc.internal", "/acme.Items/Frobnicate", "grpc", Tier::write},
        {"BatchGet is a read", "svc.internal", "/acme.Items/BatchGetItems", "grpc", Tier::read},
    };
    for (const Row& row : rows) {
        INFO(row.behaviour);
        const Classification got = classify(grpc_request(row.host, row.path));
        CHECK(got.provider == row.provider);
        CHECK(tier_name(got.tier) == tier_name(row.tier));
        CHECK(got.operation == "grpc:" + row.path.substr(1));
    }
}

TEST_CASE("grpc: only application/grpc with a /Service/Method path is gRPC") {
    HttpRequest json = grpc_request("svc.internal", "/acme.Items/GetItem");
    json.headers = {{"content-type", "application/json"}};
    CHECK(classify(json).provider != "grpc");
    CHECK(classify(grpc_request("svc.internal", "/not/a/method")).provider != "grpc");
    HttpRequest plus = grpc_request("svc.internal", "/acme.Items/DeleteItem");
    plus.headers = {{"content-type", "application/grpc+proto"}};
    CHECK(classify(plus).provider == "grpc");
    CHECK(classify(plus).tier == Tier::destructive);
}

// gRPC-Web and Connect name the same method on the same path; judged only
// by the generic provider they were a write, so a DeleteTopic passed
// block-destructive. Media types compare without case.
TEST_CASE("grpc: gRPC-Web, Connect and any-case gRPC content types are judged by the method") {
    for (const char* type : {"application/grpc-web", "application/grpc-web+proto", "application/grpc-web-text",
                             "application/grpc-web-text+proto", "application/connect+proto", "application/connect+json",
                             "application/proto", "Application/GRPC", "APPLICATION/GRPC-WEB+PROTO; charset=x"}) {
        INFO(type);
        HttpRequest request = grpc_request("svc.internal", "/acme.Items/DeleteItem");
        request.headers = {{"content-type", type}};
        CHECK(classify(request).provider == "grpc");
        CHECK(tier_name(classify(request).tier) == tier_name(Tier::destructive));
    }
    HttpRequest web_text = grpc_request("spanner.googleapis.com", "/google.spanner.v1.Spanner/ExecuteSql",
                                        grpc_message(3, "SELECT 1"));
    web_text.headers = {{"content-type", "application/grpc-web-text"}};
    CHECK(tier_name(classify(web_text).tier) == tier_name(Tier::destructive));  // base64: the SQL is not read
}

// A method named by two verbs is judged by both word orders, the worse,
// and by a destructive verb anywhere in it: read by its first verb alone,
// GetOrDelete and ListAndDeleteThings were reads.
TEST_CASE("grpc: a method naming a destructive verb anywhere is not a read") {
    for (const char* path : {"/acme.Items/GetOrDelete", "/acme.Items/get_and_delete", "/acme.Items/GET_DELETE",
                             "/acme.Items/ListAndDeleteThings", "/acme.Items/GetThenPurgeCache"}) {
        INFO(path);
        CHECK(tier_name(classify(grpc_request("svc.internal", path)).tier) == tier_name(Tier::destructive));
    }
    for (const char* path : {"/acme.Items/GetItem", "/acme.Vault/ListDeletedSecrets"}) {  // "Deleted" is no verb
        INFO(path);
        CHECK(tier_name(classify(grpc_request("svc.internal", path)).tier) == tier_name(Tier::read));
    }
}

TEST_CASE("grpc: the resource name of an admin call is in the detail") {
    const std::string path = "/google.spanner.admin.database.v1.DatabaseAdmin/DropDatabase";
    HttpRequest head = grpc_request("spanner.googleapis.com", path);
    CHECK(needs_body(head));
    const Classification got = classify(
        grpc_request("spanner.googleapis.com", path, grpc_message(1, "projects/p/instances/i/databases/prod")));
    CHECK(got.detail == "gRPC spanner DropDatabase projects/p/instances/i/databases/prod");
    CHECK(got.tier == Tier::destructive);
}

TEST_CASE("grpc: Spanner ExecuteSql is judged by its SQL; unreadable SQL is the worst") {
    struct Row {
        const char* behaviour;
        std::string body;
        bool complete;
        Tier tier;
    };
    const std::string path = "/google.spanner.v1.Spanner/ExecuteSql";
    const std::vector<Row> rows = {
        {"SELECT is a read", grpc_message(3, "SELECT id FROM users WHERE id = 1"), true, Tier::read},
        {"DROP TABLE is destructive", grpc_message(3, "DROP TABLE users"), true, Tier::destructive},
        {"a truncated body is the worst", grpc_message(3, "SELECT 1"), false, Tier::destructive},
        {"no body is the worst", "", true, Tier::destructive},
        {"a compressed message is not read", std::string("\1\0\0\0\0", 5), true, Tier::destructive},
    };
    for (const Row& row : rows) {
        INFO(row.behaviour);
        HttpRequest request = grpc_request("spanner.googleapis.com", path, row.body);
        request.body_complete = row.complete;
        CHECK(tier_name(classify(request).tier) == tier_name(row.tier));
    }
}

// A batch of DML and a commit's mutations may delete: judged as only their
// method name ("Execute...", "Commit": writes), a DELETE passed block-destructive.
TEST_CASE("grpc: Spanner ExecuteBatchDml is judged by every statement, Commit by its mutations") {
    auto length_delimited = [](int field, const std::string& value) {
        return std::string(1, static_cast<char>(field << 3 | 2)) + static_cast<char>(value.size()) + value;
    };
    auto framed = [](const std::string& message) {
        return std::string(1, '\0') + std::string(3, '\0') + static_cast<char>(message.size()) + message;
    };
    auto statement = [&](const std::string& sql) { return length_delimited(3, length_delimited(1, sql)); };
    auto mutation = [&](int kind) { return length_delimited(4, length_delimited(kind, length_delimited(1, "users"))); };
    struct Row { const char* behaviour; std::string path; std::string body; bool complete; Tier tier; };
    const std::string batch = "/google.spanner.v1.Spanner/ExecuteBatchDml";
    const std::string commit = "/google.spanner.v1.Spanner/Commit";
    const std::vector<Row> rows = {
        {"a DELETE before an UPDATE", batch, framed(statement("DELETE FROM users") + statement("UPDATE t SET a = 1")),
         true, Tier::destructive},
        {"only updates", batch, framed(statement("UPDATE t SET a = 1") + statement("INSERT INTO t (a) VALUES (1)")),
         true, Tier::write},
        {"an unreadable batch is the worst", batch, "", true, Tier::destructive},
        {"a truncated batch is the worst", batch, framed(statement("UPDATE t SET a = 1")), false, Tier::destructive},
        {"a commit with a delete mutation", commit, framed(mutation(1) + mutation(5)), true, Tier::destructive},
        {"a commit of inserts and updates", commit, framed(mutation(1) + mutation(2)), true, Tier::write},
        {"an unreadable commit is the worst", commit, std::string("\1\0\0\0\0", 5), true, Tier::destructive},
    };
    for (const Row& row : rows) {
        INFO(row.behaviour);
        HttpRequest request = grpc_request("spanner.googleapis.com", row.path, row.body);
        request.body_complete = row.complete;
        CHECK(needs_body(grpc_request("spanner.googleapis.com", row.path)));
        CHECK(tier_name(classify(request).tier) == tier_name(row.tier));
    }
}

TEST_CASE("grpc: streaming methods never wait for their body") {
    CHECK_FALSE(needs_body(grpc_request("etcd.internal", "/etcdserverpb.Watch/Watch")));
    CHECK_FALSE(needs_body(grpc_request("pubsub.googleapis.com", "/google.pubsub.v1.Subscriber/StreamingPull")));
    CHECK_FALSE(needs_body(grpc_request("etcd.internal", "/etcdserverpb.KV/DeleteRange")));
}

TEST_CASE("grpc: a gRPC content-type never lowers the verdict of the host's own provider") {
    // GitHub routes REST by path: this is a write there, not the read "GetRaw" would say.
    const Classification github = classify(grpc_request("api.github.com", "/markdown/GetRaw"));
    CHECK(github.tier >= Tier::write);
    // Not a POST: not gRPC at all, the host's provider judges it.
    HttpRequest del = grpc_request("api.github.com", "/gists/GetAll");
    del.method = "DELETE";
    CHECK(classify(del).provider == "github");
    CHECK(classify(del).tier == Tier::destructive);
    // Google's front end routes application/grpc as gRPC: the gRPC tables decide there.
    CHECK(classify(grpc_request("spanner.googleapis.com", "/google.spanner.v1.Spanner/GetSession")).tier == Tier::read);
}
