// consent/policy.cpp — modes, their names, and the mode × tier table.
#include "consent/policy.h"

#include <array>

#include "src/base/enum_table.h"

namespace askfirst::consent {

namespace {

struct ModeRow {
    Mode mode;
    std::string_view name;
    std::array<PolicyAction, 3> by_tier;  // read, write, destructive
};

using enum PolicyAction;

// ../shared/design.md, "Decisions".
constexpr std::array<ModeRow, 5> kModeTable = {{
    {Mode::off, "off", {pass, pass, pass}},
    {Mode::block_destructive, "block-destructive", {pass, pass, block}},
    {Mode::prompt_destructive, "prompt-destructive", {pass, pass, ask}},
    {Mode::prompt_writes, "prompt-writes", {pass, ask, ask}},
    {Mode::block_writes, "block-writes", {pass, block, block}},
}};
static_assert(rows_follow_enum(kModeTable, &ModeRow::mode, Mode::block_writes), "one row per Mode, in order");

constexpr std::array<std::pair<NoUiAnswer, std::string_view>, 2> kNoUiNames = {{
    {NoUiAnswer::deny, "deny"},
    {NoUiAnswer::allow, "allow"},
}};
static_assert(rows_follow_enum(kNoUiNames, &std::pair<NoUiAnswer, std::string_view>::first, NoUiAnswer::allow),
              "one name per NoUiAnswer, in order");

const ModeRow& row_of(Mode mode) {
    for (const ModeRow& row : kModeTable) {
        if (row.mode == mode) return row;
    }
    return kModeTable[3];  // unreachable: every Mode has a row
}

std::string accepted_modes() {
    std::string out;
    for (const ModeRow& row : kModeTable) {
        if (!out.empty()) out += ", ";
        out += row.name;
    }
    return out;
}

}  // namespace

std::string_view mode_name(Mode mode) { return row_of(mode).name; }

std::string_view action_name(PolicyAction action) {
    switch (action) {
        case pass: return "pass";
        case block: return "block";
        case ask: return "ask";
    }
    return "block";
}

std::string_view no_ui_name(NoUiAnswer answer) { return answer == NoUiAnswer::allow ? "allow" : "deny"; }

Result<Mode> parse_mode(std::string_view text) {
    for (const ModeRow& row : kModeTable) {
        if (row.name == text) return Result<Mode>::success(row.mode);
    }
    return Result<Mode>::failure("unknown mode '" + std::string(text) + "' (expected one of: " + accepted_modes() + ")");
}

Result<NoUiAnswer> parse_no_ui(std::string_view text) {
    for (const auto& [answer, name] : kNoUiNames) {
        if (name == text) return Result<NoUiAnswer>::success(answer);
    }
    return Result<NoUiAnswer>::failure("unknown consent.no_ui value '" + std::string(text) + "' (expected deny or allow)");
}

PolicyAction action_for(Mode mode, Tier tier) {
    return row_of(mode).by_tier[static_cast<std::size_t>(tier)];
}

Mode ModeTable::mode_for(std::string_view provider) const {
    auto it = per_provider_.find(provider);
    return it == per_provider_.end() ? default_mode_ : it->second;
}

Result<ModeTable> parse_mode_table(const std::vector<std::pair<std::string, std::string>>& entries) {
    ModeTable table;
    for (const auto& [key, value] : entries) {
        Result<Mode> mode = parse_mode(value);
        if (!mode) return Result<ModeTable>::failure("modes." + key + ": " + mode.error());
        if (key.empty()) return Result<ModeTable>::failure("modes: an empty provider name");
        if (key == "default") table.set_default(mode.value());
        else table.set(key, mode.value());
    }
    return Result<ModeTable>::success(std::move(table));
}

PolicyDecision decide_by_policy(const ModeTable& modes, std::string_view provider, Tier tier) {
    Mode mode = modes.mode_for(provider);
    return {mode, action_for(mode, tier)};
}

PolicyAction resolve_without_ui(PolicyAction action, NoUiAnswer no_ui) {
    if (action != ask) return action;
    return no_ui == NoUiAnswer::allow ? pass : block;
}

}  // namespace askfirst::consent
