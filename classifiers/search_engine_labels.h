// classifiers/search_engine_labels.h — from an Elasticsearch/OpenSearch API
// name (and, where it decides, the body) to a tier
// (../shared/classifier-rules.md §9, ../shared/corpus/README.md policy).
// Used by classifiers/search_engine.cpp once the route table has named the
// API; kept apart so the label rules read as one table-driven unit.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "classifiers/classification.h"

namespace askfirst::classifiers {

struct SearchLabel {
    Tier tier = Tier::write;
    std::vector<std::string> flags;
};

// The tier of `api` called with `method`. `has_get_route`: the specification
// also serves this API with GET. `body` / `body_complete` as sent.
SearchLabel label_search_api(std::string_view method, std::string_view api, bool has_get_route,
                             std::string_view body, bool body_complete);

// The verb-lexicon tier of an API name alone (no method, no body): the
// action after the namespace dot, verb-first when its first word is a
// known verb, else noun-first ("connector.secret_get").
Tier search_api_name_tier(std::string_view api);

// Does labelling `api` need the request body (bulk actions, update scripts)?
bool search_api_needs_body(std::string_view api);

}  // namespace askfirst::classifiers
