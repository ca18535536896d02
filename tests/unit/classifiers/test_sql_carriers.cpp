// Unit tests for the `sql` provider (classifiers/sql_provider.cpp,
// sql_carriers*.cpp): each SQL-over-HTTP carrier's body shape, status
// endpoints, unreadable bodies, ClickHouse's URL+body concatenation and
// FORMAT data, self-hosted fingerprints, and needs_body().
#include <doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "classifiers/registry.h"

using namespace askfirst::classifiers;

namespace {

struct CarrierCase {
    const char* behaviour;
    std::string method, host, path, query;
    std::vector<Header> headers;
    std::string body;
    Tier tier;
    std::string operation;  // exact ("" = not checked)
    std::string flag = {};
};

HttpRequest request_of(const CarrierCase& c) {
    HttpRequest request;
    request.method = c.method;
    request.host = c.host;
    request.path = c.path;
    request.query = c.query;
    request.headers = c.headers;
    request.body = c.body;
    return request;
}

void check_cases(const std::vector<CarrierCase>& cases) {
    for (const CarrierCase& c : cases) {
        INFO(std::string(c.behaviour));
        const Classification got = classify(request_of(c));
        CHECK(got.provider == "sql");
        CHECK(tier_name(got.tier) == tier_name(c.tier));
        if (!c.operation.empty()) CHECK(got.operation == c.operation);
        if (!c.flag.empty()) CHECK(std::count(got.flags.begin(), got.flags.end(), c.flag) == 1);
    }
}

const std::string kNeon = "ep-cool-darkness-123456.us-east-2.aws.neon.tech";
const std::string kD1 = "/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353/d1/database/db-uuid/query";

}  // namespace

