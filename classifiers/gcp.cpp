// classifiers/gcp.cpp — the Google Cloud provider (*.googleapis.com;
// ../shared/classifier-rules.md §13).
//
// Resource-oriented design (AIP-131…136): after the version segment (v1,
// v2beta1, …) the path alternates collection and resource id.
//  * GET/HEAD read; POST to a collection and PATCH/PUT write; DELETE
//    destructive.
//  * Custom methods `POST …/{resource}:{verb}` (AIP-136): the verb
//    lexicon on the verb (`:getIamPolicy`, `:testIamPermissions`,
//    `:search…`, `:batchGet` read; `:setIamPolicy`, `:cancel`,
//    `:undelete`, `:export` write; `:purge`, `:batchDelete` destructive),
//    plus the overrides below.
//  * Older APIs put the verb in the path (Compute `…/instances/{i}/stop`):
//    a POST is a write, a destructive verb there (`deleteAccessConfig`) is
//    destructive, and only `getIamPolicy`/`testIamPermissions` read.
//  * Content: gcp_content.h (BigQuery SQL and dispositions, Firestore and
//    Datastore commits, the Cloud Storage XML API, `/batch` envelopes).
// Operation: "<service> <METHOD> <collection>/{}/…[:verb]".
#include <algorithm>
#include <iterator>

#include "classifiers/gcp_content.h"
#include "classifiers/provider.h"
#include "classifiers/rest_resource.h"
#include "classifiers/url_query.h"
#include "classifiers/verb_lexicon.h"

