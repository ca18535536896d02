// classifiers/sql_lexer.cpp — the strict SQL tokenizer (see sql_lexer.h for
// why it exists). One pass, no backtracking; each literal form follows the
// documented lexical rules of the dialect that enables it:
//   PostgreSQL: https://www.postgresql.org/docs/current/sql-syntax-lexical.html
//   MySQL:      https://dev.mysql.com/doc/refman/8.0/en/comments.html, string-literals.html
//   SQLite:     https://www.sqlite.org/lang_expr.html (literals), lang_comment.html
//   ClickHouse: https://clickhouse.com/docs/sql-reference/syntax
#include "classifiers/sql_lexer.h"

#include <algorithm>
#include <cctype>

namespace askfirst::classifiers::sql {
namespace {

bool is_ident_start(unsigned char c) { return std::isalpha(c) || c == '_' || c >= 0x80; }
bool is_ident_char(unsigned char c) { return std::isalnum(c) || c == '_' || c == '$' || c >= 0x80; }

class Lexer {
public:
    Lexer(std::string_view text, const LexOptions& options) : text_(text), options_(options) {}

    LexResult run() {
        while (pos_ < text_.size() && result_.complete) step();
        if (result_.complete && executable_comment_depth_ > 0) fail("unterminated /*! comment");
        return std::move(result_);
    }

private:
    char at(std::size_t i) const { return i < text_.size() ? text_[i] : '\0'; }
    void fail(std::string what) {
        result_.complete = false;
        result_.error = std::move(what);
    }
    void push(TokenKind kind, std::string text, std::size_t offset) {
        result_.tokens.push_back(Token{kind, std::move(text), offset});
    }

    void step() {
        const unsigned char c = static_cast<unsigned char>(text_[pos_]);
        if (std::isspace(c)) { ++pos_; return; }
        if (c == '-' && at(pos_ + 1) == '-' && dash_comment_starts()) { skip_line(); return; }
        if (c == '#' && options_.hash_comments) { skip_line(); return; }
        if (c == '/' && at(pos_ + 1) == '*') { block_comment(); return; }
        if (c == '*' && at(pos_ + 1) == '/' && executable_comment_depth_ > 0) {
            --executable_comment_depth_;
            pos_ += 2;
            return;
        }
        if (c == '\'') { quoted(TokenKind::string, '\'', options_.backslash_escapes); return; }
        if ((c == 'E' || c == 'e') && at(pos_ + 1) == '\'') { ++pos_; quoted(TokenKind::string, '\'', true); return; }
        if (c == '"') {
            if (options_.double_quote_strings) quoted(TokenKind::string, '"', options_.backslash_escapes);
            else quoted(TokenKind::quoted_identifier, '"', false);
            return;
        }
        if (c == '`') { quoted(TokenKind::quoted_identifier, '`', false); return; }
        if (c == '$') { dollar(); return; }
        if (std::isdigit(c)) { number(); return; }
        if (is_ident_start(c)) { word(); return; }
        if (c == '?' || c == '@' || (c == ':' && is_ident_start(static_cast<unsigned char>(at(pos_ + 1))))) {
            parameter();
            return;
        }
        const std::size_t start = pos_++;
        if (c == '(' || c == ')' || c == ',' || c == ';' || c == '.' || c == '[' || c == ']') {
            push(TokenKind::punct, std::string(1, static_cast<char>(c)), start);
        } else {
            push(TokenKind::op, std::string(1, static_cast<char>(c)), start);
        }
    }

    // MySQL reads `--` as a comment only when a space or control character
    // (or the end) follows; `1--1` is arithmetic there.
    // At a statement's start `--x` is no valid statement either way: the
    // server rejects it (and stops the batch), so reading it as a comment
    // hides nothing that would run.
    bool dash_comment_starts() {
        const std::size_t next = pos_ + 2;
        const bool spaced = next >= text_.size() || static_cast<unsigned char>(text_[next]) <= ' ';
        const bool statement_start = result_.tokens.empty() || is_punct(result_.tokens.back(), ';');
        if (!options_.mysql_dash_comment) {
            if (!spaced && !statement_start) result_.reading_depends_on_dash = true;
            return true;
        }
        return spaced || statement_start;
    }

    void skip_line() {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
    }

