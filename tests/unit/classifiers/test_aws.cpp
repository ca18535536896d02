// Unit tests for the AWS provider (classifiers/aws*.cpp): protocol
// recognition, form decoding variants, REST routes and S3 addressing,
// escalations, dry runs, overrides, presigned URLs and needs_body().
#include <doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "classifiers/aws_model.h"
#include "classifiers/aws_rules.h"
#include "classifiers/registry.h"

using namespace askfirst::classifiers;

namespace {

constexpr std::string_view kForm = "application/x-www-form-urlencoded; charset=utf-8";

std::string authorization(std::string_view service, std::string_view region = "us-east-1") {
    return "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250603/" + std::string(region) + "/" + std::string(service) +
           "/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000";
}

struct Case {
    const char* behaviour;
    std::string method, host, path, query;
    std::vector<Header> headers;
    std::string body;
    std::string operation;
    Tier tier;
    std::string flag = {};    // a flag that must be present ("" = none checked)
    std::string detail = {};  // exact detail line ("" = not checked)
};

HttpRequest request_of(const Case& c) {
    HttpRequest request;
    request.method = c.method;
    request.host = c.host;
    request.path = c.path;
    request.query = c.query;
    request.headers = c.headers;
    request.body = c.body;
    return request;
}

void check_cases(const std::vector<Case>& cases) {
    for (const Case& c : cases) {
        INFO(c.behaviour);
        const Classification got = classify(request_of(c));
        CHECK(got.provider == "aws");
        CHECK(got.operation == c.operation);
        CHECK(tier_name(got.tier) == tier_name(c.tier));
        if (!c.flag.empty()) CHECK(std::find(got.flags.begin(), got.flags.end(), c.flag) != got.flags.end());
        if (!c.detail.empty()) CHECK(got.detail == c.detail);
    }
}

std::vector<Header> form_headers(std::string_view service) {
    return {{"Content-Type", std::string(kForm)}, {"Authorization", authorization(service)}};
}

std::vector<Header> json_headers(std::string_view service, std::string_view target) {
    return {{"X-Amz-Target", std::string(target)},
            {"Content-Type", "application/x-amz-json-1.0"},
            {"Authorization", authorization(service)}};
}

}  // namespace

TEST_CASE("query protocol: Action in the body or the URL, decoding and case variants") {
    const std::string rds = "rds.us-west-2.amazonaws.com";
    check_cases({
        {"form body names the operation; flags and identifier in the detail", "POST", rds, "/", "", form_headers("rds"),
         "Action=DeleteDBInstance&Version=2014-10-31&DBInstanceIdentifier=prod-db-1&SkipFinalSnapshot=true",
         "rds:DeleteDBInstance", Tier::destructive, "skips-final-snapshot",
         "rds:DeleteDBInstance prod-db-1 SkipFinalSnapshot=true"},
        {"GET with the form in the query string runs the named operation", "GET", rds, "/",
         "Action=DeleteDBInstance&Version=2014-10-31&DBInstanceIdentifier=prod-db-1", {{"Authorization", authorization("rds")}},
         "", "rds:DeleteDBInstance", Tier::destructive},
        {"GET Describe is a read", "GET", rds, "/", "Action=DescribeDBInstances&Version=2014-10-31", {}, "",
         "rds:DescribeDBInstances", Tier::read},
        {"lower-case key and value still name the operation", "POST", rds, "/", "", form_headers("rds"),
         "action=deletedbinstance&DBInstanceIdentifier=x", "rds:DeleteDBInstance", Tier::destructive},
        {"percent-encoded Action is decoded", "POST", rds, "/", "", form_headers("rds"),
         "Action=Delete%44BInstance&DBInstanceIdentifier=x", "rds:DeleteDBInstance", Tier::destructive},
        {"flag value True in another case still flags", "POST", rds, "/", "", form_headers("rds"),
         "Action=DeleteDBInstance&DBInstanceIdentifier=x&SkipFinalSnapshot=True", "rds:DeleteDBInstance",
         Tier::destructive, "skips-final-snapshot"},
        {"conflicting Action in query and body: the more severe counts", "POST", rds, "/",
         "Action=DescribeDBInstances", form_headers("rds"), "Action=DeleteDBInstance&DBInstanceIdentifier=x",
         "rds:DeleteDBInstance", Tier::destructive, "conflicting-actions"},
        {"BackupRetentionPeriod=0 deletes automated backups", "POST", rds, "/", "", form_headers("rds"),
         "Action=ModifyDBInstance&DBInstanceIdentifier=x&BackupRetentionPeriod=0", "rds:ModifyDBInstance",
         Tier::destructive, "deletes-backups"},
        {"BackupRetentionPeriod=7 is an ordinary modify", "POST", rds, "/", "", form_headers("rds"),
         "Action=ModifyDBInstance&DBInstanceIdentifier=x&BackupRetentionPeriod=7", "rds:ModifyDBInstance", Tier::write},
        {"an Action the model does not know is at least a write", "POST", rds, "/", "", form_headers("rds"),
         "Action=DescribeEverythingSecret", "rds:DescribeEverythingSecret", Tier::write, "unknown-operation"},
        {"redshift SkipFinalClusterSnapshot flagged", "POST", "redshift.eu-west-1.amazonaws.com", "/", "",
         form_headers("redshift"), "Action=DeleteCluster&ClusterIdentifier=w&SkipFinalClusterSnapshot=true",
         "redshift:DeleteCluster", Tier::destructive, "skips-final-snapshot"},
        {"override: TestFailover is a write", "POST", "elasticache.eu-west-1.amazonaws.com", "/", "",
         form_headers("elasticache"), "Action=TestFailover&ReplicationGroupId=r", "elasticache:TestFailover",
         Tier::write},
        {"a form body without its Content-Type is still read as a form", "POST", rds, "/", "",
         {{"Authorization", authorization("rds")}}, "Action=DeleteDBCluster&DBClusterIdentifier=c",
         "rds:DeleteDBCluster", Tier::destructive},
        {"unsigned request recognised by host", "POST", "sts.amazonaws.com", "/", "", {{"Content-Type", std::string(kForm)}},
         "Action=AssumeRoleWithWebIdentity&RoleArn=a", "sts:AssumeRoleWithWebIdentity", Tier::write, "privilege-pivot"},
    });
}

