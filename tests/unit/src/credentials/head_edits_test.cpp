// tests/unit/src/credentials/head_edits_test.cpp — HeadEdits on a raw head
// (src/http/head_edits.h): each kind of edit touches only what it names.
#include <doctest/doctest.h>

#include "src/http/head_edits.h"

using askfirst::http::apply_head_edits;
using askfirst::http::HeadEdit;
using Kind = HeadEdit::Kind;

TEST_CASE("head edits: replace in a named header, in the target, set or append a header") {
    const std::string head = "GET /a?x=STUB HTTP/1.1\r\nHost: h\r\nauthorization: Bearer STUB\r\nX-Other: STUB\r\n\r\n";
    struct Row {
        const char* name;
        askfirst::http::HeadEdits edits;
        const char* expected;
    };
    const Row rows[] = {
        {"no edits", {}, "GET /a?x=STUB HTTP/1.1\r\nHost: h\r\nauthorization: Bearer STUB\r\nX-Other: STUB\r\n\r\n"},
        {"header, case-insensitive name", {{Kind::replace_in_header, "Authorization", "STUB", "REAL"}},
         "GET /a?x=STUB HTTP/1.1\r\nHost: h\r\nauthorization: Bearer REAL\r\nX-Other: STUB\r\n\r\n"},
        {"target", {{Kind::replace_in_target, "", "x=STUB", "x=REAL"}},
         "GET /a?x=REAL HTTP/1.1\r\nHost: h\r\nauthorization: Bearer STUB\r\nX-Other: STUB\r\n\r\n"},
        {"set existing", {{Kind::set_header, "X-Other", "", "new"}},
         "GET /a?x=STUB HTTP/1.1\r\nHost: h\r\nauthorization: Bearer STUB\r\nX-Other: new\r\n\r\n"},
        {"set absent appends", {{Kind::set_header, "X-Amz-Security-Token", "", "tok"}},
         "GET /a?x=STUB HTTP/1.1\r\nHost: h\r\nauthorization: Bearer STUB\r\nX-Other: STUB\r\nX-Amz-Security-Token: tok\r\n\r\n"},
        {"a header name that only starts alike is not touched", {{Kind::replace_in_header, "X-Oth", "STUB", "REAL"}},
         "GET /a?x=STUB HTTP/1.1\r\nHost: h\r\nauthorization: Bearer STUB\r\nX-Other: STUB\r\n\r\n"},
    };
    for (const Row& row : rows) {
        CAPTURE(row.name);
        CHECK(apply_head_edits(head, row.edits) == row.expected);
    }
}

// HTTP/2 (src/http/http2_session.cpp): the same edits on header fields. curl,
// git and gh negotiate h2, so without these the broker's real secret never
// replaced the stub on their requests.
TEST_CASE("field edits: the same kinds on an HTTP/2 request's header fields") {
    using askfirst::http::HeaderFields;
    const HeaderFields fields = {{":method", "GET"}, {":path", "/a?x=STUB"}, {":authority", "h"},
                                 {"authorization", "Bearer STUB"}, {"x-other", "STUB"}};
    struct Row {
        const char* name;
        askfirst::http::HeadEdits edits;
        HeaderFields expected;
    };
    const Row rows[] = {
        {"no edits", {}, fields},
        {"header, case-insensitive name", {{Kind::replace_in_header, "Authorization", "STUB", "REAL"}},
         {{":method", "GET"}, {":path", "/a?x=STUB"}, {":authority", "h"}, {"authorization", "Bearer REAL"},
          {"x-other", "STUB"}}},
        {"target is :path", {{Kind::replace_in_target, "", "x=STUB", "x=REAL"}},
         {{":method", "GET"}, {":path", "/a?x=REAL"}, {":authority", "h"}, {"authorization", "Bearer STUB"},
          {"x-other", "STUB"}}},
        {"set existing", {{Kind::set_header, "X-Other", "", "new"}},
         {{":method", "GET"}, {":path", "/a?x=STUB"}, {":authority", "h"}, {"authorization", "Bearer STUB"},
          {"x-other", "new"}}},
        {"set absent appends a lower-case field", {{Kind::set_header, "X-Amz-Security-Token", "", "tok"}},
         {{":method", "GET"}, {":path", "/a?x=STUB"}, {":authority", "h"}, {"authorization", "Bearer STUB"},
          {"x-other", "STUB"}, {"x-amz-security-token", "tok"}}},
    };
    for (const Row& row : rows) {
        CAPTURE(row.name);
        HeaderFields edited = fields;
        askfirst::http::apply_field_edits(edited, row.edits);
        CHECK(edited == row.expected);
    }
}

TEST_CASE("the wiping string helpers keep the content a plain append or erase would give") {
    struct Row {
        const char* name;
        std::string start;
        std::vector<std::string> appends;
        std::size_t erase_front;
        const char* expected;
    };
    const Row rows[] = {
        {"append within capacity", "ab", {"c"}, 0, "abc"},
        {"appends that grow the buffer many times", "", {std::string(100, 'x'), "REAL-SECRET", std::string(5000, 'y')},
         5090, "xxxxxxxxxxREAL-SECRET" },
        {"erase all", "secret", {}, 6, ""},
        {"erase more than there is", "secret", {}, 60, ""},
        {"erase nothing", "secret", {}, 0, "secret"},
    };
    for (const Row& row : rows) {
        const std::string name = row.name;
        CAPTURE(name);
        std::string text = row.start;
        for (const auto& more : row.appends) askfirst::http::append_wiping(text, more);
        if (row.erase_front == 5090) {
            askfirst::http::erase_front_wiping(text, 90);  // leaves 10 x, the secret, 5000 y
            text.resize(10 + 11);
        } else {
            askfirst::http::erase_front_wiping(text, row.erase_front);
        }
        CHECK(text == row.expected);
    }
}

TEST_CASE("field edits that grow a value or add a field keep every other field as it was") {
    askfirst::http::HeaderFields fields{{":path", "/x"}, {"a", "1"}, {"authorization", "Bearer STUB"}};
    askfirst::http::apply_field_edits(fields, {{Kind::replace_in_header, "authorization", "STUB", std::string(300, 'R')},
                                               {Kind::set_header, "X-Amz-Security-Token", "", "TOKEN"},
                                               {Kind::set_header, "a", "", "2"}});
    const askfirst::http::HeaderFields expected{{":path", "/x"}, {"a", "2"},
                                                {"authorization", "Bearer " + std::string(300, 'R')},
                                                {"x-amz-security-token", "TOKEN"}};
    CHECK(fields == expected);
    askfirst::http::wipe_fields(fields);
    CHECK(fields.empty());
}
