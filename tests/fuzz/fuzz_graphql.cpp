// tests/fuzz/fuzz_graphql.cpp — libFuzzer target for the GraphQL parser and
// the GraphQL request classifier (classifiers/graphql.h). The input is used
// twice: as a bare document, and as an HTTP body (JSON envelope, batch, or
// garbage). Invariants checked: no crash, no sanitizer report, and a
// document that does not parse never yields a read.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "classifiers/graphql.h"
#include "classifiers/verb_lexicon.h"

namespace {

using namespace askfirst::classifiers;

Tier fuzz_field_tier(std::string_view field) { return tier_from_operation_name(field, NameOrder::noun_first); }

// Touches resolved values the way provider escalation hooks do.
void fuzz_escalate(const graphql::ResolvedField& field, graphql::FieldJudgement& judgement) {
    for (const auto& argument : field.arguments)
        if (const graphql::Value* member = argument.value.member("force"); member && member->text == "true")
            judgement.flags.push_back("force");
    if (!graphql::key_argument_text(field.arguments).empty()) judgement.detail_suffix = "k";
}

const graphql::GraphqlPolicy kFuzzPolicy{"fuzz", &fuzz_field_tier, &fuzz_escalate};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    graphql::ParseResult parsed = graphql::parse_document(text);
    if (parsed.document.has_value() == !parsed.error.empty()) std::abort();  // exactly one of them

    HttpRequest request;
    request.method = "POST";
    request.host = "api.example.test";
    request.path = "/graphql";
    request.headers.push_back({"Content-Type", "application/json"});
    request.body = std::string(text);
    Classification result = graphql::classify_graphql_request(request, kFuzzPolicy);
    bool unparsed = false;
    for (const auto& flag : result.flags) unparsed = unparsed || flag == "unparsed-graphql";
    if (unparsed && result.tier == Tier::read) std::abort();  // fail closed: never read

    request.headers = {{"Content-Type", "application/graphql"}};
    result = graphql::classify_graphql_request(request, kFuzzPolicy);
    if (!parsed.document && result.tier == Tier::read) std::abort();
    return 0;
}
