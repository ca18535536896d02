// The project's own labeled requests (tests/classifiers/*.jsonl, the corpus
// format of ../shared/corpus/README.md, each record citing the public API
// reference it was derived from) judged record by record: provider, tier and
// operation must all agree. tests/classifiers_check.sh runs the same files
// through `askfirst classify --check`.
#include <doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "classifiers/registry.h"
#include "tools/classify_input.h"

using namespace askfirst::classifiers;

TEST_CASE("labeled requests of tests/classifiers/ agree with the classifiers") {
    // llm.jsonl, packages.jsonl, invariants.jsonl (issue 12's classes of case), and any file added there.
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator("tests/classifiers"))  // meson runs from the source root
        if (entry.path().extension() == ".jsonl") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    REQUIRE(files.size() >= 3);
    int records = 0;
    for (const auto& path : files) {
        INFO(path.string());
        std::ifstream input(path);
        REQUIRE(input.good());
        std::string line;
        while (std::getline(input, line)) {
            if (line.empty()) continue;
            const auto record = askfirst::cli::parse_corpus_record(line);
            REQUIRE_MESSAGE(record.ok(), record.error());
            INFO(line.substr(0, 240));
            const Classification got = classify(record->request);
            CHECK(got.provider == record->provider);
            REQUIRE(record->expect.has_value());
            CHECK(tier_name(got.tier) == tier_name(*record->expect));
            CHECK(got.operation == record->operation);
            ++records;
        }
    }
    CHECK(records >= 250);
}
