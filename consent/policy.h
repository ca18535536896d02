// consent/policy.h — the profile's modes and what they make of a tier:
// pass, block (403) or ask a person (../shared/design.md, "Decisions").
//
// Policy knows provider names and tiers only; it never sees a request
// (classification is classifiers/, consent is the broker). Until the consent
// broker exists, "ask" is resolved by the profile's `consent.no_ui`.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/base/result.h"
#include "classifiers/classification.h"

namespace askfirst::consent {

using classifiers::Tier;

enum class Mode { off, block_destructive, prompt_destructive, prompt_writes, block_writes };
enum class PolicyAction { pass, block, ask };

// What "ask" becomes when no person can be asked (profile consent.no_ui).
//   deny  (default): fail closed — an unattended agent gets the 403.
//   allow: for an unattended run whose profile owner accepts the writes but
//          wants each one on record: the request passes and its audit line
//          says decision "pass" with decided_by "policy" and the mode that
//          would have asked. It never turns a `block-*` into a pass, and it
//          is a line in a host-side profile the guest cannot touch.
enum class NoUiAnswer { deny, allow };

inline constexpr Mode kDefaultMode = Mode::prompt_writes;

std::string_view mode_name(Mode mode);
std::string_view action_name(PolicyAction action);
std::string_view no_ui_name(NoUiAnswer answer);

// A failure names the bad value and what is accepted.
Result<Mode> parse_mode(std::string_view text);
Result<NoUiAnswer> parse_no_ui(std::string_view text);

// The table of ../shared/design.md: `off` passes destructive too (the audit
// log still records it).
PolicyAction action_for(Mode mode, Tier tier);

// A default mode plus one per provider.
class ModeTable {
public:
    ModeTable() = default;
    explicit ModeTable(Mode default_mode) : default_mode_(default_mode) {}
    void set(std::string provider, Mode mode) { per_provider_[std::move(provider)] = mode; }
    void set_default(Mode mode) { default_mode_ = mode; }
    Mode mode_for(std::string_view provider) const;
    Mode default_mode() const { return default_mode_; }
    const std::map<std::string, Mode, std::less<>>& per_provider() const { return per_provider_; }

private:
    Mode default_mode_ = kDefaultMode;
    std::map<std::string, Mode, std::less<>> per_provider_;
};

// The profile's "modes" object as (key, value) pairs, in file order: the key
// "default" sets the default, any other key a provider. Errors carry the
// key's path, e.g. "modes.aws: unknown mode 'read-only' (expected one of ...)".
Result<ModeTable> parse_mode_table(const std::vector<std::pair<std::string, std::string>>& entries);

// What the policy decided for one request, before any person is involved.
struct PolicyDecision {
    Mode mode;
    PolicyAction action;
};

PolicyDecision decide_by_policy(const ModeTable& modes, std::string_view provider, Tier tier);

// Until the broker exists: "ask" becomes pass or block by consent.no_ui.
PolicyAction resolve_without_ui(PolicyAction action, NoUiAnswer no_ui);

}  // namespace askfirst::consent