TEST_CASE("EC2: Name.N parameters, DryRun and content escalations") {
    const std::string ec2 = "ec2.us-east-1.amazonaws.com";
    check_cases({
        {"terminate is destructive", "POST", ec2, "/", "", form_headers("ec2"),
         "Action=TerminateInstances&InstanceId.1=i-1", "ec2:TerminateInstances", Tier::destructive},
        {"DryRun=true is a read", "POST", ec2, "/", "", form_headers("ec2"),
         "Action=TerminateInstances&InstanceId.1=i-1&DryRun=true", "ec2:TerminateInstances", Tier::read, "dry-run"},
        {"DryRun=false changes nothing", "POST", ec2, "/", "", form_headers("ec2"),
         "Action=TerminateInstances&InstanceId.1=i-1&DryRun=false", "ec2:TerminateInstances", Tier::destructive},
        {"conflicting DryRun values are not a dry run", "POST", ec2, "/", "DryRun=true", form_headers("ec2"),
         "Action=TerminateInstances&InstanceId.1=i-1&DryRun=false", "ec2:TerminateInstances", Tier::destructive},
        {"CancelSpotFleetRequests TerminateInstances=true", "POST", ec2, "/", "", form_headers("ec2"),
         "Action=CancelSpotFleetRequests&SpotFleetRequestId.1=s&TerminateInstances=true",
         "ec2:CancelSpotFleetRequests", Tier::destructive, "terminates-instances"},
        {"CancelSpotFleetRequests without it is a write", "POST", ec2, "/", "", form_headers("ec2"),
         "Action=CancelSpotFleetRequests&SpotFleetRequestId.1=s&TerminateInstances=false",
         "ec2:CancelSpotFleetRequests", Tier::write},
        {"DeregisterImage override", "POST", ec2, "/", "", form_headers("ec2"), "Action=DeregisterImage&ImageId=ami-1",
         "ec2:DeregisterImage", Tier::destructive},
        {"termination protection off is a flagged write", "POST", ec2, "/", "", form_headers("ec2"),
         "Action=ModifyInstanceAttribute&InstanceId=i-1&DisableApiTermination.Value=false",
         "ec2:ModifyInstanceAttribute", Tier::write, "termination-protection-off"},
    });
}

