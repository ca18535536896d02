// Unit tests for the Elasticsearch/OpenSearch providers
// (classifiers/search_engine*.cpp): route naming, flavour detection, the
// label rules of ../shared/classifier-rules.md §9 and `_bulk` parsing.
#include <doctest.h>

#include <algorithm>

#include "classifiers/classification.h"
#include "classifiers/route_template.h"
#include "classifiers/search_engine_labels.h"
#include "cloud_request.h"

using namespace askfirst::classifiers;
using cloud_test::make_request;

namespace {

constexpr auto R = Tier::read;
constexpr auto W = Tier::write;
constexpr auto D = Tier::destructive;

constexpr const char* kLocal = "localhost:9200";
constexpr const char* kCloud = "prod-logs.es.us-central1.gcp.cloud.es.io";
constexpr const char* kAws = "search-logs-abc123xyz.us-east-1.es.amazonaws.com";

bool has_flag(const Classification& result, std::string_view flag) {
    return std::find(result.flags.begin(), result.flags.end(), flag) != result.flags.end();
}

}  // namespace

TEST_CASE("route templates: the most specific match wins and segments are decoded") {
    struct Row { const char* behaviour; const char* route; const char* path; bool matches; };
    const Row rows[] = {
        {"literal equals literal", "/_cat/shards", "/_cat/shards", true},
        {"parameter takes one segment", "/{index}/_doc/{id}", "/logs/_doc/1", true},
        {"parameter never takes two segments", "/{index}/_doc", "/a/b/_doc", false},
        {"trailing slash is ignored", "/_cat/shards", "/_cat/shards/", true},
        {"percent-encoded underscore is the literal", "/{index}/_bulk", "/logs/%5Fbulk", true},
        {"different literal does not match", "/_cat/shards", "/_cat/nodes", false},
    };
    for (const Row& row : rows) {
        INFO(std::string(row.behaviour));
        CHECK(match_route(row.route, split_request_path(row.path)).has_value() == row.matches);
    }
    const RequestPath path = split_request_path("/_nodes/stats/_all");
    CHECK(*match_route("/_nodes/stats/{metric}", path) < *match_route("/_nodes/{node_id}/{metric}", path));
    CHECK(route_parameter("/{index}/_doc/{id}", split_request_path("/logs/_doc/7"), "id") == "7");
}

