// Unit tests for the Google Cloud provider (classifiers/gcp*.cpp): AIP
// methods, custom verbs, older path verbs, BigQuery SQL and dispositions,
// Firestore commits, the Cloud Storage JSON and XML APIs, and batches.
#include <doctest.h>

#include <algorithm>

#include "classifiers/classification.h"
#include "cloud_request.h"

using namespace askfirst::classifiers;
using cloud_test::make_request;

namespace {

constexpr auto R = Tier::read;
constexpr auto W = Tier::write;
constexpr auto D = Tier::destructive;

bool has_flag(const Classification& result, std::string_view flag) {
    return std::find(result.flags.begin(), result.flags.end(), flag) != result.flags.end();
}

}  // namespace

TEST_CASE("gcp: methods, custom verbs and path verbs") {
    struct Row { const char* behaviour; const char* method; const char* host; const char* target; Tier tier; const char* operation; };
    const Row rows[] = {
        {"GET instance reads", "GET", "compute.googleapis.com", "/compute/v1/projects/p/zones/us-central1-a/instances/vm-1", R, "compute GET projects/{}/zones/{}/instances/{}"},
        {"DELETE instance destroys", "DELETE", "compute.googleapis.com", "/compute/v1/projects/p/zones/us-central1-a/instances/vm-1", D, "compute DELETE projects/{}/zones/{}/instances/{}"},
        {"POST to a collection creates", "POST", "compute.googleapis.com", "/compute/v1/projects/p/zones/us-central1-a/instances", W, "compute POST projects/{}/zones/{}/instances"},
        {"Compute stop is a write", "POST", "compute.googleapis.com", "/compute/v1/projects/p/zones/z/instances/vm-1/stop", W, "compute POST projects/{}/zones/{}/instances/{}/stop"},
        {"Compute deleteAccessConfig deletes", "POST", "compute.googleapis.com", "/compute/v1/projects/p/zones/z/instances/vm-1/deleteAccessConfig?accessConfig=x&networkInterface=nic0", D, "compute POST projects/{}/zones/{}/instances/{}/deleteAccessConfig"},
        {"Compute testIamPermissions reads", "POST", "compute.googleapis.com", "/compute/v1/projects/p/zones/z/instances/vm-1/testIamPermissions", R, "compute POST projects/{}/zones/{}/instances/{}/testIamPermissions"},
        {":getIamPolicy is a POST that reads", "POST", "cloudresourcemanager.googleapis.com", "/v3/projects/my-proj:getIamPolicy", R, "cloudresourcemanager POST projects/{}:getIamPolicy"},
        {":testIamPermissions reads", "POST", "cloudresourcemanager.googleapis.com", "/v3/projects/my-proj:testIamPermissions", R, "cloudresourcemanager POST projects/{}:testIamPermissions"},
        {":setIamPolicy writes", "POST", "cloudresourcemanager.googleapis.com", "/v3/projects/my-proj:setIamPolicy", W, "cloudresourcemanager POST projects/{}:setIamPolicy"},
        {":undelete writes", "POST", "cloudresourcemanager.googleapis.com", "/v3/projects/my-proj:undelete", W, "cloudresourcemanager POST projects/{}:undelete"},
        {":purge destroys", "POST", "pubsub.googleapis.com", "/v1/projects/p/subscriptions/s:purge", D, "pubsub POST projects/{}/subscriptions/{}:purge"},
        {":batchDelete destroys", "POST", "firestore.googleapis.com", "/v1/projects/p/databases/(default)/documents:batchDelete", D, "firestore POST projects/{}/databases/{}/documents:batchDelete"},
        {":batchGet reads", "POST", "firestore.googleapis.com", "/v1/projects/p/databases/(default)/documents:batchGet", R, "firestore POST projects/{}/databases/{}/documents:batchGet"},
        {":runQuery reads (override)", "POST", "firestore.googleapis.com", "/v1/projects/p/databases/(default)/documents:runQuery", R, "firestore POST projects/{}/databases/{}/documents:runQuery"},
        {"regional endpoint names its service", "DELETE", "us-central1-aiplatform.googleapis.com", "/v1/projects/p/locations/us-central1/endpoints/123", D, "aiplatform DELETE projects/{}/locations/{}/endpoints/{}"},
        {"GCS JSON object delete", "DELETE", "storage.googleapis.com", "/storage/v1/b/backups/o/db%2Fdump.sql", D, "storage DELETE b/{}/o/{}"},
        {"GCS JSON object read", "GET", "storage.googleapis.com", "/storage/v1/b/backups/o/db%2Fdump.sql?alt=media", R, "storage GET b/{}/o/{}"},
        {"GCS XML object delete", "DELETE", "storage.googleapis.com", "/backups/db/dump.sql", D, "gcs-xml DELETE /backups/db/dump.sql"},
        {"GCS XML upload abort is a write", "DELETE", "backups.storage.googleapis.com", "/dump.sql?uploadId=ABC", W, "gcs-xml AbortMultipartUpload"},
        {"GCS XML multi-object delete", "POST", "storage.googleapis.com", "/backups?delete", D, "gcs-xml DeleteObjects"},
        {":generateAccessToken mints a credential: a write", "POST", "iamcredentials.googleapis.com", "/v1/projects/-/serviceAccounts/sa@p.iam.gserviceaccount.com:generateAccessToken", W, "iamcredentials POST projects/{}/serviceAccounts/{}:generateAccessToken"},
        {":generateIdToken mints a credential: a write", "POST", "iamcredentials.googleapis.com", "/v1/projects/-/serviceAccounts/sa@p.iam.gserviceaccount.com:generateIdToken", W, "iamcredentials POST projects/{}/serviceAccounts/{}:generateIdToken"},
        {":generateEphemeralCert mints a certificate: a write", "POST", "sqladmin.googleapis.com", "/v1/projects/p/instances/db-1:generateEphemeralCert", W, "sqladmin POST projects/{}/instances/{}:generateEphemeralCert"},
        {":generateServiceIdentity creates an identity: a write", "POST", "serviceusage.googleapis.com", "/v1beta1/projects/p/services/run.googleapis.com:generateServiceIdentity", W, "serviceusage POST projects/{}/services/{}:generateServiceIdentity"},
        {":generateDownloadUrl still reads", "POST", "cloudfunctions.googleapis.com", "/v1/projects/p/locations/l/functions/f:generateDownloadUrl", R, "cloudfunctions POST projects/{}/locations/{}/functions/{}:generateDownloadUrl"},
        {"Cloud SQL restoreBackup is a flagged write", "POST", "sqladmin.googleapis.com", "/v1/projects/p/instances/db-1/restoreBackup", W, "sqladmin POST projects/{}/instances/{}/restoreBackup"},
    };
    for (const Row& row : rows) {
        INFO(std::string(row.behaviour));
        const Classification result = classify(make_request(row.method, row.host, row.target, "{}"));
        CHECK(result.provider == "gcp");
        CHECK(result.tier == row.tier);
        CHECK(result.operation == row.operation);
    }
    CHECK(has_flag(classify(make_request("POST", "sqladmin.googleapis.com", "/v1/projects/p/instances/db-1/restoreBackup", "{}")),
                   "overwrites-instance-from-backup"));
}

