// classifiers/railway.cpp — the `railway` provider: Railway's public GraphQL
// API at backboard.railway.com/graphql/v2 (legacy backboard.railway.app)
// (../shared/classifier-rules.md §12; the PocketOS incident provider).
//
// Railway's mutation fields are noun-first (`volumeDelete`,
// `projectScheduleDelete`), so the lexicon checks the last word, then the
// first. The override table holds the names whose verb lies; risk flags mark
// writes that deserve attention (in-place restores, scale to zero, replacing
// every variable). The detail names the target: `volumeDelete vol_prod_…`.
// A WebSocket upgrade (subscriptions) carries no document: the registry
// judges it destructive, since a graphql-ws connection can carry any
// mutation later that nothing reads (classifiers/registry.cpp).
#include <cstdlib>
#include <string>

#include "classifiers/graphql.h"
#include "classifiers/provider.h"
#include "classifiers/verb_lexicon.h"

namespace askfirst::classifiers {

namespace {

constexpr std::string_view kRailwayHosts[] = {"backboard.railway.com", "backboard.railway.app"};

// Mutation names whose last/first-word verb lies. Reviewed against the
// mutation list of railwayapp/cli src/gql/schema.json.
constexpr OperationOverride kRailwayOverrides[] = {
    {"providerAuthRemove", Tier::destructive, "its schema description says \"Deletes a ProviderAuth\""},
    {"projectScheduleDeleteForce", Tier::destructive, "skips the 48 h grace period: deletes the project now"},
    {"webhookTest", Tier::write, "sends a real payload to the webhook URL"},
    {"notificationDeliveriesMarkAsRead", Tier::write, "ends in Read but changes read state"},
    {"purgeServiceCache", Tier::write, "purges only the CDN cache; no data is lost"},
    {"privateNetworkCreateOrGet", Tier::write, "creates the private network when it does not exist"},
    {"privateNetworkEndpointCreateOrGet", Tier::write, "creates the endpoint when it does not exist"},
    {"recoveryCodeGenerate", Tier::write, "replaces the account's 2FA recovery codes"},
    {"templateGenerate", Tier::write, "creates a template from a project"},
};

struct RiskFlag {
    std::string_view field;
    std::string_view flag;
};
constexpr RiskFlag kRiskFlags[] = {
    {"volumeInstanceBackupRestore", "in-place restore overwrites the volume"},
    {"deploymentRemove", "removes a deployment"},
    {"deploymentRollback", "rolls the service back"},
    {"volumeDetach", "detaches the volume from its service"},
    {"projectTransfer", "moves the project to another owner"},
    {"projectTransferInitiate", "moves the project to another owner"},
    {"projectTransferConfirm", "moves the project to another owner"},
    {"projectTransferToTeam", "moves the project to another owner"},
    {"signalReplace", "clears all of the signal's rules"},
    {"sandboxExec", "runs a command in the sandbox"},
};

bool railway_matches(const HttpRequest& request) { return host_matches_any(request.host, kRailwayHosts); }

Tier railway_field_tier(std::string_view field) {
    return tier_with_overrides(kRailwayOverrides, field, field, NameOrder::noun_first);
}

bool is_true(const graphql::Value* value) { return value != nullptr && value->text == "true"; }
bool is_zero(const graphql::Value* value) {
    return value != nullptr && value->kind == graphql::Value::Kind::number && std::strtod(value->text.c_str(), nullptr) == 0;
}

void railway_escalate(const graphql::ResolvedField& field, graphql::FieldJudgement& judgement) {
    for (const auto& risk : kRiskFlags)
        if (field.name == risk.field) judgement.flags.emplace_back(risk.flag);
    const graphql::Value* input = field.argument("input");
    if (field.name == "serviceInstanceUpdate" && input != nullptr && is_zero(input->member("numReplicas")))
        judgement.flags.push_back("scales the service to zero replicas");
    if (field.name == "variableCollectionUpsert" && input != nullptr && is_true(input->member("replace")))
        judgement.flags.push_back("replace: drops every variable not listed");
}

const graphql::GraphqlPolicy kRailwayPolicy{"railway", &railway_field_tier, &railway_escalate};

Classification railway_classify(const HttpRequest& request) {
    return graphql::classify_graphql_request(request, kRailwayPolicy);
}

bool railway_needs_body(const HttpRequest& request) { return request.method != "GET"; }

}  // namespace

extern const Provider kRailwayProvider{"railway", railway_matches, railway_classify, railway_needs_body};

}  // namespace askfirst::classifiers
