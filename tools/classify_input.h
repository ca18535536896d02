// tools/classify_input.h — turns the inputs of `askfirst classify` (and of the
// classifier benchmark) into HttpRequest values: a corpus JSON line
// (../shared/corpus/README.md) or one raw HTTP/1.1 request.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "src/base/result.h"
#include "classifiers/classification.h"

namespace askfirst::cli {

struct CorpusRecord {
    classifiers::HttpRequest request;
    std::optional<classifiers::Tier> expect;  // absent when the record has no "expect"
    std::string operation;                    // expected operation, "" if absent
    std::string provider;                     // the record's provider, "" if absent
};

// One JSON line. A failure says what is wrong with it.
Result<CorpusRecord> parse_corpus_record(std::string_view line);

// "Example.COM:8443" -> "example.com"; "[::1]:443" -> "[::1]".
std::string normalize_host(std::string_view host);

}  // namespace askfirst::cli