TEST_CASE("search engines: API names and tiers by method and path") {
    struct Row { const char* behaviour; const char* method; const char* host; const char* target;
                 const char* operation; Tier tier; };
    const Row rows[] = {
        {"GET search reads", "GET", kLocal, "/logs/_search", "search", R},
        {"POST search reads", "POST", kCloud, "/logs/_search", "search", R},
        {"POST count reads", "POST", kLocal, "/_count", "count", R},
        {"POST mget reads", "POST", kLocal, "/logs/_mget", "mget", R},
        {"POST validate query is a dry run", "POST", kLocal, "/logs/_validate/query", "indices.validate_query", R},
        {"POST field_caps reads: the API is also served by GET", "POST", kLocal, "/_field_caps", "field_caps", R},
        {"POST graph explore reads", "POST", kLocal, "/logs/_graph/explore", "graph.explore", R},
        {"POST security get_token reads (credential minting follows the verb)", "POST", kLocal, "/_security/oauth2/token", "security.get_token", R},
        {"DELETE index is destructive", "DELETE", kCloud, "/logs-2025.06", "indices.delete", D},
        {"DELETE document is destructive", "DELETE", kLocal, "/logs/_doc/1", "delete", D},
        {"DELETE point in time only frees a context", "DELETE", kLocal, "/_pit", "close_point_in_time", W},
        {"DELETE scroll only frees a context", "DELETE", kLocal, "/_search/scroll", "clear_scroll", W},
        {"DELETE snapshot removes a backup", "DELETE", kLocal, "/_snapshot/s3/nightly-1", "snapshot.delete", D},
        {"delete_by_query is a POST that deletes", "POST", kLocal, "/logs/_delete_by_query", "delete_by_query", D},
        {"update_by_query writes", "POST", kLocal, "/logs/_update_by_query", "update_by_query", W},
        {"GET _flush takes the flush's label", "GET", kLocal, "/logs/_flush", "indices.flush", W},
        {"GET _refresh takes the refresh's label", "GET", kLocal, "/_refresh", "indices.refresh", W},
        {"indices.flush is a write, not a destructive flush", "POST", kLocal, "/_flush", "indices.flush", W},
        {"ml.reset_job deletes results", "POST", kLocal, "/_ml/anomaly_detectors/a/_reset", "ml.reset_job", D},
        {"transform reset deletes the destination data", "POST", kLocal, "/_transform/t1/_reset", "transform.reset_transform", D},
        {"noun-first name: the verb is the last word", "GET", kLocal, "/_connector/_secret/s1", "connector.secret_get", R},
        {"noun-first POST is a write by its last word", "POST", kLocal, "/_connector/_secret", "connector.secret_post", W},
        {"verb-first write name keeps a read-looking last word", "PUT", kLocal, "/_watcher/watch/w1/_activate", "watcher.activate_watch", W},
        {"check_in writes despite its check verb", "PUT", kLocal, "/_connector/c1/_check_in", "connector.check_in", W},
        {"repository analysis writes test blobs", "POST", kLocal, "/_snapshot/s3/_analyze", "snapshot.repository_analyze", W},
        {"close keeps the data", "POST", kAws, "/logs/_close", "indices.close", W},
        {"built-in endpoint wins over an index name", "GET", kLocal, "/_stats", "indices.stats", R},
        {"OpenSearch plugin API is named from its spec", "DELETE", kAws, "/_plugins/_sm/policies/p1", "sm.delete_policy", D},
        {"OpenSearch plugin search reads", "POST", kAws, "/_plugins/_ml/tasks/_search", "ml.search_tasks", R},
        {"unknown endpoint is at least a write", "POST", kLocal, "/_no_such_api/x/y/z", "unknown POST /_no_such_api/x/y/z", W},
        {"unknown DELETE may delete", "DELETE", kLocal, "/_no_such_api/x/y/z", "unknown DELETE /_no_such_api/x/y/z", D},
        {"rollover dry run changes nothing", "POST", kLocal, "/logs/_rollover?dry_run=true", "indices.rollover", R},
        {"rollover without dry run writes", "POST", kLocal, "/logs/_rollover?dry_run=false", "indices.rollover", W},
        {"inference delete dry run only lists references", "DELETE", kLocal, "/_inference/my-elser?dry_run", "inference.delete", R},
        {"dry_run on an API without one is ignored", "POST", kLocal, "/logs/_delete_by_query?dry_run=true", "delete_by_query", D},
        {"known path with an unlisted method is not read", "PATCH", kLocal, "/_cat/shards", "unknown PATCH /_cat/shards", W},
    };
    for (const Row& row : rows) {
        INFO(std::string(row.behaviour));
        const Classification result = classify(make_request(row.method, row.host, row.target, "{}"));
        CHECK(result.operation == row.operation);
        CHECK(result.tier == row.tier);
    }
}

TEST_CASE("search engines: Elasticsearch or OpenSearch") {
    struct Row { const char* behaviour; const char* host; const char* target;
                 std::pair<const char*, const char*> header; const char* provider; };
    const Row rows[] = {
        {"Elastic Cloud host", kCloud, "/_cat/shards", {"Accept", "*/*"}, "elasticsearch"},
        {"Elastic Cloud serverless host", "search-7f3a2b.es.us-east-1.aws.elastic.cloud", "/_cat/shards", {"Accept", "*/*"}, "elasticsearch"},
        {"Amazon OpenSearch Service domain", kAws, "/_cat/shards", {"Accept", "*/*"}, "opensearch"},
        {"OpenSearch Serverless collection", "k7.us-west-2.aoss.amazonaws.com", "/_search", {"Accept", "*/*"}, "opensearch"},
        {"opensearch client on port 9200", kLocal, "/_cat/shards", {"User-Agent", "opensearch-py/2.7.1"}, "opensearch"},
        {"OpenSearch stock admin user on port 9200", kLocal, "/_cat/shards", {"Authorization", "Basic YWRtaW46YWRtaW4="}, "opensearch"},
        {"Elasticsearch stock elastic user on port 9200", kLocal, "/_cat/shards", {"Authorization", "Basic ZWxhc3RpYzpjaGFuZ2VtZQ=="}, "elasticsearch"},
        {"route only OpenSearch lists", kLocal, "/_plugins/_security/api/roles/r1", {"Accept", "*/*"}, "opensearch"},
        {"route only Elasticsearch lists", kLocal, "/_connector/_secret/s1", {"Authorization", "Basic YWRtaW46YWRtaW4="}, "elasticsearch"},
        {"a client meta header on any host", "search.internal", "/_cat/shards", {"X-Elastic-Client-Meta", "es=8.15.1"}, "elasticsearch"},
    };
    for (const Row& row : rows) {
        INFO(std::string(row.behaviour));
        const Classification result =
            classify(make_request("GET", row.host, row.target, "", {row.header}));
        CHECK(result.provider == row.provider);
    }
}