TEST_CASE("sql carriers: where each service puts the SQL") {
    check_cases({
        {"Neon {query}", "POST", kNeon, "/sql", "", {}, R"({"query":"DELETE FROM t","params":[]})",
         Tier::destructive, "SQL DELETE"},
        {"Neon {queries:[...]} takes the most severe", "POST", kNeon, "/sql", "", {},
         R"({"queries":[{"query":"SELECT 1"},{"query":"TRUNCATE t"}]})", Tier::destructive, "SQL batch: TRUNCATE"},
        {"Neon read", "POST", kNeon, "/sql", "", {}, R"({"query":"SELECT 1"})", Tier::read, "SQL SELECT"},
        {"self-hosted Neon proxy by its header", "POST", "localhost", "/sql", "",
         {{"Neon-Connection-String", "postgresql://u:p@localhost/db"}}, R"({"query":"DROP TABLE t"})",
         Tier::destructive, "SQL DROP"},
        {"Supabase database/query", "POST", "api.supabase.com", "/v1/projects/abcdefghijklmnopqrst/database/query", "",
         {}, R"({"query":"ALTER TABLE t DROP COLUMN c"})", Tier::destructive, "SQL ALTER ... DROP COLUMN"},
        {"Cloudflare D1 {sql}", "POST", "api.cloudflare.com", kD1, "", {}, R"({"sql":"UPDATE t SET a = 1","params":[]})",
         Tier::write, "SQL UPDATE", "update-without-where"},
        {"Cloudflare D1 {batch:[...]}", "POST", "api.cloudflare.com", kD1, "", {},
         R"({"batch":[{"sql":"SELECT 1"},{"sql":"DELETE FROM t"}]})", Tier::destructive, "SQL batch: DELETE"},
        {"Turso pipeline execute", "POST", "prod-db-acme.turso.io", "/v2/pipeline", "", {},
         R"({"requests":[{"type":"execute","stmt":{"sql":"DROP TABLE t"}},{"type":"close"}]})", Tier::destructive,
         "SQL DROP"},
        {"Turso pipeline batch steps", "POST", "prod-db-acme.turso.io", "/v3/pipeline", "", {},
         R"({"requests":[{"type":"batch","batch":{"steps":[{"stmt":{"sql":"SELECT 1"}},{"stmt":{"sql":"DELETE FROM t"}}]}}]})",
         Tier::destructive, "SQL batch: DELETE"},
        {"Turso stored SQL used by id", "POST", "prod-db-acme.turso.io", "/v2/pipeline", "", {},
         R"({"requests":[{"type":"store_sql","sql_id":1,"sql":"DELETE FROM t"},{"type":"execute","stmt":{"sql_id":1}}]})",
         Tier::destructive, "SQL DELETE"},
        {"Turso SQL stored elsewhere is a write at least", "POST", "prod-db-acme.turso.io", "/v2/pipeline", "", {},
         R"({"requests":[{"type":"execute","stmt":{"sql_id":7}}]})", Tier::write, "SQL (unreadable request)",
         "stored-sql-reference"},
        {"Turso close-only pipeline reads", "POST", "prod-db-acme.turso.io", "/v2/pipeline", "", {},
         R"({"requests":[{"type":"close"}]})", Tier::read, "pipeline without statements"},
        {"Turso /v1/execute", "POST", "prod-db-acme.turso.io", "/v1/execute", "", {},
         R"j({"stmt":{"sql":"INSERT INTO t VALUES (1)"}})j", Tier::write, "SQL INSERT"},
        {"PlanetScale Execute (MySQL)", "POST", "aws.connect.psdb.cloud", "/psdb.v1alpha1.Database/Execute", "", {},
         R"({"query":"SELECT 1 /*! ; DROP TABLE t */","session":null})", Tier::destructive, "SQL batch: DROP"},
        {"PlanetScale CreateSession reads", "POST", "aws.connect.psdb.cloud", "/psdb.v1alpha1.Database/CreateSession",
         "", {}, "{}", Tier::read, "PlanetScale CreateSession"},
        {"Snowflake SQL API statement", "POST", "acme-prod.snowflakecomputing.com", "/api/v2/statements",
         "requestId=1", {}, R"j({"statement":"CREATE OR REPLACE TABLE t (a int)"})j", Tier::destructive,
         "SQL CREATE OR REPLACE TABLE"},
        {"Snowflake connector query-request", "POST", "acme-prod.snowflakecomputing.com", "/queries/v1/query-request",
         "", {}, R"({"sqlText":"SELECT 1"})", Tier::read, "SQL SELECT"},
        {"Snowflake statement status reads", "GET", "acme-prod.snowflakecomputing.com", "/api/v2/statements/01a-b", "",
         {}, "", Tier::read, "Snowflake statement status"},
        {"Databricks statement", "POST", "dbc-a1b2345c-d6e7.cloud.databricks.com", "/api/2.0/sql/statements/", "", {},
         R"({"statement":"INSERT OVERWRITE t SELECT 1","warehouse_id":"x"})", Tier::destructive, "SQL INSERT OVERWRITE"},
        {"Databricks cancel writes", "POST", "dbc-a1b2345c-d6e7.cloud.databricks.com",
         "/api/2.0/sql/statements/01ef/cancel", "", {}, "", Tier::write, "Databricks cancel statement"},
        {"Hasura run_sql", "POST", "acme.hasura.app", "/v2/query", "", {},
         R"({"type":"run_sql","args":{"source":"default","sql":"DROP TABLE t"}})", Tier::destructive, "SQL DROP"},
        {"Hasura bulk takes the most severe", "POST", "acme.hasura.app", "/v2/query", "", {},
         R"({"type":"bulk","args":[{"type":"run_sql","args":{"sql":"SELECT 1"}},{"type":"run_sql","args":{"sql":"TRUNCATE t"}}]})",
         Tier::destructive, "SQL batch: TRUNCATE"},
        {"Hasura legacy delete query", "POST", "acme.hasura.app", "/v1/query", "", {},
         R"({"type":"delete","args":{"table":"t","where":{}}})", Tier::destructive, "Hasura delete"},
        {"self-hosted Hasura by its header", "POST", "hasura.internal", "/v2/query", "",
         {{"X-Hasura-Admin-Secret", "s"}}, R"({"type":"run_sql","args":{"sql":"SELECT 1"}})", Tier::read, "SQL SELECT"},
        {"a body that is not JSON is a write at least", "POST", kNeon, "/sql", "", {}, "DROP TABLE t", Tier::write,
         "SQL (unreadable request)", "unparsed-sql"},
        {"an escaped NUL cannot hide SQL from cJSON", "POST", kNeon, "/sql", "", {},
         R"({"query":"SELECT 1\u0000; DROP TABLE t"})", Tier::write, "SQL (unreadable request)"},
    });
}