namespace askfirst::classifiers {
namespace {

constexpr std::string_view kGcpHosts[] = {"*.googleapis.com"};

// Custom verbs whose lexicon label is wrong, with the reason.
constexpr OperationOverride kGcpVerbOverrides[] = {
    {"runQuery", Tier::read, "Firestore/Datastore query"},
    {"runAggregationQuery", Tier::read, "Firestore/Datastore aggregation query"},
    {"beginTransaction", Tier::write, "opens a transaction (lexicon has no 'begin')"},
    {"restoreBackup", Tier::write, "overwrites the instance from a backup: flagged"},
    // 'generate' reads in the lexicon, but these mint credentials or create
    // something (policy: minting credentials is a write; issue 12's class of
    // case, a read verb on an operation that writes). Sources: the IAM
    // Credentials, Cloud SQL Admin, Service Usage, Cloud Functions and Apigee
    // REST references (cloud.google.com/<product>/docs/reference/rest).
    {"generateAccessToken", Tier::write, "mints an OAuth access token for a service account"},
    {"generateIdToken", Tier::write, "mints an OpenID Connect token for a service account"},
    {"generateEphemeralCert", Tier::write, "mints a client certificate for the database"},
    {"generateServiceIdentity", Tier::write, "creates the service's service agent identity"},
    {"generateUploadUrl", Tier::write, "creates a signed URL that replaces the function's source"},
    {"generateKeyPairOrUpdateDeveloperAppStatus", Tier::write, "creates a key pair or changes the app's status"},
};
// Path-segment verbs of the older APIs that read although sent by POST.
constexpr std::string_view kPathReadVerbs[] = {"getIamPolicy", "testIamPermissions"};
// Path-segment or custom verbs that deserve a flag.
struct GcpFlagRule {
    std::string_view verb;
    std::string_view flag;
};
constexpr GcpFlagRule kGcpFlags[] = {
    {"restoreBackup", "overwrites-instance-from-backup"},
    {"setIamPolicy", "changes-access-policy"},
    {"setDeletionProtection", "changes-deletion-protection"},
    {"generateAccessToken", "mints-credential"},
    {"undelete", "restores-deleted-resource"},
};

struct GcpPath {
    std::string service;
    std::string shape;        // "projects/{}/zones/{}/instances/{}"
    std::string custom_verb;  // after ':' in the last segment
    std::string path_verb;    // a trailing non-collection segment of a POST
};

bool is_version(std::string_view segment) {
    return segment.size() >= 2 && segment[0] == 'v' && segment[1] >= '0' && segment[1] <= '9';
}

// "us-central1-aiplatform.googleapis.com" -> "aiplatform"; "www" -> first path segment.
std::string service_name(std::string_view host, const RequestPath& path) {
    std::string_view label = host.substr(0, host.find('.'));
    if (const auto dash = label.rfind('-'); dash != std::string_view::npos) label = label.substr(dash + 1);
    if ((label == "www" || label == "content") && !path.segments.empty()) return path.segments[0];
    return std::string(label);
}

GcpPath parse_gcp_path(const HttpRequest& request, const RequestPath& path) {
    GcpPath parsed;
    parsed.service = service_name(request.host, path);
    const auto& s = path.segments;
    const auto version = std::find_if(s.begin(), s.end(), [](const std::string& x) { return is_version(x); });
    std::size_t i = version == s.end() ? 0 : static_cast<std::size_t>(version - s.begin()) + 1;
    for (std::size_t k = 0; i < s.size(); ++i, ++k) {
        std::string segment = s[i];
        if (i + 1 == s.size()) {
            if (const auto colon = segment.find(':'); colon != std::string::npos) {
                parsed.custom_verb = segment.substr(colon + 1);
                segment = segment.substr(0, colon);
            }
        }
        const bool is_id = k % 2 == 1;
        if (!parsed.shape.empty()) parsed.shape += '/';
        parsed.shape += is_id ? std::string("{}") : segment;
        if (i + 1 == s.size() && !is_id && k >= 2 && request.method == "POST") parsed.path_verb = segment;
    }
    return parsed;
}

void add_verb_flags(std::string_view verb, Classification& result) {
    for (const GcpFlagRule& rule : kGcpFlags)
        if (rule.verb == verb) add_flag(result, rule.flag);
}

Tier verb_tier(const GcpPath& parsed, std::string_view method) {
    if (!parsed.custom_verb.empty()) {
        if (is_read_method(method)) return Tier::read;
        return tier_with_overrides(kGcpVerbOverrides, parsed.custom_verb, parsed.custom_verb, NameOrder::verb_first);
    }
    if (!parsed.path_verb.empty()) {
        if (std::find(std::begin(kPathReadVerbs), std::end(kPathReadVerbs), parsed.path_verb) != std::end(kPathReadVerbs))
            return Tier::read;
        const Tier tier = tier_from_operation_name(parsed.path_verb, NameOrder::verb_first);
        return tier == Tier::destructive ? tier : Tier::write;  // a POST never reads by a path word
    }
    return tier_for_rest_method(method);
}

void apply_content(const GcpContentVerdict& verdict, Classification& result) {
    result.tier = verdict.tier;
    if (!verdict.operation.empty()) result.operation = verdict.operation;
    for (const std::string& flag : verdict.flags) add_flag(result, flag);
}

Classification classify_batch(const HttpRequest& request);

// Firestore's TTL policy: PATCH …/collectionGroups/{g}/fields/{f} that sets
// ttlConfig makes the field a TTL: documents whose time in it has passed are
// deleted, within about a day. A write with a risk flag, as DynamoDB's
// UpdateTimeToLive is (§1 risk flags: items-expire).
bool is_firestore_field_update(const HttpRequest& request, const RequestPath& path) {
    if (request.method != "PATCH" || !host_matches_pattern(request.host, "firestore.googleapis.com")) return false;
    const auto& s = path.segments;
    return s.size() >= 4 && s[s.size() - 2] == "fields" && s[s.size() - 4] == "collectionGroups";
}

bool sets_ttl_policy(const HttpRequest& request) {
    const std::optional<std::string> mask = query_param(request.query, "updateMask");
    if (mask && mask->find("ttlConfig") != std::string::npos) return true;
    return !mask && (!request.body_complete || request.body.find("ttlConfig") != std::string::npos);
}

Classification classify_rest(const HttpRequest& request, const RequestPath& path) {
    const GcpPath parsed = parse_gcp_path(request, path);
    std::string operation = parsed.service + " " + request.method + " " + parsed.shape;
    if (!parsed.custom_verb.empty()) operation += ":" + parsed.custom_verb;
    Classification result = make_classification("gcp", std::move(operation), verb_tier(parsed, request.method), request);
    add_verb_flags(parsed.custom_verb.empty() ? parsed.path_verb : parsed.custom_verb, result);
    if (is_bigquery_query_or_job(request.method, path)) apply_content(judge_bigquery(request, path), result);
    if (is_document_commit(request.method, parsed.custom_verb)) apply_content(judge_document_commit(request), result);
    if (is_bucket_lifecycle_update(request, path)) apply_content(judge_bucket_lifecycle(request, path), result);
    if (is_bigquery_table_update(request.method, path)) apply_content(judge_bigquery_table_update(request), result);
    if (is_firestore_field_update(request, path) && sets_ttl_policy(request)) add_flag(result, "items-expire");
    return result;
}

Classification gcp_classify(const HttpRequest& request) {
    const RequestPath path = split_request_path(request.path);
    if (is_gcs_xml(request, path)) {
        Classification result = classify_gcs_xml(request, path);
        if (is_bucket_lifecycle_update(request, path)) apply_content(judge_bucket_lifecycle(request, path), result);
        return result;
    }
    if (is_batch(request.method, path)) return classify_batch(request);
    return classify_rest(request, path);
}

// Each inner request is classified from its request line; an inner request
// whose label would need its body counts as the worst it could be.
Classification classify_batch(const HttpRequest& request) {
    Classification result = make_classification("gcp", "batch", Tier::write, request);
    if (!request.body_complete) return result;  // the registry judges what was not seen
    result.tier = Tier::read;  // raised by each part below
    const int parts = for_each_batch_part(request.body, [&](std::string_view method, std::string_view target) {
        HttpRequest inner;
        inner.method = std::string(method);
        inner.host = request.host;
        inner.path = std::string(target);
        const RequestPath inner_path = split_request_path(inner.path);
        const GcpPath parsed = parse_gcp_path(inner, inner_path);
        Tier tier = classify_rest(inner, inner_path).tier;
        if (is_bigquery_query_or_job(method, inner_path) || is_document_commit(method, parsed.custom_verb) ||
            is_bucket_lifecycle_update(inner, inner_path) || is_bigquery_table_update(method, inner_path)) {
            tier = Tier::destructive;
            add_flag(result, "batch-part-body-not-inspected");
        }
        result.tier = max_tier(result.tier, tier);
    });
    if (parts == 0) {
        result.tier = Tier::write;  // invariant 6: an envelope we could not read
        add_flag(result, "batch-unreadable");
    }
    return result;
}

bool gcp_matches(const HttpRequest& request) { return host_matches_any(request.host, kGcpHosts); }

bool gcp_needs_body(const HttpRequest& head) {
    const RequestPath path = split_request_path(head.path);
    if (is_batch(head.method, path) || is_bigquery_query_or_job(head.method, path)) return true;
    if (is_bucket_lifecycle_update(head, path) || is_bigquery_table_update(head.method, path)) return true;
    if (is_firestore_field_update(head, path) && !query_param(head.query, "updateMask")) return true;
    return is_document_commit(head.method, parse_gcp_path(head, path).custom_verb);
}

}  // namespace

extern const Provider kGcpProvider;
const Provider kGcpProvider{"gcp", gcp_matches, gcp_classify, gcp_needs_body};

}  // namespace askfirst::classifiers