// SQS and CloudWatch speak both the query and the JSON protocol and pick one
// by Content-Type: an X-Amz-Target naming a read must not hide the Action
// of a form body or the query beside it.
TEST_CASE("an X-Amz-Target beside a query-protocol Action is judged as both, the worse") {
    const std::string sqs = "sqs.us-east-1.amazonaws.com";
    std::vector<Header> form_with_target = form_headers("sqs");
    form_with_target.push_back({"X-Amz-Target", "AmazonSQS.ListQueues"});
    check_cases({
        {"form body Action under a read target", "POST", sqs, "/", "", form_with_target,
         "Action=DeleteQueue&QueueUrl=https%3A%2F%2Fsqs.us-east-1.amazonaws.com%2F1%2Fq", "sqs:DeleteQueue",
         Tier::destructive, "conflicting-actions"},
        {"query Action under a read target", "POST", sqs, "/", "Action=DeleteQueue&QueueUrl=q",
         json_headers("sqs", "AmazonSQS.ListQueues"), "{}", "sqs:DeleteQueue", Tier::destructive, "conflicting-actions"},
    });
}

// Smithy RPC v2 CBOR (CloudWatch in recent SDKs): the operation is in the
// path, the body is CBOR. It was an unknown write: DeleteAlarms passed
// block-destructive.
TEST_CASE("RPC v2 CBOR: the operation named in the path") {
    const std::string monitoring = "monitoring.us-east-1.amazonaws.com";
    const std::vector<Header> cbor = {{"smithy-protocol", "rpc-v2-cbor"},
                                      {"Content-Type", "application/cbor"},
                                      {"Authorization", authorization("monitoring")}};
    std::vector<Header> cbor_with_target = cbor;
    cbor_with_target.push_back({"X-Amz-Target", "GraniteServiceVersion20100801.DescribeAlarms"});
    check_cases({
        {"DeleteAlarms", "POST", monitoring, "/service/GraniteServiceVersion20100801/operation/DeleteAlarms", "",
         cbor, "\xa0", "monitoring:DeleteAlarms", Tier::destructive},
        {"DescribeAlarms", "POST", monitoring, "/service/GraniteServiceVersion20100801/operation/DescribeAlarms", "",
         cbor, "\xa0", "monitoring:DescribeAlarms", Tier::read},
        {"a read target beside it does not hide it", "POST", monitoring,
         "/service/GraniteServiceVersion20100801/operation/DeleteAlarms", "", cbor_with_target, "\xa0",
         "monitoring:DeleteAlarms", Tier::destructive, "conflicting-actions"},
    });
}

