// classifiers/sql_procedural.cpp — DO blocks and other procedural bodies on
// the token path (§17: "DO (unless its body drops/deletes/truncates,
// including dynamic EXECUTE 'DROP …')").
//
// A body runs arbitrary code, so it is a write at least. It is destructive
// when any statement in it, or any string literal in it read as SQL (the
// text of a dynamic EXECUTE or format()), is destructive. Dynamic SQL built
// from pieces ('DR' || 'OP ...', CONCAT(...), a variable) cannot be read:
// it is judged the worst it could be, destructive, flagged "dynamic-sql"
// (it was a write, and `EXECUTE 'DR' || 'OP TABLE t'` dropped the table
// under block-destructive). Bodies in other languages (PL/Python, PL/Perl,
// PL/Tcl, PL/v8, ...) are read the same way through their SPI calls.
#include <array>
#include <cctype>
#include <string>

#include "classifiers/sql_rules_internal.h"

namespace askfirst::classifiers::sql {
namespace {

// PL/pgSQL (and Snowflake Scripting, MySQL routine) words after which a new
// statement begins even without a `;`.
bool ends_segment(const Token& token) {
    // DO and REPEAT: MySQL/MariaDB WHILE ... DO stmt, REPEAT stmt.
    static constexpr std::array<std::string_view, 8> kBoundaries = {"BEGIN", "THEN", "ELSE", "LOOP", "DECLARE",
                                                                    "EXCEPTION", "DO", "REPEAT"};
    if (is_punct(token, ';')) return true;
    if (token.kind != TokenKind::word) return false;
    for (std::string_view word : kBoundaries)
        if (token.text == word) return true;
    return false;
}

std::vector<std::span<const Token>> body_segments(std::span<const Token> tokens) {
    std::vector<std::span<const Token>> segments;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= tokens.size(); ++i) {
        if (i < tokens.size() && !ends_segment(tokens[i])) continue;
        if (i > start) segments.push_back(tokens.subspan(start, i - start));
        start = i + 1;
    }
    return segments;
}

// Where the statement of a segment begins: past a block's NOT ATOMIC /
// ATOMIC (MariaDB BEGIN NOT ATOMIC, PostgreSQL BEGIN ATOMIC) and a rule
// action's ALSO / INSTEAD (cut from its CREATE RULE at DO).
std::size_t statement_start(std::span<const Token> segment) {
    if (segment.size() > 2 && is_word(segment[0], "NOT") && is_word(segment[1], "ATOMIC")) return 2;
    if (segment.size() > 1 &&
        (is_word(segment[0], "ATOMIC") || is_word(segment[0], "ALSO") || is_word(segment[0], "INSTEAD")))
        return 1;
    return 0;
}

// A segment that is the condition of a compound statement (`WHILE x` cut at
// DO, `IF x` at THEN): what it runs is in the segments after it.
bool is_compound_condition(std::span<const Token> segment) {
    static constexpr std::array<std::string_view, 5> kOpeners = {"IF", "CASE", "WHILE", "REPEAT", "LOOP"};
    for (std::string_view word : kOpeners)
        if (is_word(segment[0], word)) return true;
    return false;
}

// EXECUTE of text made at run time: PL/pgSQL `EXECUTE 'DROP ' || t` or
// `EXECUTE format(...)`, MySQL `EXECUTE IMMEDIATE CONCAT(...)`, or
// `EXECUTE stmt` of a statement not prepared in this body from a literal.
// `EXECUTE [IMMEDIATE] 'literal' [INTO|USING ...]` is read (its string is).
bool has_dynamic_execute(std::span<const Token> segment, const SessionState& body_session) {
    if (segment.empty() || !is_word(segment[0], "EXECUTE")) return false;
    std::size_t text = 1;
    if (text < segment.size() && is_word(segment[text], "IMMEDIATE")) ++text;
    if (text >= segment.size()) return true;
    if (segment[text].kind == TokenKind::string)
        return text + 1 < segment.size() && !is_word(segment[text + 1], "INTO") && !is_word(segment[text + 1], "USING");
    if (text == 1 && segment[1].kind == TokenKind::word) {  // EXECUTE stmt [USING ...]: a prepared name
        const auto known = body_session.prepared.find(segment[1].text);
        if (known != body_session.prepared.end())
            for (const std::string& flag : known->second.flags)
                if (flag == "dynamic-sql") return true;
        return known == body_session.prepared.end();
    }
    return true;
}

// The calls through which a procedural language hands SQL to the server
// (each language's SPI: PL/Python, PL/Perl, PL/Tcl, PL/v8, PL/R, PL/Lua
// manuals). A plan they prepare runs what was prepared, so the text reaches
// the server through the first argument of one of these.
constexpr std::array<std::string_view, 13> kForeignSpiCalls = {
    "plpy.execute", "plpy.prepare", "plpy.cursor", "spi_exec_query", "spi_query", "spi_prepare", "spi_exec",
    "plv8.execute", "plv8.prepare", "pg.spi.exec", "pg.spi.prepare", "server.execute", "server.prepare"};

bool is_identifier_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }

