// src/statement_decision.h — the decision inputs and outputs of one database
// statement (src/database/: a PostgreSQL Query or Execute), as pure
// functions the decider calls on a session's DecideStatement:
//
//   classify (classifiers/sql.h, unchanged) -> the mode (consent/policy)
//   -> pass | refuse in the protocol's words | ask
//
// The question shows the statement as sent (its literals are what a person
// needs to see); the audit line keeps it with every literal replaced by $n
// (libpg_query's normalisation), as the audit log keeps no body of an HTTP
// request that carries SQL.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "classifiers/classification.h"
#include "src/request_decision.h"

namespace askfirst {

// What a database session hands out to be judged, and what the flow knows of it.
struct StatementFacts {
    std::string provider;            // "postgres", "mysql" (SQL in that dialect), "redis" (texts: the command's arguments),
                                     // "mongodb" (texts: the command as JSON, classifiers/mongodb_commands.h)
    std::string host;                // the database host as the guest named it (DNS name or address)
    std::string database;            // from the startup message
    std::string user;
    std::string message;             // the protocol message: "Query", "Execute", "FunctionCall"
    std::vector<std::string> texts;  // judged as the worst of them
    bool complete = true;            // false: judged the worst it could be
    std::string why_incomplete;
};

// A statement's text in a question's detail line is cut here (a person reads
// the start; the whole text can be megabytes).
inline constexpr std::size_t kMaxQuestionStatementBytes = 2000;
// The audit line's redacted statement is cut here.
inline constexpr std::size_t kMaxAuditStatementBytes = 4000;

// The classification: SQL tiers from classify_sql_batch (PostgreSQL dialect);
// a statement askfirst could not see whole is destructive, flagged
// "not-inspected". The detail line holds the statement as sent and where it goes.
classifiers::Classification classify_statement(const StatementFacts& statement);

http::RequestDecision decide_statement(const StatementFacts& statement, const consent::ModeTable& modes,
                                       consent::NoUiAnswer no_ui);

// "askfirst refused DROP TABLE (drop table orders): mode block-destructive
// refuses destructive operations on postgres" — what psql prints after ERROR:.
std::string statement_refusal_message(const http::RequestDecision& decision, const StatementFacts& statement);

// The statements' text for the audit line: literals replaced by $1, $2, ...;
// text libpg_query cannot parse is not written at all (its size is).
std::string redacted_statement(const StatementFacts& statement);

}  // namespace askfirst