TEST_CASE("JSON protocol: X-Amz-Target, overrides and body escalations") {
    const std::string ddb = "dynamodb.us-east-1.amazonaws.com";
    check_cases({
        {"target names the operation", "POST", ddb, "/", "", json_headers("dynamodb", "DynamoDB_20120810.DeleteTable"),
         R"({"TableName":"orders"})", "dynamodb:DeleteTable", Tier::destructive, "", "dynamodb:DeleteTable orders"},
        {"BatchWriteItem with a DeleteRequest deletes items", "POST", ddb, "/", "",
         json_headers("dynamodb", "DynamoDB_20120810.BatchWriteItem"),
         R"({"RequestItems":{"t":[{"PutRequest":{"Item":{}}},{"DeleteRequest":{"Key":{}}}]}})",
         "dynamodb:BatchWriteItem", Tier::destructive, "deletes-items"},
        {"BatchWriteItem with only puts is a write", "POST", ddb, "/", "",
         json_headers("dynamodb", "DynamoDB_20120810.BatchWriteItem"),
         R"({"RequestItems":{"t":[{"PutRequest":{"Item":{}}}]}})", "dynamodb:BatchWriteItem", Tier::write},
        {"PITR off removes backups", "POST", ddb, "/", "",
         json_headers("dynamodb", "DynamoDB_20120810.UpdateContinuousBackups"),
         R"({"TableName":"t","PointInTimeRecoverySpecification":{"PointInTimeRecoveryEnabled":false}})",
         "dynamodb:UpdateContinuousBackups", Tier::destructive, "deletes-backups"},
        // Red team 5: deferred deletion that was a write.
        {"ECR lifecycle policy expires images", "POST", "api.ecr.us-east-1.amazonaws.com", "/", "",
         json_headers("ecr", "AmazonEC2ContainerRegistry_V20150921.PutLifecyclePolicy"),
         R"({"repositoryName":"app","lifecyclePolicyText":"{\"rules\":[{\"rulePriority\":1,\"selection\":{\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1},\"action\":{\"type\":\"expire\"}}]}"})",
         "ecr:PutLifecyclePolicy", Tier::destructive, "expires-images"},
        {"Redshift AutomatedSnapshotRetentionPeriod=0 deletes automated snapshots", "POST",
         "redshift.eu-west-1.amazonaws.com", "/", "", form_headers("redshift"),
         "Action=ModifyCluster&ClusterIdentifier=w&AutomatedSnapshotRetentionPeriod=0", "redshift:ModifyCluster",
         Tier::destructive, "deletes-backups"},
        {"Redshift AutomatedSnapshotRetentionPeriod=7 is a write", "POST", "redshift.eu-west-1.amazonaws.com", "/", "",
         form_headers("redshift"), "Action=ModifyCluster&ClusterIdentifier=w&AutomatedSnapshotRetentionPeriod=7",
         "redshift:ModifyCluster", Tier::write},
        {"SQS retention of a minute deletes the backlog (JSON protocol)", "POST", "sqs.us-east-1.amazonaws.com", "/", "",
         json_headers("sqs", "AmazonSQS.SetQueueAttributes"),
         R"({"QueueUrl":"https://sqs.us-east-1.amazonaws.com/1/q","Attributes":{"MessageRetentionPeriod":"60"}})",
         "sqs:SetQueueAttributes", Tier::destructive, "expires-messages"},
        {"SQS retention of four days is a write", "POST", "sqs.us-east-1.amazonaws.com", "/", "",
         json_headers("sqs", "AmazonSQS.SetQueueAttributes"),
         R"({"QueueUrl":"https://sqs.us-east-1.amazonaws.com/1/q","Attributes":{"MessageRetentionPeriod":"345600"}})",
         "sqs:SetQueueAttributes", Tier::write},
        {"SQS retention of a minute (query protocol)", "POST", "sqs.us-east-1.amazonaws.com", "/", "",
         form_headers("sqs"),
         "Action=SetQueueAttributes&QueueUrl=q&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=30"
         "&Attribute.2.Name=MessageRetentionPeriod&Attribute.2.Value=60",
         "sqs:SetQueueAttributes", Tier::destructive, "expires-messages"},
        {"SQS query protocol VisibilityTimeout alone is a write", "POST", "sqs.us-east-1.amazonaws.com", "/", "",
         form_headers("sqs"), "Action=SetQueueAttributes&QueueUrl=q&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=60",
         "sqs:SetQueueAttributes", Tier::write},
        {"KMS ScheduleKeyDeletion override", "POST", "kms.us-east-1.amazonaws.com", "/", "",
         json_headers("kms", "TrentService.ScheduleKeyDeletion"), R"({"KeyId":"k"})", "kms:ScheduleKeyDeletion",
         Tier::destructive},
        {"KMS Decrypt is a write by verb", "POST", "kms.us-east-1.amazonaws.com", "/", "",
         json_headers("kms", "TrentService.Decrypt"), "{}", "kms:Decrypt", Tier::write},
        {"Logs StartQuery override is a read", "POST", "logs.us-east-1.amazonaws.com", "/", "",
         json_headers("logs", "Logs_20140328.StartQuery"), "{}", "logs:StartQuery", Tier::read},
        {"unknown target operation is at least a write", "POST", ddb, "/", "",
         json_headers("dynamodb", "DynamoDB_20120810.DescribeSecrets"), "{}", "dynamodb:DescribeSecrets", Tier::write,
         "unknown-operation"},
        {"signing name differs from IAM prefix: states", "POST", "states.us-east-1.amazonaws.com", "/", "",
         json_headers("states", "AWSStepFunctions.GetActivityTask"), "{}", "states:GetActivityTask", Tier::write},
    });
}

