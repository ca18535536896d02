// Unit tests for classifiers/text_decoding: hex digits and percent-decoding,
// the one decoder every classifier uses (query strings, AWS forms, path
// segments), and the enum-to-name tables that replaced switches.
#include <doctest.h>

#include <string>

#include "classifiers/classification.h"
#include "classifiers/graphql.h"
#include "classifiers/text_decoding.h"

using namespace askfirst::classifiers;

TEST_CASE("hex_digit_value reads the three ranges and nothing else") {
    struct Row { const char* behaviour; char c; int value; };
    const Row rows[] = {
        {"digit zero", '0', 0}, {"digit nine", '9', 9}, {"lower a", 'a', 10}, {"lower f", 'f', 15},
        {"upper A", 'A', 10},   {"upper F", 'F', 15},   {"g is not hex", 'g', -1}, {"G is not hex", 'G', -1},
        {"slash before 0", '/', -1}, {"colon after 9", ':', -1}, {"at before A", '@', -1}, {"backtick before a", '`', -1},
        {"NUL", '\0', -1},      {"high byte", '\xC3', -1},
    };
    for (const Row& row : rows) {
        CAPTURE(row.behaviour);
        CHECK(hex_digit_value(row.c) == row.value);
        CHECK(is_hex_digit(row.c) == (row.value >= 0));
    }
    CHECK(is_lower_hex_digit('a'));
    CHECK_FALSE(is_lower_hex_digit('A'));
    CHECK(is_lower_hex_digit('7'));
}

TEST_CASE("percent_decode decodes escapes, keeps malformed ones and honours plus_is_space") {
    struct Row { const char* behaviour; std::string_view input; bool plus_is_space; std::string_view output; };
    const Row rows[] = {
        {"plain text", "abc", true, "abc"},
        {"upper-case escape", "a%2Fb", true, "a/b"},
        {"lower-case escape", "a%2fb", true, "a/b"},
        {"escape at the very end", "ab%41", true, "abA"},
        {"truncated escape kept", "ab%4", true, "ab%4"},
        {"lone percent kept", "100%", true, "100%"},
        {"bad digit kept", "%zz%4g", true, "%zz%4g"},
        {"plus is a space in forms", "a+b", true, "a b"},
        {"plus kept in paths", "a+b", false, "a+b"},
        {"encoded plus is a plus", "a%2Bb", true, "a+b"},
        {"NUL escape decodes", "a%00b", true, std::string_view("a\0b", 3)},
        {"decoded percent is not decoded twice", "%2541", true, "%41"},
    };
    for (const Row& row : rows) {
        CAPTURE(row.behaviour);
        CHECK(percent_decode(row.input, row.plus_is_space) == row.output);
    }
    CHECK(percent_escape_at("x%41", 1) == 0x41);
    CHECK(percent_escape_at("x%41", 0) == -1);
    CHECK(percent_escape_at("%4", 0) == -1);
}

TEST_CASE("enum-to-name tables name every value and read back") {
    for (Tier tier : {Tier::read, Tier::write, Tier::destructive}) CHECK(parse_tier(tier_name(tier)) == tier);
    CHECK(tier_name(Tier::destructive) == "destructive");
    CHECK_FALSE(parse_tier("Write").has_value());
    CHECK(graphql::operation_type_name(graphql::OperationType::subscription) == "subscription");
    CHECK(graphql::operation_type_name(graphql::OperationType::mutation) == "mutation");
}
