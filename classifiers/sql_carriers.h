// classifiers/sql_carriers.h — the SQL-over-HTTP carriers behind the `sql`
// provider: where each service puts the SQL text in a request.
//
// A carrier only extracts; classify_sql() judges. The provider itself
// (sql_provider.cpp) matches hosts and paths and turns the verdict into a
// Classification.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "classifiers/classification.h"
#include "classifiers/sql.h"

namespace askfirst::classifiers::sql_carrier {

// What a request asks the database to run.
struct SqlPayload {
    std::vector<std::string> texts;  // in order; several for pipelines and batches
    bool readable = true;            // false: the body is not the JSON the service documents
    std::string problem;             // why not readable, for the detail line
    std::vector<std::string> flags;  // carrier-level notes, e.g. "stored-sql-reference"
    // Set when the request carries no SQL at all (status polls, session
    // setup): the tier and operation to report instead.
    std::optional<Tier> fixed_tier;
    std::string fixed_operation;
};

// JSON bodies.
SqlPayload neon_payload(const HttpRequest& request);        // {query, params} | {queries: [...]}
SqlPayload supabase_payload(const HttpRequest& request);    // {query}
SqlPayload d1_payload(const HttpRequest& request);          // {sql, params} | {batch: [...]}
SqlPayload hrana_payload(const HttpRequest& request);       // Turso/libSQL pipelines, execute, batch
SqlPayload planetscale_payload(const HttpRequest& request); // database-js Execute {query}
SqlPayload snowflake_payload(const HttpRequest& request);   // SQL API {statement}, connector {sqlText}
SqlPayload databricks_payload(const HttpRequest& request);  // {statement}
SqlPayload hasura_payload(const HttpRequest& request, SqlDialect& dialect);  // run_sql, bulk
// ClickHouse HTTP: the `query` parameter followed by the body, cut before
// INSERT ... FORMAT data (classifier-rules.md §10).
SqlPayload clickhouse_payload(const HttpRequest& request);
// True when the URL's `query` is a whole `INSERT ... FORMAT <name>`: the body
// is then rows only, and need not be inspected.
bool clickhouse_body_is_data(const HttpRequest& request);

}  // namespace askfirst::classifiers::sql_carrier
