// classifiers/graphql_lexer.h — tokens of a GraphQL document (spec October
// 2021, §2.1), for the parser in classifiers/graphql.cpp. Internal to the
// GraphQL parser; providers include classifiers/graphql.h instead.
//
// Ignored tokens (whitespace, line terminators, commas, `#` comments, the
// byte-order mark) never reach the parser, so a `mutation` inside a comment or
// a string is never seen as a keyword. Strings and block strings are decoded.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace askfirst::classifiers::graphql {

enum class TokenKind {
    end, error,
    bang, dollar, amp, paren_open, paren_close, spread, colon, equals, at,
    bracket_open, bracket_close, brace_open, pipe, brace_close,
    name, int_value, float_value, string_value,
};

struct Token {
    TokenKind kind = TokenKind::end;
    std::string text;         // name, number text, or the decoded string
    std::size_t offset = 0;   // byte offset of the token in the document
};

class Lexer {
public:
    explicit Lexer(std::string_view text) : text_(text) {}
    Token next();
    const std::string& error() const { return error_; }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
    std::string error_;

    void skip_ignored();
    Token fail(std::string message, std::size_t at);
    Token lex_name();
    Token lex_number();
    Token lex_string();
    Token lex_block_string();
    bool lex_escape(std::string& out);
};

}  // namespace askfirst::classifiers::graphql
