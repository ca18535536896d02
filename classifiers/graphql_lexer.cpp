// classifiers/graphql_lexer.cpp — GraphQL tokens (spec October 2021, §2.1).
// See classifiers/graphql_lexer.h. Strict: a control character, an
// unterminated string, a bad escape or a number glued to a name is an error.
#include "classifiers/graphql_lexer.h"

#include <cstdint>

#include "classifiers/text_decoding.h"

namespace askfirst::classifiers::graphql {

namespace {

bool is_name_start(char c) { return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_continue(char c) { return is_name_start(c) || is_digit(c); }

void append_utf8(std::string& out, std::uint32_t code_point) {
    if (code_point < 0x80) {
        out += static_cast<char>(code_point);
    } else if (code_point < 0x800) {
        out += static_cast<char>(0xC0 | (code_point >> 6));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    } else if (code_point < 0x10000) {
        out += static_cast<char>(0xE0 | (code_point >> 12));
        out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (code_point >> 18));
        out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    }
}

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

}  // namespace

Token Lexer::fail(std::string message, std::size_t at) {
    if (error_.empty()) error_ = message + " at offset " + std::to_string(at);
    pos_ = text_.size();
    Token token;
    token.kind = TokenKind::error;
    token.offset = at;
    return token;
}

void Lexer::skip_ignored() {
    while (pos_ < text_.size()) {
        char c = text_[pos_];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',') {
            ++pos_;
        } else if (c == '#') {
            while (pos_ < text_.size() && text_[pos_] != '\n' && text_[pos_] != '\r') ++pos_;
        } else if (text_.substr(pos_, kByteOrderMark.size()) == kByteOrderMark) {
            pos_ += kByteOrderMark.size();
        } else {
            return;
        }
    }
}

Token Lexer::next() {
    if (!error_.empty()) return fail(error_, pos_);
    skip_ignored();
    Token token;
    token.offset = pos_;
    if (pos_ >= text_.size()) return token;  // end
    char c = text_[pos_];
    auto punct = [&](TokenKind kind, std::size_t length) {
        token.kind = kind;
        pos_ += length;
        return token;
    };
    switch (c) {
        case '!': return punct(TokenKind::bang, 1);
        case '$': return punct(TokenKind::dollar, 1);
        case '&': return punct(TokenKind::amp, 1);
        case '(': return punct(TokenKind::paren_open, 1);
        case ')': return punct(TokenKind::paren_close, 1);
        case ':': return punct(TokenKind::colon, 1);
        case '=': return punct(TokenKind::equals, 1);
        case '@': return punct(TokenKind::at, 1);
        case '[': return punct(TokenKind::bracket_open, 1);
        case ']': return punct(TokenKind::bracket_close, 1);
        case '{': return punct(TokenKind::brace_open, 1);
        case '|': return punct(TokenKind::pipe, 1);
        case '}': return punct(TokenKind::brace_close, 1);
        case '.':
            if (text_.substr(pos_, 3) == "...") return punct(TokenKind::spread, 3);
            return fail("'.' that is not '...'", pos_);
        case '"':
            if (text_.substr(pos_, 3) == "\"\"\"") return lex_block_string();
            return lex_string();
        default: break;
    }
    if (is_name_start(c)) return lex_name();
    if (c == '-' || is_digit(c)) return lex_number();
    return fail("unexpected character", pos_);
}

Token Lexer::lex_name() {
    Token token;
    token.kind = TokenKind::name;
    token.offset = pos_;
    std::size_t start = pos_;
    while (pos_ < text_.size() && is_name_continue(text_[pos_])) ++pos_;
    token.text = std::string(text_.substr(start, pos_ - start));
    return token;
}

Token Lexer::lex_number() {
    Token token;
    token.kind = TokenKind::int_value;
    token.offset = pos_;
    std::size_t start = pos_;
    auto digits = [&]() {
        std::size_t first = pos_;
        while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
        return pos_ > first;
    };
    if (text_[pos_] == '-') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '0') {
        ++pos_;
        if (pos_ < text_.size() && is_digit(text_[pos_])) return fail("a number with a leading zero", start);
    } else if (!digits()) {
        return fail("'-' without digits", start);
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
        ++pos_;
        if (!digits()) return fail("a fraction without digits", start);
        token.kind = TokenKind::float_value;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
        ++pos_;
        if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
        if (!digits()) return fail("an exponent without digits", start);
        token.kind = TokenKind::float_value;
    }
    if (pos_ < text_.size() && (text_[pos_] == '.' || is_name_start(text_[pos_])))
        return fail("a number followed by '.' or a name", start);
    token.text = std::string(text_.substr(start, pos_ - start));
    return token;
}

