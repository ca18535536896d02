// classifiers/sql_postgres.h — PostgreSQL text through libpg_query's parse
// tree (the PostgreSQL 15 grammar itself), for §17.
//
// libpg_query state (checked in its 15-4.0.0 source, Debian's version):
//  * memory: the first call in a thread creates a thread-local top memory
//    context (kept until pg_query_exit()); each call parses in a child
//    context that it deletes, so repeated calls from one thread do not grow.
//    Every malloc'ed result is freed by an RAII owner in sql_postgres.cpp.
//  * errors (syntax, stack depth) come back in the result (PG_TRY/longjmp
//    stays inside the library), never as a signal or exit.
//  * stderr: every parse pipe()s and dup2()s STDERR_FILENO for the whole
//    process while it runs. Calls must therefore come from one thread at a
//    time (askfirstd's single event loop), and another thread's stderr output
//    during a parse would be swallowed. If pipe() fails (EMFILE) the parse
//    reports an error and we fall back to the token path.
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