TEST_CASE("gcp: BigQuery SQL, dispositions and dry runs") {
    constexpr const char* kBq = "bigquery.googleapis.com";
    struct Row { const char* behaviour; const char* target; const char* body; Tier tier; };
    const Row rows[] = {
        {"SELECT reads", "/bigquery/v2/projects/p/queries", R"({"query":"SELECT * FROM ds.t LIMIT 10"})", R},
        {"DROP TABLE destroys", "/bigquery/v2/projects/p/queries", R"({"query":"DROP TABLE ds.t"})", D},
        {"dry run reads whatever the SQL", "/bigquery/v2/projects/p/queries", R"({"query":"DROP TABLE ds.t","dryRun":true})", R},
        {"job query with DELETE destroys", "/bigquery/v2/projects/p/jobs", R"({"configuration":{"query":{"query":"DELETE FROM ds.t WHERE true"}}})", D},
        {"job query INSERT writes", "/bigquery/v2/projects/p/jobs", R"j({"configuration":{"query":{"query":"INSERT INTO ds.t VALUES (1)"}}})j", W},
        {"WRITE_TRUNCATE replaces the table", "/bigquery/v2/projects/p/jobs", R"({"configuration":{"query":{"query":"SELECT 1","writeDisposition":"WRITE_TRUNCATE"}}})", D},
        {"load job truncating destroys", "/bigquery/v2/projects/p/jobs", R"({"configuration":{"load":{"writeDisposition":"WRITE_TRUNCATE"}}})", D},
        {"job dry run reads", "/bigquery/v2/projects/p/jobs", R"({"configuration":{"dryRun":true,"query":{"query":"DROP TABLE ds.t"}}})", R},
        {"a dry run needs the proto name dry_run true too", "/bigquery/v2/projects/p/queries",
         R"({"query":"DROP TABLE ds.t","dryRun":true,"dry_run":false})", D},
        {"a dry run needs every dryRun copy true", "/bigquery/v2/projects/p/queries", R"({"query":"DROP TABLE ds.t","dryRun":true,"dryRun":false})", D},
        {"a repeated query key is ambiguous", "/bigquery/v2/projects/p/queries", R"({"query":"SELECT 1","query":"DROP TABLE ds.t"})", D},
        {"unreadable query body is the worst", "/bigquery/v2/projects/p/queries", "{", D},
    };
    for (const Row& row : rows) {
        INFO(std::string(row.behaviour));
        CHECK(classify(make_request("POST", kBq, row.target, row.body)).tier == row.tier);
    }
    HttpRequest truncated = make_request("POST", kBq, "/bigquery/v2/projects/p/queries", R"({"query":"SEL)");
    truncated.body_complete = false;
    CHECK(needs_body(truncated));
    CHECK(classify(truncated).tier == D);
}