TEST_CASE("search engines: recognised by path shape on hosts no provider claims") {
    struct Row { const char* behaviour; const char* method; const char* host; const char* target; const char* provider; Tier tier; };
    const Row rows[] = {
        {"delete_by_query on a self-hosted name", "POST", "search.example.com", "/logs/_delete_by_query", "elasticsearch", D},
        {"bulk on a self-hosted name", "POST", "search.example.com", "/_bulk", "elasticsearch", W},
        {"OpenSearch plugin path", "DELETE", "search.example.com", "/_plugins/_ism/policies/p1", "opensearch", D},
        {"a path without a built-in segment stays generic", "POST", "app.example.com", "/logs/items", "generic", W},
        {"an S3 key that looks like _doc is S3's", "PUT", "bucket.s3.amazonaws.com", "/_doc/1", "aws", W},
    };
    for (const Row& row : rows) {
        INFO(std::string(row.behaviour));
        const Classification result =
            classify(make_request(row.method, row.host, row.target, "{\"index\":{}}\n{}\n", {{"User-Agent", "curl/8.5.0"}}));
        CHECK(result.provider == row.provider);
        CHECK(result.tier == row.tier);
    }
}

TEST_CASE("search engines: other Elastic Cloud services are not Elasticsearch") {
    for (const char* host : {"prod-logs.kb.us-central1.gcp.cloud.es.io", "api.elastic-cloud.com"}) {
        INFO(std::string(host));
        const Classification result = classify(make_request("GET", host, "/api/status"));
        CHECK(result.provider != "elasticsearch");
    }
}

TEST_CASE("search engines: the control plane of Amazon OpenSearch is not the data plane") {
    const Classification result = classify(make_request(
        "DELETE", "es.us-east-1.amazonaws.com", "/2021-01-01/opensearch/domain/logs", "",
        {{"Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20250603/us-east-1/es/aws4_request, SignedHeaders=host, Signature=0"}}));
    CHECK(result.provider != "opensearch");
    CHECK(result.provider != "elasticsearch");
}

TEST_CASE("search engines: _bulk is destructive when any action deletes") {
    struct Row { const char* behaviour; const char* body; Tier tier; const char* flag; };
    const Row rows[] = {
        {"index and create actions write", "{\"index\":{\"_id\":\"1\"}}\n{\"a\":1}\n{\"create\":{\"_id\":\"2\"}}\n{\"a\":2}\n", W, ""},
        {"a delete action deletes", "{\"index\":{\"_id\":\"1\"}}\n{\"a\":1}\n{\"delete\":{\"_id\":\"2\"}}\n", D, "bulk-delete"},
        {"delete has no source line: the next line is an action", "{\"delete\":{\"_id\":\"1\"}}\n{\"delete\":{\"_id\":\"2\"}}\n", D, "bulk-delete"},
        {"a source document that mentions delete is not an action", "{\"index\":{}}\n{\"delete\":{\"x\":1}}\n", W, ""},
        {"CRLF line ends and blank lines", "{\"index\":{}}\r\n{\"a\":1}\r\n\r\n{\"delete\":{\"_id\":\"3\"}}\r\n", D, "bulk-delete"},
        {"an unparseable action line could hide a delete", "{\"index\":{}}\n{\"a\":1}\nnot json\n", D, "bulk-unparsed-action"},
        {"an update script that sets ctx.op delete deletes", "{\"update\":{\"_id\":\"1\"}}\n{\"script\":{\"source\":\"ctx.op = 'delete'\"}}\n", D, "update-script-deletes"},
    };
    for (const Row& row : rows) {
        INFO(std::string(row.behaviour));
        const Classification result = classify(make_request(
            "POST", kLocal, "/logs/_bulk", row.body, {{"Content-Type", "application/x-ndjson"}}));
        CHECK(result.operation == "bulk");
        CHECK(result.tier == row.tier);
        if (*row.flag) CHECK(has_flag(result, row.flag));
    }
}

