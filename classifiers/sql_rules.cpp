// classifiers/sql_rules.cpp — statement kinds on the token path (§17).
//
// One function per statement family; the dispatcher below maps the leading
// word to it. What executes now is inspected (CTE bodies, EXPLAIN ANALYZE's
// statement, COPY's query, DO bodies, EXECUTE IMMEDIATE strings); what is
// stored to run later (CREATE FUNCTION/PROCEDURE/RULE/TRIGGER/EVENT bodies)
// is read for deletions, which its caller's statement would not show;
// PREPARE is remembered for its EXECUTE.
// The ALTER, CREATE, EXPLAIN, COPY and DO rules live in sql_rules_ddl.cpp.
#include "classifiers/sql_rules.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "classifiers/sql_rules_internal.h"

namespace askfirst::classifiers::sql {
namespace {

// Statements that change nothing persistent (§17 "Read").
constexpr std::array<std::string_view, 26> kReadStatements = {
    "SHOW", "START", "END", "ABORT", "SAVEPOINT", "RELEASE", "DISCARD", "USE",
    "DEALLOCATE", "LOCK", "UNLOCK", "FETCH", "MOVE", "CLOSE", "LISTEN", "UNLISTEN", "HELP",
    "EXISTS", "CHECK", "CHECKSUM", "HANDLER", "LIST", "LS", "GET", "WATCH", "VALUES"};

// Statements that change state without deleting (§17 "Write").
constexpr std::array<std::string_view, 38> kWriteStatements = {
    "CALL", "GRANT", "REVOKE", "COMMENT", "SECURITY", "REFRESH", "VACUUM", "ANALYZE",
    "ANALYSE", "CLUSTER", "REINDEX", "CHECKPOINT", "NOTIFY", "LOAD", "REASSIGN", "IMPORT",
    "RENAME", "KILL", "SYSTEM", "DETACH", "ATTACH", "UNDROP", "EXCHANGE", "OPTIMIZE", "FLUSH",
    "INSTALL", "UNINSTALL", "SHUTDOWN", "RESTART", "CLONE", "PUT", "RESTORE", "MSCK", "CACHE",
    "UNCACHE", "REPAIR", "XA", "BACKUP"};

// Statements that delete by their first word.
constexpr std::array<std::string_view, 6> kDestructiveStatements = {
    "DROP", "TRUNCATE", "DELETE", "DROP_REPLICATION_SLOT", "REMOVE", "RM"};

// (§17) side-effecting functions. Sources: PostgreSQL "System Administration
// Functions", "Sequence Manipulation Functions", "Large Objects" (server-side
// functions), dblink and adminpack docs.
struct FunctionTier {
    std::string_view name;
    Tier tier;
};
constexpr std::array<FunctionTier, 36> kSideEffectFunctions = {{
    {"lo_unlink", Tier::destructive},
    {"lo_truncate", Tier::destructive},
    {"lo_truncate64", Tier::destructive},
    {"pg_drop_replication_slot", Tier::destructive},
    {"pg_replication_origin_drop", Tier::destructive},
    {"pg_file_unlink", Tier::destructive},
    {"nextval", Tier::write},
    {"pg_notify", Tier::write},  // the function form of NOTIFY
    {"setval", Tier::write},
    {"pg_terminate_backend", Tier::write},
    {"pg_cancel_backend", Tier::write},
    {"pg_reload_conf", Tier::write},
    {"pg_rotate_logfile", Tier::write},
    {"pg_switch_wal", Tier::write},
    {"pg_promote", Tier::write},
    {"pg_create_restore_point", Tier::write},
    {"pg_create_physical_replication_slot", Tier::write},
    {"pg_create_logical_replication_slot", Tier::write},
    {"pg_logical_slot_get_changes", Tier::write},
    {"pg_logical_slot_get_binary_changes", Tier::write},
    {"pg_replication_slot_advance", Tier::write},
    {"pg_file_write", Tier::write},
    {"pg_file_rename", Tier::write},
    {"lo_import", Tier::write},
    {"lo_export", Tier::write},
    {"lo_create", Tier::write},
    {"lo_creat", Tier::write},
    {"lo_from_bytea", Tier::write},
    {"lo_put", Tier::write},
    {"dblink_exec", Tier::write},
    {"dblink", Tier::write},                    // runs its SQL text on another server
    {"dblink_send_query", Tier::write},
    {"query_to_xml", Tier::write},              // run their SQL text through SPI
    {"query_to_xmlschema", Tier::write},
    {"query_to_xml_and_xmlschema", Tier::write},
    {"lowrite", Tier::write},
}};

template <std::size_t N>
bool in(const std::array<std::string_view, N>& table, std::string_view word) {
    for (std::string_view entry : table)
        if (entry == word) return true;
    return false;
}

StatementVerdict make(Tier tier, std::string operation) {
    StatementVerdict verdict;
    verdict.tier = tier;
    verdict.operation = std::move(operation);
    return verdict;
}

// SELECT ... INTO: a new table (PostgreSQL, SQL Server), a file (MySQL
// OUTFILE/DUMPFILE) or variables (MySQL @v, embedded :v) which change nothing.
StatementVerdict classify_select(std::span<const Token> s) {
    const std::size_t into = find_top_level_word(s, "INTO");
    if (into == kNotFound) return make(Tier::read, s[0].text);
    if (into + 1 < s.size() && s[into + 1].kind == TokenKind::parameter) return make(Tier::read, s[0].text);
    StatementVerdict verdict = make(Tier::write, "SELECT INTO creates a table");
    if (into + 1 < s.size() && (is_word(s[into + 1], "OUTFILE") || is_word(s[into + 1], "DUMPFILE"))) {
        verdict.operation = "SELECT INTO OUTFILE";
        verdict.flags.push_back("writes-server-file");
    }
    return verdict;
}

StatementVerdict classify_insert(std::span<const Token> s) {
    if (s.size() > 1 && is_word(s[1], "OVERWRITE")) return make(Tier::destructive, "INSERT OVERWRITE");
    if (is_word(s[0], "REPLACE") && s.size() > 1 && is_word(s[1], "TABLE"))
        return make(Tier::destructive, "REPLACE TABLE");
    const std::size_t replace = find_top_level_word(s, "REPLACE", 1);
    if (replace != kNotFound && replace + 1 < s.size() && is_word(s[replace + 1], "WHERE"))
        return make(Tier::destructive, "INSERT REPLACE WHERE");
    return make(Tier::write, s[0].text);
}

StatementVerdict classify_update(std::span<const Token> s) {
    StatementVerdict verdict = make(Tier::write, "UPDATE");
    if (find_top_level_word(s, "WHERE") == kNotFound) verdict.flags.push_back("update-without-where");
    return verdict;
}

StatementVerdict classify_delete(std::span<const Token> s) {
    StatementVerdict verdict = make(Tier::destructive, "DELETE");
    if (find_top_level_word(s, "WHERE") == kNotFound) verdict.flags.push_back("delete-without-where");
    return verdict;
}

StatementVerdict classify_merge(std::span<const Token> s) {
    for (std::size_t i = 0; i + 1 < s.size(); ++i)
        if (is_word(s[i], "THEN") && is_word(s[i + 1], "DELETE"))
            return make(Tier::destructive, "MERGE ... THEN DELETE");
    return make(Tier::write, "MERGE");
}

// WITH: every parenthesized statement runs (CTE bodies); the main statement
// is the first top-level DML or query word after them.
StatementVerdict classify_with(std::span<const Token> s, SqlDialect dialect, SessionState& session, int depth) {
    Tier cte_tier = Tier::read;
    for (std::span<const Token> group : statement_groups(s))
        cte_tier = max_tier(cte_tier, classify_statement_tokens(group, dialect, session, depth + 1).tier);
    static constexpr std::array<std::string_view, 9> kMain = {
        "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES", "TABLE", "REPLACE", "UPSERT"};
    std::size_t main = kNotFound;
    int paren_depth = 0;
    for (std::size_t i = 1; i < s.size() && main == kNotFound; ++i) {
        if (is_punct(s[i], '(')) ++paren_depth;
        if (is_punct(s[i], ')') && paren_depth > 0) --paren_depth;
        if (paren_depth == 0 && s[i].kind == TokenKind::word && in(kMain, s[i].text)) main = i;
    }
    if (main == kNotFound) return make(Tier::write, "WITH without a statement");
    StatementVerdict verdict = classify_statement_tokens(s.subspan(main), dialect, session, depth + 1);
    const Tier tier = max_tier(verdict.tier, cte_tier);
    if (tier == Tier::destructive) verdict.operation = "WITH containing DELETE";
    else if (tier == Tier::write && (cte_tier == Tier::write || s[main].text != "SELECT"))
        verdict.operation = "WITH containing DML";
    else if (tier == Tier::read) verdict.operation = "WITH ... SELECT";
    verdict.tier = tier;
    return verdict;
}

// MariaDB SET STATEMENT var = value [, ...] FOR statement: the statement
// runs (with those variables), so it is what is judged: the one after the
// first top-level FOR (a value's own FOR, as in a subquery, is in parentheses).
StatementVerdict classify_set_statement(std::span<const Token> s, SqlDialect dialect, SessionState& session,
                                        int depth) {
    const std::size_t for_at = find_top_level_word(s, "FOR", 2);
    if (for_at == kNotFound || for_at + 1 >= s.size()) return make(Tier::write, "SET STATEMENT without its FOR statement");
    StatementVerdict inner = classify_statement_tokens(s.subspan(for_at + 1), dialect, session, depth + 1);
    inner.operation = "SET STATEMENT ... FOR " + inner.operation;
    return inner;
}

// MariaDB ANALYZE [FORMAT=JSON] SELECT|UPDATE|DELETE runs the statement and
// reports on it (as EXPLAIN ANALYZE does): that statement is judged.
// ANALYZE TABLE, PostgreSQL's ANALYZE [(options)] [table] gather statistics: a write.
StatementVerdict classify_analyze(std::span<const Token> s, SqlDialect dialect, SessionState& session, int depth) {
    static constexpr std::array<std::string_view, 7> kExecuted = {"SELECT", "UPDATE", "DELETE", "WITH",
                                                                  "INSERT", "REPLACE", "VALUES"};
    std::size_t i = 1;
    if (i < s.size() && is_word(s[i], "FORMAT")) {
        ++i;
        if (i < s.size() && s[i].kind == TokenKind::op && s[i].text == "=") ++i;
        if (i < s.size()) ++i;  // JSON
    }
    const bool statement = i < s.size() && s[i].kind == TokenKind::word && in(kExecuted, s[i].text);
    const bool parenthesized = i < s.size() && is_punct(s[i], '(');
    if (statement || parenthesized) {
        StatementVerdict inner = classify_statement_tokens(s.subspan(i), dialect, session, depth + 1);
        if (statement || inner.tier == Tier::destructive) {
            inner.operation = "ANALYZE executes: " + inner.operation;
            return inner;
        }
    }
    return make(Tier::write, s[0].text);
}

// MySQL SET GLOBAL/PERSIST and SET PASSWORD outlive the session; the rest of
// SET (and PostgreSQL RESET) is session state.
StatementVerdict classify_set_or_reset(std::span<const Token> s) {
    static constexpr std::array<std::string_view, 5> kPersistent = {"GLOBAL", "PERSIST", "PERSIST_ONLY",
                                                                    "PASSWORD", "DEFAULT"};
    if (s.size() > 1 && s[1].kind == TokenKind::word && in(kPersistent, s[1].text))
        return make(Tier::write, s[0].text + " " + s[1].text);
    if (s.size() > 1 && s[1].kind == TokenKind::parameter && lower_ascii(s[1].text).starts_with("@@global"))
        return make(Tier::write, s[0].text + " GLOBAL");
    if (is_word(s[0], "RESET") && s.size() > 1) {
        // MySQL RESET MASTER / RESET BINARY LOGS deletes every binary log (the
        // point-in-time recovery history); REPLICA/SLAVE/QUERY CACHE are writes.
        if (is_word(s[1], "MASTER") || is_word(s[1], "BINARY")) return make(Tier::destructive, "RESET " + s[1].text);
        for (std::string_view w : {"REPLICA", "SLAVE", "PERSIST", "QUERY"})
            if (is_word(s[1], w)) return make(Tier::write, "RESET " + s[1].text);
    }
    return make(Tier::read, s[0].text);
}

StatementVerdict classify_transaction_end(std::span<const Token> s) {
    if (s.size() > 1 && is_word(s[1], "PREPARED")) return make(Tier::write, "two-phase commit");
    return make(Tier::read, s[0].text);
}

// SQLite PRAGMA: `PRAGMA name` and the documented query pragmas read;
// `PRAGMA name = value` (and unknown `name(arg)`) set something.
StatementVerdict classify_pragma(std::span<const Token> s) {
    for (const Token& token : s)
        if (token.kind == TokenKind::op && token.text == "=") return make(Tier::write, "PRAGMA");
    const std::size_t open = find_top_level_punct(s, '(');
    if (open == kNotFound) return make(Tier::read, "PRAGMA");
    static constexpr std::array<std::string_view, 11> kQueryPragmas = {
        "TABLE_INFO", "TABLE_XINFO", "TABLE_LIST", "INDEX_LIST", "INDEX_INFO", "INDEX_XINFO",
        "FOREIGN_KEY_LIST", "FOREIGN_KEY_CHECK", "INTEGRITY_CHECK", "QUICK_CHECK", "FUNCTION_LIST"};
    const Token& name = s[open - 1];
    return make(name.kind == TokenKind::word && in(kQueryPragmas, name.text) ? Tier::read : Tier::write, "PRAGMA");
}

// MariaDB runs compound statements outside stored programs too: IF, CASE,
// WHILE, REPEAT, LOOP and BEGIN NOT ATOMIC, any of them after a label
// (`wipe: BEGIN NOT ATOMIC ...`). Their bodies run now, read as a DO block's.
bool opens_compound_statement(std::span<const Token> s) {
    static constexpr std::array<std::string_view, 5> kCompound = {"IF", "CASE", "WHILE", "REPEAT", "LOOP"};
    return in(kCompound, s[0].text);
}

// `label: stmt` (lexed as a word and ':', or a word and a ':word' parameter
// when no space follows the colon): the statement without its label, or
// empty when `s` has no label.
std::vector<Token> without_label(std::span<const Token> s) {
    std::vector<Token> rest;
    if (s.size() < 3) return rest;
    if (s[1].kind == TokenKind::op && s[1].text == ":") {
        rest.assign(s.begin() + 2, s.end());
    } else if (s[1].kind == TokenKind::parameter && s[1].text.size() > 1 && s[1].text[0] == ':') {
        Token keyword = s[1];
        keyword.kind = TokenKind::word;
        keyword.text.erase(0, 1);
        for (char& c : keyword.text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        rest.push_back(std::move(keyword));
        rest.insert(rest.end(), s.begin() + 2, s.end());
    }
    return rest;
}

StatementVerdict classify_by_leading_word(std::span<const Token> s, SqlDialect dialect, SessionState& session,
                                          int depth) {
    const std::string& first = s[0].text;
    if (opens_compound_statement(s)) return classify_procedural_tokens(s, dialect, depth + 1);
    if (first == "SELECT") return classify_select(s);
    if (first == "TABLE") return make(Tier::read, "TABLE");
    if (first == "WITH") return classify_with(s, dialect, session, depth);
    if (first == "INSERT" || first == "UPSERT" || first == "REPLACE") return classify_insert(s);
    if (first == "UPDATE") return classify_update(s);
    if (first == "DELETE") return classify_delete(s);
    if (first == "MERGE") return classify_merge(s);
    if (first == "SET" && s.size() > 2 && is_word(s[1], "STATEMENT"))
        return classify_set_statement(s, dialect, session, depth);
    if (first == "SET" || first == "RESET") return classify_set_or_reset(s);
    if (first == "COMMIT" || first == "ROLLBACK") return classify_transaction_end(s);
    if (first == "PRAGMA") return classify_pragma(s);
    // MySQL PURGE BINARY|MASTER LOGS deletes binary logs, the point-in-time
    // recovery history, as RESET MASTER deletes all of them (red team 4).
    if (first == "PURGE" && s.size() > 2 && (is_word(s[1], "BINARY") || is_word(s[1], "MASTER")) && is_word(s[2], "LOGS"))
        return make(Tier::destructive, "PURGE " + s[1].text + " LOGS");
    if (first == "SYSTEM" && s.size() > 1 && is_word(s[1], "UNFREEZE"))
        return make(Tier::destructive, "SYSTEM UNFREEZE");  // ClickHouse: deletes frozen backups
    if (first == "LOAD") {
        // MySQL LOAD DATA LOCAL INFILE: the server asks the client for a
        // file of its choosing (§18), data leaving in the other direction.
        StatementVerdict load = make(Tier::write, "LOAD");
        if (find_top_level_word(s, "LOCAL") != kNotFound) load.flags.push_back("load-data-local-infile");
        return load;
    }
    if (first == "ANALYZE" || first == "ANALYSE") return classify_analyze(s, dialect, session, depth);
    if (first == "ALTER") return classify_alter(s);
    if (first == "CREATE") return classify_create(s, dialect, depth);
    if (first == "EXPLAIN" || first == "DESCRIBE" || first == "DESC")
        return classify_explain(s, dialect, session, depth);
    if (first == "COPY") return classify_copy(s, dialect, session, depth);
    if (first == "DO") return classify_do(s, dialect, depth);
    if (first == "BEGIN") return classify_begin(s, dialect, depth);
    if (first == "PREPARE") return classify_prepare(s, dialect, session, depth);
    if (first == "EXECUTE" || first == "EXEC") return classify_execute(s, dialect, session, depth);
    if (first == "DECLARE") return classify_declare(s, dialect, session, depth);
    if (in(kDestructiveStatements, first)) return make(Tier::destructive, first);
    if (in(kReadStatements, first)) return make(Tier::read, first);
    if (in(kWriteStatements, first)) return make(Tier::write, first);
    if (const std::vector<Token> labelled = without_label(s); !labelled.empty())
        return classify_statement_tokens(labelled, dialect, session, depth + 1);
    StatementVerdict unknown = make(Tier::write, first);
    unknown.understood = false;
    unknown.flags.push_back("unknown-statement");
    return unknown;
}

// Statements that run expressions now: their function calls and nested
// data-modifying statements count.
bool executes_expressions(std::string_view first) {
    static constexpr std::array<std::string_view, 13> kExecuting = {
        "SELECT", "VALUES", "TABLE", "WITH", "INSERT", "UPSERT", "REPLACE", "UPDATE",
        "DELETE", "MERGE", "CALL", "SET", "COPY"};
    return in(kExecuting, first);
}

void raise(StatementVerdict& verdict, Tier tier, std::string operation) {
    if (tier <= verdict.tier) return;
    verdict.tier = tier;
    verdict.operation = std::move(operation);
}

// dblink's functions run their SQL text (on another server, or this one
// over a loopback connection). The token reading of the parse-tree rule
// (sql_postgres_statement.cpp): each argument that is one literal (or a cast
// of one) is judged as the SQL it is; any other argument is text made at run
// time, judged the worst it could be. `open` is the call's '('.
void judge_sql_text_call(std::span<const Token> s, std::size_t open, std::string_view name, int depth,
                         StatementVerdict& verdict) {
    std::size_t at = open + 1;
    int nesting = 0;
    while (at < s.size()) {
        // One argument: [at, end) up to a comma or the closing ')' at this level.
        std::size_t end = at;
        for (; end < s.size(); ++end) {
            if (is_punct(s[end], '(')) ++nesting;
            if (is_punct(s[end], ')') && nesting-- == 0) break;
            if (nesting == 0 && is_punct(s[end], ',')) break;
        }
        bool literal = end > at && s[at].kind == TokenKind::string;
        for (std::size_t k = at + 1; literal && k < end; ++k)  // a cast: ::text, ::varchar
            literal = (s[k].kind == TokenKind::op && s[k].text == "::") || s[k].kind == TokenKind::word;
        if (!literal) {
            raise(verdict, Tier::destructive, "calls " + std::string(name) + " running SQL made at run time");
            if (std::find(verdict.flags.begin(), verdict.flags.end(), "dynamic-sql") == verdict.flags.end())
                verdict.flags.push_back("dynamic-sql");
        } else {
            const StatementVerdict inner = classify_procedural_body(s[at].text, SqlDialect::postgres, depth + 1);
            if (inner.tier == Tier::destructive) {
                std::string_view what = inner.operation;
                if (what.starts_with("DO block runs ")) what.remove_prefix(14);
                raise(verdict, Tier::destructive, "calls " + std::string(name) + " running " + std::string(what));
            }
        }
        if (end >= s.size() || is_punct(s[end], ')')) return;
        at = end + 1;
    }
}

// PostgreSQL's U&"..." identifier with the default escape: \XXXX, \+XXXXXX
// and \\ (a UESCAPE clause would stand between it and a call's '('). Code
// points past ASCII are kept as '?': no function askfirst knows has one.
std::string unicode_escaped_name(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\') {
            out.push_back(text[i]);
            continue;
        }
        if (i + 1 < text.size() && text[i + 1] == '\\') {
            out.push_back('\\');
            ++i;
            continue;
        }
        const bool wide = i + 1 < text.size() && text[i + 1] == '+';
        const std::size_t start = i + (wide ? 2 : 1), digits = wide ? 6 : 4;
        unsigned long code = 0;
        std::size_t k = start;
        for (; k < text.size() && k < start + digits && std::isxdigit(static_cast<unsigned char>(text[k])); ++k)
            code = code * 16 + static_cast<unsigned long>(std::isdigit(static_cast<unsigned char>(text[k]))
                                                               ? text[k] - '0'
                                                               : std::tolower(static_cast<unsigned char>(text[k])) - 'a' + 10);
        if (k != start + digits) return "?";  // the server refuses it too
        out.push_back(code < 0x80 ? static_cast<char>(code) : '?');
        i = k - 1;
    }
    return out;
}

// The function a call's name token names: a word, a quoted identifier (the
// same function when it is spelled in lower case; any case is read here) or
// a U&"..." identifier. Empty when `i` is no name.
std::string called_name(std::span<const Token> s, std::size_t i) {
    if (s[i].kind == TokenKind::word) return lower_ascii(s[i].text);
    if (s[i].kind != TokenKind::quoted_identifier) return {};
    const bool unicode = i >= 2 && s[i - 1].text == "&" && is_word(s[i - 2], "U");
    return lower_ascii(unicode ? unicode_escaped_name(s[i].text) : s[i].text);
}

// Calls of side-effecting functions anywhere in the statement.
void escalate_for_functions(std::span<const Token> s, int depth, StatementVerdict& verdict) {
    for (std::size_t i = 0; i + 1 < s.size(); ++i) {
        if (!is_punct(s[i + 1], '(')) continue;
        const std::string name = called_name(s, i);
        if (name.empty()) continue;
        if (const std::optional<Tier> tier = side_effect_function_tier(name))
            raise(verdict, *tier, "calls side-effecting function (" + name + ")");
        if (name == "dblink_exec" || name == "dblink" || name == "dblink_send_query" || name == "dblink_open")
            judge_sql_text_call(s, i + 1, name, depth, verdict);
    }
}

// The token reading of the parse-tree rule (sql_postgres_statement.cpp,
// with_named_functions): CREATE/ALTER OPERATOR, AGGREGATE, CAST, TYPE,
// TRANSFORM or CONVERSION, and a LANGUAGE c or internal function, name a
// function for later calls; a side-effecting one is judged here.
void escalate_for_named_functions(std::span<const Token> s, StatementVerdict& verdict) {
    static constexpr std::array<std::string_view, 6> kNamingKinds = {"OPERATOR", "AGGREGATE", "CAST",
                                                                     "TYPE", "TRANSFORM", "CONVERSION"};
    bool names = false;
    for (std::size_t i = 1; i < s.size() && i < 6; ++i) {
        if (s[i].kind == TokenKind::word && in(kNamingKinds, s[i].text)) names = true;
        if (is_word(s[i], "FUNCTION") || is_word(s[i], "PROCEDURE")) {
            for (std::size_t k = i; k + 1 < s.size(); ++k) {
                if (!is_word(s[k], "LANGUAGE")) continue;
                const std::string language = lower_ascii(s[k + 1].text);
                if (language == "c" || language == "internal") names = true;
            }
        }
    }
    if (!names) return;
    for (const Token& token : s) {
        if (token.kind != TokenKind::word && token.kind != TokenKind::quoted_identifier &&
            token.kind != TokenKind::string)
            continue;
        std::string name = lower_ascii(token.text);
        if (name.starts_with("be_")) name.erase(0, 3);
        if (name.find("dblink") != std::string::npos) {
            raise(verdict, Tier::destructive, s[0].text + " naming " + name + " (it runs SQL text given at each call)");
            if (std::find(verdict.flags.begin(), verdict.flags.end(), "dynamic-sql") == verdict.flags.end())
                verdict.flags.push_back("dynamic-sql");
            return;
        }
        if (const std::optional<Tier> tier = side_effect_function_tier(name))
            raise(verdict, *tier, s[0].text + " naming side-effecting function (" + name + ")");
    }
}

void escalate_for_functions_and_nested(std::span<const Token> s, SqlDialect dialect, SessionState& session,
                                       int depth, StatementVerdict& verdict) {
    escalate_for_functions(s, depth, verdict);
    if (is_word(s[0], "WITH")) return;  // classify_with already looked inside
    for (std::span<const Token> group : statement_groups(s)) {
        if (!is_data_modifying(group)) continue;
        const StatementVerdict inner = classify_statement_tokens(group, dialect, session, depth + 1);
        if (inner.tier > verdict.tier) {
            verdict.tier = inner.tier;
            verdict.operation = s[0].text + " containing " + inner.operation;
        }
    }
}

}  // namespace