TEST_CASE("gcp: Firestore commits and batch envelopes") {
    const auto commit = [](const char* body) {
        return classify(make_request("POST", "firestore.googleapis.com",
                                     "/v1/projects/p/databases/(default)/documents:commit", body));
    };
    CHECK(commit(R"({"writes":[{"update":{"name":"x"}}]})").tier == W);
    const Classification deleting = commit(R"({"writes":[{"update":{"name":"x"}},{"delete":"projects/p/databases/(default)/documents/c/d"}]})");
    CHECK(deleting.tier == D);
    CHECK(has_flag(deleting, "commit-deletes-documents"));

    const char* batch_body =
        "--batch_x\r\nContent-Type: application/http\r\n\r\nGET /storage/v1/b/bk/o/a HTTP/1.1\r\n\r\n"
        "--batch_x\r\nContent-Type: application/http\r\n\r\nDELETE /storage/v1/b/bk/o/b HTTP/1.1\r\n\r\n--batch_x--\r\n";
    CHECK(classify(make_request("POST", "storage.googleapis.com", "/batch/storage/v1", batch_body)).tier == D);
    const char* reads_only =
        "--b\r\nContent-Type: application/http\r\n\r\nGET /storage/v1/b/bk/o/a HTTP/1.1\r\n\r\n--b--\r\n";
    CHECK(classify(make_request("POST", "storage.googleapis.com", "/batch/storage/v1", reads_only)).tier == R);
    CHECK(classify(make_request("POST", "www.googleapis.com", "/batch/drive/v3", "garbage")).tier == W);
}

