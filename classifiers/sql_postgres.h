// classifiers/sql_postgres.h — PostgreSQL text through libpg_query's parse
// tree (the PostgreSQL 15 grammar itself), for §17.
//
// libpg_query state: each call sets up and tears down its own memory context
// in thread-local storage, so repeated calls from one thread are safe; every
// result it returns is freed by an RAII owner in sql_postgres.cpp. Errors
// (syntax, stack depth) come back as a result, not as a signal or exit.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "classifiers/sql_rules.h"

namespace askfirst::classifiers::sql {

// One verdict per statement, or nullopt when libpg_query rejects the text
// (the caller then uses the token path).
std::optional<std::vector<StatementVerdict>> classify_postgres_tree(std::string_view text, SessionState& session,
                                                                    int depth);

// A DO body in PL/pgSQL, read with pg_query_parse_plpgsql: every embedded
// statement is classified, and string literals in dynamic EXECUTE and other
// expressions are read as SQL. nullopt when the body does not parse.
std::optional<StatementVerdict> classify_plpgsql_body(std::string_view body, int depth);

}  // namespace askfirst::classifiers::sql
