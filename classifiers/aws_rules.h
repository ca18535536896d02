// classifiers/aws_rules.h — the AWS labeling rules after the operation is
// known (../shared/classifier-rules.md §1 "Label rules"): the verb lexicon
// with AWS's override table, parameter escalations, SQL carriers, EC2 dry
// runs and risk flags.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "classifiers/aws_parameters.h"
#include "classifiers/aws_resolve.h"
#include "classifiers/verb_lexicon.h"

namespace askfirst::classifiers::aws {

struct Judgement {
    Tier tier = Tier::write;
    std::vector<std::string> flags;             // "skips-final-snapshot", "dry-run", ...
    std::vector<std::string> shown_parameters;  // for the dialog: "SkipFinalSnapshot=true"
};

// The tier and notes for one resolved operation; `operation` is the
// canonical "<iam prefix>:<Name>" (or the best name known).
Judgement judge_operation(const ResolvedOperation& resolved, std::string_view operation,
                          const HttpRequest& request, const RequestParameters& parameters);

// Can the body change this operation's tier (an escalation, de-escalation or
// SQL carrier reads a body parameter)? Decides needs_body() for AWS.
bool body_can_change_tier(std::string_view operation, aws_model::Protocol protocol);

// AWS's explicit exceptions to the verb lexicon, each with its reason.
std::span<const OperationOverride> aws_overrides();

// Operations whose read-looking verb disagrees with their IAM access level
// (classifiers/aws_access_levels.cpp), each with its reason. Consulted after
// aws_overrides() and before the REST method and the lexicon.
std::span<const OperationOverride> aws_access_level_overrides();

}  // namespace askfirst::classifiers::aws