// Red team 4: a bucket lifecycle rule whose action is Delete deletes every
// object its condition matches (age 0: all of them), as S3's Expiration does
// (§1: destructive). Both were writes on Cloud Storage.
TEST_CASE("gcp: a Cloud Storage lifecycle rule that deletes is destructive") {
    struct Row { const char* behaviour; const char* method; const char* host; const char* target; const char* body; Tier tier; };
    const Row rows[] = {
        {"JSON API PATCH with a Delete rule", "PATCH", "storage.googleapis.com", "/storage/v1/b/backups",
         R"({"lifecycle":{"rule":[{"action":{"type":"Delete"},"condition":{"age":0}}]}})", D},
        {"JSON API PUT with a Delete rule among others", "PUT", "storage.googleapis.com", "/storage/v1/b/backups",
         R"({"name":"backups","lifecycle":{"rule":[{"action":{"type":"SetStorageClass","storageClass":"COLDLINE"},"condition":{"age":30}},{"action":{"type":"Delete"},"condition":{"age":1}}]}})",
         D},
        {"XML API lifecycle with a Delete action", "PUT", "backups.storage.googleapis.com", "/?lifecycle",
         "<LifecycleConfiguration><Rule><Action><Delete/></Action><Condition><Age>0</Age></Condition></Rule></LifecycleConfiguration>", D},
        {"JSON API lifecycle that only changes the storage class", "PATCH", "storage.googleapis.com", "/storage/v1/b/backups",
         R"({"lifecycle":{"rule":[{"action":{"type":"SetStorageClass","storageClass":"COLDLINE"},"condition":{"age":30}}]}})", W},
        {"JSON API PATCH of labels", "PATCH", "storage.googleapis.com", "/storage/v1/b/backups", R"({"labels":{"team":"a"}})", W},
    };
    for (const Row& row : rows) {
        CAPTURE(row.behaviour);
        const HttpRequest head = make_request(row.method, row.host, row.target);
        CHECK(needs_body(head));
        CHECK(classify(make_request(row.method, row.host, row.target, row.body)).tier == row.tier);
    }
}