    void block_comment() {
        const std::size_t start = pos_;
        if (options_.executable_comments &&
            (at(pos_ + 2) == '!' || (at(pos_ + 2) == 'M' && at(pos_ + 3) == '!'))) {
            pos_ += at(pos_ + 2) == '!' ? 3 : 4;
            while (std::isdigit(static_cast<unsigned char>(at(pos_)))) ++pos_;  // version gate
            ++executable_comment_depth_;
            return;
        }
        pos_ += 2;
        int depth = 1;
        while (pos_ < text_.size()) {
            if (text_[pos_] == '*' && at(pos_ + 1) == '/') {
                pos_ += 2;
                if (--depth == 0) return;
                continue;
            }
            if (text_[pos_] == '/' && at(pos_ + 1) == '*') {
                result_.reading_depends_on_nesting = true;
                pos_ += 2;
                if (options_.nested_block_comments) ++depth;
                continue;
            }
            ++pos_;
        }
        pos_ = start;
        fail("unterminated /* comment");
    }

    // Under a two-byte charset: the byte at `i` starts a character whose
    // second byte follows (whatever ASCII it is: a backslash, a quote sign of
    // the trail range, a backtick).
    bool pairs_with_next(std::size_t i) {
        const auto lead = static_cast<unsigned char>(at(i));
        const auto trail = static_cast<unsigned char>(at(i + 1));
        if (lead >= 0x80) result_.reading_depends_on_charset = true;
        if (i + 1 >= text_.size() || trail < 0x40 || trail == 0x7f || trail == 0xff) return false;
        switch (options_.multibyte) {
        case LexOptions::Multibyte::none: return false;
        case LexOptions::Multibyte::gbk_big5: return lead >= 0x81 && lead <= 0xfe;
        case LexOptions::Multibyte::sjis: return (lead >= 0x81 && lead <= 0x9f) || (lead >= 0xe0 && lead <= 0xfc);
        }
        return false;
    }

    void quoted(TokenKind kind, char quote, bool backslash_escapes) {
        const std::size_t start = pos_++;
        std::string value;
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            if (pairs_with_next(pos_)) {
                value += text_.substr(pos_, 2);
                pos_ += 2;
                continue;
            }
            if (c == '\\') result_.reading_depends_on_backslash = true;
            if (c == '\\' && backslash_escapes && pos_ + 1 < text_.size()) {
                value += text_[pos_ + 1];
                pos_ += 2;
                continue;
            }
            if (c == quote) {
                if (at(pos_ + 1) == quote) {
                    value += quote;
                    pos_ += 2;
                    continue;
                }
                ++pos_;
                push(kind, std::move(value), start);
                return;
            }
            value += c;
            ++pos_;
        }
        fail(std::string("unterminated ") + quote + " literal");
    }

    // `$tag$ ... $tag$` (dollar-quoted string), `$1` or `$name` (parameter).
    void dollar() {
        const std::size_t start = pos_;
        std::size_t end = pos_ + 1;
        if (options_.dollar_quotes) {
            if (is_ident_start(static_cast<unsigned char>(at(end))))
                while (is_ident_char(static_cast<unsigned char>(at(end))) && at(end) != '$') ++end;
            if (at(end) == '$') {
                const std::string_view tag = text_.substr(start, end + 1 - start);
                const std::size_t close = text_.find(tag, end + 1);
                if (close == std::string_view::npos) {
                    fail("unterminated " + std::string(tag) + " string");
                    return;
                }
                push(TokenKind::string, std::string(text_.substr(end + 1, close - end - 1)), start);
                pos_ = close + tag.size();
                return;
            }
        }
        end = pos_ + 1;
        while (is_ident_char(static_cast<unsigned char>(at(end))) && at(end) != '$') ++end;
        if (!options_.dollar_quotes && at(end) == '$' && !std::isdigit(static_cast<unsigned char>(at(pos_ + 1))))
            result_.reading_depends_on_dollar = true;
        if (end == pos_ + 1) {
            ++pos_;
            push(TokenKind::op, "$", start);
            return;
        }
        push(TokenKind::parameter, std::string(text_.substr(start, end - start)), start);
        pos_ = end;
    }