std::optional<Tier> side_effect_function_tier(std::string_view name) {
    for (const FunctionTier& entry : kSideEffectFunctions)
        if (entry.name == name) return entry.tier;
    return std::nullopt;
}

StatementVerdict classify_statement_tokens(std::span<const Token> statement, SqlDialect dialect,
                                           SessionState& session, int depth) {
    std::span<const Token> s = strip_leading_parens(statement);
    if (depth > kMaxSqlNesting) {
        StatementVerdict deep = make(Tier::write, "nested too deeply to read");
        deep.understood = false;
        return deep;
    }
    if (s.empty()) return make(Tier::read, "empty statement");
    if (s[0].kind != TokenKind::word) {
        StatementVerdict odd = make(Tier::write, "unreadable statement");
        odd.understood = false;
        return odd;
    }
    StatementVerdict verdict = classify_by_leading_word(s, dialect, session, depth);
    if (executes_expressions(s[0].text)) escalate_for_functions_and_nested(s, dialect, session, depth, verdict);
    // DDL expressions run now (a rewrite, a CHECK) or later (a DEFAULT, a
    // view): their function calls count where they are written.
    else if (is_word(s[0], "ALTER") || is_word(s[0], "CREATE")) {
        escalate_for_functions(s, depth, verdict);
        escalate_for_named_functions(s, verdict);
    }
    return verdict;
}

