// classifiers/sql_lexer.h — a small strict SQL tokenizer for the dialects
// libpg_query cannot read (MySQL, ClickHouse, SQLite/libSQL, Snowflake,
// Databricks, ...) and for PostgreSQL text it rejects.
//
// Why by hand: no Debian package parses those dialects (libpg_query is
// PostgreSQL only; sqlite3's tokenizer is internal; there is no MySQL or
// ClickHouse parser library in Debian). We need far less than a parser: the
// tokens that decide the tier, with comments removed and literals blanked out,
// exactly as each server reads them (classifier-rules.md §17 "Lexing").
//
// Strict: an unterminated literal or comment makes the text unreadable
// (`complete == false`), and the caller judges it a write at least. Where two
// servers of a dialect read the same bytes differently (backslash escapes,
// nested comments) the lexer reports it, and the caller classifies every
// reading and keeps the most severe.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "classifiers/sql.h"

namespace askfirst::classifiers::sql {

enum class TokenKind { word, quoted_identifier, string, number, parameter, punct, op };

struct Token {
    TokenKind kind;
    std::string text;  // words: upper-cased; strings and quoted identifiers: unescaped content; else as written
    std::size_t offset;  // where the token starts in the lexed text
};

struct LexOptions {
    bool hash_comments = false;          // MySQL `# ...`
    bool mysql_dash_comment = false;     // MySQL: `--` is a comment only before whitespace or the end
                                         // (or at a statement's start, where `--x` cannot run)
    bool nested_block_comments = false;  // PostgreSQL nests `/* /* */ */`
    bool executable_comments = false;    // MySQL/MariaDB `/*! ... */`, `/*!50700 ... */`, `/*M! ... */` are code
    bool backslash_escapes = false;      // `'it\'s'` (MySQL, ClickHouse, Snowflake, Databricks)
    bool double_quote_strings = false;   // MySQL without ANSI_QUOTES
    bool dollar_quotes = false;          // PostgreSQL `$tag$...$tag$`, Snowflake and ClickHouse `$$...$$`
    // MySQL/MariaDB with a two-byte client charset whose second byte may be
    // ASCII (0x40..0x7e): a lead byte and the byte after it are one character,
    // so 0xbf 0x5c is no backslash and 0x81 0x60 no backtick.
    enum class Multibyte { none, gbk_big5, sjis };  // leads 0x81..0xfe; 0x81..0x9f and 0xe0..0xfc
    Multibyte multibyte = Multibyte::none;
};

struct LexResult {
    std::vector<Token> tokens;
    bool complete = true;      // false: an unterminated literal or comment
    std::string error;         // what was unterminated, for the detail line
    bool reading_depends_on_backslash = false;  // a string holds a backslash
    bool reading_depends_on_nesting = false;    // a block comment holds "/*"
    bool reading_depends_on_dollar = false;     // `$$` / `$tag$` where they are not quotes
    bool reading_depends_on_dash = false;       // `--x`: a comment, except to MySQL mid-statement
    bool reading_depends_on_charset = false;    // a byte >= 0x80: a two-byte charset may pair it with the next
};

LexOptions lex_options_for(SqlDialect dialect);
LexResult lex_sql(std::string_view text, const LexOptions& options);

// Statements separated by `;`. A CREATE whose body is a BEGIN ... END block
// (SQLite and MySQL triggers and routines) or a parenthesized list (a
// PostgreSQL rule's actions) stays whole.
std::vector<std::span<const Token>> split_statements(std::span<const Token> tokens);

// Convenience for rule code.
bool is_word(const Token& token, std::string_view upper);
bool is_punct(const Token& token, char c);

}  // namespace askfirst::classifiers::sql