    void number() {
        const std::size_t start = pos_;
        while (pos_ < text_.size()) {
            const unsigned char c = static_cast<unsigned char>(text_[pos_]);
            const bool exponent_sign = (c == '+' || c == '-') && (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E');
            if (!(std::isalnum(c) || c == '.' || c == '_' || exponent_sign)) break;
            ++pos_;
        }
        push(TokenKind::number, std::string(text_.substr(start, pos_ - start)), start);
    }

    void word() {
        const std::size_t start = pos_;
        std::string upper;
        while (pos_ < text_.size() && is_ident_char(static_cast<unsigned char>(text_[pos_]))) {
            if (pairs_with_next(pos_)) {
                upper += text_.substr(pos_, 2);
                pos_ += 2;
                continue;
            }
            upper += static_cast<char>(std::toupper(static_cast<unsigned char>(text_[pos_])));
            ++pos_;
        }
        push(TokenKind::word, std::move(upper), start);
    }

    void parameter() {
        const std::size_t start = pos_++;
        if (text_[start] == '@' && at(pos_) == '@') ++pos_;
        while (pos_ < text_.size() && (is_ident_char(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '.'))
            ++pos_;
        push(TokenKind::parameter, std::string(text_.substr(start, pos_ - start)), start);
    }

    std::string_view text_;
    const LexOptions& options_;
    std::size_t pos_ = 0;
    int executable_comment_depth_ = 0;
    LexResult result_;
};

// Inside `CREATE ... BEGIN ... END` the `;` ends inner statements, not the
// CREATE. IF/LOOP/WHILE/REPEAT/FOR openers are not counted, so their
// `END IF` / `END LOOP` closers are not either; CASE ... END is counted.
int block_depth_change(std::span<const Token> tokens, std::size_t i) {
    const Token& token = tokens[i];
    if (token.kind != TokenKind::word) return 0;
    if (token.text == "BEGIN" || token.text == "CASE") {
        const bool end_case = token.text == "CASE" && i > 0 && is_word(tokens[i - 1], "END");
        return end_case ? 0 : 1;
    }
    if (token.text != "END") return 0;
    if (i + 1 < tokens.size()) {
        const Token& next = tokens[i + 1];
        for (std::string_view opener : {"IF", "LOOP", "WHILE", "REPEAT", "FOR"})
            if (is_word(next, opener)) return 0;
    }
    return -1;
}

}  // namespace

bool is_word(const Token& token, std::string_view upper) {
    return token.kind == TokenKind::word && token.text == upper;
}
bool is_punct(const Token& token, char c) {
    return token.kind == TokenKind::punct && token.text.size() == 1 && token.text[0] == c;
}

LexOptions lex_options_for(SqlDialect dialect) {
    LexOptions options;
    switch (dialect) {
    case SqlDialect::postgres:
        options.nested_block_comments = true;
        options.dollar_quotes = true;
        break;
    case SqlDialect::mysql:
        options.hash_comments = true;
        options.mysql_dash_comment = true;
        options.executable_comments = true;
        options.backslash_escapes = true;
        options.double_quote_strings = true;
        break;
    case SqlDialect::clickhouse:
        options.backslash_escapes = true;
        options.dollar_quotes = true;
        break;
    case SqlDialect::sqlite:
        break;
    case SqlDialect::generic:
        // Snowflake and Databricks escape with backslashes and Snowflake
        // quotes bodies with $$; `/*!` is read as code so that a MySQL-ish
        // engine behind a generic carrier cannot hide statements in it.
        options.backslash_escapes = true;
        options.dollar_quotes = true;
        options.executable_comments = true;
        break;
    }
    return options;
}

LexResult lex_sql(std::string_view text, const LexOptions& options) {
    return Lexer(text, options).run();
}

std::vector<std::span<const Token>> split_statements(std::span<const Token> tokens) {
    std::vector<std::span<const Token>> statements;
    std::size_t start = 0;
    int block_depth = 0;
    int paren_depth = 0;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        const bool in_create = is_word(tokens[start], "CREATE");
        if (in_create) {
            block_depth = std::max(0, block_depth + block_depth_change(tokens, i));
            if (is_punct(tokens[i], '(')) ++paren_depth;
            if (is_punct(tokens[i], ')')) paren_depth = std::max(0, paren_depth - 1);
        }
        if (!is_punct(tokens[i], ';') || block_depth > 0 || paren_depth > 0) continue;
        if (i > start) statements.push_back(tokens.subspan(start, i - start));
        start = i + 1;
        block_depth = 0;
        paren_depth = 0;
    }
    if (start < tokens.size()) statements.push_back(tokens.subspan(start));
    return statements;
}

}  // namespace askfirst::classifiers::sql