TEST_CASE("REST: route templates, S3 addressing styles and sub-resources") {
    const std::string lifecycle_with_expiration =
        "<LifecycleConfiguration><Rule><ID>r</ID><Status>Enabled</Status><Expiration><Days>30</Days>"
        "</Expiration></Rule></LifecycleConfiguration>";
    const std::string lifecycle_transition_only =
        "<LifecycleConfiguration><Rule><ID>r</ID><Status>Enabled</Status><Transition><Days>30</Days>"
        "<StorageClass>GLACIER</StorageClass></Transition></Rule></LifecycleConfiguration>";
    const std::vector<Header> s3 = {{"Authorization", authorization("s3")}};
    check_cases({
        {"virtual-hosted GetObject", "GET", "my-bucket.s3.eu-west-1.amazonaws.com", "/a/b.csv", "", s3, "",
         "s3:GetObject", Tier::read, "", "s3:GetObject my-bucket/a/b.csv"},
        {"path-style DeleteObject", "DELETE", "s3.eu-west-1.amazonaws.com", "/my-bucket/a/b.csv", "", s3, "",
         "s3:DeleteObject", Tier::destructive, "", "s3:DeleteObject my-bucket/a/b.csv"},
        {"bucket with dots, virtual-hosted DeleteBucket", "DELETE", "my.dotted.bucket.s3.amazonaws.com", "/", "", s3, "",
         "s3:DeleteBucket", Tier::destructive, "", "s3:DeleteBucket my.dotted.bucket"},
        {"S3 Express directory bucket, virtual-hosted", "DELETE",
         "logs--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com", "/k", "",
         {{"Authorization", authorization("s3express", "us-west-2")}}, "", "s3:DeleteObject", Tier::destructive, "",
         "s3:DeleteObject logs--usw2-az1--x-s3/k"},
        {"POST ?delete is DeleteObjects", "POST", "my-bucket.s3.amazonaws.com", "/", "delete", s3,
         "<Delete><Object><Key>a</Key></Object></Delete>", "s3:DeleteObjects", Tier::destructive},
        {"path-style POST ?delete", "POST", "s3.amazonaws.com", "/my-bucket", "delete", s3, "", "s3:DeleteObjects",
         Tier::destructive},
        {"DELETE with uploadId aborts an upload (a write)", "DELETE", "my-bucket.s3.amazonaws.com", "/k", "uploadId=u",
         s3, "", "s3:AbortMultipartUpload", Tier::write},
        {"x-amz-copy-source makes a PUT a CopyObject",
         "PUT", "my-bucket.s3.amazonaws.com", "/k", "",
         {{"Authorization", authorization("s3")}, {"x-amz-copy-source", "/src/k"}}, "", "s3:CopyObject", Tier::write},
        {"lifecycle with Expiration schedules deletion", "PUT", "my-bucket.s3.amazonaws.com", "/", "lifecycle", s3,
         lifecycle_with_expiration, "s3:PutBucketLifecycleConfiguration", Tier::destructive, "expires-objects"},
        {"lifecycle with only transitions is a write", "PUT", "my-bucket.s3.amazonaws.com", "/", "lifecycle", s3,
         lifecycle_transition_only, "s3:PutBucketLifecycleConfiguration", Tier::write},
        {"SelectObjectContent POST is a read", "POST", "my-bucket.s3.amazonaws.com", "/k", "select&select-type=2", s3,
         "", "s3:SelectObjectContent", Tier::read},
        {"S3-compatible host, path style, recognised by signature", "DELETE", "minio.example.test", "/b/k", "", s3, "",
         "s3:DeleteObject", Tier::destructive},
        {"S3 Control by its account host", "GET", "123456789012.s3-control.us-east-1.amazonaws.com",
         "/v20180820/bucket/b", "",
         {{"Authorization", authorization("s3")}, {"x-amz-account-id", "123456789012"}}, "", "s3:GetBucket", Tier::read},
        {"Route 53 change batch with DELETE", "POST", "route53.amazonaws.com", "/2013-04-01/hostedzone/Z1/rrset/", "",
         {{"Authorization", authorization("route53")}},
         "<ChangeResourceRecordSetsRequest><ChangeBatch><Changes><Change><Action>DELETE</Action>"
         "<ResourceRecordSet><Name>a.example.</Name></ResourceRecordSet></Change></Changes></ChangeBatch>"
         "</ChangeResourceRecordSetsRequest>",
         "route53:ChangeResourceRecordSets", Tier::destructive, "deletes-records"},
        {"Route 53 change batch with UPSERT only", "POST", "route53.amazonaws.com", "/2013-04-01/hostedzone/Z1/rrset/",
         "", {{"Authorization", authorization("route53")}},
         "<ChangeResourceRecordSetsRequest><ChangeBatch><Changes><Change><Action>UPSERT</Action>"
         "</Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>",
         "route53:ChangeResourceRecordSets", Tier::write},
        {"Route 53 DELETE hidden in CDATA still counts", "POST", "route53.amazonaws.com",
         "/2013-04-01/hostedzone/Z1/rrset/", "", {{"Authorization", authorization("route53")}},
         "<ChangeBatch><Changes><Change><Action><![CDATA[DELETE]]></Action></Change></Changes></ChangeBatch>",
         "route53:ChangeResourceRecordSets", Tier::destructive},
        {"Lambda DELETE function", "DELETE", "lambda.us-east-1.amazonaws.com", "/2015-03-31/functions/orders", "",
         {{"Authorization", authorization("lambda")}}, "", "lambda:DeleteFunction", Tier::destructive, "",
         "lambda:DeleteFunction orders"},
        {"REST POST with a write name", "POST", "backup.us-east-1.amazonaws.com",
         "/backup-vaults/v/recovery-points/arn%3Aaws%3Abackup%3Ax/disassociate", "", {{"Authorization", authorization("backup")}},
         "", "backup:DisassociateRecoveryPoint", Tier::destructive},
        {"REST DELETE whose name does not say delete is a write (policy step 2)", "DELETE",
         "connect.us-east-1.amazonaws.com", "/phone-number/p-1", "", {{"Authorization", authorization("connect")}}, "",
         "connect:ReleasePhoneNumber", Tier::write},
        {"cache flush override: a write", "DELETE", "apigateway.us-east-1.amazonaws.com",
         "/restapis/r1/stages/prod/cache/data", "", {{"Authorization", authorization("apigateway")}}, "",
         "apigateway:FlushStageCache", Tier::write},
        {"REST GET is a read whatever the verb", "GET", "lambda.us-east-1.amazonaws.com",
         "/2015-03-31/functions/orders/policy", "", {{"Authorization", authorization("lambda")}}, "",
         "lambda:GetPolicy", Tier::read},
        {"REST path that no route knows is at least a write", "GET", "lambda.us-east-1.amazonaws.com", "/nowhere/x/y/z",
         "", {{"Authorization", authorization("lambda")}}, "", "lambda:GET /nowhere/x/y/z", Tier::write,
         "unknown-operation"},
    });
}

