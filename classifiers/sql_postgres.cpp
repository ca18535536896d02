// classifiers/sql_postgres.cpp — §17 on libpg_query's parse tree.
//
// pg_query_parse gives the raw parse tree as JSON (one object per statement
// with its byte range); we read it with cJSON. The statement kind decides
// the base tier; the subtree that runs now (CTEs, subqueries, COPY's and
// EXPLAIN ANALYZE's query) is walked for data-modifying statements and
// side-effecting function calls. Operation names come from the statement's
// own tokens (sql_rules.h) so that both paths name a statement alike.
#include "classifiers/sql_postgres.h"

#include <cjson/cJSON.h>
#include <pg_query.h>

#include <memory>
#include <string>

#include "classifiers/sql_postgres_internal.h"

namespace askfirst::classifiers::sql {
namespace {

// Owns one pg_query_parse result.
class PgParse {
public:
    explicit PgParse(const std::string& text) : result_(pg_query_parse(text.c_str())) {}
    ~PgParse() { pg_query_free_parse_result(result_); }
    PgParse(const PgParse&) = delete;
    PgParse& operator=(const PgParse&) = delete;
    const char* json() const { return result_.error == nullptr ? result_.parse_tree : nullptr; }

private:
    PgQueryParseResult result_;
};

// Owns one pg_query_parse_plpgsql result.
class PlpgsqlParse {
public:
    explicit PlpgsqlParse(const std::string& text) : result_(pg_query_parse_plpgsql(text.c_str())) {}
    ~PlpgsqlParse() { pg_query_free_plpgsql_parse_result(result_); }
    PlpgsqlParse(const PlpgsqlParse&) = delete;
    PlpgsqlParse& operator=(const PlpgsqlParse&) = delete;
    const char* json() const { return result_.error == nullptr ? result_.plpgsql_funcs : nullptr; }

private:
    PgQueryPlpgsqlParseResult result_;
};

std::size_t json_offset(const cJSON* object, const char* key) {
    const cJSON* value = field(object, key);
    return cJSON_IsNumber(value) && value->valuedouble > 0 ? static_cast<std::size_t>(value->valuedouble) : 0;
}

// Every PLpgSQL_expr query text in a PL/pgSQL parse tree.
void collect_plpgsql_queries(const cJSON* json, std::vector<std::string>& queries, int depth) {
    if (json == nullptr || depth > kMaxJsonWalk) return;
    for (const cJSON* child = json->child; child != nullptr; child = child->next) {
        if (child->string != nullptr && std::string_view(child->string) == "PLpgSQL_expr") {
            const std::string query = string_of(field(child, "query"));
            if (!query.empty()) queries.push_back(query);
        }
        collect_plpgsql_queries(child, queries, depth + 1);
    }
}

// Whether a PL/pgSQL tree runs text made at run time: EXECUTE, FOR ... IN
// EXECUTE, OPEN ... FOR EXECUTE or RETURN QUERY EXECUTE of anything but one
// string literal (which is read as SQL by the caller).
bool runs_dynamic_sql(const cJSON* json, int depth) {
    if (json == nullptr || depth > kMaxJsonWalk) return false;
    for (const cJSON* child = json->child; child != nullptr; child = child->next) {
        const std::string_view key = child->string != nullptr ? child->string : "";
        const cJSON* expression = nullptr;
        if (key == "PLpgSQL_stmt_dynexecute" || key == "PLpgSQL_stmt_dynfors") expression = field(child, "query");
        if (key == "dynquery") expression = child;
        if (expression != nullptr) {
            const std::string query = string_of(field(field(expression, "PLpgSQL_expr"), "query"));
            const LexResult lexed = lex_sql(query, lex_options_for(SqlDialect::postgres));
            if (!lexed.complete || lexed.tokens.size() != 1 || lexed.tokens[0].kind != TokenKind::string) return true;
        }
        if (runs_dynamic_sql(child, depth + 1)) return true;
    }
    return false;
}

// A dollar-quote tag that does not occur in the body.
std::string free_dollar_tag(std::string_view body) {
    std::string tag = "$askfirst$";
    while (body.find(tag) != std::string_view::npos) tag.insert(tag.size() - 1, "x");
    return tag;
}

void escalate_body(StatementVerdict& verdict, const StatementVerdict& inner, std::string_view how) {
    if (inner.tier != Tier::destructive || verdict.tier == Tier::destructive) return;
    verdict.tier = Tier::destructive;
    verdict.operation = std::string("DO block runs ") + std::string(how) + inner.operation;
}

}  // namespace

std::vector<StatementVerdict> classify_postgres_text(std::string_view text, SessionState& session, int depth) {
    if (text.find('\0') == std::string_view::npos && depth <= kMaxSqlNesting) {
        if (auto verdicts = classify_postgres_tree(text, session, depth)) return std::move(*verdicts);
    }
    return classify_text_tokens(text, SqlDialect::postgres, session, depth);
}

std::optional<std::vector<StatementVerdict>> classify_postgres_tree(std::string_view text, SessionState& session,
                                                                    int depth) {
    const std::string owned(text);
    const PgParse parse(owned);
    if (parse.json() == nullptr) return std::nullopt;
    const JsonOwner tree(cJSON_Parse(parse.json()));
    if (!tree) return std::nullopt;  // deeper than cJSON's nesting limit: use the token path
    std::vector<StatementVerdict> verdicts;
    const cJSON* statements = field(tree.get(), "stmts");
    for (const cJSON* raw = statements ? statements->child : nullptr; raw != nullptr; raw = raw->next) {
        const std::size_t start = std::min(json_offset(raw, "stmt_location"), owned.size());
        const std::size_t length = json_offset(raw, "stmt_len");
        const std::string_view slice = length == 0 ? std::string_view(owned).substr(start)
                                                   : std::string_view(owned).substr(start, length);
        const LexResult lexed = lex_sql(slice, lex_options_for(SqlDialect::postgres));
        verdicts.push_back(classify_pg_statement(field(raw, "stmt"), lexed.tokens, session, depth));
    }
    return verdicts;
}

std::optional<StatementVerdict> classify_plpgsql_body(std::string_view body, int depth) {
    StatementVerdict verdict;
    verdict.tier = Tier::write;
    verdict.operation = "DO block executes arbitrary code";
    if (depth > kMaxSqlNesting) return verdict;
    const std::string tag = free_dollar_tag(body);
    const std::string function = "CREATE FUNCTION askfirst_do_block() RETURNS void AS " + tag + std::string(body) +
                                 tag + " LANGUAGE plpgsql";
    const PlpgsqlParse parse(function);
    if (parse.json() == nullptr) return std::nullopt;
    const JsonOwner tree(cJSON_Parse(parse.json()));
    if (!tree) return std::nullopt;
    std::vector<std::string> queries;
    collect_plpgsql_queries(tree.get(), queries, 0);
    SessionState session;
    for (const std::string& query : queries) {
        escalate_body(verdict, fold_batch(classify_postgres_text(query, session, depth + 1)), "");
        const LexResult lexed = lex_sql(query, lex_options_for(SqlDialect::postgres));
        for (const Token& token : lexed.tokens) {
            if (token.kind != TokenKind::string) continue;
            escalate_body(verdict, fold_batch(classify_postgres_text(token.text, session, depth + 1)), "dynamic ");
            if (query.find("||") != std::string::npos) verdict.flags.push_back("dynamic-sql");
        }
    }
    if (verdict.tier != Tier::destructive && runs_dynamic_sql(tree.get(), 0)) {
        // What runs is made at run time: judged the worst it could be (it was
        // a write, and EXECUTE 'DR' || 'OP TABLE t' dropped the table under
        // block-destructive).
        verdict.tier = Tier::destructive;
        verdict.operation = "DO block runs dynamic SQL askfirst cannot read";
        verdict.flags.push_back("dynamic-sql");
    }
    return verdict;
}

}  // namespace askfirst::classifiers::sql
