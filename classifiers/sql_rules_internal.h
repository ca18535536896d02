// classifiers/sql_rules_internal.h — shared pieces of the token-path SQL rules
// (sql_rules.cpp, sql_rules_ddl.cpp). Not for use outside the SQL classifier.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "classifiers/sql_rules.h"

namespace askfirst::classifiers::sql {

inline constexpr std::size_t kNotFound = static_cast<std::size_t>(-1);

// Token scanning (sql_token_scan.cpp). "Top level" = outside parentheses.
std::size_t find_top_level_word(std::span<const Token> s, std::string_view upper, std::size_t from = 0);
std::size_t find_top_level_punct(std::span<const Token> s, char c, std::size_t from = 0);
std::size_t matching_paren(std::span<const Token> s, std::size_t open);  // kNotFound if unbalanced
std::span<const Token> strip_leading_parens(std::span<const Token> s);
// Parenthesized statements (subqueries, CTE bodies) that are not inside
// another parenthesized statement; each span is the content inside the parens.
std::vector<std::span<const Token>> statement_groups(std::span<const Token> s);
// A group worth classifying as a statement that runs: a query (it may hide
// DML or side-effecting calls) or INSERT INTO, UPDATE ... SET, DELETE FROM,
// MERGE INTO (the shape check keeps a column list `(delete, ...)` out).
bool is_data_modifying(std::span<const Token> group);
// The statement EXPLAIN/DESCRIBE looks at (empty for `DESCRIBE table`), and
// whether ANALYZE makes it run.
std::span<const Token> explained_statement(std::span<const Token> s, bool& analyze);

// ASCII lower case (SQL keywords and names as the server folds them; sql_rules_ddl.cpp).
std::string lower_ascii(std::string text);

// Statement families (sql_rules_ddl.cpp).
StatementVerdict classify_alter(std::span<const Token> s);
StatementVerdict classify_create(std::span<const Token> s, SqlDialect dialect, int depth);
StatementVerdict classify_explain(std::span<const Token> s, SqlDialect dialect, SessionState& session, int depth);
StatementVerdict classify_copy(std::span<const Token> s, SqlDialect dialect, SessionState& session, int depth);
StatementVerdict classify_begin(std::span<const Token> s, SqlDialect dialect, int depth);
StatementVerdict classify_do(std::span<const Token> s, SqlDialect dialect, int depth);
StatementVerdict classify_prepare(std::span<const Token> s, SqlDialect dialect, SessionState& session, int depth);
StatementVerdict classify_execute(std::span<const Token> s, SqlDialect dialect, SessionState& session, int depth);
StatementVerdict classify_declare(std::span<const Token> s, SqlDialect dialect, SessionState& session, int depth);

}  // namespace askfirst::classifiers::sql
