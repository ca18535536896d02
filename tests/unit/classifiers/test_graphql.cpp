// Unit tests for classifiers/graphql: the document parser (strictness,
// aliases, fragments, comments, strings) and the request classifier
// (envelopes, batches, operationName, persisted queries, variables).
#include <doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "classifiers/graphql.h"
#include "classifiers/registry.h"
#include "classifiers/verb_lexicon.h"

using namespace askfirst::classifiers;
using namespace askfirst::classifiers::graphql;

namespace {

Tier verb_first_tier(std::string_view field) { return tier_from_operation_name(field, NameOrder::verb_first); }

// Test escalation: `force: true` anywhere in the arguments adds a flag;
// `wipe: true` makes the field destructive.
void test_escalate(const ResolvedField& field, FieldJudgement& judgement) {
    if (const Value* input = field.argument("input")) {
        if (const Value* force = input->member("force"); force && force->text == "true")
            judgement.flags.push_back("force");
        if (const Value* wipe = input->member("wipe"); wipe && wipe->text == "true")
            judgement.tier = Tier::destructive;
    }
}

const GraphqlPolicy kPolicy{"test-graphql", &verb_first_tier, &test_escalate};

HttpRequest post_json(std::string body) {
    HttpRequest request;
    request.method = "POST";
    request.host = "api.example.test";
    request.path = "/graphql";
    request.headers.push_back({"Content-Type", "application/json"});
    request.body = std::move(body);
    return request;
}

}  // namespace

TEST_CASE("parse_document accepts the executable grammar and names root fields") {
    struct Row { const char* behaviour; std::string_view document; std::string_view root_fields; };
    const Row rows[] = {
        {"anonymous shorthand is a query", "{ viewer { login } }", "query:viewer"},
        {"alias is kept apart from the field name", "mutation { x: deleteRef(input: {}) { id } }", "mutation:deleteRef"},
        {"several root fields in order", "mutation { a: addStar(input:{}) { id } deleteRef(input:{}) { id } }",
         "mutation:addStar,deleteRef"},
        {"root fragment spread expands", "mutation M { ...F } fragment F on Mutation { deleteIssue(input:{}) { id } }",
         "mutation:deleteIssue"},
        {"nested spreads expand", "mutation { ...A } fragment A on Mutation { ...B } fragment B on Mutation { wipeAll }",
         "mutation:wipeAll"},
        {"inline fragment at the root adds its fields", "mutation { ... on Mutation { deleteLabel(input:{}) { id } } }",
         "mutation:deleteLabel"},
        {"directives on operation, field and spread", "mutation M @a(x: 1) { f @skip(if: false) { g } ...F @include(if: true) } fragment F on Mutation @d { h }",
         "mutation:f,h"},
        {"comments hide the word mutation", "# mutation { deleteRef }\nquery { viewer { login } }", "query:viewer"},
        {"strings hide the word mutation", "query { search(q: \"mutation { deleteRef }\") { n } }", "query:search"},
        {"block strings hide braces", "query { a(q: \"\"\" } mutation { x } \\\"\"\" \"\"\") { n } }", "query:a"},
        {"variables with defaults and list types", "mutation M($a: [ID!]! = [\"1\"], $b: Boolean = true @d) { f(a: $a, b: $b) }",
         "mutation:f"},
        {"commas and BOM are ignored", "\xEF\xBB\xBF query,{,a,b,}", "query:a,b"},
        {"subscription", "subscription S { events { id } }", "subscription:events"},
        {"numbers of every shape", "{ f(a: -0, b: 1.5e3, c: 2E-2, d: 10) }", "query:f"},
        {"unicode escapes decode", "{ f(s: \"\\u00e9\\uD83D\\uDE00\") }", "query:f"},
        {"braced unicode escapes decode", "{ f(s: \"\\u{1F600}\\u{41}\") }", "query:f"},
    };
    for (const Row& row : rows) {
        CAPTURE(row.behaviour);
        ParseResult parsed = parse_document(row.document);
        REQUIRE_MESSAGE(parsed.document.has_value(), parsed.error);
        std::string got;
        for (const auto& operation : parsed.document->operations) {
            got += std::string(operation_type_name(operation.type)) + ":";
            for (std::size_t i = 0; i < operation.root_fields.size(); ++i)
                got += (i ? "," : "") + operation.root_fields[i].name;
        }
        CHECK(got == row.root_fields);
    }
}