TEST_CASE("the detail line stays one line") {
    HttpRequest request;
    request.method = "POST";
    request.host = "dynamodb.us-east-1.amazonaws.com";
    request.path = "/";
    request.headers = json_headers("dynamodb", "DynamoDB_20120810.DeleteTable");
    request.body = R"({"TableName":"a\nb"})";
    const Classification c = classify(request);
    CHECK(c.detail == "dynamodb:DeleteTable a b");
}

TEST_CASE("presigned URLs carry the signature in the query string") {
    const std::string presigned =
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20250603%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20250603T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=00";
    check_cases({
        {"presigned GET on an AWS host", "GET", "b.s3.us-east-1.amazonaws.com", "/k", presigned, {}, "", "s3:GetObject",
         Tier::read},
        {"presigned PUT on a non-AWS host", "PUT", "storage.example.test", "/b/k", presigned, {}, "", "s3:PutObject",
         Tier::write},
        {"presigned DELETE on a non-AWS host", "DELETE", "storage.example.test", "/b/k", presigned, {}, "",
         "s3:DeleteObject", Tier::destructive},
    });
}

TEST_CASE("AWS-signed data planes are not AWS model lookups") {
    HttpRequest request;
    request.method = "POST";
    request.path = "/_search";
    request.headers = {{"Authorization", authorization("es")}};
    for (const char* host : {"search-logs-abc123.us-east-1.es.amazonaws.com", "abc.execute-api.us-east-1.amazonaws.com",
                             "0123ABCD.gr7.us-west-2.eks.amazonaws.com", "fn.lambda-url.us-east-1.on.aws"}) {
        INFO(host);
        request.host = host;
        CHECK(select_provider(request).name != "aws");
    }
    request.host = "es.us-east-1.amazonaws.com";  // the OpenSearch control plane is an AWS API
    CHECK(select_provider(request).name == "aws");
}

TEST_CASE("needs_body: only when the body can change the tier") {
    struct Row { const char* behaviour; std::string method, host, path, query; std::vector<Header> headers; bool needs; };
    const std::vector<Header> s3 = {{"Authorization", authorization("s3")}};
    const Row rows[] = {
        {"query protocol form body holds the Action", "POST", "rds.us-east-1.amazonaws.com", "/", "", form_headers("rds"), true},
        {"query protocol POST without a form Content-Type", "POST", "rds.us-east-1.amazonaws.com", "/", "",
         {{"Authorization", authorization("rds")}}, true},
        {"query protocol GET has everything in the URL", "GET", "rds.us-east-1.amazonaws.com", "/",
         "Action=DeleteDBInstance", {}, false},
        {"S3 PutObject body is data, never a parameter", "PUT", "b.s3.amazonaws.com", "/k", "", s3, false},
        {"S3 lifecycle body can escalate", "PUT", "b.s3.amazonaws.com", "/", "lifecycle", s3, true},
        {"DynamoDB BatchWriteItem body can escalate", "POST", "dynamodb.us-east-1.amazonaws.com", "/", "",
         json_headers("dynamodb", "DynamoDB_20120810.BatchWriteItem"), true},
        {"DynamoDB GetItem body cannot", "POST", "dynamodb.us-east-1.amazonaws.com", "/", "",
         json_headers("dynamodb", "DynamoDB_20120810.GetItem"), false},
        {"Route 53 change batch body can escalate", "POST", "route53.amazonaws.com",
         "/2013-04-01/hostedzone/Z1/rrset/", "", {{"Authorization", authorization("route53")}}, true},
    };
    for (const Row& row : rows) {
        INFO(row.behaviour);
        HttpRequest request;
        request.method = row.method;
        request.host = row.host;
        request.path = row.path;
        request.query = row.query;
        request.headers = row.headers;
        CHECK(needs_body(request) == row.needs);
    }
}

