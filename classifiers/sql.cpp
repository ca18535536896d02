// classifiers/sql.cpp — classify_sql(): picks the path for the dialect and
// folds a batch into one verdict (§17: "a batch gets its most severe label").
//
// PostgreSQL text goes to libpg_query first; any other dialect, and
// PostgreSQL text it rejects, to the token path. Where a dialect's servers
// read the same bytes two ways (backslash escapes on or off, nested comments
// or not), every reading is classified and the most severe wins, so a
// statement cannot hide inside a literal that one server closes earlier.
#include "classifiers/sql.h"

#include <algorithm>
#include <cctype>

#include "classifiers/sql_postgres.h"
#include "classifiers/sql_rules.h"

namespace askfirst::classifiers {
namespace {

using sql::StatementVerdict;

// Detail lines stay one line in the consent dialog.
constexpr std::size_t kDetailChars = 160;

std::string one_line(std::string_view text) {
    std::string out;
    bool space = false;
    for (char c : text) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            space = !out.empty();
            continue;
        }
        if (space) out += ' ';
        space = false;
        if (out.size() >= kDetailChars) {
            out += "...";
            break;
        }
        out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
    }
    return out;
}

// A client chooses its charset (MySQL: the handshake's collation, SET NAMES;
// PostgreSQL: client_encoding, converted before the server lexes): under
// gbk, big5, sjis or cp932 (PostgreSQL: SJIS, BIG5, GBK, GB18030, JOHAB) a
// byte >= 0x81 and the ASCII byte after it are one character, so `'\xbf\'`
// is a whole string there (E'\x81\'' in PostgreSQL) and the text after it
// runs. Each such charset is a reading, with backslash escapes and without.
void add_charset_readings(const sql::LexOptions& base, std::vector<sql::LexOptions>& readings) {
    for (const auto multibyte : {sql::LexOptions::Multibyte::gbk_big5, sql::LexOptions::Multibyte::sjis}) {
        for (const bool escapes : {true, false}) {
            sql::LexOptions charset = base;
            charset.multibyte = multibyte;
            charset.backslash_escapes = escapes;
            readings.push_back(charset);
        }
    }
}

// The other readings a dialect's servers may apply to these bytes.
std::vector<sql::LexOptions> alternative_readings(const sql::LexResult& first, const sql::LexOptions& base,
                                                 SqlDialect dialect) {
    std::vector<sql::LexOptions> readings;
    if (first.reading_depends_on_dash && dialect == SqlDialect::generic) {
        sql::LexOptions mysql_dashes = base;  // an unknown engine may be MySQL, where `1--1` is arithmetic
        mysql_dashes.mysql_dash_comment = true;
        readings.push_back(mysql_dashes);
    }
    if (first.reading_depends_on_backslash) {
        sql::LexOptions flipped = base;
        flipped.backslash_escapes = !base.backslash_escapes;
        readings.push_back(flipped);
    }
    if (first.reading_depends_on_dollar) {
        sql::LexOptions flipped = base;
        flipped.dollar_quotes = true;
        readings.push_back(flipped);
    }
    if (first.reading_depends_on_nesting) {
        sql::LexOptions flipped = base;
        flipped.nested_block_comments = !base.nested_block_comments;
        readings.push_back(flipped);
    }
    if (first.reading_depends_on_charset && (dialect == SqlDialect::mysql || dialect == SqlDialect::postgres))
        add_charset_readings(base, readings);
    return readings;
}

// Raises `worst` to what an alternative reading runs. Only statements that
// reading understands count: a literal that one reading leaves unterminated
// is garbage to a server reading it that way, which then runs nothing.
void escalate_by_reading(std::string_view text, SqlDialect dialect, const sql::LexOptions& reading,
                         StatementVerdict& worst) {
    sql::SessionState session;
    const sql::LexResult lexed = sql::lex_sql(text, reading);
    for (StatementVerdict& verdict : sql::classify_lexed(lexed, dialect, session, 0)) {
        if (verdict.operation.starts_with("unreadable") || verdict.tier <= worst.tier) continue;
        verdict.flags.push_back("ambiguous-literal-reading");
        worst = std::move(verdict);
    }
}

// Token path, every reading the dialect allows.
StatementVerdict classify_by_tokens(std::string_view text, SqlDialect dialect) {
    const sql::LexOptions base = sql::lex_options_for(dialect);
    const sql::LexResult first = sql::lex_sql(text, base);
    sql::SessionState session;
    StatementVerdict worst = sql::fold_batch(sql::classify_lexed(first, dialect, session, 0));
    for (const sql::LexOptions& reading : alternative_readings(first, base, dialect))
        escalate_by_reading(text, dialect, reading, worst);
    return worst;
}

// libpg_query reads with standard_conforming_strings on (PostgreSQL's
// default since 9.1). A session with it off reads backslashes in '...' as
// escapes, so that reading is judged too.
StatementVerdict classify_by_tree(std::string_view text, std::vector<StatementVerdict> verdicts) {
    StatementVerdict worst = sql::fold_batch(verdicts);
    const sql::LexOptions base = sql::lex_options_for(SqlDialect::postgres);
    const sql::LexResult first = sql::lex_sql(text, base);
    std::vector<sql::LexOptions> readings;
    if (first.reading_depends_on_backslash) {
        sql::LexOptions escapes = base;
        escapes.backslash_escapes = true;
        readings.push_back(escapes);
    }
    if (first.reading_depends_on_charset) add_charset_readings(base, readings);
    for (const sql::LexOptions& reading : readings) escalate_by_reading(text, SqlDialect::postgres, reading, worst);
    return worst;
}

SqlVerdict finish(StatementVerdict verdict, std::string_view text) {
    SqlVerdict out;
    out.tier = verdict.tier;
    if (!verdict.understood) {
        out.tier = max_tier(out.tier, Tier::write);  // unreadable SQL is a write at least
        verdict.flags.push_back("unparsed-sql");
    }
    out.operation = "SQL " + verdict.operation;
    out.detail = one_line(text);
    std::sort(verdict.flags.begin(), verdict.flags.end());
    verdict.flags.erase(std::unique(verdict.flags.begin(), verdict.flags.end()), verdict.flags.end());
    out.flags = std::move(verdict.flags);
    return out;
}

StatementVerdict classify_one(std::string_view text, SqlDialect dialect) {
    if (dialect == SqlDialect::postgres && text.find('\0') == std::string_view::npos) {
        sql::SessionState session;
        if (auto verdicts = sql::classify_postgres_tree(text, session, 0))
            return classify_by_tree(text, std::move(*verdicts));
    }
    return classify_by_tokens(text, dialect);
}

}  // namespace

SqlVerdict classify_sql(std::string_view text, SqlDialect dialect) {
    return finish(classify_one(text, dialect), text);
}

SqlVerdict classify_sql_batch(const std::vector<std::string>& texts, SqlDialect dialect) {
    if (texts.size() == 1) return classify_sql(texts.front(), dialect);
    std::vector<StatementVerdict> verdicts;
    std::string joined;
    for (const std::string& text : texts) {
        verdicts.push_back(classify_one(text, dialect));
        if (!joined.empty()) joined += "; ";
        joined += text;
    }
    if (verdicts.empty()) {
        SqlVerdict none;
        none.tier = Tier::write;
        none.operation = "SQL batch without statements";
        none.flags.push_back("unparsed-sql");
        return none;
    }
    return finish(sql::fold_batch(verdicts), joined);
}

}  // namespace askfirst::classifiers