TEST_CASE("parse_document refuses what the specification does not allow") {
    struct Row { const char* behaviour; std::string_view document; };
    const Row rows[] = {
        {"empty document", ""},
        {"only a comment", "# nothing"},
        {"unterminated selection set", "mutation { deleteRef(input: {}) { id }"},
        {"unterminated string", "{ f(a: \"abc) }"},
        {"line break inside a string", "{ f(a: \"a\nb\") }"},
        {"bad escape", "{ f(a: \"\\q\") }"},
        {"lone surrogate", "{ f(a: \"\\uDC00\") }"},
        {"braced escape beyond Unicode", "{ f(a: \"\\u{110000}\") }"},
        {"empty braced escape", "{ f(a: \"\\u{}\") }"},
        {"unterminated braced escape", "{ f(a: \"\\u{41\") }"},
        {"leading zero", "{ f(a: 01) }"},
        {"number glued to a name", "{ f(a: 1x) }"},
        {"empty selection set", "{ }"},
        {"empty arguments", "{ f() }"},
        {"variable in a default value", "query Q($a: Int = $b) { f }"},
        {"type-system definition", "type Query { a: Int }"},
        {"undefined fragment", "mutation { ...Missing }"},
        {"fragment cycle", "mutation { ...A } fragment A on M { ...B } fragment B on M { ...A }"},
        {"duplicate fragment", "{ ...A } fragment A on Q { a } fragment A on Q { b }"},
        {"duplicate operation name", "query A { a } mutation A { b }"},
        {"anonymous operation among others", "{ a } mutation M { b }"},
        {"fragment named on", "fragment on on Q { a }"},
        {"single dot", "{ .a }"},
        {"control character", "{ a\x01 }"},
        {"trailing garbage", "{ a } }"},
    };
    for (const Row& row : rows) {
        CAPTURE(row.behaviour);
        ParseResult parsed = parse_document(row.document);
        CHECK_FALSE(parsed.document.has_value());
        CHECK_FALSE(parsed.error.empty());
    }
}

TEST_CASE("parse_document bounds nesting depth") {
    std::string deep = "{ ";
    for (std::size_t i = 0; i < kMaxNestingDepth + 2; ++i) deep += "a { ";
    deep += "b";
    for (std::size_t i = 0; i < kMaxNestingDepth + 2; ++i) deep += " }";
    deep += " }";
    CHECK_FALSE(parse_document(deep).document.has_value());
    std::string deep_value = "{ f(a: ";
    for (std::size_t i = 0; i < kMaxNestingDepth + 2; ++i) deep_value += "[";
    for (std::size_t i = 0; i < kMaxNestingDepth + 2; ++i) deep_value += "]";
    deep_value += ") }";
    CHECK_FALSE(parse_document(deep_value).document.has_value());
    CHECK(parse_document("{ a { b { c { d } } } }").document.has_value());
}