TEST_CASE("sql carriers: ClickHouse HTTP interface (§10)") {
    const std::vector<Header> user = {{"X-ClickHouse-User", "default"}};
    check_cases({
        {"POST body", "POST", "abc.us-east-1.aws.clickhouse.cloud", "/", "database=analytics", {},
         "ALTER TABLE t DELETE WHERE a = 1", Tier::destructive, "SQL ALTER ... DELETE"},
        {"query parameter and body are one text", "POST", "abc.us-east-1.aws.clickhouse.cloud", "/",
         "query=ALTER+TABLE+t", {}, "DROP PARTITION 2024", Tier::destructive, "SQL ALTER ... DROP PARTITION"},
        {"INSERT rows after FORMAT are data", "POST", "abc.us-east-1.aws.clickhouse.cloud", "/",
         "query=INSERT+INTO+t+FORMAT+CSV", {}, "1,\"DROP TABLE x\"\n2,'unterminated", Tier::write, "SQL INSERT"},
        {"GET classifies the query text", "GET", "localhost", "/", "query=SELECT+1&default_format=JSON", user, "",
         Tier::read, "SQL SELECT", "clickhouse-get-runs-readonly"},
        {"a GET DROP is still named and asked about", "GET", "localhost", "/", "query=DROP+TABLE+t", user, "",
         Tier::destructive, "SQL DROP"},
        {"readonly=1 makes the server refuse writes", "POST", "abc.us-east-1.aws.clickhouse.cloud", "/",
         "readonly=1", {}, "DROP TABLE t", Tier::read, "SQL DROP", "server-readonly-setting"},
        {"/ping reads", "GET", "abc.us-east-1.aws.clickhouse.cloud", "/ping", "", {}, "", Tier::read,
         "ClickHouse /ping"},
    });
}

TEST_CASE("sql carriers: only SQL endpoints are claimed, and the body is asked for") {
    HttpRequest d1_export;
    d1_export.method = "POST";
    d1_export.host = "api.cloudflare.com";
    d1_export.path = "/client/v4/accounts/a/d1/database/b/export";
    CHECK(select_provider(d1_export).name != "sql");
    HttpRequest supabase_project;
    supabase_project.method = "DELETE";
    supabase_project.host = "api.supabase.com";
    supabase_project.path = "/v1/projects/abc";
    CHECK(select_provider(supabase_project).name != "sql");
    HttpRequest neon_head;
    neon_head.method = "POST";
    neon_head.host = "ep-x.us-east-2.aws.neon.tech";
    neon_head.path = "/sql";
    CHECK(needs_body(neon_head));
    HttpRequest clickhouse_get;
    clickhouse_get.method = "GET";
    clickhouse_get.host = "abc.clickhouse.cloud";
    clickhouse_get.path = "/";
    clickhouse_get.query = "query=SELECT+1";
    CHECK_FALSE(needs_body(clickhouse_get));
    HttpRequest bulk_insert;
    bulk_insert.method = "POST";
    bulk_insert.host = "abc.clickhouse.cloud";
    bulk_insert.path = "/";
    bulk_insert.query = "query=INSERT+INTO+t+FORMAT+CSV";
    CHECK_FALSE(needs_body(bulk_insert));  // rows only: a large upload is not a reason to escalate
    bulk_insert.body = "1,2\n3,";
    bulk_insert.body_complete = false;
    CHECK(classify(bulk_insert).tier == Tier::write);
    bulk_insert.query = "query=INSERT+INTO+t";
    CHECK(needs_body(bulk_insert));  // the SQL goes on in the body
    HttpRequest truncated = neon_head;
    truncated.body = R"({"query":"SELECT 1)";
    truncated.body_complete = false;
    CHECK(classify(truncated).tier == Tier::destructive);  // invariant 6: unseen SQL may be the worst
}
