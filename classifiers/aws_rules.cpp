// classifiers/aws_rules.cpp — AWS label rules as data (tables below), and the
// one function that applies them in the order of
// ../shared/classifier-rules.md §0: base label from the name, escalation from
// parameters, de-escalation for dry runs.
#include "classifiers/aws_rules.h"

#include <algorithm>
#include <cstdlib>

#include "classifiers/sql.h"

namespace askfirst::classifiers::aws {
namespace {

// Overrides: where the verb lies (classifier-rules.md §1, corpus notes).
constexpr OperationOverride kAwsOverrides[] = {
    {"kms:ScheduleKeyDeletion", Tier::destructive, "schedules the key's deletion; data under it becomes unreadable"},
    {"ec2:DeregisterImage", Tier::destructive, "the AMI stops existing"},
    {"secretsmanager:RemoveRegionsFromReplication", Tier::destructive, "deletes the replica secrets"},
    {"backup:DisassociateRecoveryPoint", Tier::destructive, "deletes the continuous-backup recovery point"},
    {"rds:BacktrackDBCluster", Tier::destructive, "rewinds the cluster in place; later writes are lost"},
    {"elasticbeanstalk:RebuildEnvironment", Tier::destructive, "terminates and recreates every resource"},
    {"organizations:CloseAccount", Tier::destructive, "closes, then permanently deletes, an AWS account"},
    {"elasticmapreduce:TerminateJobFlows", Tier::destructive, "terminates the cluster and its HDFS data"},
    {"elasticache:TestFailover", Tier::write, "'Test' verb but it triggers a real primary failover"},
    {"apigateway:TestInvokeMethod", Tier::write, "'Test' verb but it invokes the real backend"},
    {"apigateway:TestInvokeAuthorizer", Tier::write, "'Test' verb but it invokes the real authorizer"},
    {"cloudformation:TestType", Tier::write, "'Test' verb but it runs the extension's handlers"},
    {"sns:VerifySMSSandboxPhoneNumber", Tier::write, "'Verify' verb but it changes the sandbox list"},
    {"states:GetActivityTask", Tier::write, "'Get' verb but it dequeues a task"},
    {"redshift:GetClusterCredentials", Tier::write, "'Get' verb but mints DB credentials and can auto-create the DB user"},
    {"apigateway:FlushStageCache", Tier::write, "flushes a cache, no data (classifier-rules.md §0 flush exception)"},
    {"apigateway:FlushStageAuthorizersCache", Tier::write, "flushes a cache, no data"},
    {"appsync:FlushApiCache", Tier::write, "flushes a cache, no data"},
    {"logs:StartQuery", Tier::read, "starts a read-only Logs Insights query"},
    {"logs:StopQuery", Tier::read, "stops a read-only Logs Insights query"},
    {"logs:StartLiveTail", Tier::read, "streams log events; changes nothing"},
    {"acm:ExportCertificate", Tier::read, "returns the certificate and key (sensitive, but changes nothing)"},
    {"kinesis:SubscribeToShard", Tier::read, "reads records from a shard"},
    {"ec2:ExportClientVpnClientCertificateRevocationList", Tier::read, "returns the CRL; creates nothing"},
};

enum class Effect { escalate, flag };

// Parameter rules. `operation` ending in '*' matches every operation with
// that prefix. `value` empty: any occurrence of the parameter counts.
struct ParameterRule {
    std::string_view operation;
    std::string_view parameter;
    std::string_view value;
    Effect effect;
    std::string_view flag;
};

constexpr ParameterRule kParameterRules[] = {
    // Escalations to destructive (classifier-rules.md §1 "Escalate to destructive").
    {"rds:ModifyDBInstance", "BackupRetentionPeriod", "0", Effect::escalate, "deletes-backups"},
    {"rds:ModifyDBCluster", "BackupRetentionPeriod", "0", Effect::escalate, "deletes-backups"},
    {"ec2:CancelSpotFleetRequests", "TerminateInstances", "true", Effect::escalate, "terminates-instances"},
    {"ec2:DeleteFleets", "TerminateInstances", "true", Effect::escalate, "terminates-instances"},
    {"ec2:CreateReplaceRootVolumeTask", "DeleteReplacedRootVolume", "true", Effect::escalate, "deletes-root-volume"},
    {"dynamodb:BatchWriteItem", "DeleteRequest", "", Effect::escalate, "deletes-items"},
    {"dynamodb:TransactWriteItems", "Delete", "", Effect::escalate, "deletes-items"},
    {"dynamodb:UpdateContinuousBackups", "PointInTimeRecoveryEnabled", "false", Effect::escalate, "deletes-backups"},
    {"route53:ChangeResourceRecordSets", "Action", "DELETE", Effect::escalate, "deletes-records"},
    {"s3:PutBucketLifecycleConfiguration", "Expiration", "", Effect::escalate, "expires-objects"},
    {"s3:PutBucketLifecycleConfiguration", "NoncurrentVersionExpiration", "", Effect::escalate, "expires-objects"},
    {"s3:PutBucketLifecycle", "Expiration", "", Effect::escalate, "expires-objects"},
    {"s3:PutBucketLifecycle", "NoncurrentVersionExpiration", "", Effect::escalate, "expires-objects"},
    // Red team 5, beyond the rules' list, by the same reasoning: ECR's only
    // lifecycle action is `expire` (every policy deletes the images its rules
    // match, as S3's Expiration deletes objects), and Redshift deletes the
    // automated snapshots outside a lowered retention (0: all of them), as
    // RDS does with BackupRetentionPeriod=0.
    {"ecr:PutLifecyclePolicy", "lifecyclePolicyText", "", Effect::escalate, "expires-images"},
    {"redshift:ModifyCluster", "AutomatedSnapshotRetentionPeriod", "0", Effect::escalate, "deletes-backups"},
    // Destructive already; flags for the dialog ("Keep destructive, but show the flags").
    {"rds:DeleteDBInstance", "SkipFinalSnapshot", "true", Effect::flag, "skips-final-snapshot"},
    {"rds:DeleteDBInstance", "DeleteAutomatedBackups", "true", Effect::flag, "deletes-backups"},
    {"rds:DeleteDBCluster", "SkipFinalSnapshot", "true", Effect::flag, "skips-final-snapshot"},
    {"redshift:DeleteCluster", "SkipFinalClusterSnapshot", "true", Effect::flag, "skips-final-snapshot"},
    {"secretsmanager:DeleteSecret", "ForceDeleteWithoutRecovery", "true", Effect::flag, "no-recovery-window"},
    {"cloudformation:DeleteStack", "RetainResources", "", Effect::flag, "retains-resources"},
    {"ecs:DeleteService", "force", "true", Effect::flag, "force"},
    // Writes with a risk flag ("Risk flags").
    {"rds:*", "DeletionProtection", "false", Effect::flag, "deletion-protection-off"},
    {"ec2:ModifyInstanceAttribute", "DisableApiTermination", "false", Effect::flag, "termination-protection-off"},
    {"cloudformation:UpdateTerminationProtection", "EnableTerminationProtection", "false", Effect::flag,
     "termination-protection-off"},
    {"elasticfilesystem:PutBackupPolicy", "Status", "DISABLED", Effect::flag, "backups-off"},
    {"logs:PutRetentionPolicy", "retentionInDays", "", Effect::flag, "retention-change"},
    {"backup:UpdateBackupPlan", "DeleteAfterDays", "", Effect::flag, "retention-change"},
    {"dynamodb:UpdateTimeToLive", "Enabled", "true", Effect::flag, "items-expire"},
    {"dynamodb:UpdateTable", "DeletionProtectionEnabled", "false", Effect::flag, "deletion-protection-off"},
    {"s3:PutBucketVersioning", "Status", "Suspended", Effect::flag, "versioning-suspended"},
    {"s3:PutBucketPolicy", "Principal", "*", Effect::flag, "public-principal"},
};

// SQL carriers (classifier-rules.md §1, SQL-carrying APIs): the statement
// text is judged by the SQL rules (§17); it can only raise the tier.
struct SqlCarrier {
    std::string_view operation;
    std::string_view parameter;  // searched at any depth; arrays of strings count per element
    SqlDialect dialect;
};

constexpr SqlCarrier kSqlCarriers[] = {
    {"rds-data:ExecuteStatement", "sql", SqlDialect::generic},  // Aurora MySQL or PostgreSQL: unknown here
    {"rds-data:BatchExecuteStatement", "sql", SqlDialect::generic},
    {"rds-data:ExecuteSql", "sqlStatements", SqlDialect::generic},
    {"redshift-data:ExecuteStatement", "Sql", SqlDialect::postgres},
    {"redshift-data:BatchExecuteStatement", "Sqls", SqlDialect::postgres},
    {"athena:StartQueryExecution", "QueryString", SqlDialect::generic},
    {"timestream:Query", "QueryString", SqlDialect::generic},
    {"dynamodb:ExecuteStatement", "Statement", SqlDialect::generic},  // PartiQL
    {"dynamodb:BatchExecuteStatement", "Statement", SqlDialect::generic},
    {"dynamodb:ExecuteTransaction", "Statement", SqlDialect::generic},
};

bool operation_matches(std::string_view pattern, std::string_view operation) {
    if (!pattern.empty() && pattern.back() == '*')
        return operation.substr(0, pattern.size() - 1) == pattern.substr(0, pattern.size() - 1);
    return pattern == operation;
}

// Case-insensitive text equality, or numeric equality ("0" == "0.0" == "00").
bool value_matches(std::string_view actual, std::string_view expected) {
    if (equals_ignoring_case(actual, expected)) return true;
    if (actual.empty() || expected.empty()) return false;
    const std::string a(actual), e(expected);
    char* a_end = nullptr;
    char* e_end = nullptr;
    const double av = std::strtod(a.c_str(), &a_end);
    const double ev = std::strtod(e.c_str(), &e_end);
    return *a_end == '\0' && *e_end == '\0' && a_end != a.c_str() && e_end != e.c_str() && av == ev;
}

void add_unique(std::vector<std::string>& list, std::string_view item) {
    if (std::find(list.begin(), list.end(), item) == list.end()) list.emplace_back(item);
}

bool is_read_method(std::string_view method) { return method == "GET" || method == "HEAD"; }

bool name_says_delete(std::string_view name) {
    constexpr std::string_view kDelete = "delete";
    for (std::size_t i = 0; i + kDelete.size() <= name.size(); ++i)
        if (equals_ignoring_case(name.substr(i, kDelete.size()), kDelete)) return true;
    return false;
}

}  // namespace

std::span<const OperationOverride> aws_overrides() { return kAwsOverrides; }

namespace {

// Policy step 1 and 2: the name decides; a REST GET/HEAD is a read; an
// operation the model does not know is at least a write (invariant 6).
Tier base_tier(const ResolvedOperation& resolved, std::string_view operation, const HttpRequest& request,
               Judgement& judgement) {
    const auto colon = operation.find(':');
    const std::string_view name = colon == std::string_view::npos ? operation : operation.substr(colon + 1);
    if (resolved.operation != nullptr) {
        if (const OperationOverride* row = find_override(kAwsOverrides, operation)) return row->tier;
        if (const OperationOverride* row = find_override(aws_access_level_overrides(), operation)) return row->tier;
        const bool rest = resolved.protocol == aws_model::Protocol::rest_json ||
                          resolved.protocol == aws_model::Protocol::rest_xml;
        if (rest && is_read_method(request.method)) return Tier::read;
        // Policy step 2: a DELETE is destructive when its name says delete, else a write.
        if (rest && request.method == "DELETE") return name_says_delete(name) ? Tier::destructive : Tier::write;
        return tier_from_operation_name(name, NameOrder::verb_first);
    }
    add_unique(judgement.flags, "unknown-operation");
    if (!resolved.requested_name.empty())
        return max_tier(Tier::write, tier_from_operation_name(resolved.requested_name, NameOrder::verb_first));
    return request.method == "DELETE" ? Tier::destructive : Tier::write;
}

void apply_parameter_rules(std::string_view operation, const RequestParameters& parameters, Judgement& judgement) {
    for (const ParameterRule& rule : kParameterRules) {
        if (!operation_matches(rule.operation, operation)) continue;
        for (const std::string& value : parameters.values_anywhere(rule.parameter)) {
            if (!rule.value.empty() && !value_matches(value, rule.value)) continue;
            if (rule.effect == Effect::escalate) judgement.tier = Tier::destructive;
            add_unique(judgement.flags, rule.flag);
            std::string shown(rule.parameter);
            if (!value.empty() && value != "{}" && value != "[]") shown += "=" + value;
            add_unique(judgement.shown_parameters, shown);
            break;
        }
    }
}

void apply_sql_carriers(std::string_view operation, const RequestParameters& parameters, Judgement& judgement) {
    for (const SqlCarrier& carrier : kSqlCarriers) {
        if (carrier.operation != operation) continue;
        const auto texts = parameters.values_anywhere(carrier.parameter);
        if (texts.empty()) continue;
        const SqlVerdict verdict = classify_sql_batch(texts, carrier.dialect);
        judgement.tier = max_tier(judgement.tier, verdict.tier);
        for (const auto& flag : verdict.flags) add_unique(judgement.flags, flag);
        if (!verdict.operation.empty()) add_unique(judgement.shown_parameters, verdict.operation);
    }
}

// EC2 DryRun=true only checks permissions (policy: dry runs are reads).
// Every DryRun value must say true: a conflicting false wins.
void apply_dry_run(const ResolvedOperation& resolved, const RequestParameters& parameters, Judgement& judgement) {
    if (resolved.service == nullptr || resolved.service->protocol != aws_model::Protocol::ec2) return;
    const auto values = parameters.values_anywhere("DryRun");
    if (values.empty()) return;
    for (const auto& value : values)
        if (!equals_ignoring_case(value, "true")) return;
    judgement.tier = Tier::read;
    add_unique(judgement.flags, "dry-run");
    add_unique(judgement.shown_parameters, "DryRun=true");
}

// sqs:SetQueueAttributes MessageRetentionPeriod (seconds): SQS deletes the
// messages older than the retention, so a queue's backlog past a shorter one
// goes at once. Under a day (or unreadable) is a deletion now, on the
// one-day line MongoDB TTL indexes use: destructive (expires-messages).
// Read from the JSON protocol's Attributes map and the query protocol's
// Attribute.N.Name / Attribute.N.Value pairs.
constexpr std::string_view kRetention = "MessageRetentionPeriod";

void apply_queue_retention(std::string_view operation, const RequestParameters& parameters, Judgement& judgement) {
    if (operation != "sqs:SetQueueAttributes") return;
    std::vector<std::string> values = parameters.values_anywhere(kRetention);
    for (const auto& [key, value] : parameters.form()) {
        if (!equals_ignoring_case(value, kRetention) || key.size() < 5 ||
            !equals_ignoring_case(std::string_view(key).substr(key.size() - 5), ".Name"))
            continue;
        const std::string value_key = key.substr(0, key.size() - 5) + ".Value";
        bool found = false;
        for (const auto& [other_key, other_value] : parameters.form())
            if (equals_ignoring_case(other_key, value_key)) {
                values.push_back(other_value);
                found = true;
            }
        if (!found) values.emplace_back();  // a name without its value: unreadable
    }
    for (const std::string& value : values) {
        char* end = nullptr;
        const double seconds = std::strtod(value.c_str(), &end);
        if (!value.empty() && end != nullptr && *end == '\0' && seconds >= 86400) continue;
        judgement.tier = Tier::destructive;
        add_unique(judgement.flags, "expires-messages");
        add_unique(judgement.shown_parameters, std::string(kRetention) + "=" + value);
        return;
    }
}

// Risk flags that depend on the operation's name rather than a parameter.
void apply_name_flags(std::string_view operation, Tier tier, Judgement& judgement) {
    if (tier != Tier::read && operation.substr(0, 4) == "iam:" && operation.find("Policy") != std::string_view::npos)
        add_unique(judgement.flags, "privilege-change");
    if (operation.substr(0, 14) == "sts:AssumeRole") add_unique(judgement.flags, "privilege-pivot");
}

}  // namespace

Judgement judge_operation(const ResolvedOperation& resolved, std::string_view operation, const HttpRequest& request,
                          const RequestParameters& parameters) {
    Judgement judgement;
    judgement.tier = base_tier(resolved, operation, request, judgement);
    apply_parameter_rules(operation, parameters, judgement);
    apply_sql_carriers(operation, parameters, judgement);
    apply_queue_retention(operation, parameters, judgement);
    apply_dry_run(resolved, parameters, judgement);
    apply_name_flags(operation, judgement.tier, judgement);
    return judgement;
}

bool body_can_change_tier(std::string_view operation, aws_model::Protocol protocol) {
    if (protocol == aws_model::Protocol::ec2) return true;  // DryRun may be anywhere in the form
    for (const ParameterRule& rule : kParameterRules)
        if (rule.effect == Effect::escalate && operation_matches(rule.operation, operation)) return true;
    for (const SqlCarrier& carrier : kSqlCarriers)
        if (carrier.operation == operation) return true;
    return operation == "sqs:SetQueueAttributes";
}

}  // namespace askfirst::classifiers::aws