TEST_CASE("SQL carriers: the statement text can raise the tier, never lower it") {
    const std::string ddb = "dynamodb.us-east-1.amazonaws.com";
    check_cases({
        {"PartiQL DELETE through ExecuteStatement", "POST", ddb, "/", "",
         json_headers("dynamodb", "DynamoDB_20120810.ExecuteStatement"),
         R"({"Statement":"DELETE FROM \"Orders\" WHERE pk = 'a'"})", "dynamodb:ExecuteStatement", Tier::destructive},
        {"PartiQL batch with one DELETE among inserts", "POST", ddb, "/", "",
         json_headers("dynamodb", "DynamoDB_20120810.BatchExecuteStatement"),
         R"({"Statements":[{"Statement":"INSERT INTO \"T\" VALUE {'pk':'1'}"},{"Statement":"DELETE FROM \"T\" WHERE pk='2'"}]})",
         "dynamodb:BatchExecuteStatement", Tier::destructive},
        {"PartiQL SELECT stays at the verb's write", "POST", ddb, "/", "",
         json_headers("dynamodb", "DynamoDB_20120810.ExecuteStatement"), R"({"Statement":"SELECT * FROM \"T\""})",
         "dynamodb:ExecuteStatement", Tier::write},
        {"rds-data DROP TABLE", "POST", "rds-data.us-east-1.amazonaws.com", "/Execute", "",
         {{"Authorization", authorization("rds-data")}, {"Content-Type", "application/json"}},
         R"({"resourceArn":"arn:a","secretArn":"arn:s","sql":"DROP TABLE users"})", "rds-data:ExecuteStatement",
         Tier::destructive},
        {"redshift-data batch with TRUNCATE", "POST", "redshift-data.us-east-1.amazonaws.com", "/", "",
         json_headers("redshift-data", "RedshiftData.BatchExecuteStatement"),
         R"j({"ClusterIdentifier":"c","Sqls":["INSERT INTO t VALUES (1)","TRUNCATE t"]})j",
         "redshift-data:BatchExecuteStatement", Tier::destructive},
        {"Athena query that drops a table", "POST", "athena.us-east-1.amazonaws.com", "/", "",
         json_headers("athena", "AmazonAthena.StartQueryExecution"), R"({"QueryString":"DROP TABLE logs"})",
         "athena:StartQueryExecution", Tier::destructive},
    });
}