TEST_CASE("search engines: bodies the label depends on") {
    HttpRequest truncated = make_request("POST", kLocal, "/_bulk", "{\"index\":{}}\n");
    truncated.body_complete = false;
    CHECK(needs_body(truncated));
    CHECK(classify(truncated).tier == D);  // the unseen rest could delete
    CHECK_FALSE(needs_body(make_request("POST", kLocal, "/_search")));

    const auto gzipped = make_request("POST", kLocal, "/_bulk", "\x1f\x8b", {{"Content-Encoding", "gzip"}});
    CHECK(classify(gzipped).tier == D);

    const auto script = make_request("POST", kLocal, "/logs/_update_by_query",
                                     R"({"script":{"source":"if (ctx._source.old) { ctx.op = \"delete\" }"}})");
    CHECK(classify(script).tier == D);
    const auto reindex = make_request("POST", kLocal, "/_reindex",
                                      R"({"source":{"index":"a"},"dest":{"index":"b"},"script":{"source":"ctx.op = 'delete'"}})");
    CHECK(classify(reindex).tier == D);
    const auto compare = make_request("POST", kLocal, "/logs/_update_by_query",
                                      R"({"script":{"source":"if (ctx.op == 'delete') {}"}})");
    CHECK(classify(compare).tier == W);

    // Red team 4: an op set from something other than a literal, or written
    // through another spelling, may be 'delete'; a stored script that sets it
    // deletes when update_by_query runs it by id. Each was a write.
    struct Row { const char* behaviour; const char* path; const char* body; Tier tier; };
    const Row rows[] = {
        {"op from params", "/logs/_update_by_query", R"({"script":{"source":"ctx.op = params.o","params":{"o":"delete"}}})", D},
        {"op from a concatenation", "/logs/_update_by_query", R"({"script":{"source":"ctx.op = 'del' + 'ete'"}})", D},
        {"op through brackets", "/logs/_update_by_query", R"({"script":{"source":"ctx['op'] = 'del' + 'ete'"}})", D},
        {"op through put", "/logs/_update/1", R"j({"script":{"source":"ctx.put(\"op\", params.o)"}})j", D},
        {"op through an alias of ctx", "/logs/_update_by_query", R"({"script":{"source":"def c = ctx; c.op = 'delete'"}})", D},
        {"op spelled with a JSON escape", "/logs/_update_by_query", R"({"script":{"source":"ctx.\u006fp = '\u0064elete'"}})", D},
        {"a stored script that deletes", "/_scripts/purge", R"({"script":{"lang":"painless","source":"ctx.op = 'delete'"}})", D},
        {"op set to noop stays a write", "/logs/_update_by_query",
         R"({"script":{"source":"if (ctx._source.x == null) { ctx.op = 'noop' }"}})", W},
        {"a script that only sets a field stays a write", "/logs/_update_by_query",
         R"({"script":{"source":"ctx._source.count += params.n","params":{"n":1}}})", W},
        {"a stored script that sets a field stays a write", "/_scripts/bump", R"({"script":{"lang":"painless","source":"ctx._source.n++"}})", W},
    };
    for (const Row& row : rows) {
        CAPTURE(row.behaviour);
        CHECK(classify(make_request("POST", kLocal, row.path, row.body)).tier == row.tier);
    }
}

