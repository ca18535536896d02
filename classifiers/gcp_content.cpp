// classifiers/gcp_content.cpp — Google Cloud requests whose content decides
// (see gcp_content.h; ../shared/classifier-rules.md §13 "Content escalation").
//
//  * BigQuery: the SQL of `queries` (`query`) and query jobs
//    (`configuration.query.query`) goes through classify_sql; a
//    `writeDisposition` of WRITE_TRUNCATE replaces a table's contents
//    (destructive); `dryRun: true` runs nothing (read).
//  * Firestore `documents:commit` / `:batchWrite` and Datastore `:commit`:
//    any write that is a `delete` makes the request destructive.
//  * Cloud Storage bucket lifecycle (JSON PATCH/PUT b/{b}, XML ?lifecycle):
//    a rule whose action deletes (anything but SetStorageClass or
//    AbortIncompleteMultipartUpload) is destructive, as S3's Expiration.
//  * BigQuery table updates (PATCH/PUT tables/{t}) and copy jobs that set
//    an `expirationTime` / `destinationExpirationTime` under a day away (or
//    unreadable), or a partition expiration (`timePartitioning.expirationMs`)
//    under a day: BigQuery deletes the table, or every older partition, at
//    once; destructive (ttl-expires-now), as MongoDB's TTL under a day. A
//    later one is a write flagged ttl-schedules-deletion.
//  * Cloud Storage XML API: the S3 rules (DELETE destructive, except an
//    upload abort `?uploadId=`, a write; `POST ?delete` destructive).
#include "classifiers/gcp_content.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "classifiers/json_body.h"
#include "classifiers/json_members.h"
#include "classifiers/provider.h"
#include "classifiers/rest_resource.h"
#include "classifiers/sql.h"
#include "classifiers/url_query.h"