namespace {

// A request for `operation` ("<prefix>:<Name>") built from the service model
// alone, in the operation's own protocol: form Action=, X-Amz-Target, or
// its REST route with every label filled. Empty method if the model has no
// such operation.
HttpRequest request_from_model(std::string_view operation) {
    namespace model = askfirst::classifiers::aws_model;
    HttpRequest request;
    const std::size_t colon = operation.find(':');
    const std::string_view prefix = operation.substr(0, colon), name = operation.substr(colon + 1);
    for (const model::Service& service : model::kModel.services) {
        if (prefix != service.iam_prefix) continue;
        const model::Operation* found = model::find_operation(service, name);
        if (found == nullptr || name != found->name) continue;
        request.host = std::string(service.endpoint_prefix) + ".us-east-1.amazonaws.com";
        request.headers = {{"Authorization", authorization(service.signing_name)}};
        request.method = "POST";
        request.path = "/";
        if (service.protocol == model::Protocol::query || service.protocol == model::Protocol::ec2) {
            request.headers.push_back({"Content-Type", std::string(kForm)});
            request.body = "Action=" + std::string(name) + "&Version=" + service.api_version;
        } else if (service.protocol == model::Protocol::json) {
            request.headers.push_back({"X-Amz-Target", std::string(service.target_prefix) + "." + std::string(name)});
            request.headers.push_back({"Content-Type", "application/x-amz-json-1.1"});
            request.body = "{}";
        } else {
            const auto index = static_cast<std::size_t>(found - model::kModel.operations.data());
            for (const model::Route& route : model::routes_of(service)) {
                if (route.operation != index) continue;
                request.method = route.method;
                std::string path;
                for (std::string_view rest = route.path; !rest.empty();) {
                    const std::size_t open = rest.find('{');
                    path += rest.substr(0, open);
                    if (open == std::string_view::npos) break;
                    const std::size_t close = rest.find('}', open);
                    path += rest[close - 1] == '+' ? "x/y" : "x";
                    rest.remove_prefix(close + 1);
                }
                request.path = path.substr(0, path.find('?'));
                if (path.find('?') != std::string::npos) request.query = path.substr(path.find('?') + 1);
                for (std::string_view keys = route.query; !keys.empty();) {
                    const std::string_view key = keys.substr(0, keys.find('&'));
                    request.query += (request.query.empty() ? "" : "&") + std::string(key) +
                                     (key.find('=') == std::string_view::npos ? "=x" : "");
                    keys.remove_prefix(std::min(keys.size(), key.size() + 1));
                }
                for (std::string_view names = route.headers; !names.empty();) {
                    const std::string_view header = names.substr(0, names.find(','));
                    request.headers.push_back({std::string(header), "x"});
                    names.remove_prefix(std::min(names.size(), header.size() + 1));
                }
                break;
            }
        }
        return request;
    }
    request.method.clear();
    return request;
}

}  // namespace

// Invariant 6, the class of case (issue 12): a held-back set found AWS
// operations whose IAM access level is Write judged read by their verb
// (Verify*, GetClusterCredentials*). Every row of the override tables —
// the hand-kept one and the one derived from the IAM access levels
// (classifiers/aws_access_levels.cpp) — names an operation of the service
// models, and a request for it built from the model alone gets the row's tier.
TEST_CASE("AWS overrides and IAM access-level exceptions name real operations and decide their tier") {
    std::vector<OperationOverride> rows(aws::aws_overrides().begin(), aws::aws_overrides().end());
    rows.insert(rows.end(), aws::aws_access_level_overrides().begin(), aws::aws_access_level_overrides().end());
    for (const OperationOverride& row : rows) {
        INFO(std::string(row.operation));
        const HttpRequest request = request_from_model(row.operation);
        // Newer than python3-botocore 1.29.27's models: kept for newer SDKs.
        if (row.operation == "logs:StartLiveTail") continue;
        REQUIRE_MESSAGE(!request.method.empty(), "no such operation in the service models");
        const Classification got = classify(request);
        CHECK(got.provider == "aws");
        CHECK(got.operation == row.operation);
        CHECK(tier_name(got.tier) == tier_name(row.tier));
    }
}

TEST_CASE("read-looking AWS operations that IAM calls Write are writes") {
    for (std::string_view operation :
         {"ses:VerifyEmailIdentity", "cognito-idp:VerifyUserAttribute", "redshift:GetClusterCredentialsWithIAM",
          "redshift:GetClusterCredentials", "sts:GetFederationToken", "license-manager:CheckInLicense",
          "swf:PollForActivityTask", "lightsail:GetInstanceAccessDetails", "sns:VerifySMSSandboxPhoneNumber"}) {
        INFO(std::string(operation));
        const HttpRequest request = request_from_model(operation);
        REQUIRE(!request.method.empty());
        CHECK(classify(request).tier >= Tier::write);
    }
    // Reads stay reads: the table is exceptions, not a new rule.
    for (std::string_view operation : {"sts:GetSessionToken", "rds:DescribeDBInstances", "kms:Verify", "s3:GetObject"}) {
        INFO(std::string(operation));
        const HttpRequest request = request_from_model(operation);
        REQUIRE(!request.method.empty());
        CHECK(classify(request).tier == Tier::read);
    }
}

TEST_CASE("IoT signs as execute-api but its operations are named iot, as IAM names them") {
    HttpRequest request;
    request.method = "DELETE";
    request.host = "iot.us-east-1.amazonaws.com";
    request.path = "/things/sensor-1";
    request.headers = {{"Authorization", authorization("execute-api")}};
    const Classification got = classify(request);
    CHECK(got.provider == "aws");
    CHECK(got.operation == "iot:DeleteThing");
    CHECK(got.tier == Tier::destructive);
}