// §9: a lifecycle policy PUT is a write, flagged when it has a delete phase
// (ILM) or a delete action (OpenSearch ISM); the flag was never set (red team 5).
TEST_CASE("search engines: a lifecycle policy with a delete phase is a flagged write") {
    struct Row { const char* behaviour; const char* host; const char* path; const char* body; bool flagged; };
    const Row rows[] = {
        {"ILM delete phase", kLocal, "/_ilm/policy/logs",
         R"({"policy":{"phases":{"hot":{"actions":{"rollover":{"max_age":"1d"}}},"delete":{"min_age":"0ms","actions":{"delete":{}}}}}})", true},
        {"ISM delete action", kAws, "/_plugins/_ism/policies/logs",
         R"({"policy":{"states":[{"name":"hot","actions":[{"delete":{}}],"transitions":[]}]}})", true},
        {"an unreadable policy is flagged", kLocal, "/_ilm/policy/logs", "{", true},
        {"ILM without a delete phase", kLocal, "/_ilm/policy/logs",
         R"({"policy":{"phases":{"hot":{"actions":{"rollover":{"max_age":"1d"}}}}}})", false},
    };
    for (const Row& row : rows) {
        CAPTURE(row.behaviour);
        CHECK(needs_body(make_request("PUT", row.host, row.path)));
        const Classification result = classify(make_request("PUT", row.host, row.path, row.body));
        CHECK(result.tier == W);
        CHECK(has_flag(result, "lifecycle-deletes-indices") == row.flagged);
    }
}

// Red team 5: a data stream lifecycle's data_retention deletes the backing
// indices older than it, and a snapshot lifecycle policy's expire_after the
// policy's snapshots (backups) older than it: under a day (or unreadable) is
// a deletion now, on MongoDB TTL's one-day line. Each was a write.
TEST_CASE("search engines: a retention under a day deletes now") {
    struct Row { const char* behaviour; const char* path; const char* body; Tier tier; const char* flag; };
    const Row rows[] = {
        {"data stream retention of one second", "/_data_stream/logs-app/_lifecycle", R"({"data_retention":"1s"})", D, "ttl-expires-now"},
        {"data stream retention of 90 minutes", "/_data_stream/logs-*/_lifecycle", R"({"data_retention":"90m"})", D, "ttl-expires-now"},
        {"unreadable retention is the worst", "/_data_stream/logs-app/_lifecycle", R"({"data_retention":"soon"})", D, "ttl-expires-now"},
        {"unreadable body is the worst", "/_data_stream/logs-app/_lifecycle", "{", D, "ttl-expires-now"},
        {"SLM expire_after of 1m deletes the policy's snapshots", "/_slm/policy/nightly",
         R"({"schedule":"0 30 1 * * ?","name":"<s-{now/d}>","repository":"r","retention":{"expire_after":"1m","min_count":0}})", D, "ttl-expires-now"},
        {"data stream retention of 7 days is a flagged write", "/_data_stream/logs-app/_lifecycle", R"({"data_retention":"7d"})", W, "ttl-schedules-deletion"},
        {"a lifecycle without retention keeps everything", "/_data_stream/logs-app/_lifecycle", R"({})", W, ""},
        {"a disabled lifecycle deletes nothing", "/_data_stream/logs-app/_lifecycle", R"({"data_retention":"1s","enabled":false})", W, ""},
        {"SLM expire_after of 30d is a flagged write", "/_slm/policy/nightly",
         R"({"schedule":"0 30 1 * * ?","repository":"r","retention":{"expire_after":"30d"}})", W, "ttl-schedules-deletion"},
    };
    for (const Row& row : rows) {
        CAPTURE(std::string(row.behaviour));
        CHECK(needs_body(make_request("PUT", kLocal, row.path)));
        const Classification result = classify(make_request("PUT", kLocal, row.path, row.body));
        CHECK(result.tier == row.tier);
        if (*row.flag) CHECK(has_flag(result, row.flag));
    }
}

TEST_CASE("search engines: API-name lexicon order") {
    struct Row { const char* name; Tier tier; };
    const Row rows[] = {
        {"indices.get_settings", R}, {"connector.secret_get", R}, {"ccr.follow_info", R},
        {"security.who_am_i", R},    {"watcher.execute_watch", W}, {"ml.put_filter", W},
        {"cluster.allocation_explain", R}, {"delete_by_query", D},  {"profiling.stacktraces", W},
    };
    for (const Row& row : rows) {
        INFO(std::string(row.name));
        CHECK(search_api_name_tier(row.name) == row.tier);
    }
}
