// classifiers/sql.h — SQL text in, tier out (../shared/classifier-rules.md §17).
//
// Every carrier that ships SQL inside an HTTP request calls this one function:
// the SQL-over-HTTP providers (Neon, Supabase, D1, Turso, PlanetScale,
// Snowflake, Databricks, Hasura, ClickHouse), AWS rds-data / redshift-data /
// Athena / DynamoDB PartiQL, and the clouds' database APIs. It is pure: text
// in, verdict out, no I/O, safe to call from any single thread repeatedly.
//
// PostgreSQL text is read with libpg_query's parse tree; every other dialect
// (and PostgreSQL text libpg_query rejects) goes through our own strict
// tokenizer (classifiers/sql_tokenizer.h). A batch takes its most severe
// statement; text that neither path can read is a write at least.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "classifiers/classification.h"

namespace askfirst::classifiers {

enum class SqlDialect {
    postgres,    // Neon, Supabase, Hasura, rds-data (Aurora PostgreSQL), Redshift
    mysql,       // PlanetScale, rds-data (Aurora MySQL)
    clickhouse,  // ClickHouse HTTP interface
    sqlite,      // Cloudflare D1, Turso/libSQL
    generic,     // Snowflake, Databricks, Athena, PartiQL, unknown engines
};

struct SqlVerdict {
    Tier tier = Tier::write;
    std::string operation;            // "SQL DROP", "SQL batch: DELETE", "SQL EXPLAIN ANALYZE executes: SELECT"
    std::string detail;               // one line: the most severe statement, shortened
    std::vector<std::string> flags;   // e.g. "update-without-where", "copy-program", "unparsed-sql"
};

// Classifies one SQL text (one statement or a batch). Never throws.
SqlVerdict classify_sql(std::string_view text, SqlDialect dialect);

// Folds several texts sent in one request (a pipeline, `queries: [...]`) into
// one verdict: the most severe member wins; operation becomes "SQL batch: X"
// when there is more than one member.
SqlVerdict classify_sql_batch(const std::vector<std::string>& texts, SqlDialect dialect);

}  // namespace askfirst::classifiers