// Red team 5: a BigQuery table's expiration under a day away (or in the past)
// deletes the table at once, and a partition expiration under a day deletes
// every older partition: destructive (ttl-expires-now), on MongoDB TTL's
// one-day line. Each was a write. A later expiration is a flagged write.
TEST_CASE("gcp: a BigQuery expiration under a day deletes the table now") {
    constexpr const char* kBq = "bigquery.googleapis.com";
    constexpr const char* kTable = "/bigquery/v2/projects/p/datasets/d/tables/t";
    struct Row { const char* behaviour; const char* method; const char* target; const char* body; Tier tier; const char* flag; };
    const Row rows[] = {
        {"PATCH expirationTime in the past", "PATCH", kTable, R"({"expirationTime":"1000"})", D, "ttl-expires-now"},
        {"PUT expirationTime as a number, now", "PUT", kTable, R"({"tableReference":{"tableId":"t"},"expirationTime":1})", D, "ttl-expires-now"},
        {"an unreadable expirationTime is the worst", "PATCH", kTable, R"({"expirationTime":"tomorrow"})", D, "ttl-expires-now"},
        {"a repeated expirationTime: the soonest counts", "PATCH", kTable, R"({"expirationTime":"99999999999999","expirationTime":"0"})", D, ""},
        {"partition expiration of a minute", "PATCH", kTable, R"({"timePartitioning":{"type":"DAY","expirationMs":"60000"}})", D, "ttl-expires-now"},
        {"copy job setting its destination's expiration now", "POST", "/bigquery/v2/projects/p/jobs",
         R"({"configuration":{"copy":{"sourceTable":{"tableId":"a"},"destinationTable":{"tableId":"t"},"destinationExpirationTime":"5"}}})", D, "ttl-expires-now"},
        {"an unreadable table update body is the worst", "PATCH", kTable, "{", D, "body-unreadable"},
        {"an expiration far ahead is a flagged write", "PATCH", kTable, R"({"expirationTime":"99999999999999"})", W, "ttl-schedules-deletion"},
        {"a partition expiration of 30 days is a flagged write", "PATCH", kTable, R"({"timePartitioning":{"expirationMs":"2592000000"}})", W, "ttl-schedules-deletion"},
        {"clearing the expiration is a write", "PATCH", kTable, R"({"expirationTime":null})", W, ""},
        {"a description update is a write", "PATCH", kTable, R"({"description":"x"})", W, ""},
        // The same through SQL DDL (ALTER TABLE|SCHEMA ... SET OPTIONS).
        {"SQL expiration_timestamp of CURRENT_TIMESTAMP()", "POST", "/bigquery/v2/projects/p/queries",
         R"j({"query":"ALTER TABLE d.t SET OPTIONS (expiration_timestamp = CURRENT_TIMESTAMP())"})j", D, "ttl-expires-now"},
        {"SQL expiration_timestamp of a past TIMESTAMP literal", "POST", "/bigquery/v2/projects/p/queries",
         R"j({"query":"ALTER TABLE d.t SET OPTIONS (description = 'x', expiration_timestamp = TIMESTAMP '2020-01-01 00:00:00 UTC')"})j", D, "ttl-expires-now"},
        {"SQL partition_expiration_days under one", "POST", "/bigquery/v2/projects/p/jobs",
         R"j({"configuration":{"query":{"query":"ALTER TABLE d.t SET OPTIONS (partition_expiration_days = 0.01)"}}})j", D, "ttl-expires-now"},
        {"SQL expiration_timestamp far ahead is a flagged write", "POST", "/bigquery/v2/projects/p/queries",
         R"j({"query":"ALTER TABLE d.t SET OPTIONS (expiration_timestamp = TIMESTAMP \"2999-01-01\")"})j", W, "ttl-schedules-deletion"},
        {"SQL partition_expiration_days of 30 is a flagged write", "POST", "/bigquery/v2/projects/p/queries",
         R"j({"query":"ALTER TABLE d.t SET OPTIONS (partition_expiration_days = 30)"})j", W, "ttl-schedules-deletion"},
        {"SQL expiration_timestamp = NULL clears it: a write", "POST", "/bigquery/v2/projects/p/queries",
         R"j({"query":"ALTER TABLE d.t SET OPTIONS (expiration_timestamp = NULL)"})j", W, ""},
    };
    for (const Row& row : rows) {
        CAPTURE(row.behaviour);
        CHECK(needs_body(make_request(row.method, kBq, row.target)));
        const Classification result = classify(make_request(row.method, kBq, row.target, row.body));
        CHECK(result.tier == row.tier);
        if (row.flag[0] != '\0') CHECK(has_flag(result, row.flag));
    }
}

// A Firestore TTL policy deletes the documents whose time has passed: a
// write flagged items-expire, as DynamoDB's UpdateTimeToLive (§1 risk flags).
TEST_CASE("gcp: a Firestore TTL policy is a flagged write") {
    constexpr const char* kField = "/v1/projects/p/databases/(default)/collectionGroups/sessions/fields/expireAt";
    const std::string with_mask = std::string(kField) + "?updateMask=ttlConfig";
    const Classification masked = classify(make_request("PATCH", "firestore.googleapis.com", with_mask, R"({"ttlConfig":{}})"));
    CHECK(masked.tier == W);
    CHECK(has_flag(masked, "items-expire"));
    CHECK(needs_body(make_request("PATCH", "firestore.googleapis.com", kField)));
    CHECK(has_flag(classify(make_request("PATCH", "firestore.googleapis.com", kField, R"({"ttlConfig":{}})")), "items-expire"));
    const std::string index_mask = std::string(kField) + "?updateMask=indexConfig";
    CHECK_FALSE(has_flag(classify(make_request("PATCH", "firestore.googleapis.com", index_mask, R"({"indexConfig":{}})")),
                         "items-expire"));
}