bool Lexer::lex_escape(std::string& out) {
    // pos_ is just after the backslash.
    if (pos_ >= text_.size()) return false;
    char c = text_[pos_++];
    switch (c) {
        case '"': out += '"'; return true;
        case '\\': out += '\\'; return true;
        case '/': out += '/'; return true;
        case 'b': out += '\b'; return true;
        case 'f': out += '\f'; return true;
        case 'n': out += '\n'; return true;
        case 'r': out += '\r'; return true;
        case 't': out += '\t'; return true;
        case 'u': break;
        default: return false;
    }
    auto read_hex4 = [&](std::uint32_t& value) {
        if (pos_ + 4 > text_.size()) return false;
        value = 0;
        for (int i = 0; i < 4; ++i) {
            int digit = hex_digit_value(text_[pos_++]);
            if (digit < 0) return false;
            value = value * 16 + static_cast<std::uint32_t>(digit);
        }
        return true;
    };
    std::uint32_t code_point = 0;
    if (pos_ < text_.size() && text_[pos_] == '{') {  // \u{1F600} (spec October 2021, EscapedUnicode)
        ++pos_;
        std::size_t digits = 0;
        while (pos_ < text_.size() && text_[pos_] != '}') {
            int digit = hex_digit_value(text_[pos_++]);
            if (digit < 0 || ++digits > 6) return false;
            code_point = code_point * 16 + static_cast<std::uint32_t>(digit);
        }
        if (pos_ >= text_.size() || digits == 0 || code_point > 0x10FFFF ||
            (code_point >= 0xD800 && code_point <= 0xDFFF))
            return false;
        ++pos_;  // '}'
        append_utf8(out, code_point);
        return true;
    }
    if (!read_hex4(code_point)) return false;
    if (code_point >= 0xD800 && code_point <= 0xDBFF) {  // a surrogate pair
        std::uint32_t low = 0;
        if (text_.substr(pos_, 2) != "\\u") return false;
        pos_ += 2;
        if (!read_hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
        code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
    } else if (code_point >= 0xDC00 && code_point <= 0xDFFF) {
        return false;  // a lone low surrogate
    }
    append_utf8(out, code_point);
    return true;
}

Token Lexer::lex_string() {
    Token token;
    token.kind = TokenKind::string_value;
    token.offset = pos_;
    ++pos_;  // opening quote
    while (true) {
        if (pos_ >= text_.size()) return fail("unterminated string", token.offset);
        char c = text_[pos_];
        if (c == '"') break;
        if (c == '\n' || c == '\r') return fail("a line break inside a string", pos_);
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t') return fail("a control character inside a string", pos_);
        if (c == '\\') {
            std::size_t escape_at = pos_;
            ++pos_;
            if (!lex_escape(token.text)) return fail("an invalid escape in a string", escape_at);
            continue;
        }
        token.text += c;
        ++pos_;
    }
    ++pos_;  // closing quote
    return token;
}

// Block strings keep their raw lines (only \""" is unescaped). The
// specification's common-indentation removal changes no byte that a
// classifier looks at (identifiers, flags), so it is not applied.
Token Lexer::lex_block_string() {
    Token token;
    token.kind = TokenKind::string_value;
    token.offset = pos_;
    pos_ += 3;
    while (true) {
        if (pos_ >= text_.size()) return fail("unterminated block string", token.offset);
        if (text_.substr(pos_, 3) == "\"\"\"") break;
        if (text_.substr(pos_, 4) == "\\\"\"\"") {
            token.text += "\"\"\"";
            pos_ += 4;
            continue;
        }
        char c = text_[pos_];
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r')
            return fail("a control character inside a block string", pos_);
        token.text += c;
        ++pos_;
    }
    pos_ += 3;
    return token;
}

}  // namespace askfirst::classifiers::graphql
