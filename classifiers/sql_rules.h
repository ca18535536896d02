// classifiers/sql_rules.h — §17 applied to one tokenized statement.
//
// The token path of the SQL classifier (sql.cpp drives it): MySQL,
// ClickHouse, SQLite, generic dialects, and PostgreSQL text libpg_query
// rejects. The libpg_query path (sql_postgres.cpp) shares the tables and the
// operation names declared here so that both paths name a statement alike.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "classifiers/classification.h"
#include "classifiers/sql.h"
#include "classifiers/sql_lexer.h"

namespace askfirst::classifiers::sql {

struct StatementVerdict {
    Tier tier = Tier::write;
    std::string operation;            // without the "SQL " prefix, e.g. "ALTER ... DROP COLUMN"
    std::vector<std::string> flags;
    bool understood = true;           // false: the statement kind is unknown to us
};

// What one batch remembers between its statements: `PREPARE name AS ...`
// followed by `EXECUTE name` takes the prepared statement's tier.
struct SessionState {
    std::map<std::string, StatementVerdict> prepared;
};

// Nesting bound for statements inside statements (CTEs, EXPLAIN ANALYZE,
// DO bodies, EXECUTE IMMEDIATE strings). Real SQL nests a few levels; past
// this we stop looking and answer write.
inline constexpr int kMaxSqlNesting = 16;

StatementVerdict classify_statement_tokens(std::span<const Token> statement, SqlDialect dialect,
                                           SessionState& session, int depth);

// Classifies a whole text on the token path, one verdict per statement.
// Used for nested texts too (DO bodies, EXECUTE IMMEDIATE, PREPARE ... FROM).
std::vector<StatementVerdict> classify_text_tokens(std::string_view text, SqlDialect dialect,
                                                   SessionState& session, int depth);

// The same for text already lexed (sql.cpp lexes once per reading).
std::vector<StatementVerdict> classify_lexed(const LexResult& lexed, SqlDialect dialect, SessionState& session,
                                             int depth);

// Functions whose call changes state (§17): nextval → write,
// lo_unlink → destructive. `name` is lower-case and unqualified.
std::optional<Tier> side_effect_function_tier(std::string_view name);

// The statement's operation name from its leading words: "SELECT",
// "ALTER SUBSCRIPTION (membership change; members survive)", ...
std::string leading_operation(std::span<const Token> statement);

// Word after a destructive ALTER ... DROP, for "ALTER ... DROP COLUMN".
// Empty when the ALTER has no destructive DROP.
std::string alter_drop_operation(std::span<const Token> statement);

// DO body / procedural text: destructive when any statement or string
// literal in it is destructive, otherwise write (it runs arbitrary code).
// `foreign`: a body in another language (plpython, plperl, ...).
enum class BodyLanguage { sql_like, foreign };
StatementVerdict classify_procedural_body(std::string_view body, SqlDialect dialect, int depth,
                                          BodyLanguage language = BodyLanguage::sql_like);
// The same over tokens already lexed (BEGIN ... END blocks sent as SQL).
StatementVerdict classify_procedural_tokens(std::span<const Token> tokens, SqlDialect dialect, int depth);

// Folds a batch into one statement verdict: most severe first wins.
StatementVerdict fold_batch(const std::vector<StatementVerdict>& verdicts);

}  // namespace askfirst::classifiers::sql