TEST_CASE("classify_graphql_request judges envelopes, batches and documents") {
    struct Row { const char* behaviour; std::string body; Tier tier; std::string_view operation; };
    const Row rows[] = {
        {"plain query is read", R"({"query":"query { viewer { login } }"})", Tier::read, "query viewer"},
        {"anonymous shorthand is read", R"({"query":"{ viewer { login } }"})", Tier::read, "query viewer"},
        {"mutation by verb", R"({"query":"mutation { addStar(input:{}) { clientMutationId } }"})", Tier::write, "mutation addStar"},
        {"alias hides deleteRef", R"({"query":"mutation { cleanup: deleteRef(input:{refId:\"R\"}) { clientMutationId } }"})",
         Tier::destructive, "mutation deleteRef"},
        {"alias named like a delete does not escalate", R"({"query":"mutation { deleteEverything: addStar(input:{}) { x } }"})",
         Tier::write, "mutation addStar"},
        {"operationName selects the mutation",
         R"({"query":"query Q { viewer { login } }\nmutation M { deleteRef(input:{}) { x } }","operationName":"M"})",
         Tier::destructive, "mutation deleteRef"},
        {"operationName selects the query",
         R"({"query":"query Q { viewer { login } }\nmutation M { deleteRef(input:{}) { x } }","operationName":"Q"})",
         Tier::read, "query viewer"},
        {"unknown operationName is a write",
         R"({"query":"query Q { viewer { login } }","operationName":"Nope"})", Tier::write, "graphql (unknown operationName)"},
        {"several operations without a name take the worst",
         R"({"query":"query Q { viewer { login } }\nmutation M { deleteRef(input:{}) { x } }"})",
         Tier::destructive, "mutation deleteRef"},
        {"several root fields take the max",
         R"({"query":"mutation { addStar(input:{}) { x } deleteIssue(input:{}) { x } closeIssue(input:{}) { x } }"})",
         Tier::destructive, "mutation deleteIssue"},
        {"fragment spread at the root is judged",
         R"({"query":"mutation { ...F } fragment F on Mutation { deleteLabel(input:{}) { x } }"})",
         Tier::destructive, "mutation deleteLabel"},
        {"mutation in a comment of a query", R"({"query":"# mutation { deleteRef }\n{ viewer { login } }"})", Tier::read, "query viewer"},
        {"mutation in a string of a query", R"({"query":"{ search(query: \"mutation { deleteRef }\") { n } }"})", Tier::read, "query search"},
        {"__typename alone in a mutation is still a write (a mutation is never read)", R"({"query":"mutation { __typename }"})",
         Tier::write, "mutation __typename"},
        {"read verb in a mutation field is a write", R"({"query":"mutation { verifyVerifiableDomain(input:{id:\"D\"}) { x } }"})",
         Tier::write, "mutation verifyVerifiableDomain"},
        {"read verb mutation beside __typename is a write", R"({"query":"mutation { __typename getThing }"})",
         Tier::write, "mutation getThing"},
        {"batched array takes the max",
         R"([{"query":"{ viewer { login } }"},{"query":"mutation { deleteRef(input:{}) { x } }"}])", Tier::destructive, "mutation deleteRef"},
        {"batched reads stay read", R"([{"query":"{ a }"},{"query":"{ b }"}])", Tier::read, "query a"},
        {"empty batch is a write", "[]", Tier::write, "graphql (unreadable request)"},
        {"persisted query without document is a write",
         R"({"extensions":{"persistedQuery":{"version":1,"sha256Hash":"ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38"}}})",
         Tier::write, "graphql persisted query"},
        {"persisted query with document is judged by the document",
         R"({"query":"{ a }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"ab"}}})", Tier::read, "query a"},
        {"document that does not parse is a write", R"({"query":"mutation { deleteRef("})", Tier::write, "graphql (unparsed document)"},
        {"body that is not JSON is a write", "mutation { deleteRef }", Tier::write, "graphql (unreadable request)"},
        {"query that is not a string is a write", R"({"query":42})", Tier::write, "graphql (unreadable request)"},
        {"missing query is a write", R"({"variables":{}})", Tier::write, "graphql (no query)"},
        {"a second JSON value after the first is refused", R"({"query":"{ a }"} {"query":"mutation { deleteRef }"})", Tier::write,
         "graphql (unreadable request)"},
        {"trailing whitespace is fine", "{\"query\":\"{ a }\"}\r\n", Tier::read, "query a"},
        {"escalation sees variables", R"({"query":"mutation($i: In!) { setThing(input: $i) { x } }","variables":{"i":{"wipe":true}}})",
         Tier::destructive, "mutation setThing"},
        {"escalation sees inline literals", R"({"query":"mutation { setThing(input: {wipe: true}) { x } }"})",
         Tier::destructive, "mutation setThing"},
        {"escalation sees variable defaults", R"({"query":"mutation($w: Boolean = true) { setThing(input: {wipe: $w}) { x } }"})",
         Tier::destructive, "mutation setThing"},
        {"variables given as a JSON string", R"({"query":"mutation($i: In!) { setThing(input: $i) { x } }","variables":"{\"i\":{\"wipe\":true}}"})",
         Tier::destructive, "mutation setThing"},
        {"escalation not triggered by false", R"({"query":"mutation { setThing(input: {wipe: false}) { x } }"})",
         Tier::write, "mutation setThing"},
    };
    for (const Row& row : rows) {
        CAPTURE(row.behaviour);
        Classification result = classify_graphql_request(post_json(row.body), kPolicy);
        CHECK(result.provider == "test-graphql");
        CHECK(result.tier == row.tier);
        CHECK(result.operation == row.operation);
    }
}

TEST_CASE("classify_graphql_request reads GET and application/graphql carriers") {
    HttpRequest get;
    get.method = "GET";
    get.host = "api.example.test";
    get.path = "/graphql";
    get.query = "query=mutation%20M%20%7B%20deleteRef(input%3A%7B%7D)%20%7B%20x%20%7D%20%7D&operationName=M";
    CHECK(classify_graphql_request(get, kPolicy).tier == Tier::destructive);
    get.query = "query=%7B+viewer+%7B+login+%7D+%7D";
    CHECK(classify_graphql_request(get, kPolicy).tier == Tier::read);
    get.query = "";
    CHECK(classify_graphql_request(get, kPolicy).tier == Tier::write);

    HttpRequest raw = post_json("mutation { deleteIssue(input: {}) { x } }");
    raw.headers = {{"Content-Type", "application/graphql; charset=utf-8"}};
    CHECK(classify_graphql_request(raw, kPolicy).tier == Tier::destructive);
}

TEST_CASE("classify_graphql_request shows the key argument and flags") {
    Classification result = classify_graphql_request(
        post_json(R"({"query":"mutation { volumeDelete(volumeId: \"vol_prod_123\") }"})"), kPolicy);
    CHECK(result.detail == "volumeDelete vol_prod_123");
    result = classify_graphql_request(
        post_json(R"({"query":"mutation($input: X!) { updateRef(input: $input) { x } }","variables":{"input":{"refId":"R1","force":true}}})"),
        kPolicy);
    CHECK(result.detail == "updateRef R1");
    REQUIRE(result.flags.size() == 1);
    CHECK(result.flags[0] == "force");
}

TEST_CASE("classify_graphql_request treats an uninspected body as the worst case") {
    HttpRequest request = post_json(R"({"query":"{ a }"})");
    request.body_complete = false;
    Classification result = classify_graphql_request(request, kPolicy);
    CHECK(result.tier == Tier::destructive);
    CHECK(result.flags.size() == 1);
}

TEST_CASE("classify_graphql_request judges every reading of duplicated keys") {
    struct Row { const char* behaviour; std::string body; std::string query; Tier tier; };
    const Row rows[] = {
        {"second query key hides a delete", R"({"query":"{ viewer { login } }","query":"mutation { deleteRef(input:{}) { x } }"})", "",
         Tier::destructive},
        {"first query key hides a delete", R"({"query":"mutation { deleteRef(input:{}) { x } }","query":"{ a }"})", "", Tier::destructive},
        {"duplicated operationName picks the mutation in one reading",
         R"({"query":"query Q { a } mutation M { deleteIssue(input:{}) { x } }","operationName":"Q","operationName":"M"})", "",
         Tier::destructive},
        {"duplicated harmless keys are still at least a write", R"({"query":"{ a }","query":"{ b }"})", "", Tier::write},
        {"a key in another case is another reading", R"({"query":"{ a }","QUERY":"mutation { deleteRef(input:{}) { x } }"})", "",
         Tier::destructive},
        {"too many copies is the worst case", R"({"query":"{ a }","query":"{ b }","query":"{ c }"})", "", Tier::destructive},
        {"repeated URL parameter", "", "query=%7B+a+%7D&query=mutation+%7B+deleteRef%28input%3A%7B%7D%29+%7B+x+%7D+%7D", Tier::destructive},
    };
    for (const Row& row : rows) {
        CAPTURE(row.behaviour);
        HttpRequest request = post_json(row.body);
        if (row.body.empty()) request.method = "GET";
        request.query = row.query;
        Classification result = classify_graphql_request(request, kPolicy);
        CHECK(result.tier == row.tier);
        CHECK(std::find(result.flags.begin(), result.flags.end(), "duplicate-json-keys") != result.flags.end());
    }
}

TEST_CASE("classify_graphql_request treats an encoded body as the worst case") {
    HttpRequest request = post_json("\x1f\x8b\x08\x00");
    request.headers.push_back({"Content-Encoding", "gzip"});
    Classification result = classify_graphql_request(request, kPolicy);
    CHECK(result.tier == Tier::destructive);
    CHECK(result.flags == std::vector<std::string>{"body-encoded"});
    request = post_json(R"({"query":"{ a }"})");
    request.headers.push_back({"content-encoding", "identity"});
    CHECK(classify_graphql_request(request, kPolicy).tier == Tier::read);
}

// Invariant 6, the class of case (issue 12): a held-back set found
// `mutation { verifyVerifiableDomain }` judged read because the field's
// first word is a read verb. Every read verb of the lexicon, verb-first and
// noun-first, through every provider that speaks GraphQL, must be a write.
TEST_CASE("a GraphQL mutation is never read, whatever its field name, on every GraphQL provider") {
    struct Endpoint { const char* provider; const char* host; const char* path; const char* authorization; };
    const Endpoint endpoints[] = {
        {"github-graphql", "api.github.com", "/graphql", "bearer ghp_abc"},
        {"github-graphql", "github.acme.internal", "/api/graphql", "bearer ghp_abc"},
        {"gitlab-graphql", "gitlab.com", "/api/graphql", ""},
        {"railway", "backboard.railway.com", "/graphql/v2", ""},
        {"fly", "api.fly.io", "/graphql", ""},
        {"cloudflare", "api.cloudflare.com", "/client/v4/graphql", ""},
        {"supabase", "abcdefgh.supabase.co", "/graphql/v1", ""},
        {"graphql", "api.linear.app", "/graphql", ""},
        {"graphql", "shop.example.test", "/admin/api/2024-01/graphql.json", ""},
    };
    for (const Endpoint& endpoint : endpoints) {
        for (std::string_view verb : lexicon_read_verbs()) {
            std::string capitalised(verb);
            capitalised[0] = static_cast<char>(capitalised[0] - 'a' + 'A');
            const std::string fields[] = {std::string(verb) + "Thing", "thing" + capitalised, std::string(verb)};
            for (const std::string& field : fields) {
                HttpRequest request = post_json(R"({"query":"mutation M { )" + field + R"((input: {id: \"X\"}) { id } }"})");
                request.host = endpoint.host;
                request.path = endpoint.path;
                if (*endpoint.authorization) request.headers.push_back({"Authorization", endpoint.authorization});
                const Classification result = classify(request);
                CAPTURE(endpoint.host);
                CAPTURE(endpoint.path);
                CAPTURE(field);
                CHECK(result.provider == endpoint.provider);
                CHECK(result.tier >= Tier::write);
                // The same field in a query stays a read: the rule is the operation type, not the name.
                HttpRequest query = request;
                query.body = R"({"query":"query Q { )" + field + R"( { id } }"})";
                CHECK(classify(query).tier == Tier::read);
            }
        }
    }
}

// A GraphQL server takes its request from more carriers than a JSON body:
// the URL beside a POST body (express-graphql prefers the URL's query and
// operationName), a url-encoded form, a multipart upload's `operations`
// part, JSON sent as text/plain, without a type or with the type in
// another case. Read only as a generic POST, a deleteProject was a write.
TEST_CASE("GraphQL carriers beside and instead of a JSON body are judged") {
    const std::string mutation = R"({"query":"mutation { deleteProject(id: 1) { id } }"})";
    struct Row { const char* behaviour; std::string content_type; std::string query; std::string body; };
    const Row rows[] = {
        {"URL query over a read body", "application/json", "query=mutation%7BdeleteProject(id%3A1)%7Bid%7D%7D",
         R"({"query":"{ projects { id } }"})"},
        {"URL operationName over the body's", "application/json", "operationName=B",
         R"({"query":"query A { projects { id } } mutation B { deleteProject(id: 1) { id } }","operationName":"A"})"},
        {"url-encoded form", "application/x-www-form-urlencoded", "", "query=mutation%7BdeleteProject(id%3A1)%7Bid%7D%7D"},
        {"multipart upload", "multipart/form-data; boundary=b", "",
         "--b\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n" + mutation + "\r\n--b--\r\n"},
        {"text/plain JSON", "text/plain", "", mutation},
        {"JSON type in another case", "Application/JSON", "", mutation},
        {"no Content-Type", "", "", mutation},
    };
    for (const Row& row : rows) {
        CAPTURE(row.behaviour);
        HttpRequest request = post_json(row.body);
        request.host = "api.linear.app";
        request.query = row.query;
        request.headers.clear();
        if (!row.content_type.empty()) request.headers.push_back({"Content-Type", row.content_type});
        const Classification result = classify(request);
        CHECK(result.provider == "graphql");
        CHECK(tier_name(result.tier) == tier_name(Tier::destructive));
    }
}
