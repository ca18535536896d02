// tests/unit/base/json_text_test.cpp — whatever bytes the guest sends, the
// JSON we write about them is valid and says what they were.
#include <doctest.h>

#include <cjson/cJSON.h>

#include "src/base/json_text.h"

using namespace askfirst;

TEST_CASE("json_string escapes quotes, backslashes and control bytes, and replaces invalid UTF-8") {
    struct Case { std::string in; std::string out; };
    const Case cases[] = {
        {"plain", "\"plain\""},
        {"a\"b\\c", "\"a\\\"b\\\\c\""},
        {"line\nbreak\r\t", "\"line\\nbreak\\r\\t\""},
        {std::string("nul\0x", 5), "\"nul\\u0000x\""},
        {"caf\xc3\xa9", "\"caf\xc3\xa9\""},
        {"bad\xff", "\"bad\\ufffd\""},
        {"overlong\xc0\xaf", "\"overlong\\ufffd\\ufffd\""},
        {"surrogate\xed\xa0\x80", "\"surrogate\\ufffd\\ufffd\\ufffd\""},
        {"cut\xe2\x82", "\"cut\\ufffd\\ufffd\""},
    };
    for (const Case& c : cases) {
        CAPTURE(c.in);
        CHECK(json_string(c.in) == c.out);
        cJSON* parsed = cJSON_Parse(c.out.c_str());
        CHECK(cJSON_IsString(parsed));
        cJSON_Delete(parsed);
    }
}

TEST_CASE("JsonObjectText writes keys in order with strings, numbers and booleans") {
    std::string text = JsonObjectText().add("a", "x").add("n", std::int64_t{-3}).add("b", true).finish();
    CHECK(text == R"({"a":"x","n":-3,"b":true})");
}
