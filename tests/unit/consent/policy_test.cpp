// tests/unit/consent/policy_test.cpp — the mode × tier table of
// ../shared/design.md, mode parsing, per-provider modes, and consent.no_ui.
#include <doctest.h>

#include "consent/policy.h"

using namespace askfirst::consent;
using askfirst::classifiers::Tier;

TEST_CASE("mode x tier follows the design table exactly") {
    using enum PolicyAction;
    struct Row { Mode mode; PolicyAction read, write, destructive; };
    const Row table[] = {
        {Mode::off, pass, pass, pass},
        {Mode::block_destructive, pass, pass, block},
        {Mode::prompt_destructive, pass, pass, ask},
        {Mode::prompt_writes, pass, ask, ask},
        {Mode::block_writes, pass, block, block},
    };
    for (const Row& row : table) {
        CAPTURE(mode_name(row.mode));
        CHECK(action_for(row.mode, Tier::read) == row.read);
        CHECK(action_for(row.mode, Tier::write) == row.write);
        CHECK(action_for(row.mode, Tier::destructive) == row.destructive);
    }
}

TEST_CASE("mode names parse back to their modes; a bad one is named in the error") {
    for (Mode mode : {Mode::off, Mode::block_destructive, Mode::prompt_destructive, Mode::prompt_writes,
                      Mode::block_writes}) {
        askfirst::Result<Mode> parsed = parse_mode(mode_name(mode));
        REQUIRE(parsed);
        CHECK(parsed.value() == mode);
    }
    for (const char* bad : {"", "Prompt-Writes", "prompt_writes", "read-only", "block-destructive "}) {
        CAPTURE(bad);
        askfirst::Result<Mode> parsed = parse_mode(bad);
        CHECK_FALSE(parsed);
        CHECK(parsed.error().find("'" + std::string(bad) + "'") != std::string::npos);
        CHECK(parsed.error().find("prompt-writes") != std::string::npos);  // lists what is accepted
    }
}

TEST_CASE("the default mode is prompt-writes; per-provider modes override it") {
    ModeTable defaults;
    CHECK(defaults.mode_for("aws") == Mode::prompt_writes);
    askfirst::Result<ModeTable> parsed = parse_mode_table({{"default", "block-writes"}, {"aws", "block-destructive"},
                                                 {"github", "prompt-destructive"}});
    REQUIRE(parsed);
    CHECK(parsed.value().mode_for("aws") == Mode::block_destructive);
    CHECK(parsed.value().mode_for("github") == Mode::prompt_destructive);
    CHECK(parsed.value().mode_for("kubernetes") == Mode::block_writes);
    CHECK(decide_by_policy(parsed.value(), "aws", Tier::destructive).action == PolicyAction::block);
    CHECK(decide_by_policy(parsed.value(), "gitlab", Tier::write).mode == Mode::block_writes);
}

TEST_CASE("a bad mode in the profile names its key path") {
    askfirst::Result<ModeTable> parsed = parse_mode_table({{"default", "off"}, {"aws", "yolo"}});
    CHECK_FALSE(parsed);
    CHECK(parsed.error().rfind("modes.aws: ", 0) == 0);
    CHECK(parsed.error().find("'yolo'") != std::string::npos);
}

TEST_CASE("consent.no_ui: deny (default) blocks an ask, allow passes it, neither touches block") {
    CHECK(parse_no_ui("deny").value() == NoUiAnswer::deny);
    CHECK(parse_no_ui("allow").value() == NoUiAnswer::allow);
    CHECK_FALSE(parse_no_ui("prompt"));
    CHECK(parse_no_ui("yes").error().find("'yes'") != std::string::npos);
    CHECK(resolve_without_ui(PolicyAction::ask, NoUiAnswer::deny) == PolicyAction::block);
    CHECK(resolve_without_ui(PolicyAction::ask, NoUiAnswer::allow) == PolicyAction::pass);
    CHECK(resolve_without_ui(PolicyAction::block, NoUiAnswer::allow) == PolicyAction::block);
    CHECK(resolve_without_ui(PolicyAction::pass, NoUiAnswer::deny) == PolicyAction::pass);
}