std::vector<StatementVerdict> classify_text_tokens(std::string_view text, SqlDialect dialect,
                                                   SessionState& session, int depth) {
    return classify_lexed(lex_sql(text, lex_options_for(dialect)), dialect, session, depth);
}

std::vector<StatementVerdict> classify_lexed(const LexResult& lexed, SqlDialect dialect, SessionState& session,
                                             int depth) {
    std::vector<StatementVerdict> verdicts;
    for (std::span<const Token> statement : split_statements(lexed.tokens))
        verdicts.push_back(classify_statement_tokens(statement, dialect, session, depth));
    if (!lexed.complete) {
        StatementVerdict broken = make(Tier::write, "unreadable SQL (" + lexed.error + ")");
        broken.understood = false;
        broken.flags.push_back("unparsed-sql");
        verdicts.push_back(std::move(broken));
    }
    return verdicts;
}

StatementVerdict fold_batch(const std::vector<StatementVerdict>& verdicts) {
    if (verdicts.empty()) return make(Tier::read, "empty statement");
    const StatementVerdict* worst = &verdicts.front();
    std::vector<std::string> flags;
    for (const StatementVerdict& verdict : verdicts) {
        if (verdict.tier > worst->tier) worst = &verdict;
        for (const std::string& flag : verdict.flags) flags.push_back(flag);
    }
    StatementVerdict folded = *worst;
    folded.flags = std::move(flags);
    for (const StatementVerdict& verdict : verdicts) folded.understood = folded.understood && verdict.understood;
    if (verdicts.size() > 1) folded.operation = "batch: " + worst->operation;
    return folded;
}

}  // namespace askfirst::classifiers::sql
