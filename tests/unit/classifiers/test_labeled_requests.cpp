// The project's own labeled requests (tests/classifiers/*.jsonl, the corpus
// format of ../shared/corpus/README.md, each record citing the public API
// reference it was derived from) judged record by record: provider, tier and
// operation must all agree. tests/classifiers_check.sh runs the same files
// through `askfirst classify --check`.
#include <doctest.h>

#include <fstream>
#include <string>

#include "classifiers/registry.h"
#include "tools/classify_input.h"

using namespace askfirst::classifiers;

TEST_CASE("labeled requests of tests/classifiers/ agree with the classifiers") {
    struct File { const char* path; int min_records; };
    const File files[] = {{"tests/classifiers/llm.jsonl", 80}, {"tests/classifiers/packages.jsonl", 25}};
    for (const File& file : files) {
        INFO(std::string(file.path));
        std::ifstream input(file.path);  // meson runs the tests from the source root
        REQUIRE(input.good());
        std::string line;
        int records = 0;
        while (std::getline(input, line)) {
            if (line.empty()) continue;
            std::string error;
            const auto record = askfirst::cli::parse_corpus_record(line, error);
            REQUIRE_MESSAGE(record.has_value(), error);
            INFO(line.substr(0, 240));
            const Classification got = classify(record->request);
            CHECK(got.provider == record->provider);
            REQUIRE(record->expect.has_value());
            CHECK(tier_name(got.tier) == tier_name(*record->expect));
            CHECK(got.operation == record->operation);
            ++records;
        }
        CHECK(records >= file.min_records);
    }
}
