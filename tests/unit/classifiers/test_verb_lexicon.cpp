// Unit tests for classifiers/verb_lexicon: word splitting, the verb tables,
// verb-first vs noun-first names, and override tables.
#include <doctest.h>

#include <string>
#include <vector>

#include "classifiers/verb_lexicon.h"

using namespace askfirst::classifiers;

namespace {

std::string joined(std::string_view name) {
    std::string out;
    const NameWords split = split_name_words(name);
    for (const auto word : split.view()) {
        if (!out.empty()) out += '|';
        out += word;
    }
    return out;
}

}  // namespace

TEST_CASE("split_name_words splits every naming style") {
    struct Row { const char* behaviour; std::string_view name; std::string_view words; };
    const Row rows[] = {
        {"CamelCase", "DeleteDBInstance", "Delete|DB|Instance"},
        {"camelCase with acronym", "listAPIKeys", "list|API|Keys"},
        {"digits stay with their word", "ec2InstanceV2", "ec2|Instance|V2"},
        {"kebab-case", "delete-branch-protection", "delete|branch|protection"},
        {"snake_case", "secret_get", "secret|get"},
        {"dotted and snake", "connector.secret_get", "connector|secret|get"},
        {"slash namespace", "repos/delete-file", "repos|delete|file"},
        {"acronym at the end", "GetDB", "Get|DB"},
        {"leading and doubled separators vanish", "__a--b", "a|b"},
        {"empty name has no words", "", ""},
    };
    for (const Row& row : rows) {
        INFO(row.behaviour);
        CHECK(joined(row.name) == row.words);
    }
}

TEST_CASE("tier_from_operation_name follows the policy's verb lists") {
    struct Row { const char* behaviour; std::string_view name; NameOrder order; Tier tier; };
    constexpr auto V = NameOrder::verb_first;
    constexpr auto N = NameOrder::noun_first;
    const Row rows[] = {
        {"delete verb is destructive", "DeleteDBInstance", V, Tier::destructive},
        {"terminate is destructive", "TerminateInstances", V, Tier::destructive},
        {"release is destructive", "ReleaseAddress", V, Tier::destructive},
        {"describe is read", "DescribeInstances", V, Tier::read},
        {"get is read", "getObject", V, Tier::read},
        {"remove is a write", "RemoveTagsFromResource", V, Tier::write},
        {"deregister is a write", "DeregisterTargets", V, Tier::write},
        {"unknown verb is a write", "CreateBucket", V, Tier::write},
        {"leading Batch is skipped", "BatchDeleteItem", V, Tier::destructive},
        {"leading Admin is skipped", "AdminDeleteUser", V, Tier::destructive},
        {"Batch then Get is read", "BatchGetItem", V, Tier::read},
        {"verb case does not matter", "DELETE_TABLE", V, Tier::destructive},
        {"verb-first ignores a trailing verb", "notificationDeliveriesMarkAsRead", V, Tier::write},
        {"noun-first checks the last word", "volumeDelete", N, Tier::destructive},
        {"noun-first last word read", "connector.secret_get", N, Tier::read},
        {"noun-first dotted api name", "indices.delete", N, Tier::destructive},
        {"noun-first falls back to the first word", "deleteVolumeInstance", N, Tier::destructive},
        {"noun-first joins the tail: who_am_i is whoami", "security.who_am_i", N, Tier::read},
        {"noun-first info", "ccr.follow_info", N, Tier::read},
        {"noun-first with no verb is a write", "serviceInstanceRedeploy", N, Tier::write},
        {"only skipped words is a write", "Batch", V, Tier::write},
        {"empty name is a write", "", V, Tier::write},
        {"verb must be a whole word", "Deleted", V, Tier::write},
    };
    for (const Row& row : rows) {
        INFO(row.behaviour);
        CHECK(tier_from_operation_name(row.name, row.order) == row.tier);
    }
}

TEST_CASE("deciding_verb names the word that decided") {
    CHECK(deciding_verb("BatchDeleteItem", NameOrder::verb_first) == "Delete");
    CHECK(deciding_verb("volumeDelete", NameOrder::noun_first) == "Delete");
    CHECK(deciding_verb("CreateBucket", NameOrder::verb_first).empty());
}

TEST_CASE("override tables win over the lexicon") {
    constexpr OperationOverride kTable[] = {
        {"kms:ScheduleKeyDeletion", Tier::destructive, "schedules the key's deletion"},
        {"elasticache:TestFailover", Tier::write, "fails over for real"},
    };
    CHECK(tier_with_overrides(kTable, "kms:ScheduleKeyDeletion", "ScheduleKeyDeletion",
                              NameOrder::verb_first) == Tier::destructive);
    CHECK(tier_with_overrides(kTable, "elasticache:TestFailover", "TestFailover",
                              NameOrder::verb_first) == Tier::write);
    CHECK(tier_with_overrides(kTable, "ec2:DescribeVpcs", "DescribeVpcs", NameOrder::verb_first) ==
          Tier::read);
    CHECK(find_override(kTable, "kms:schedulekeydeletion") == nullptr);  // exact match only
    REQUIRE(find_override(kTable, "elasticache:TestFailover") != nullptr);
    CHECK_FALSE(find_override(kTable, "elasticache:TestFailover")->reason.empty());
}

TEST_CASE("iterating the words of a temporary split is safe") {
    // view() on a temporary returns the words by value; the loop keeps them alive (ASan checks
    // this). The words are views into the name, which must outlive them.
    const std::string name = "DeleteDBInstance";
    std::string seen;
    for (const auto word : split_name_words(name).view()) seen += word;
    CHECK(seen == "DeleteDBInstance");
    const NameWords kept = split_name_words("listAPIKeys");
    CHECK(kept.view().size() == 3);
    CHECK(kept.size() == 3);
}