// Past one plain quoted literal at `pos` (single, double or tripled quotes,
// backslash escapes), or npos when there is none. A double-quoted literal
// that interpolates (Perl and Tcl "$x", Tcl "[cmd]", Perl "@list") is no
// plain literal.
std::size_t plain_literal_end(std::string_view body, std::size_t pos) {
    if (pos >= body.size() || (body[pos] != '\'' && body[pos] != '"')) return std::string_view::npos;
    const std::size_t quote_size = body.substr(pos, 3) == std::string(3, body[pos]) ? 3 : 1;
    const std::string_view quote = body.substr(pos, quote_size);
    for (std::size_t i = pos + quote_size; i < body.size(); ++i) {
        if (body[i] == '\\') {
            ++i;
        } else if (body.substr(i, quote_size) == quote) {
            return i + quote_size;
        } else if (body[pos] == '"' && (body[i] == '$' || body[i] == '[' || body[i] == '@')) {
            return std::string_view::npos;
        }
    }
    return std::string_view::npos;
}

// An SPI call of a foreign body whose SQL is not one plain literal (a
// concatenation, a formatted or interpolated string, a variable): what runs
// is made at run time. The literal ones are read by the string scan.
bool has_dynamic_spi_call(std::string_view body) {
    for (std::string_view call : kForeignSpiCalls) {
        for (std::size_t at = body.find(call); at != std::string_view::npos; at = body.find(call, at + 1)) {
            if ((at > 0 && is_identifier_char(body[at - 1])) ||
                (at + call.size() < body.size() && is_identifier_char(body[at + call.size()])))
                continue;
            std::size_t pos = body.find_first_not_of(" \t", at + call.size());
            if (pos != std::string_view::npos && body[pos] == '(') pos = body.find_first_not_of(" \t\r\n", pos + 1);
            const std::size_t end = plain_literal_end(body, pos == std::string_view::npos ? body.size() : pos);
            if (end == std::string_view::npos) return true;
            const std::size_t next = body.find_first_not_of(" \t", end);
            if (next != std::string_view::npos && std::string_view(",);\r\n}").find(body[next]) == std::string_view::npos)
                return true;
        }
    }
    return false;
}

}  // namespace

StatementVerdict classify_procedural_tokens(std::span<const Token> tokens, SqlDialect dialect, int depth) {
    StatementVerdict verdict;
    verdict.tier = Tier::write;
    verdict.operation = "DO block executes arbitrary code";
    if (depth > kMaxSqlNesting) return verdict;
    SessionState body_session;
    bool dynamic = false;
    for (std::span<const Token> segment : body_segments(tokens)) {
        if (has_dynamic_execute(segment, body_session)) {
            verdict.flags.push_back("dynamic-sql");
            dynamic = true;
        }
        std::vector<Token> statement(segment.begin() + static_cast<std::ptrdiff_t>(statement_start(segment)),
                                     segment.end());
        if (is_compound_condition(statement)) continue;
        if (is_word(statement[0], "PERFORM")) statement[0].text = "SELECT";  // PERFORM f() evaluates like SELECT
        const StatementVerdict inner = classify_statement_tokens(statement, dialect, body_session, depth + 1);
        if (inner.tier == Tier::destructive && verdict.tier != Tier::destructive) {
            verdict.tier = Tier::destructive;
            verdict.operation = "DO block runs " + inner.operation;
        }
    }
    for (const Token& token : tokens) {
        if (token.kind != TokenKind::string || verdict.tier == Tier::destructive) continue;
        const StatementVerdict inner = fold_batch(classify_text_tokens(token.text, dialect, body_session, depth + 1));
        if (inner.tier == Tier::destructive) {
            verdict.tier = Tier::destructive;
            verdict.operation = "DO block runs dynamic " + inner.operation;
        }
    }
    if (dynamic && verdict.tier != Tier::destructive) {
        // What runs is made at run time: judged the worst it could be.
        verdict.tier = Tier::destructive;
        verdict.operation = "DO block runs dynamic SQL askfirst cannot read";
    }
    return verdict;
}

StatementVerdict classify_procedural_body(std::string_view body, SqlDialect dialect, int depth, BodyLanguage language) {
    const SqlDialect body_dialect = dialect == SqlDialect::mysql ? dialect : SqlDialect::postgres;
    LexOptions options = lex_options_for(body_dialect);
    if (language == BodyLanguage::foreign) {
        // plpython, plperl, plv8, ...: their string literals use "..." and
        // backslashes too, and any of them may hold SQL for the server.
        options.double_quote_strings = true;
        options.backslash_escapes = true;
        options.dollar_quotes = false;
    }
    const LexResult lexed = lex_sql(body, options);
    StatementVerdict verdict = classify_procedural_tokens(lexed.tokens, body_dialect, depth);
    if (!lexed.complete) verdict.flags.push_back("unparsed-body");
    if (language == BodyLanguage::foreign && has_dynamic_spi_call(body)) {
        verdict.flags.push_back("dynamic-sql");
        if (verdict.tier != Tier::destructive) {
            verdict.tier = Tier::destructive;
            verdict.operation = "DO block runs dynamic SQL askfirst cannot read";
        }
    }
    return verdict;
}

}  // namespace askfirst::classifiers::sql
