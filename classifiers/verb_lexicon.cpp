// classifiers/verb_lexicon.cpp — word splitting and the verb tables of the
// labeling policy (../shared/corpus/README.md, ../shared/classifier-rules.md §0).
//
// The tables are data: sorted lower-case words, checked sorted at compile
// time, looked up by binary search. Everything runs on views into the
// caller's string; nothing allocates.
#include "classifiers/verb_lexicon.h"

#include <algorithm>

namespace askfirst::classifiers {
namespace {

// Destructive verbs: on success something stops existing (policy step 1).
constexpr std::string_view kDestructiveVerbs[] = {
    "decommission", "delete", "deprovision", "destroy", "drop",    "erase",    "expunge",
    "flush",        "purge",  "release",     "terminate", "truncate", "wipe",
};

// Read verbs: change no persisted state (policy step 1). "info", "stat",
// "whoami", "lint", "browse" come from the corpus README's list.
constexpr std::string_view kReadVerbs[] = {
    "analyze",  "browse",  "calculate", "check",   "compare", "count",    "decode",
    "describe", "detect",  "diff",      "discover", "download", "estimate", "evaluate",
    "exists",   "explain", "fetch",     "filter",  "find",    "generate", "get",
    "head",     "info",    "inspect",   "lint",    "list",    "lookup",   "peek",
    "ping",     "poll",    "preview",   "query",   "read",    "receive",  "render",
    "retrieve", "scan",    "search",    "select",  "show",    "simulate", "stat",
    "test",     "validate", "verify",   "view",    "watch",   "whoami",
};

// Leading words that qualify the verb rather than being it ("BatchDeleteItem",
// "AdminDeleteUser").
constexpr std::string_view kSkippedLeadingWords[] = {"admin", "batch"};

static_assert(std::is_sorted(std::begin(kDestructiveVerbs), std::end(kDestructiveVerbs)));
static_assert(std::is_sorted(std::begin(kReadVerbs), std::end(kReadVerbs)));

// Longer words are never verbs ("decommission" has 12 letters).
constexpr std::size_t kMaxVerbLength = 31;

bool is_separator(char c) {
    return c == '-' || c == '_' || c == '.' || c == '/' || c == ' ' || c == ':';
}
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Does a new word start at name[i] (i > 0, name[i] not a separator)?
bool starts_word(std::string_view name, std::size_t i) {
    const char prev = name[i - 1];
    const char cur = name[i];
    if (!is_upper(cur)) return false;
    if (is_lower(prev) || is_digit(prev)) return true;
    // "DBInstance": the last capital of a run begins the next word.
    return is_upper(prev) && i + 1 < name.size() && is_lower(name[i + 1]);
}

// Lower-cases `word` into `buffer`; empty view if it cannot be a verb.
std::string_view lower_into(std::string_view word, std::array<char, kMaxVerbLength>& buffer) {
    if (word.size() > buffer.size()) return {};
    for (std::size_t i = 0; i < word.size(); ++i)
        buffer[i] = ascii_lower(word[i]);
    return {buffer.data(), word.size()};
}

bool in_sorted(std::span<const std::string_view> table, std::string_view lower_word) {
    return std::binary_search(table.begin(), table.end(), lower_word);
}

bool is_skipped_leading_word(std::string_view word) {
    std::array<char, kMaxVerbLength> buffer{};
    return in_sorted(kSkippedLeadingWords, lower_into(word, buffer));
}

// The last dotted segment with its separators removed, lower-cased
// ("security.who_am_i" -> "whoami"), for noun-first names.
std::string_view joined_tail(std::string_view name, std::array<char, kMaxVerbLength>& buffer) {
    const auto dot = name.rfind('.');
    const std::string_view tail = dot == std::string_view::npos ? name : name.substr(dot + 1);
    std::size_t length = 0;
    for (const char c : tail) {
        if (is_separator(c)) continue;
        if (length == buffer.size()) return {};
        buffer[length++] = ascii_lower(c);
    }
    return {buffer.data(), length};
}

// The word that names the verb, by the policy's order, and its tier; an
// empty word and no tier when no known verb is found (a write).
struct VerbChoice {
    std::string_view word;
    std::optional<Tier> tier;
};

VerbChoice choose_verb(std::string_view name, NameOrder order) {
    const NameWords split = split_name_words(name);
    std::size_t first = 0;
    while (first < split.count && is_skipped_leading_word(split.words[first])) ++first;
    if (first == split.count) return {};
    const std::string_view first_word = split.words[first];
    if (order == NameOrder::verb_first) return {first_word, verb_word_tier(first_word)};
    if (const auto tier = verb_word_tier(split.back())) return {split.back(), tier};
    std::array<char, kMaxVerbLength> buffer{};
    if (const auto tier = verb_word_tier(joined_tail(name, buffer))) {
        const auto dot = name.rfind('.');
        return {dot == std::string_view::npos ? name : name.substr(dot + 1), tier};  // "who_am_i"
    }
    if (const auto tier = verb_word_tier(first_word)) return {first_word, tier};
    return {};
}

}  // namespace

NameWords split_name_words(std::string_view name) {
    NameWords result;
    std::size_t start = 0;
    auto push = [&](std::size_t end) {
        if (end <= start) return;
        const std::string_view word = name.substr(start, end - start);
        if (result.count < kMaxNameWords) {
            result.words[result.count++] = word;
        } else {
            result.words[kMaxNameWords - 1] = word;  // keep the last word for noun-first names
        }
    };
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (is_separator(name[i])) {
            push(i);
            start = i + 1;
        } else if (i > start && starts_word(name, i)) {
            push(i);
            start = i;
        }
    }
    push(name.size());
    return result;
}

std::optional<Tier> verb_word_tier(std::string_view word) {
    std::array<char, kMaxVerbLength> buffer{};
    const std::string_view lower = lower_into(word, buffer);
    if (lower.empty()) return std::nullopt;
    if (in_sorted(kDestructiveVerbs, lower)) return Tier::destructive;
    if (in_sorted(kReadVerbs, lower)) return Tier::read;
    return std::nullopt;
}

std::span<const std::string_view> lexicon_read_verbs() { return kReadVerbs; }

std::string_view deciding_verb(std::string_view name, NameOrder order) {
    const VerbChoice choice = choose_verb(name, order);
    return choice.tier ? choice.word : std::string_view{};
}

Tier tier_from_operation_name(std::string_view name, NameOrder order) {
    return choose_verb(name, order).tier.value_or(Tier::write);
}

const OperationOverride* find_override(std::span<const OperationOverride> table,
                                       std::string_view operation) {
    for (const auto& row : table)
        if (row.operation == operation) return &row;
    return nullptr;
}

Tier tier_with_overrides(std::span<const OperationOverride> table, std::string_view operation,
                         std::string_view verb_name, NameOrder order) {
    if (const OperationOverride* row = find_override(table, operation)) return row->tier;
    return tier_from_operation_name(verb_name, order);
}

}  // namespace askfirst::classifiers