namespace askfirst::classifiers {
namespace {

// The verdict made destructive for `flag`, to return at once (also for a
// body that is not JSON: what cannot be read counts as the worst).
GcpContentVerdict mark_destructive(GcpContentVerdict& verdict, const char* flag) {
    verdict.tier = Tier::destructive;
    verdict.flags.emplace_back(flag);
    return verdict;
}

constexpr std::string_view kTruncate = "WRITE_TRUNCATE";

// A dry run only when every `dryRun` member says so (duplicate keys), and
// the proto field's other JSON name, `dry_run`, does not say otherwise.
bool is_dry_run(const cJSON* object) {
    auto not_true = [](const cJSON* member) { return !cJSON_IsTrue(member); };
    return json_is_true(object, "dryRun") && !any_member_named(object, "dryRun", not_true) &&
           !any_member_named(object, "dry_run", not_true);
}

// Repeated keys that decide the label make the body ambiguous.
bool has_repeated(const cJSON* object, std::initializer_list<const char*> names) {
    for (const char* name : names)
        if (count_members_named(object, name) > 1) return true;
    return false;
}

bool segment_is(const RequestPath& path, std::size_t index, std::string_view word) {
    return path.segments.size() > index && path.segments[index] == word;
}

void judge_sql(std::string_view sql, GcpContentVerdict& verdict) {
    const SqlVerdict sql_verdict = classify_sql(sql, SqlDialect::generic);
    verdict.tier = sql_verdict.tier;  // the statement decides; dispositions may raise it after
    verdict.operation = "bigquery " + sql_verdict.operation;
    verdict.flags.insert(verdict.flags.end(), sql_verdict.flags.begin(), sql_verdict.flags.end());
}

void judge_disposition(const cJSON* section, GcpContentVerdict& verdict) {
    const std::optional<std::string> disposition = json_string(section, "writeDisposition");
    if (disposition && *disposition == kTruncate) {
        verdict.tier = Tier::destructive;
        verdict.flags.emplace_back("write-truncate-replaces-table");
    }
}

// The one-day line of deferred deletion (as MongoDB TTL indexes): sooner
// than this, the data is as good as deleted by the request that set it.
constexpr long long kOneDayMs = 24LL * 60 * 60 * 1000;

// An int64 JSON value (BigQuery sends them as decimal strings, or numbers).
std::optional<long long> json_int64(const cJSON* value) {
    if (cJSON_IsNumber(value)) {
        if (!(value->valuedouble > -9e18 && value->valuedouble < 9e18)) return std::nullopt;  // NaN too
        return static_cast<long long>(value->valuedouble);
    }
    if (!cJSON_IsString(value) || value->valuestring == nullptr || value->valuestring[0] == '\0') return std::nullopt;
    char* end = nullptr;
    const long long parsed = std::strtoll(value->valuestring, &end, 10);
    if (end == nullptr || *end != '\0') return std::nullopt;
    return parsed;
}

// Raises `verdict` for every member `name` of `object` that schedules the
// deletion of stored data: `absolute` says the value is a time (ms since the
// epoch), otherwise an age (ms). null clears it.
void judge_expiration(const cJSON* object, const char* name, bool absolute, GcpContentVerdict& verdict) {
    using namespace std::chrono;
    const long long now_ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    for (const cJSON* member : json_members(object, name)) {
        if (cJSON_IsNull(member)) continue;
        const std::optional<long long> value = json_int64(member);
        const bool soon = !value || (absolute ? *value < now_ms + kOneDayMs : *value < kOneDayMs);
        const char* flag = soon ? "ttl-expires-now" : "ttl-schedules-deletion";
        if (soon) verdict.tier = Tier::destructive;
        if (std::find(verdict.flags.begin(), verdict.flags.end(), flag) == verdict.flags.end())
            verdict.flags.emplace_back(flag);
    }
}

GcpContentVerdict judge_job(const cJSON* body) {
    GcpContentVerdict verdict;
    const cJSON* configuration = json_member(body, "configuration");
    if (has_repeated(body, {"configuration"}) || has_repeated(configuration, {"query", "load", "copy"})) {
        return mark_destructive(verdict, "body-ambiguous");
    }
    if (is_dry_run(configuration)) {
        verdict.tier = Tier::read;
        verdict.operation = "bigquery dry run";
        return verdict;
    }
    const cJSON* query = json_member(configuration, "query");
    if (const std::optional<std::string> sql = json_string(query, "query")) judge_sql(*sql, verdict);
    for (const char* section : {"query", "load", "copy"}) judge_disposition(json_member(configuration, section), verdict);
    // A copy job sets its destination table's expiration, an existing one's too.
    for (const cJSON* copy : json_members(configuration, "copy"))
        judge_expiration(copy, "destinationExpirationTime", true, verdict);
    return verdict;
}

}  // namespace

bool is_bigquery_query_or_job(std::string_view method, const RequestPath& path) {
    // [/upload]/bigquery/v2/projects/{p}/(queries|jobs)
    const std::size_t base = segment_is(path, 0, "upload") ? 1 : 0;
    return method == "POST" && path.segments.size() == base + 5 && segment_is(path, base, "bigquery") &&
           segment_is(path, base + 2, "projects") &&
           (segment_is(path, base + 4, "queries") || segment_is(path, base + 4, "jobs"));
}

GcpContentVerdict judge_bigquery(const HttpRequest& request, const RequestPath& path) {
    GcpContentVerdict verdict;
    if (!request.body_complete) return verdict;  // the registry judges what was not seen
    if (segment_is(path, 0, "upload")) {  // multipart/related: JSON metadata, then the data
        if (request.body.find(kTruncate) != std::string::npos) {
            verdict.tier = Tier::destructive;
            verdict.flags.emplace_back("write-truncate-replaces-table");
        }
        return verdict;
    }
    const JsonTree body = parse_json(request.body);
    if (body == nullptr) return mark_destructive(verdict, "body-unreadable");
    if (segment_is(path, 4, "jobs")) return judge_job(body.get());
    if (has_repeated(body.get(), {"query"})) {
        return mark_destructive(verdict, "body-ambiguous");
    }
    if (is_dry_run(body.get())) {
        verdict.tier = Tier::read;
        verdict.operation = "bigquery dry run";
    } else if (const std::optional<std::string> sql = json_string(body.get(), "query")) {
        judge_sql(*sql, verdict);
    }
    return verdict;
}

bool is_bigquery_table_update(std::string_view method, const RequestPath& path) {
    // /bigquery/v2/projects/{p}/datasets/{d}/tables/{t}
    return (method == "PATCH" || method == "PUT") && path.segments.size() == 8 && segment_is(path, 0, "bigquery") &&
           segment_is(path, 2, "projects") && segment_is(path, 4, "datasets") && segment_is(path, 6, "tables");
}

GcpContentVerdict judge_bigquery_table_update(const HttpRequest& request) {
    GcpContentVerdict verdict;
    if (!request.body_complete) return verdict;  // the registry judges what was not seen
    const JsonTree body = parse_json(request.body);
    if (body == nullptr) return mark_destructive(verdict, "body-unreadable");
    judge_expiration(body.get(), "expirationTime", true, verdict);
    for (const cJSON* partitioning : json_members(body.get(), "timePartitioning"))
        judge_expiration(partitioning, "expirationMs", false, verdict);
    return verdict;
}

bool is_document_commit(std::string_view method, std::string_view custom_verb) {
    return method == "POST" && (custom_verb == "commit" || custom_verb == "batchWrite");
}

GcpContentVerdict judge_document_commit(const HttpRequest& request) {
    GcpContentVerdict verdict;
    if (!request.body_complete) return verdict;
    const JsonTree body = parse_json(request.body);
    if (body == nullptr) return mark_destructive(verdict, "body-unreadable");
    const auto deletes = [](const cJSON* items) {
        for (const cJSON* item = cJSON_IsArray(items) ? items->child : nullptr; item; item = item->next)
            if (json_member(item, "delete") != nullptr) return true;
        return false;
    };
    for (const char* list : {"writes", "mutations"}) {  // Firestore, Datastore
        if (any_member_named(body.get(), list, deletes)) {
            return mark_destructive(verdict, "commit-deletes-documents");
        }
    }
    return verdict;
}

bool is_bucket_lifecycle_update(const HttpRequest& head, const RequestPath& path) {
    if (head.method != "PATCH" && head.method != "PUT") return false;
    if (is_gcs_xml(head, path)) return query_param(head.query, "lifecycle").has_value();
    return path.segments.size() == 4 && segment_is(path, 0, "storage") && segment_is(path, 2, "b");
}

GcpContentVerdict judge_bucket_lifecycle(const HttpRequest& request, const RequestPath& path) {
    GcpContentVerdict verdict;
    if (!request.body_complete) return verdict;  // the registry judges what was not seen
    if (is_gcs_xml(request, path)) {
        // XML lifecycle: <Rule><Action><Delete/></Action>...; unreadable text counts as one.
        if (request.body.find("Delete") != std::string::npos) {
            verdict.tier = Tier::destructive;
            verdict.flags.emplace_back("expires-objects");
        }
        return verdict;
    }
    const JsonTree body = parse_json(request.body);
    if (body == nullptr) return mark_destructive(verdict, "body-unreadable");
    const auto deletes = [](const cJSON* rules) {
        for (const cJSON* rule = cJSON_IsArray(rules) ? rules->child : nullptr; rule != nullptr; rule = rule->next)
            for (const cJSON* action : json_members(rule, "action"))
                for (const cJSON* type : json_members(action, "type")) {
                    const std::string_view name = cJSON_IsString(type) ? type->valuestring : "";
                    if (name != "SetStorageClass" && name != "AbortIncompleteMultipartUpload") return true;
                }
        return false;
    };
    for (const cJSON* lifecycle : json_members(body.get(), "lifecycle")) {
        for (const cJSON* rules : json_members(lifecycle, "rule")) {
            if (deletes(rules)) {
                return mark_destructive(verdict, "expires-objects");
            }
        }
    }
    return verdict;
}

bool is_gcs_xml(const HttpRequest& request, const RequestPath& path) {
    if (host_matches_pattern(request.host, "*.storage.googleapis.com")) return true;  // virtual-hosted bucket
    if (!host_matches_pattern(request.host, "storage.googleapis.com")) return false;
    const bool json_api = segment_is(path, 0, "storage") || segment_is(path, 1, "storage") || segment_is(path, 0, "batch");
    return !json_api;
}

Classification classify_gcs_xml(const HttpRequest& request, const RequestPath& path) {
    Tier tier = tier_for_rest_method(request.method);
    std::string operation = "gcs-xml " + request.method + " " + path_shape(path);
    if (request.method == "DELETE" && query_param(request.query, "uploadId")) {
        tier = Tier::write;  // aborts a multipart upload; nothing stored is lost
        operation = "gcs-xml AbortMultipartUpload";
    }
    if (request.method == "POST" && query_param(request.query, "delete")) {
        tier = Tier::destructive;
        operation = "gcs-xml DeleteObjects";
    }
    return make_classification("gcp", std::move(operation), tier, request);
}

bool is_batch(std::string_view method, const RequestPath& path) {
    return method == "POST" && segment_is(path, 0, "batch");
}

}  // namespace askfirst::classifiers
