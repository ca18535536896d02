// classifiers/sql_token_scan.cpp — walking a token list by parenthesis depth,
// for the token-path SQL rules. All scans are linear in the statement length.
#include <array>

#include "classifiers/sql_rules_internal.h"

namespace askfirst::classifiers::sql {
namespace {

void track_depth(const Token& token, int& depth) {
    if (is_punct(token, '(')) ++depth;
    else if (is_punct(token, ')') && depth > 0) --depth;
}

bool starts_statement(std::span<const Token> s, std::size_t i) {
    static constexpr std::array<std::string_view, 9> kStarts = {
        "SELECT", "WITH", "VALUES", "TABLE", "INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT"};
    while (i < s.size() && is_punct(s[i], '(')) ++i;
    if (i >= s.size() || s[i].kind != TokenKind::word) return false;
    for (std::string_view start : kStarts)
        if (s[i].text == start) return true;
    return false;
}

}  // namespace

std::size_t find_top_level_word(std::span<const Token> s, std::string_view upper, std::size_t from) {
    int depth = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i >= from && depth == 0 && is_word(s[i], upper)) return i;
        track_depth(s[i], depth);
    }
    return kNotFound;
}

std::size_t find_top_level_punct(std::span<const Token> s, char c, std::size_t from) {
    int depth = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i >= from && depth == 0 && is_punct(s[i], c)) return i;
        track_depth(s[i], depth);
    }
    return kNotFound;
}

std::size_t matching_paren(std::span<const Token> s, std::size_t open) {
    int depth = 0;
    for (std::size_t i = open; i < s.size(); ++i) {
        track_depth(s[i], depth);
        if (depth == 0) return i;
    }
    return kNotFound;
}

std::span<const Token> strip_leading_parens(std::span<const Token> s) {
    std::size_t i = 0;
    while (i < s.size() && is_punct(s[i], '(')) ++i;
    return s.subspan(i);
}

std::vector<std::span<const Token>> statement_groups(std::span<const Token> s) {
    std::vector<std::span<const Token>> groups;
    int depth = 0;
    int group_depth = -1;  // depth of the open statement group, -1 when none
    std::size_t group_start = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (is_punct(s[i], '(')) {
            ++depth;
            if (group_depth < 0 && starts_statement(s, i + 1)) {
                group_depth = depth;
                group_start = i + 1;
            }
        } else if (is_punct(s[i], ')') && depth > 0) {
            if (depth == group_depth) {
                groups.push_back(s.subspan(group_start, i - group_start));
                group_depth = -1;
            }
            --depth;
        }
    }
    if (group_depth >= 0) groups.push_back(s.subspan(group_start));  // unbalanced: still look inside
    return groups;
}

bool is_data_modifying(std::span<const Token> group) {
    const std::span<const Token> s = strip_leading_parens(group);
    if (s.size() < 2 || s[0].kind != TokenKind::word) return false;
    const std::string& first = s[0].text;
    if (first == "WITH" || first == "SELECT" || first == "VALUES" || first == "TABLE") return true;
    if (first == "INSERT" || first == "UPSERT") return is_word(s[1], "INTO") || is_word(s[1], "OVERWRITE");
    if (first == "MERGE") return is_word(s[1], "INTO");
    if (first == "UPDATE") return find_top_level_word(s, "SET") != kNotFound;
    if (first == "DELETE") {
        for (std::size_t i = 1; i < s.size() && i < 4; ++i)
            if (is_word(s[i], "FROM")) return true;
        return false;
    }
    return false;
}

}  // namespace askfirst::classifiers::sql
