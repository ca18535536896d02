// classifiers/sql_rules_ddl.cpp — the token-path rules for statements whose
// tier depends on a clause rather than their first word (§17): ALTER ... DROP,
// CREATE OR REPLACE TABLE, EXPLAIN [ANALYZE], COPY directions, DO bodies,
// PREPARE/EXECUTE and cursors.
#include <array>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <utility>

#include "classifiers/sql_rules_internal.h"

namespace askfirst::classifiers::sql {
namespace {

StatementVerdict make(Tier tier, std::string operation) {
    StatementVerdict verdict;
    verdict.tier = tier;
    verdict.operation = std::move(operation);
    return verdict;
}

template <std::size_t N>
bool word_in(const Token& token, const std::array<std::string_view, N>& table) {
    if (token.kind != TokenKind::word) return false;
    for (std::string_view entry : table)
        if (token.text == entry) return true;
    return false;
}

std::string upper_text(const Token& token) {
    std::string out = token.text;
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

// ALTER kinds whose DROP removes a member from a set, and both survive
// (§17: ALTER PUBLICATION/SUBSCRIPTION/EXTENSION/OPERATOR FAMILY ... DROP).
constexpr std::array<std::string_view, 4> kMembershipAlters = {"PUBLICATION", "SUBSCRIPTION", "EXTENSION",
                                                               "OPERATOR"};
// ALTER kinds whose DROP removes a mapping, option or group member.
constexpr std::array<std::string_view, 6> kNonDataAlters = {"TEXT", "DEFAULT", "GROUP", "SERVER", "USER", "ROLE"};

// `ALTER ... DROP x` that keeps the data: DROP DEFAULT|NOT NULL|IDENTITY|
// EXPRESSION (§17) and Snowflake's policy/clustering/search clauses.
constexpr std::array<std::string_view, 8> kDropKeepsData = {"DEFAULT", "NOT", "IDENTITY", "EXPRESSION",
                                                            "CLUSTERING", "SEARCH", "ROW", "AGGREGATION"};

bool drop_removes_data(std::span<const Token> s, std::size_t drop) {
    if (drop + 1 >= s.size()) return true;  // a bare trailing DROP: fail towards destructive
    if (word_in(s[drop + 1], kDropKeepsData)) return false;
    for (std::size_t i = drop + 1; i < s.size() && i <= drop + 3; ++i)
        if (is_word(s[i], "POLICY")) return false;  // DROP MASKING/PROJECTION POLICY: an association
    return true;
}

// ClickHouse TTL set by ALTER (MODIFY TTL; MODIFY COLUMN ... TTL): expired
// rows are deleted, or folded by GROUP BY, and an expired column value is
// reset to its default, at once (materialize_ttl_after_modify is on by
// default) and at every merge after. A table TTL whose every rule moves
// (TO DISK, TO VOLUME) or recompresses keeps the rows. REMOVE TTL and
// MATERIALIZE TTL set none; a new column (ADD COLUMN) holds no data yet.
// https://clickhouse.com/docs/en/engines/table-engines/mergetree-family/mergetree#table_engine-mergetree-ttl
bool ttl_deletes(std::span<const Token> s, std::size_t ttl) {
    if (ttl == 0 || is_word(s[ttl - 1], "REMOVE") || is_word(s[ttl - 1], "MATERIALIZE")) return false;
    if (!is_word(s[ttl - 1], "MODIFY")) {  // a column's TTL: MODIFY COLUMN resets existing values
        for (std::size_t i = ttl; i-- > 1;) {
            if (is_word(s[i], "COLUMN")) return is_word(s[i - 1], "MODIFY");
            if (is_punct(s[i], ',')) break;
        }
        return false;
    }
    // Each comma-separated rule must move or recompress: a rule with no
    // action deletes (a clause after the TTL, `, DROP ...`, counts as one).
    bool moves = false;
    int depth = 0;
    for (std::size_t i = ttl + 1; i <= s.size(); ++i) {
        if (i == s.size() || (depth == 0 && is_punct(s[i], ','))) {
            if (!moves) return true;
            moves = false;
            continue;
        }
        if (is_punct(s[i], '(')) ++depth;
        if (is_punct(s[i], ')') && depth > 0) --depth;
        if (is_word(s[i], "DELETE") || is_word(s[i], "GROUP")) return true;
        if ((is_word(s[i], "TO") && i + 1 < s.size() && (is_word(s[i + 1], "DISK") || is_word(s[i + 1], "VOLUME"))) ||
            is_word(s[i], "RECOMPRESS"))
            moves = true;
    }
    return false;
}

// Is `token` the column `column` (both read as the server folds names)?
bool names_column(const Token& token, const Token& column) {
    if (token.kind == TokenKind::word && column.kind == TokenKind::word) return token.text == column.text;
    if (token.kind == TokenKind::quoted_identifier && column.kind == TokenKind::quoted_identifier)
        return token.text == column.text;
    const Token& word = token.kind == TokenKind::word ? token : column;
    const Token& quoted = token.kind == TokenKind::word ? column : token;
    if (word.kind != TokenKind::word || quoted.kind != TokenKind::quoted_identifier) return false;
    return lower_ascii(word.text) == quoted.text;
}

// PostgreSQL (and CockroachDB) ALTER [COLUMN] c [SET DATA] TYPE t USING e:
// every row's c becomes e. An e that never names c replaces every stored
// value (the tree path reads the same from the parse tree; this is the
// reading for texts too deep for it). The column wiped, or null.
const Token* type_change_wipes_column(std::span<const Token> s) {
    int depth = 0;
    for (std::size_t i = 2; i < s.size(); ++i) {  // past ALTER and its kind (ALTER TYPE is no column's)
        if (is_punct(s[i], '(')) ++depth;
        if (is_punct(s[i], ')') && depth > 0) --depth;
        if (depth != 0 || !is_word(s[i], "TYPE")) continue;
        std::size_t name = i - 1;
        if (name >= 2 && is_word(s[name], "DATA") && is_word(s[name - 1], "SET")) name -= 2;
        if (s[name].kind != TokenKind::word && s[name].kind != TokenKind::quoted_identifier) continue;
        // The USING of this clause: before the next top-level comma.
        std::size_t j = i + 1;
        int inner = 0;
        for (; j < s.size(); ++j) {
            if (is_punct(s[j], '(')) ++inner;
            if (is_punct(s[j], ')') && inner > 0) --inner;
            if (inner == 0 && (is_punct(s[j], ',') || is_word(s[j], "USING"))) break;
        }
        if (j >= s.size() || !is_word(s[j], "USING")) continue;
        bool reads = false;
        inner = 0;
        for (std::size_t k = j + 1; k < s.size(); ++k) {
            if (is_punct(s[k], '(')) ++inner;
            if (is_punct(s[k], ')') && inner > 0) --inner;
            if (inner == 0 && is_punct(s[k], ',')) break;
            if (names_column(s[k], s[name])) reads = true;
        }
        if (!reads) return &s[name];
    }
    return nullptr;
}

// Clauses of one ALTER that delete: the first one names the operation.
std::string destructive_alter_clause(std::span<const Token> s) {
    int depth = 0;
    for (std::size_t i = 1; i < s.size(); ++i) {
        if (is_punct(s[i], '(')) ++depth;
        if (is_punct(s[i], ')') && depth > 0) --depth;
        if (depth != 0 || s[i].kind != TokenKind::word) continue;
        const bool has_next = i + 1 < s.size();
        if (s[i].text == "DROP" && drop_removes_data(s, i))
            return has_next ? "ALTER ... DROP " + upper_text(s[i + 1]) : "ALTER ... DROP";
        if (s[i].text == "DELETE" && !is_word(s[i - 1], "ON")) return "ALTER ... DELETE";  // ClickHouse mutation
        if (s[i].text == "TRUNCATE") return "ALTER ... TRUNCATE PARTITION";               // MySQL
        if (s[i].text == "DISCARD" && has_next && is_word(s[i + 1], "TABLESPACE"))
            return "ALTER ... DISCARD TABLESPACE";                                          // MySQL
        if (s[i].text == "CLEAR" && has_next && is_word(s[i + 1], "COLUMN"))
            return "ALTER ... CLEAR COLUMN";                                                // ClickHouse
        if (s[i].text == "REPLACE" && has_next && is_word(s[i + 1], "PARTITION"))
            return "ALTER ... REPLACE PARTITION";  // ClickHouse: the partition's old rows are discarded
        if (s[i].text == "UNFREEZE") return "ALTER ... UNFREEZE";  // ClickHouse: deletes frozen backups
        if (s[i].text == "TTL" && ttl_deletes(s, i)) return "ALTER ... MODIFY TTL";  // ClickHouse
    }
    return {};
}

// Days since 1970-01-01 of a proleptic Gregorian date (the civil-from-days
// arithmetic: shift the year to start in March so that leap days come last).
long long days_since_epoch(int year, int month, int day) {
    const int y = month <= 2 ? year - 1 : year;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int year_of_era = y - era * 400;
    const int day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    const int day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return static_cast<long long>(era) * 146097 + day_of_era - 719468;
}

// The UTC day of a 'YYYY-MM-DD...' text, if it starts with one.
std::optional<long long> leading_date_days(std::string_view text) {
    if (text.size() < 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    int parts[3] = {0, 0, 0};
    const std::size_t starts[3] = {0, 5, 8}, lengths[3] = {4, 2, 2};
    for (int p = 0; p < 3; ++p)
        for (std::size_t i = starts[p]; i < starts[p] + lengths[p]; ++i) {
            if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
            parts[p] = parts[p] * 10 + (text[i] - '0');
        }
    if (parts[1] < 1 || parts[1] > 12 || parts[2] < 1 || parts[2] > 31) return std::nullopt;
    return days_since_epoch(parts[0], parts[1], parts[2]);
}

// BigQuery ALTER ... SET OPTIONS (expiration_timestamp = ..., partition_expiration_days = ...):
// a table that expires, or partitions that expire, under a day from now are
// deleted at once, on MongoDB TTL's one-day line. An expiration askfirst
// cannot read (CURRENT_TIMESTAMP(), TIMESTAMP_ADD(...)) counts as now; NULL
// clears it. Returns the flag: ttl-expires-now, ttl-schedules-deletion or "".
std::string bigquery_expiration_flag(std::span<const Token> s) {
    using namespace std::chrono;
    const long long today = duration_cast<hours>(system_clock::now().time_since_epoch()).count() / 24;
    std::string flag;
    for (std::size_t i = 0; i + 2 < s.size(); ++i) {
        const bool timestamp = is_word(s[i], "EXPIRATION_TIMESTAMP");
        const bool partition_days = is_word(s[i], "PARTITION_EXPIRATION_DAYS");
        if ((!timestamp && !partition_days) || s[i + 1].kind != TokenKind::op || s[i + 1].text != "=") continue;
        std::size_t v = i + 2;
        if (is_word(s[v], "NULL")) continue;
        bool soon = true;
        if (timestamp) {
            if (is_word(s[v], "TIMESTAMP") && v + 1 < s.size()) ++v;
            const bool text = s[v].kind == TokenKind::string || s[v].kind == TokenKind::quoted_identifier;
            const std::optional<long long> day = text ? leading_date_days(s[v].text) : std::nullopt;
            const bool alone = v + 1 >= s.size() || is_punct(s[v + 1], ',') || is_punct(s[v + 1], ')');
            // Two whole days ahead is more than a day away in any time zone.
            soon = !day || !alone || *day < today + 2;
        } else if (s[v].kind == TokenKind::number) {
            const bool alone = v + 1 >= s.size() || is_punct(s[v + 1], ',') || is_punct(s[v + 1], ')');
            soon = !alone || std::strtod(s[v].text.c_str(), nullptr) < 1.0;
        }
        if (soon) return "ttl-expires-now";
        flag = "ttl-schedules-deletion";
    }
    return flag;
}

bool starts_explained_statement(const Token& token) {
    static constexpr std::array<std::string_view, 13> kStarts = {
        "SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES", "TABLE",
        "CREATE", "REPLACE", "EXECUTE", "DECLARE", "UPSERT"};
    return word_in(token, kStarts) || is_punct(token, '(');
}

// EXPLAIN (ANALYZE [bool], ...): is ANALYZE on?
bool option_list_analyzes(std::span<const Token> options) {
    bool analyze = false;
    for (std::size_t i = 0; i < options.size(); ++i) {
        if (!is_word(options[i], "ANALYZE") && !is_word(options[i], "ANALYSE")) continue;
        analyze = true;
        if (i + 1 < options.size()) {
            const Token& value = options[i + 1];
            if (is_word(value, "FALSE") || is_word(value, "OFF") || (value.kind == TokenKind::number && value.text == "0"))
                analyze = false;
        }
    }
    return analyze;
}

}  // namespace

std::string leading_operation(std::span<const Token> statement) {
    const std::span<const Token> s = strip_leading_parens(statement);
    if (s.empty() || s[0].kind != TokenKind::word) return "unreadable statement";
    if (s[0].text == "ALTER" && s.size() > 1 && word_in(s[1], kMembershipAlters)) {
        // Of the OPERATOR kinds only OPERATOR FAMILY has members.
        const bool family = s.size() > 2 && is_word(s[2], "FAMILY");
        if (s[1].text != "OPERATOR") return "ALTER " + s[1].text + " (membership change; members survive)";
        if (family) return "ALTER OPERATOR FAMILY (membership change; members survive)";
    }
    return s[0].text;
}

std::string alter_drop_operation(std::span<const Token> statement) {
    const StatementVerdict verdict = classify_alter(strip_leading_parens(statement));
    return verdict.tier == Tier::destructive ? verdict.operation : std::string();
}

std::string lower_ascii(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

StatementVerdict classify_alter(std::span<const Token> s) {
    if (s.size() > 1 && (word_in(s[1], kMembershipAlters) || word_in(s[1], kNonDataAlters)))
        return make(Tier::write, leading_operation(s));
    std::string clause = destructive_alter_clause(s);
    if (!clause.empty()) return make(Tier::destructive, std::move(clause));
    if (const Token* wiped = type_change_wipes_column(s)) {
        StatementVerdict verdict =
            make(Tier::destructive, "ALTER ... TYPE ... USING an expression that does not read the column (" +
                                        (wiped->kind == TokenKind::word ? lower_ascii(wiped->text) : wiped->text) +
                                        "): every stored value is replaced");
        verdict.flags.push_back("column-values-replaced");
        return verdict;
    }
    // MySQL/MariaDB ALTER TABLE ... ENGINE [=] BLACKHOLE copies every row into
    // an engine that stores nothing: the table stays, empty.
    for (std::size_t engine = find_top_level_word(s, "ENGINE"); engine != kNotFound;
         engine = find_top_level_word(s, "ENGINE", engine + 1)) {
        std::size_t value = engine + 1;
        if (value < s.size() && s[value].kind == TokenKind::op && s[value].text == "=") ++value;
        if (value < s.size() && ((s[value].kind == TokenKind::word && s[value].text == "BLACKHOLE") ||
                                 (s[value].kind != TokenKind::word && lower_ascii(s[value].text) == "blackhole")))
            return make(Tier::destructive, "ALTER ... ENGINE=BLACKHOLE discards every row");
    }
    const std::string expiration = bigquery_expiration_flag(s);
    if (expiration == "ttl-expires-now") {
        StatementVerdict verdict = make(Tier::destructive, "ALTER ... SET OPTIONS (an expiration under a day away)");
        verdict.flags.push_back(expiration);
        return verdict;
    }
    StatementVerdict verdict = make(Tier::write, "ALTER");
    if (find_top_level_word(s, "TTL") != kNotFound || !expiration.empty())
        verdict.flags.push_back("ttl-schedules-deletion");
    return verdict;
}

// CREATE OR REPLACE TABLE (Snowflake, BigQuery, Databricks, ClickHouse) is
// DROP + CREATE; Snowflake's OR REPLACE DATABASE/SCHEMA/STAGE drop too.
namespace {

// The kind of object a CREATE makes, when it stores code that runs later:
// its index in `s`, or kNotFound. Looked for among the first words, past
// OR REPLACE, modifiers and MySQL's DEFINER = user@host.
std::size_t stored_code_kind(std::span<const Token> s) {
    static constexpr std::array<std::string_view, 5> kKinds = {"FUNCTION", "PROCEDURE", "RULE", "TRIGGER", "EVENT"};
    constexpr std::size_t kLookahead = 12;
    for (std::size_t i = 1; i < s.size() && i < kLookahead; ++i) {
        if (is_punct(s[i], '(')) return kNotFound;
        if (word_in(s[i], kKinds)) return i;
    }
    return kNotFound;
}

// Words that begin a MySQL routine's one-statement body.
constexpr std::array<std::string_view, 30> kRoutineBodyStarts = {
    "SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "WITH", "DROP", "TRUNCATE", "ALTER", "CREATE",
    "RENAME", "SET", "RESET", "EXECUTE", "PREPARE", "DEALLOCATE", "CALL", "DO", "BEGIN", "IF", "CASE", "WHILE",
    "REPEAT", "LOOP", "LOAD", "ANALYZE", "EXPLAIN", "RETURN", "TABLE"};

// What the stored code of a CREATE FUNCTION/PROCEDURE/RULE/TRIGGER/EVENT
// runs when it is called or fires: its string bodies (AS $$...$$, read as a
// DO body is), a BEGIN [ATOMIC] ... body, or the statement after a rule's or
// event's DO, a MySQL trigger's FOR EACH ROW or a SQLite trigger's BEGIN.
StatementVerdict stored_code_verdict(std::span<const Token> s, std::size_t kind, SqlDialect dialect, int depth) {
    StatementVerdict worst = make(Tier::write, "CREATE");
    auto take = [&](const StatementVerdict& inner) {
        if (inner.tier == Tier::destructive && worst.tier != Tier::destructive) worst = inner;
    };
    if (is_word(s[kind], "FUNCTION") || is_word(s[kind], "PROCEDURE")) {
        BodyLanguage language = BodyLanguage::sql_like;
        const std::size_t named = find_top_level_word(s, "LANGUAGE", kind);
        if (named != kNotFound && named + 1 < s.size() && !is_word(s[named + 1], "PLPGSQL") &&
            !is_word(s[named + 1], "SQL"))
            language = BodyLanguage::foreign;
        for (const Token& token : s.subspan(kind))
            if (token.kind == TokenKind::string) take(classify_procedural_body(token.text, dialect, depth + 1, language));
        std::size_t begin = find_top_level_word(s, "BEGIN", kind);
        if (begin != kNotFound) {
            if (begin + 1 < s.size() && is_word(s[begin + 1], "ATOMIC")) ++begin;
            take(classify_procedural_tokens(s.subspan(begin + 1), dialect, depth + 1));
        }
        // A MySQL routine's body may be one statement, not a BEGIN block
        // (`begin` is kNotFound then): `CREATE PROCEDURE p() [characteristics]
        // DROP TABLE t`. It starts at the first word after the parameter list
        // that begins a statement (past RETURNS type, LANGUAGE SQL, SQL
        // SECURITY ..., COMMENT '...'; a SET(...) type is no SET statement).
        const std::size_t open = find_top_level_punct(s, '(', kind);
        const std::size_t close = open == kNotFound ? kNotFound : matching_paren(s, open);
        for (std::size_t j = close == kNotFound || begin != kNotFound ? s.size() : close + 1; j < s.size(); ++j) {
            if (!word_in(s[j], kRoutineBodyStarts)) continue;
            if (is_word(s[j], "SET") && j + 1 < s.size() && is_punct(s[j + 1], '(')) continue;
            take(classify_procedural_tokens(s.subspan(j), dialect, depth + 1));
            break;
        }
    } else {
        // RULE ... DO [ALSO|INSTEAD] action; EVENT ... DO action; MySQL TRIGGER ... FOR EACH ROW action.
        std::size_t action = is_word(s[kind], "TRIGGER") ? find_top_level_word(s, "ROW", kind)
                                                         : find_top_level_word(s, "DO", kind);
        if (action == kNotFound && is_word(s[kind], "TRIGGER")) action = find_top_level_word(s, "BEGIN", kind);  // SQLite
        if (action != kNotFound) {
            ++action;
            while (action < s.size() && (is_word(s[action], "ALSO") || is_word(s[action], "INSTEAD") ||
                                         is_punct(s[action], '(')))
                ++action;
            take(classify_procedural_tokens(s.subspan(action), dialect, depth + 1));
        }
    }
    if (worst.tier == Tier::destructive) {
        std::string_view runs = worst.operation;
        if (runs.starts_with("DO block runs ")) runs.remove_prefix(std::string_view("DO block runs ").size());
        worst.operation = "CREATE " + s[kind].text + " whose code runs " + std::string(runs);
        worst.flags.push_back("stored-code-deletes");
    }
    return worst;
}

}  // namespace

// CREATE OR REPLACE of a data holder drops it. A function, procedure,
// rule, trigger or event stores code that runs later, called by a SELECT
// (read) or fired by an INSERT (write): code that deletes makes the CREATE
// destructive, as a DO block with that body is (§17), or the deletion would
// pass as what calls it.
StatementVerdict classify_create(std::span<const Token> s, SqlDialect dialect, int depth) {
    static constexpr std::array<std::string_view, 13> kModifiers = {
        "TEMPORARY", "TEMP", "TRANSIENT", "VOLATILE", "LOCAL", "GLOBAL", "HYBRID",
        "DYNAMIC", "ICEBERG", "EXTERNAL", "UNLOGGED", "STREAMING", "EVENT"};
    static constexpr std::array<std::string_view, 4> kDataHolders = {"TABLE", "DATABASE", "SCHEMA", "STAGE"};
    if (s.size() > 3 && is_word(s[1], "OR") && is_word(s[2], "REPLACE")) {
        std::size_t i = 3;
        while (i < s.size() && word_in(s[i], kModifiers)) ++i;
        if (i < s.size() && word_in(s[i], kDataHolders))
            return make(Tier::destructive, "CREATE OR REPLACE " + s[i].text);
    }
    const std::size_t kind = stored_code_kind(s);
    if (kind != kNotFound && depth <= kMaxSqlNesting) return stored_code_verdict(s, kind, dialect, depth);
    // CREATE TABLE ... AS <query> runs its query now, data-modifying WITH
    // included (PostgreSQL: CREATE TABLE t AS WITH d AS (DELETE ...) SELECT ...).
    for (std::size_t as = find_top_level_word(s, "AS", 2); as != kNotFound && as + 1 < s.size();
         as = find_top_level_word(s, "AS", as + 1)) {
        if (!starts_explained_statement(s[as + 1]) || depth > kMaxSqlNesting) continue;
        SessionState session;
        StatementVerdict query = classify_statement_tokens(s.subspan(as + 1), dialect, session, depth + 1);
        if (query.tier <= Tier::write) break;
        query.operation = "CREATE ... AS " + query.operation;
        return query;
    }
    return make(Tier::write, "CREATE");
}

std::span<const Token> explained_statement(std::span<const Token> s, bool& analyze) {
    analyze = false;
    std::size_t i = 1;
    if (i < s.size() && is_punct(s[i], '(')) {
        const std::size_t close = matching_paren(s, i);
        if (close == kNotFound) return {};
        analyze = option_list_analyzes(s.subspan(i + 1, close - i - 1));
        i = close + 1;
    } else {
        for (; i < s.size() && !starts_explained_statement(s[i]); ++i)
            if (is_word(s[i], "ANALYZE") || is_word(s[i], "ANALYSE")) analyze = true;
    }
    return i < s.size() ? s.subspan(i) : std::span<const Token>();
}

StatementVerdict classify_explain(std::span<const Token> s, SqlDialect dialect, SessionState& session, int depth) {
    bool analyze = false;
    const std::span<const Token> explained = explained_statement(s, analyze);
    if (explained.empty()) {
        // DESCRIBE table / EXPLAIN table read; unbalanced options are not understood.
        const bool unbalanced = s.size() > 1 && is_punct(s[1], '(');
        return make(unbalanced ? Tier::write : Tier::read, s[0].text);
    }
    if (!analyze) return make(Tier::read, "EXPLAIN without ANALYZE");
    StatementVerdict inner = classify_statement_tokens(explained, dialect, session, depth + 1);
    inner.operation = "EXPLAIN ANALYZE executes: " + inner.operation;
    return inner;
}

// COPY ... FROM loads rows; COPY ... TO STDOUT reads; TO a file or PROGRAM
// writes on the server. The query of COPY (query) TO is looked at by the
// caller (it executes). Snowflake/Databricks COPY INTO loads or unloads.
StatementVerdict classify_copy(std::span<const Token> s, SqlDialect, SessionState&, int) {
    if (s.size() > 1 && is_word(s[1], "INTO")) return make(Tier::write, "COPY INTO");
    std::size_t from = 1;
    if (from < s.size() && is_punct(s[from], '(')) {
        const std::size_t close = matching_paren(s, from);
        from = close == kNotFound ? s.size() : close + 1;
    }
    const std::size_t load = find_top_level_word(s, "FROM", from);
    const std::size_t unload = find_top_level_word(s, "TO", from);
    if (load != kNotFound && (unload == kNotFound || load < unload)) {
        StatementVerdict verdict = make(Tier::write, "COPY FROM");
        if (load + 1 < s.size() && is_word(s[load + 1], "PROGRAM")) verdict.flags.push_back("copy-program-runs-shell");
        return verdict;
    }
    if (unload == kNotFound || unload + 1 >= s.size()) return make(Tier::write, "COPY");
    // PostgreSQL reads COPY ... TO STDIN as its client stream too.
    if (is_word(s[unload + 1], "STDOUT") || is_word(s[unload + 1], "STDIN")) return make(Tier::read, "COPY TO STDOUT");
    StatementVerdict verdict = make(Tier::write, "COPY TO file/program");
    if (is_word(s[unload + 1], "PROGRAM")) verdict.flags.push_back("copy-program-runs-shell");
    return verdict;
}

StatementVerdict classify_do(std::span<const Token> s, SqlDialect dialect, int depth) {
    BodyLanguage language = BodyLanguage::sql_like;
    const std::size_t named = find_top_level_word(s, "LANGUAGE");
    if (named != kNotFound && named + 1 < s.size() && !is_word(s[named + 1], "PLPGSQL") &&
        !is_word(s[named + 1], "SQL"))
        language = BodyLanguage::foreign;
    for (const Token& token : s)
        if (token.kind == TokenKind::string) return classify_procedural_body(token.text, dialect, depth + 1, language);
    return make(Tier::write, "DO");  // MySQL DO expr: evaluates expressions
}

// BEGIN starts a transaction when nothing or a transaction word follows;
// otherwise it opens a procedural block (Snowflake Scripting, MariaDB
// BEGIN NOT ATOMIC, a PL/SQL-style anonymous block) whose statements run.
StatementVerdict classify_begin(std::span<const Token> s, SqlDialect dialect, int depth) {
    static constexpr std::array<std::string_view, 10> kTransactionWords = {
        "TRANSACTION", "WORK", "TRAN", "ISOLATION", "READ", "DEFERRABLE", "DEFERRED", "IMMEDIATE", "EXCLUSIVE",
        "CONCURRENT"};
    if (s.size() < 2 || word_in(s[1], kTransactionWords) || (is_word(s[1], "NOT") && s.size() > 2 &&
                                                              is_word(s[2], "DEFERRABLE")))
        return make(Tier::read, "BEGIN");
    return classify_procedural_tokens(s.subspan(1), dialect, depth + 1);
}

StatementVerdict classify_prepare(std::span<const Token> s, SqlDialect dialect, SessionState& session, int depth) {
    if (s.size() > 1 && is_word(s[1], "TRANSACTION")) return make(Tier::write, "two-phase commit");
    if (s.size() < 2) return make(Tier::write, "PREPARE");
    const std::string name = s[1].text;
    StatementVerdict prepared = make(Tier::write, "unknown prepared statement");
    const std::size_t as = find_top_level_word(s, "AS", 2);
    const std::size_t from = find_top_level_word(s, "FROM", 2);
    if (as != kNotFound && as + 1 < s.size()) {
        prepared = classify_statement_tokens(s.subspan(as + 1), dialect, session, depth + 1);
    } else if (from != kNotFound && from + 1 < s.size() && s[from + 1].kind == TokenKind::string &&
               from + 2 == s.size()) {
        prepared = fold_batch(classify_text_tokens(s[from + 1].text, dialect, session, depth + 1));
    } else {
        prepared.flags.push_back("dynamic-sql");  // FROM @var, FROM CONCAT(...): text made at run time
    }
    session.prepared[name] = prepared;
    return make(Tier::read, "PREPARE");
}

StatementVerdict classify_execute(std::span<const Token> s, SqlDialect dialect, SessionState& session, int depth) {
    if (s.size() > 2 && is_word(s[1], "IMMEDIATE")) {
        // Text made at run time (EXECUTE IMMEDIATE @q, CONCAT('DR', 'OP ...'))
        // cannot be read: judged the worst it could be, as an EXECUTE of a
        // statement prepared by SQL PREPARE is on the MySQL wire.
        if (s[2].kind != TokenKind::string || (s.size() > 3 && !is_word(s[3], "USING") && !is_word(s[3], "INTO"))) {
            StatementVerdict dynamic = make(Tier::destructive, "EXECUTE IMMEDIATE of text made at run time");
            dynamic.flags.push_back("dynamic-sql");
            return dynamic;
        }
        StatementVerdict inner = fold_batch(classify_text_tokens(s[2].text, dialect, session, depth + 1));
        inner.operation = "EXECUTE IMMEDIATE: " + inner.operation;
        return inner;
    }
    if (s.size() > 1) {
        const auto known = session.prepared.find(s[1].text);
        if (known != session.prepared.end()) {
            StatementVerdict verdict = known->second;
            verdict.operation = "EXECUTE (prepared " + verdict.operation + ")";
            for (const std::string& flag : verdict.flags) {
                if (flag != "dynamic-sql") continue;
                verdict.tier = Tier::destructive;  // PREPARE FROM @q: text made at run time, the worst it could be
                verdict.operation = "EXECUTE of text made at run time";
            }
            return verdict;
        }
    }
    return make(Tier::write, "EXECUTE");
}

StatementVerdict classify_declare(std::span<const Token> s, SqlDialect dialect, SessionState& session, int depth) {
    const std::size_t cursor = find_top_level_word(s, "CURSOR");
    const std::size_t query = cursor == kNotFound ? kNotFound : find_top_level_word(s, "FOR", cursor);
    if (query == kNotFound || query + 1 >= s.size()) return make(Tier::read, "DECLARE");
    StatementVerdict inner = classify_statement_tokens(s.subspan(query + 1), dialect, session, depth + 1);
    if (inner.tier == Tier::read) return make(Tier::read, "DECLARE");
    inner.operation = "DECLARE cursor over " + inner.operation;
    return inner;
}

}  // namespace askfirst::classifiers::sql
