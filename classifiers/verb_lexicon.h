// classifiers/verb_lexicon.h — the verb lexicon of the labeling policy
// (../shared/corpus/README.md "How a label is reached", step 1), shared by
// every name-based provider: AWS operations, operationIds, GraphQL fields,
// Elasticsearch API names.
//
// A canonical operation name is split into words (CamelCase, camelCase,
// kebab-case, snake_case, dotted), a leading `Batch`/`Admin` is skipped, and
// the verb word decides: a destructive verb, a read verb, or anything else
// (a write). Providers keep their explicit exceptions as an OperationOverride
// table (data, one reason per row) and call tier_with_overrides().
//
// Allocation-free: words are views into the name, at most kMaxNameWords.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "classifiers/classification.h"

namespace askfirst::classifiers {

// Verb-first ("DeleteDBInstance", "repos-delete") or noun-first
// ("volumeDelete", "indices.delete", "connector.secret_get"): noun-first
// names are checked from the end (last word, then the last dotted segment
// joined, e.g. "who_am_i" -> "whoami", then the first word).
enum class NameOrder { verb_first, noun_first };

// The longest AWS operation name has 13 words; 24 leaves room for long
// GraphQL fields. Words past the bound are dropped (they are never the verb
// in verb-first names; for noun-first names the last word is kept).
inline constexpr std::size_t kMaxNameWords = 24;

struct NameWords {
    std::array<std::string_view, kMaxNameWords> words{};
    std::size_t count = 0;

    std::span<const std::string_view> view() const& { return {words.data(), count}; }
    // On a temporary, view() returns the words themselves, so that
    // `for (auto w : split_name_words(n).view())` iterates a value whose
    // lifetime the loop extends instead of a span into a dead temporary.
    NameWords view() && { return *this; }
    const std::string_view* begin() const { return words.data(); }
    const std::string_view* end() const { return words.data() + count; }
    std::size_t size() const { return count; }
    bool empty() const { return count == 0; }
    std::string_view front() const { return words[0]; }
    std::string_view back() const { return words[count - 1]; }
};

// Splits at '-', '_', '.', '/', ' ', ':' and at case changes:
// "DeleteDBInstance" -> Delete|DB|Instance, "listAPIKeys" -> list|API|Keys,
// "ec2Instance" -> ec2|Instance. Digits stay with the word before them.
NameWords split_name_words(std::string_view name);

// The tier a single word names as a verb, compared case-insensitively:
// destructive, read, or nullopt for any other word (which makes a write).
std::optional<Tier> verb_word_tier(std::string_view word);

// The lexicon's read verbs (lower case, sorted), for tests that pin a rule
// for every read-looking name ("a mutation is never read, whatever its verb").
std::span<const std::string_view> lexicon_read_verbs();

// The policy's step 1 for one name, without overrides. An empty name is a write.
Tier tier_from_operation_name(std::string_view name, NameOrder order);

// The word that decided tier_from_operation_name (for details and tests);
// empty when no known verb was found.
std::string_view deciding_verb(std::string_view name, NameOrder order);

// One explicit exception to the lexicon, kept as data by each provider.
struct OperationOverride {
    std::string_view operation;  // exact canonical name, e.g. "kms:ScheduleKeyDeletion"
    Tier tier;
    std::string_view reason;     // one line: why the verb lies
};

// The override row for `operation` (exact, case-sensitive match), or nullptr.
const OperationOverride* find_override(std::span<const OperationOverride> table,
                                       std::string_view operation);

// The override's tier if `operation` has one, else the lexicon's tier for
// `verb_name` (usually the operation without its provider prefix).
Tier tier_with_overrides(std::span<const OperationOverride> table, std::string_view operation,
                         std::string_view verb_name, NameOrder order);

}  // namespace askfirst::classifiers
