// classifiers/sql_postgres_statement.cpp — statement kinds of PostgreSQL's
// raw parse tree (node names as in src/include/nodes/parsenodes.h) mapped to
// tiers by §17.
#include <algorithm>
#include <array>
#include <cctype>

#include "classifiers/sql_postgres.h"

#include "classifiers/sql_postgres_internal.h"
#include "classifiers/sql_rules_internal.h"

namespace askfirst::classifiers::sql {
namespace {

constexpr std::array<std::string_view, 11> kReadKinds = {
    "VariableSetStmt", "VariableShowStmt", "DiscardStmt", "LockStmt", "ListenStmt", "UnlistenStmt",
    "FetchStmt", "ClosePortalStmt", "DeallocateStmt", "ConstraintsSetStmt", "SelectStmt"};

// "CREATE" of "CREATE" or of "CREATE FUNCTION whose ...": the statement's first words.
std::string leading_operation_text(const std::string& operation) {
    const std::size_t cut = operation.find(" whose ");
    return cut == std::string::npos ? operation : operation.substr(0, cut);
}

template <std::size_t N>
bool in(const std::array<std::string_view, N>& table, std::string_view value) {
    for (std::string_view entry : table)
        if (entry == value) return true;
    return false;
}

std::string_view node_kind(const cJSON* node) {
    return node != nullptr && node->child != nullptr && node->child->string != nullptr ? node->child->string : "";
}

StatementVerdict make(Tier tier, std::string operation) {
    StatementVerdict verdict;
    verdict.tier = tier;
    verdict.operation = std::move(operation);
    return verdict;
}

bool merge_deletes(const cJSON* merge) {
    const cJSON* clauses = field(merge, "mergeWhenClauses");
    for (const cJSON* clause = clauses ? clauses->child : nullptr; clause != nullptr; clause = clause->next)
        if (string_of(field(field(clause, "MergeWhenClause"), "commandType")) == "CMD_DELETE") return true;
    return false;
}

// What a subtree does when it runs: nested INSERT/UPDATE/DELETE/MERGE and
// calls of side-effecting functions.
struct Effects {
    Tier tier = Tier::read;
    std::string operation;
    std::vector<std::string> flags;  // "dynamic-sql"
    void raise(Tier to, std::string why) {
        if (to <= tier) return;
        tier = to;
        operation = std::move(why);
    }
};

// Every string constant under an expression (a function's arguments).
void string_constants(const cJSON* json, std::vector<std::string>& out, int depth) {
    if (json == nullptr || depth > kMaxJsonWalk) return;
    for (const cJSON* child = json->child; child != nullptr; child = child->next) {
        if (child->string != nullptr && std::string_view(child->string) == "sval" && cJSON_IsString(child))
            out.emplace_back(child->valuestring);
        string_constants(child, out, depth + 1);
    }
}

// dblink's functions run their SQL text (on another server, or through a
// loopback connection on this one): a literal text is read as DO reads its
// EXECUTE strings, so `SELECT dblink_exec('...', 'DROP TABLE t')` is no write.
bool runs_sql_text(std::string_view name) {
    return name == "dblink_exec" || name == "dblink" || name == "dblink_send_query" || name == "dblink_open";
}

// An argument askfirst can read before it runs: a constant, or a cast of one.
bool is_constant_argument(const cJSON* arg) {
    if (arg == nullptr || arg->child == nullptr || arg->child->string == nullptr) return false;
    const std::string_view node = arg->child->string;
    if (node == "A_Const") return true;
    return node == "TypeCast" && is_constant_argument(field(arg->child, "arg"));
}

// dblink text made at run time ('DR' || 'OP ...', format(), a column):
// judged the worst it could be, as PL/pgSQL's EXECUTE of made text is.
bool has_made_sql_text(const cJSON* func_call) {
    const cJSON* args = field(func_call, "args");
    for (const cJSON* arg = args ? args->child : nullptr; arg != nullptr; arg = arg->next)
        if (!is_constant_argument(arg)) return true;
    return false;
}

void walk_effects(const cJSON* json, Effects& effects, int depth) {
    if (json == nullptr) return;
    if (depth > kMaxJsonWalk) return effects.raise(Tier::write, "nested too deeply to read");
    for (const cJSON* child = json->child; child != nullptr; child = child->next) {
        const std::string_view key = child->string != nullptr ? child->string : "";
        if (key == "DeleteStmt") effects.raise(Tier::destructive, "DELETE");
        if (key == "InsertStmt" || key == "UpdateStmt") effects.raise(Tier::write, key == "InsertStmt" ? "INSERT" : "UPDATE");
        if (key == "MergeStmt")
            effects.raise(merge_deletes(child) ? Tier::destructive : Tier::write,
                          merge_deletes(child) ? "MERGE ... THEN DELETE" : "MERGE");
        if (key == "FuncCall") {
            const cJSON* names = field(child, "funcname");
            const cJSON* last = names != nullptr ? cJSON_GetArrayItem(names, cJSON_GetArraySize(names) - 1) : nullptr;
            std::string name = string_of(field(field(last, "String"), "sval"));
            for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (const auto tier = side_effect_function_tier(name))
                effects.raise(*tier, "calls side-effecting function (" + name + ")");
            if (runs_sql_text(name) && has_made_sql_text(child)) {
                effects.raise(Tier::destructive, "calls " + name + " running SQL made at run time");
                effects.flags.push_back("dynamic-sql");
            }
            if (runs_sql_text(name)) {
                std::vector<std::string> texts;
                string_constants(field(child, "args"), texts, 0);
                for (const std::string& text : texts) {
                    const StatementVerdict inner = classify_procedural_body(text, SqlDialect::postgres, depth + 1);
                    if (inner.tier == Tier::destructive)
                        effects.raise(Tier::destructive, "calls " + name + " running " +
                                                             std::string(inner.operation.starts_with("DO block runs ")
                                                                             ? inner.operation.substr(14)
                                                                             : inner.operation));
                }
            }
        }
        walk_effects(child, effects, depth + 1);
    }
}

void apply(StatementVerdict& verdict, const Effects& effects, std::string_view lead) {
    for (const std::string& flag : effects.flags)
        if (std::find(verdict.flags.begin(), verdict.flags.end(), flag) == verdict.flags.end()) verdict.flags.push_back(flag);
    if (effects.tier <= verdict.tier) return;
    verdict.tier = effects.tier;
    const bool function = effects.operation.starts_with("calls");
    verdict.operation = function ? effects.operation : std::string(lead) + " containing " + effects.operation;
}

// DDL carries expressions that run: now (ALTER ... TYPE ... USING and ADD
// COLUMN ... DEFAULT over every existing row, ADD CONSTRAINT ... CHECK on
// every row) or later, stored (a DEFAULT on each INSERT, a view's query on
// each SELECT, a policy's USING on each read). A side-effecting function in
// one (dblink_exec('...', 'DROP TABLE t'), lo_unlink(..)) is judged where it
// is written, as a function body is.
StatementVerdict with_expression_effects(StatementVerdict verdict, const cJSON* body, std::span<const Token> tokens) {
    Effects effects;
    walk_effects(body, effects, 0);
    apply(verdict, effects, leading_operation(tokens));
    return verdict;
}

// Statements that name a function for later calls without calling it: an
// operator, aggregate, cast, transform or operator class whose support
// function it is, and a C or internal function that is another function's
// code under a new name (AS 'dblink', 'dblink_exec'; AS 'be_lo_unlink'). A
// call through the new name is an operator or an unknown function to the
// classifier, so a side-effecting function named here is judged here: the
// dblink functions the worst (their SQL text comes at run time), the others
// by their own tier.
StatementVerdict with_named_functions(StatementVerdict verdict, std::string_view kind, const cJSON* body) {
    static constexpr std::array<std::string_view, 8> kNamingKinds = {
        "DefineStmt", "CreateCastStmt", "AlterOperatorStmt", "CreateOpClassStmt",
        "AlterOpFamilyStmt", "CreateTransformStmt", "CreateConversionStmt", "CreateFunctionStmt"};
    if (!in(kNamingKinds, kind)) return verdict;
    std::vector<std::string> names;
    if (kind == "CreateFunctionStmt") {
        std::string language;
        const cJSON* options = field(body, "options");
        for (const cJSON* option = options ? options->child : nullptr; option != nullptr; option = option->next) {
            const cJSON* element = field(option, "DefElem");
            if (string_of(field(element, "defname")) == "language")
                language = string_of(field(field(field(element, "arg"), "String"), "sval"));
            if (string_of(field(element, "defname")) == "as") string_constants(field(element, "arg"), names, 0);
        }
        language = lower_ascii(std::move(language));
        if (language != "c" && language != "internal") return verdict;
    } else {
        string_constants(body, names, 0);
    }
    for (const std::string& as_given : names) {
        std::string name = lower_ascii(as_given);
        if (name.starts_with("be_")) name.erase(0, 3);  // the backend's symbols for lo_unlink, lo_truncate, ...
        if (name.find("dblink") != std::string::npos) {
            verdict.tier = Tier::destructive;
            verdict.operation = leading_operation_text(verdict.operation) + " naming " + name +
                                " (it runs SQL text given at each call)";
            if (std::find(verdict.flags.begin(), verdict.flags.end(), "dynamic-sql") == verdict.flags.end())
                verdict.flags.push_back("dynamic-sql");
            return verdict;
        }
        const std::optional<Tier> tier = side_effect_function_tier(name);
        if (tier && *tier > verdict.tier) {
            verdict.tier = *tier;
            verdict.operation = leading_operation_text(verdict.operation) + " naming side-effecting function (" + name + ")";
        }
    }
    return verdict;
}

// Statements that run a query now: base tier, then what the query does.
StatementVerdict classify_dml(std::string_view kind, const cJSON* body, std::span<const Token> tokens) {
    const std::string lead = leading_operation(tokens);
    StatementVerdict verdict = make(Tier::read, lead);
    if (kind == "SelectStmt" && field(body, "intoClause") != nullptr) verdict = make(Tier::write, "SELECT INTO creates a table");
    if (kind == "InsertStmt") verdict = make(Tier::write, lead);
    if (kind == "UpdateStmt") {
        verdict = make(Tier::write, "UPDATE");
        if (field(body, "whereClause") == nullptr) verdict.flags.push_back("update-without-where");
    }
    if (kind == "DeleteStmt") {
        verdict = make(Tier::destructive, "DELETE");
        if (field(body, "whereClause") == nullptr) verdict.flags.push_back("delete-without-where");
    }
    if (kind == "MergeStmt") {
        const bool deletes = merge_deletes(body);
        verdict = make(deletes ? Tier::destructive : Tier::write, deletes ? "MERGE ... THEN DELETE" : "MERGE");
    }
    Effects cte;
    walk_effects(field(body, "withClause"), cte, 0);
    Effects all;
    walk_effects(body, all, 0);
    apply(verdict, all, lead);
    if (field(body, "withClause") != nullptr) {
        if (verdict.tier == Tier::destructive) verdict.operation = "WITH containing DELETE";
        else if (cte.tier == Tier::write || (verdict.tier == Tier::write && kind != "SelectStmt"))
            verdict.operation = "WITH containing DML";
        else if (verdict.tier == Tier::read) verdict.operation = "WITH ... SELECT";
    }
    return verdict;
}

bool alter_table_drops(const cJSON* body) {
    const cJSON* commands = field(body, "cmds");
    for (const cJSON* command = commands ? commands->child : nullptr; command != nullptr; command = command->next) {
        const std::string subtype = string_of(field(field(command, "AlterTableCmd"), "subtype"));
        if (subtype == "AT_DropColumn" || subtype == "AT_DropConstraint") return true;
    }
    return false;
}

// Does an expression read column `column` (a ColumnRef whose last field is it)?
bool reads_column(const cJSON* json, std::string_view column, int depth) {
    if (json == nullptr || depth > kMaxJsonWalk) return false;
    for (const cJSON* child = json->child; child != nullptr; child = child->next) {
        if (child->string != nullptr && std::string_view(child->string) == "ColumnRef") {
            const cJSON* fields = field(child, "fields");
            const cJSON* last = fields != nullptr ? cJSON_GetArrayItem(fields, cJSON_GetArraySize(fields) - 1) : nullptr;
            if (string_of(field(field(last, "String"), "sval")) == column) return true;
        }
        if (reads_column(child, column, depth + 1)) return true;
    }
    return false;
}

// ALTER COLUMN c TYPE ... USING <expr>: the table is rewritten and every
// row's c becomes <expr>. One that never reads c (USING NULL, USING 0,
// USING now(), USING another column) replaces every stored value: the
// column's data is gone as surely as by DROP COLUMN. The column it wipes,
// or empty.
std::string alter_type_wipes_column(const cJSON* body) {
    const cJSON* commands = field(body, "cmds");
    for (const cJSON* command = commands ? commands->child : nullptr; command != nullptr; command = command->next) {
        const cJSON* cmd = field(command, "AlterTableCmd");
        if (string_of(field(cmd, "subtype")) != "AT_AlterColumnType") continue;
        const cJSON* using_expr = field(field(field(cmd, "def"), "ColumnDef"), "raw_default");
        const std::string column = string_of(field(cmd, "name"));
        if (using_expr != nullptr && !reads_column(using_expr, column, 0)) return column.empty() ? "?" : column;
    }
    return {};
}

StatementVerdict classify_alter_node(std::string_view kind, const cJSON* body, std::span<const Token> tokens) {
    const bool drops = (kind == "AlterTableStmt" && alter_table_drops(body)) ||
                       (kind == "AlterDomainStmt" && string_of(field(body, "subtype")) == "X");
    if (drops) {
        std::string operation = alter_drop_operation(tokens);
        return make(Tier::destructive, operation.empty() ? "ALTER ... DROP" : operation);
    }
    if (kind == "AlterTableStmt") {
        const std::string wiped = alter_type_wipes_column(body);
        if (!wiped.empty()) {
            StatementVerdict verdict =
                make(Tier::destructive, "ALTER ... TYPE ... USING an expression that does not read the column (" +
                                            wiped + "): every stored value is replaced");
            verdict.flags.push_back("column-values-replaced");
            return verdict;
        }
    }
    return make(Tier::write, leading_operation(tokens));
}

bool explain_analyzes(const cJSON* body) {
    const cJSON* options = field(body, "options");
    bool analyze = false;
    for (const cJSON* option = options ? options->child : nullptr; option != nullptr; option = option->next) {
        const cJSON* element = field(option, "DefElem");
        if (string_of(field(element, "defname")) != "analyze") continue;
        const cJSON* arg = field(element, "arg");
        std::string value = string_of(field(field(arg, "String"), "sval"));
        for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const cJSON* integer = field(field(arg, "Integer"), "ival");
        const bool zero = field(arg, "Integer") != nullptr && (integer == nullptr || integer->valuedouble == 0);
        analyze = !(value == "false" || value == "off" || value == "0" || zero);
    }
    return analyze;
}

StatementVerdict classify_explain_node(const cJSON* body, std::span<const Token> tokens, SessionState& session,
                                       int depth) {
    bool token_analyze = false;
    const std::span<const Token> inner_tokens = explained_statement(tokens, token_analyze);
    if (!explain_analyzes(body)) return make(Tier::read, "EXPLAIN without ANALYZE");
    StatementVerdict inner = classify_pg_statement(field(body, "query"), inner_tokens, session, depth + 1);
    inner.operation = "EXPLAIN ANALYZE executes: " + inner.operation;
    return inner;
}

StatementVerdict classify_copy_node(const cJSON* body) {
    StatementVerdict verdict = make(Tier::read, "COPY TO STDOUT");
    if (cJSON_IsTrue(field(body, "is_from"))) {
        verdict = make(Tier::write, "COPY FROM");
    } else if (field(body, "filename") != nullptr || cJSON_IsTrue(field(body, "is_program"))) {
        verdict = make(Tier::write, "COPY TO file/program");
    }
    if (cJSON_IsTrue(field(body, "is_program"))) verdict.flags.push_back("copy-program-runs-shell");
    Effects effects;
    walk_effects(field(body, "query"), effects, 0);
    apply(verdict, effects, "COPY");
    return verdict;
}

StatementVerdict classify_do_node(const cJSON* body, int depth) {
    std::string code;
    std::string language = "plpgsql";
    const cJSON* args = field(body, "args");
    for (const cJSON* arg = args ? args->child : nullptr; arg != nullptr; arg = arg->next) {
        const cJSON* element = field(arg, "DefElem");
        const std::string value = string_of(field(field(field(element, "arg"), "String"), "sval"));
        if (string_of(field(element, "defname")) == "as") code = value;
        if (string_of(field(element, "defname")) == "language") language = value;
    }
    if (language == "plpgsql") {
        if (auto verdict = classify_plpgsql_body(code, depth + 1)) return *verdict;
    }
    const BodyLanguage kind = language == "plpgsql" || language == "sql" ? BodyLanguage::sql_like : BodyLanguage::foreign;
    return classify_procedural_body(code, SqlDialect::postgres, depth + 1, kind);
}

std::string upper(std::string text) {
    for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
}

StatementVerdict classify_prepared_node(std::string_view kind, const cJSON* body, std::span<const Token> tokens,
                                        SessionState& session, int depth) {
    const std::string name = upper(string_of(field(body, "name")));
    if (kind == "ExecuteStmt") {
        const auto known = session.prepared.find(name);
        if (known == session.prepared.end()) return make(Tier::write, "EXECUTE");
        StatementVerdict verdict = known->second;
        verdict.operation = "EXECUTE (prepared " + verdict.operation + ")";
        return verdict;
    }
    const std::size_t as = find_top_level_word(tokens, "AS");
    const std::span<const Token> inner_tokens = as == kNotFound ? tokens : tokens.subspan(as + 1);
    session.prepared[name] = classify_pg_statement(field(body, "query"), inner_tokens, session, depth + 1);
    return make(Tier::read, "PREPARE");
}

StatementVerdict classify_transaction_node(const cJSON* body, std::span<const Token> tokens) {
    const std::string kind = string_of(field(body, "kind"));
    if (kind == "TRANS_STMT_PREPARE" || kind == "TRANS_STMT_COMMIT_PREPARED" || kind == "TRANS_STMT_ROLLBACK_PREPARED")
        return make(Tier::write, "two-phase commit");
    return make(Tier::read, leading_operation(tokens));
}

StatementVerdict classify_executing_utility(std::string_view kind, const cJSON* body, std::span<const Token> tokens) {
    StatementVerdict verdict = make(kind == "DeclareCursorStmt" ? Tier::read : Tier::write, leading_operation(tokens));
    Effects effects;
    walk_effects(body, effects, 0);
    apply(verdict, effects, verdict.operation);
    return verdict;
}

}  // namespace

StatementVerdict classify_pg_statement(const cJSON* node, std::span<const Token> tokens, SessionState& session,
                                       int depth) {
    const std::string_view kind = node_kind(node);
    const cJSON* body = node != nullptr ? node->child : nullptr;
    if (depth > kMaxSqlNesting || body == nullptr) {
        StatementVerdict unknown = make(Tier::write, "unreadable statement");
        unknown.understood = false;
        return unknown;
    }
    if (kind == "SelectStmt" || kind == "InsertStmt" || kind == "UpdateStmt" || kind == "DeleteStmt" ||
        kind == "MergeStmt")
        return classify_dml(kind, body, tokens);
    if (kind == "TruncateStmt" || kind.starts_with("Drop")) return make(Tier::destructive, leading_operation(tokens));
    if (kind == "AlterTableStmt" || kind == "AlterDomainStmt")
        return with_expression_effects(classify_alter_node(kind, body, tokens), body, tokens);
    if (kind == "ExplainStmt") return classify_explain_node(body, tokens, session, depth);
    if (kind == "CopyStmt") return classify_copy_node(body);
    if (kind == "DoStmt") return classify_do_node(body, depth);
    // Stored code (a function's body, a rule's actions) runs later, called by
    // a SELECT or fired by an INSERT: read as the token path reads it.
    if (kind == "CreateFunctionStmt" || kind == "RuleStmt")
        return with_named_functions(classify_create(tokens, SqlDialect::postgres, depth), kind, body);
    if (kind == "PrepareStmt" || kind == "ExecuteStmt") return classify_prepared_node(kind, body, tokens, session, depth);
    if (kind == "TransactionStmt") return classify_transaction_node(body, tokens);
    if (kind == "DeclareCursorStmt" || kind == "CreateTableAsStmt" || kind == "CallStmt")
        return classify_executing_utility(kind, body, tokens);
    if (in(kReadKinds, kind)) return make(Tier::read, leading_operation(tokens));
    return with_named_functions(with_expression_effects(make(Tier::write, leading_operation(tokens)), body, tokens),
                                kind, body);
}

}  // namespace askfirst::classifiers::sql
