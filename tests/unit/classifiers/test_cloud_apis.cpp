// Unit tests for the hand-written cloud API classifiers: Azure, Cloudflare,
// Vercel, Supabase, Neon, Terraform Cloud, Heroku and Stripe
// (../shared/classifier-rules.md §14–15): the method rule and each
// provider's exceptions (POSTs that read or delete, DELETEs that don't,
// content escalations).
#include <doctest.h>

#include <algorithm>

#include "classifiers/classification.h"
#include "classifiers/provider.h"
#include "cloud_request.h"

using namespace askfirst::classifiers;
using cloud_test::make_request;

namespace askfirst::classifiers {
extern const Provider kSupabaseProvider;
extern const Provider kCloudflareProvider;
}  // namespace askfirst::classifiers

namespace {

constexpr auto R = Tier::read;
constexpr auto W = Tier::write;
constexpr auto D = Tier::destructive;

struct Row {
    const char* behaviour;
    const char* method;
    const char* host;
    const char* target;
    const char* body;
    const char* provider;
    Tier tier;
    const char* flag;  // "" when none is expected
};

void check_rows(std::span<const Row> rows) {
    for (const Row& row : rows) {
        INFO(std::string(row.behaviour));
        const Classification result = classify(make_request(row.method, row.host, row.target, row.body));
        CHECK(result.provider == row.provider);
        CHECK(result.tier == row.tier);
        if (*row.flag)
            CHECK(std::find(result.flags.begin(), result.flags.end(), std::string(row.flag)) != result.flags.end());
    }
}

constexpr const char* kArm = "management.azure.com";
constexpr const char* kCf = "api.cloudflare.com";
constexpr const char* kSb = "abcdefghijklmnopqrst.supabase.co";
constexpr const char* kTfc = "app.terraform.io";

}  // namespace

TEST_CASE("azure: ARM verbs, actions that read, and batches") {
    const Row rows[] = {
        {"GET reads", "GET", kArm, "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct?api-version=2023-01-01", "", "azure", R, ""},
        {"PUT writes", "PUT", kArm, "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1?api-version=2024-03-01", "{}", "azure", W, ""},
        {"DELETE resource group cascades", "DELETE", kArm, "/subscriptions/s1/resourcegroups/rg?api-version=2021-04-01", "", "azure", D, "deletes-resource-group"},
        {"DELETE lock is destructive and flagged", "DELETE", kArm, "/subscriptions/s1/providers/Microsoft.Authorization/locks/l1?api-version=2020-05-01", "", "azure", D, "removes-lock"},
        {"listKeys is a POST that reads secrets", "POST", kArm, "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct/listKeys?api-version=2023-01-01", "", "azure", R, "returns-secrets"},
        {"generateNewSitePublishingPassword replaces a password: a write", "POST", kArm, "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites/app/generateNewSitePublishingPassword?api-version=2023-01-01", "", "azure", W, ""},
        {"generateKeyPair stores a public key: a write", "POST", kArm, "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/sshPublicKeys/k/generateKeyPair?api-version=2024-03-01", "", "azure", W, ""},
        {"listClusterAdminCredential reads (flagged)", "POST", kArm, "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c/listClusterAdminCredential?api-version=2024-03-01", "", "azure", R, "returns-secrets"},
        {"start is a write", "POST", kArm, "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1/start?api-version=2024-03-01", "", "azure", W, ""},
        {"purge is destructive", "POST", kArm, "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/w/purge?api-version=2020-08-01", "{}", "azure", D, ""},
        {"batch takes its most severe request", "POST", kArm, "/batch?api-version=2020-06-01",
         R"({"requests":[{"httpMethod":"GET","url":"https://management.azure.com/subscriptions/s1?api-version=2020-01-01"},{"httpMethod":"DELETE","url":"/subscriptions/s1/resourceGroups/rg?api-version=2021-04-01"}]})", "azure", D, ""},
        {"batch of reads reads", "POST", kArm, "/batch?api-version=2020-06-01",
         R"({"requests":[{"httpMethod":"GET","url":"/subscriptions/s1/resourceGroups?api-version=2021-04-01"}]})", "azure", R, ""},
        {"unreadable batch is the worst it could be", "POST", kArm, "/batch?api-version=2020-06-01", "nope", "azure", D, "batch-body-unreadable"},
        {"blob DELETE with snapshots", "DELETE", "acct.blob.core.windows.net", "/container/file.txt", "", "azure", D, ""},
        {"Cosmos POST without the query header writes", "POST", "db.documents.azure.com", "/dbs/d/colls/c/docs", "{}", "azure", W, ""},
    };
    check_rows(rows);
    auto cosmos = make_request("POST", "db.documents.azure.com", "/dbs/d/colls/c/docs", "{}",
                               {{"x-ms-documentdb-isquery", "true"}});
    CHECK(classify(cosmos).tier == R);
    auto snapshots = make_request("DELETE", "acct.blob.core.windows.net", "/c/f", "", {{"x-ms-delete-snapshots", "include"}});
    const auto flags = classify(snapshots).flags;
    CHECK(std::find(flags.begin(), flags.end(), "deletes-snapshots") != flags.end());
    CHECK(classify(make_request("POST", kArm, "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct/listKeys")).operation ==
          "Microsoft.Storage/storageAccounts/listKeys/action");
}

// Red team 5: a storage lifecycle management policy whose rules delete
// deletes every blob they match, as S3's Expiration (§1); it was a write.
TEST_CASE("azure: a storage lifecycle policy that deletes is destructive") {
    constexpr const char* kPolicy =
        "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct/managementPolicies/default?api-version=2023-01-01";
    const Row rows[] = {
        {"baseBlob delete after 0 days", "PUT", kArm, kPolicy,
         R"({"properties":{"policy":{"rules":[{"enabled":true,"name":"r","type":"Lifecycle","definition":{"actions":{"baseBlob":{"delete":{"daysAfterModificationGreaterThan":0}}},"filters":{"blobTypes":["blockBlob"]}}}]}}})",
         "azure", D, "expires-objects"},
        {"snapshot delete, PATCH", "PATCH", kArm, kPolicy,
         R"({"properties":{"policy":{"rules":[{"definition":{"actions":{"snapshot":{"Delete":{"daysAfterCreationGreaterThan":1}}}}}]}}})",
         "azure", D, "expires-objects"},
        {"an unreadable policy is the worst", "PUT", kArm, kPolicy, "{", "azure", D, "expires-objects"},
        {"in a batch", "POST", kArm, "/batch?api-version=2020-06-01",
         R"({"requests":[{"httpMethod":"PUT","url":"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct/managementPolicies/default?api-version=2023-01-01","content":{"properties":{"policy":{"rules":[{"definition":{"actions":{"version":{"delete":{"daysAfterCreationGreaterThan":0}}}}}]}}}}]})",
         "azure", D, "expires-objects"},
        {"tiering only stays a write", "PUT", kArm, kPolicy,
         R"({"properties":{"policy":{"rules":[{"definition":{"actions":{"baseBlob":{"tierToCool":{"daysAfterModificationGreaterThan":30}}}}}]}}})",
         "azure", W, ""},
    };
    check_rows(rows);
    CHECK(needs_body(make_request("PUT", kArm, kPolicy)));
}

TEST_CASE("cloudflare: DELETEs, POSTs that delete, caches and GraphQL") {
    const Row rows[] = {
        {"GET zones reads", "GET", kCf, "/client/v4/zones", "", "cloudflare", R, ""},
        {"DELETE DNS record destroys", "DELETE", kCf, "/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/dns_records/372e67954025e0ba6aaa6d586b9e0b59", "", "cloudflare", D, ""},
        {"KV bulk delete is a POST that deletes", "POST", kCf, "/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353/storage/kv/namespaces/0f2ac74b498b48028cb68387c421e279/bulk/delete", R"(["k1","k2"])", "cloudflare", D, ""},
        {"KV bulk write is a write", "PUT", kCf, "/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353/storage/kv/namespaces/0f2ac74b498b48028cb68387c421e279/bulk", "[]", "cloudflare", W, ""},
        {"purge_cache only drops cached copies", "POST", kCf, "/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/purge_cache", R"({"purge_everything":true})", "cloudflare", W, "purges-cdn-cache"},
        {"worker upload writes", "PUT", kCf, "/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353/workers/scripts/api", "x", "cloudflare", W, ""},
        {"DNS batch with deletes destroys", "POST", kCf, "/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/dns_records/batch", R"({"deletes":[{"id":"r1"}],"posts":[]})", "cloudflare", D, "batch-deletes-records"},
        {"repeated deletes key: any non-empty copy deletes", "POST", kCf, "/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/dns_records/batch", R"({"deletes":[],"deletes":[{"id":"r1"}]})", "cloudflare", D, "batch-deletes-records"},
        {"DNS batch without deletes writes", "POST", kCf, "/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/dns_records/batch", R"({"deletes":[],"posts":[{"type":"A"}]})", "cloudflare", W, ""},
        {"GraphQL analytics query reads", "POST", kCf, "/client/v4/graphql", R"({"query":"{ viewer { zones { httpRequests1dGroups(limit: 1) { sum { requests } } } } }"})", "cloudflare", R, ""},
        {"a path outside /client/v4 is at least a write", "GET", kCf, "/something/else", "", "cloudflare", W, "unknown-endpoint"},
    };
    check_rows(rows);
    // D1 SQL belongs to the data area's carrier; if it reaches this provider the SQL was not read.
    const auto d1 = make_request("POST", kCf, "/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353/d1/database/db-uuid/query", R"({"sql":"SELECT 1"})");
    const Classification fallback = kCloudflareProvider.classify(d1);
    CHECK(fallback.tier == D);
    CHECK(std::find(fallback.flags.begin(), fallback.flags.end(), "sql-not-inspected") != fallback.flags.end());
}

TEST_CASE("vercel: REST by method, Blob deletes by POST") {
    const Row rows[] = {
        {"GET projects reads", "GET", "api.vercel.com", "/v9/projects?teamId=team_1", "", "vercel", R, ""},
        {"DELETE project destroys", "DELETE", "api.vercel.com", "/v9/projects/prj_12ab34cd56ef", "", "vercel", D, ""},
        {"DELETE env var destroys", "DELETE", "api.vercel.com", "/v9/projects/prj_12ab34cd56ef/env/env_9a8b7c6d5e", "", "vercel", D, ""},
        {"promote is a flagged write", "POST", "api.vercel.com", "/v10/projects/prj_12ab34cd56ef/promote/dpl_89ab77cd", "", "vercel", W, "changes-production-deployment"},
        {"deployment create writes", "POST", "api.vercel.com", "/v13/deployments", "{}", "vercel", W, ""},
        {"Blob del() is a POST that deletes", "POST", "blob.vercel-storage.com", "/delete", R"({"urls":["https://x.public.blob.vercel-storage.com/a.png"]})", "vercel", D, ""},
        {"Blob list reads", "GET", "blob.vercel-storage.com", "/?limit=10", "", "vercel", R, ""},
    };
    check_rows(rows);
}

TEST_CASE("supabase: management, PostgREST, storage, auth admin, pg_graphql") {
    const Row rows[] = {
        {"DELETE project destroys", "DELETE", "api.supabase.com", "/v1/projects/abcdefghijklmnopqrst", "", "supabase", D, ""},
        {"DELETE branch destroys", "DELETE", "api.supabase.com", "/v1/branches/0f2ac74b-498b-4802-8cb6-8387c421e279", "", "supabase", D, ""},
        {"pause writes", "POST", "api.supabase.com", "/v1/projects/abcdefghijklmnopqrst/pause", "", "supabase", W, ""},
        {"branch reset discards data", "POST", "api.supabase.com", "/v1/branches/0f2ac74b-498b-4802-8cb6-8387c421e279/reset", "", "supabase", D, "discards-branch-data"},
        {"PITR restore is a flagged write", "POST", "api.supabase.com", "/v1/projects/abcdefghijklmnopqrst/database/backups/restore-pitr", "{}", "supabase", W, "in-place-restore"},
        {"PostgREST GET is a SELECT", "GET", kSb, "/rest/v1/todos?select=*&id=eq.5", "", "supabase", R, ""},
        {"GET rpc runs read-only", "GET", kSb, "/rest/v1/rpc/stats", "", "supabase", R, ""},
        {"POST rpc runs an unknown function", "POST", kSb, "/rest/v1/rpc/cleanup", "{}", "supabase", W, ""},
        {"PostgREST POST inserts", "POST", kSb, "/rest/v1/todos", "{}", "supabase", W, ""},
        {"PATCH without a filter updates every row", "PATCH", kSb, "/rest/v1/todos", "{}", "supabase", W, "no-row-filter-whole-table"},
        {"DELETE with a filter deletes rows", "DELETE", kSb, "/rest/v1/todos?id=eq.5", "", "supabase", D, ""},
        {"DELETE without a filter is flagged", "DELETE", kSb, "/rest/v1/todos?select=id", "", "supabase", D, "no-row-filter-whole-table"},
        {"storage object delete", "DELETE", kSb, "/storage/v1/object/avatars/u1.png", "", "supabase", D, ""},
        {"storage bucket empty is a POST that deletes", "POST", kSb, "/storage/v1/bucket/avatars/empty", "", "supabase", D, ""},
        {"storage list is a POST that reads", "POST", kSb, "/storage/v1/object/list/avatars", "{}", "supabase", R, ""},
        {"storage upload writes", "POST", kSb, "/storage/v1/object/avatars/u1.png", "x", "supabase", W, ""},
        {"auth admin user delete", "DELETE", kSb, "/auth/v1/admin/users/0f2ac74b-498b-4802-8cb6-8387c421e279", "", "supabase", D, "auth-admin"},
        {"pg_graphql delete mutation", "POST", kSb, "/graphql/v1", R"({"query":"mutation { deleteFromTodosCollection(filter: {id: {eq: 1}}) { affectedCount } }"})", "supabase", D, ""},
        {"pg_graphql query reads", "POST", kSb, "/graphql/v1", R"({"query":"{ todosCollection { edges { node { id } } } }"})", "supabase", R, ""},
        {"unknown project service is at least a write", "GET", kSb, "/realtime/v1/websocket", "", "supabase", W, "unknown-endpoint"},
    };
    check_rows(rows);
    const auto sql = make_request("POST", "api.supabase.com", "/v1/projects/abcdefghijklmnopqrst/database/query", R"({"query":"select 1"})");
    const Classification fallback = kSupabaseProvider.classify(sql);
    CHECK(fallback.tier == D);
    CHECK(std::find(fallback.flags.begin(), fallback.flags.end(), "sql-not-inspected") != fallback.flags.end());
}

TEST_CASE("neon: deletes and branch restores") {
    constexpr const char* kNeon = "console.neon.tech";
    const Row rows[] = {
        {"GET projects reads", "GET", kNeon, "/api/v2/projects", "", "neon", R, ""},
        {"DELETE project", "DELETE", kNeon, "/api/v2/projects/spring-example-302709", "", "neon", D, ""},
        {"DELETE branch", "DELETE", kNeon, "/api/v2/projects/spring-example-302709/branches/br-aged-salad-637688", "", "neon", D, ""},
        {"DELETE database", "DELETE", kNeon, "/api/v2/projects/p1/branches/br-1/databases/app", "", "neon", D, ""},
        {"DELETE role", "DELETE", kNeon, "/api/v2/projects/p1/branches/br-1/roles/app_user", "", "neon", D, ""},
        {"DELETE endpoint", "DELETE", kNeon, "/api/v2/projects/p1/endpoints/ep-1", "", "neon", D, ""},
        {"restore overwrites the branch", "POST", kNeon, "/api/v2/projects/p1/branches/br-1/restore", R"({"source_branch_id":"br-0","source_timestamp":"2025-06-01T00:00:00Z"})", "neon", D, "restore-overwrites-branch"},
        {"a second empty preserve_under_name does not keep anything", "POST", kNeon, "/api/v2/projects/p1/branches/br-1/restore", R"({"preserve_under_name":"x","preserve_under_name":""})", "neon", D, "restore-overwrites-branch"},
        {"restore keeping the old state is a write", "POST", kNeon, "/api/v2/projects/p1/branches/br-1/restore", R"({"source_branch_id":"br-0","preserve_under_name":"before-restore"})", "neon", W, ""},
        {"endpoint restart writes", "POST", kNeon, "/api/v2/projects/p1/endpoints/ep-1/restart", "", "neon", W, ""},
        {"reveal_password reads a secret", "GET", kNeon, "/api/v2/projects/p1/branches/br-1/roles/app/reveal_password", "", "neon", R, "reveals-secret"},
    };
    check_rows(rows);
    HttpRequest truncated = make_request("POST", kNeon, "/api/v2/projects/p1/branches/br-1/restore", R"({"preserve_under)");
    truncated.body_complete = false;
    CHECK(needs_body(truncated));
    CHECK(classify(truncated).tier == D);
}

TEST_CASE("terraform cloud: destroy runs, safe-delete, relationships") {
    const Row rows[] = {
        {"normal run writes", "POST", kTfc, "/api/v2/runs", R"({"data":{"attributes":{"message":"x"},"type":"runs"}})", "terraform-cloud", W, ""},
        {"destroy run is destructive", "POST", kTfc, "/api/v2/runs", R"({"data":{"attributes":{"is-destroy":true,"auto-apply":true},"type":"runs"}})", "terraform-cloud", D, "destroys-all-managed-resources"},
        {"is-destroy false is a write", "POST", kTfc, "/api/v2/runs", R"({"data":{"attributes":{"is-destroy":false}}})", "terraform-cloud", W, ""},
        {"repeated attributes could hide a destroy run", "POST", kTfc, "/api/v2/runs", R"({"data":{"attributes":{"is-destroy":false},"attributes":{"is-destroy":true}}})", "terraform-cloud", D, "run-body-ambiguous"},
        {"unreadable run body could be a destroy", "POST", kTfc, "/api/v2/runs", "{", "terraform-cloud", D, "run-body-unreadable"},
        {"apply is a flagged write", "POST", kTfc, "/api/v2/runs/run-CZcmD7eagjhyX0vN/actions/apply", "", "terraform-cloud", W, "applies-plan-check-for-deletes"},
        {"safe-delete deletes a workspace", "POST", kTfc, "/api/v2/workspaces/ws-SihZTyXKfNXUWuUa/actions/safe-delete", "", "terraform-cloud", D, ""},
        {"force delete", "DELETE", kTfc, "/api/v2/organizations/acme/workspaces/prod", "", "terraform-cloud", D, ""},
        {"relationship DELETE only detaches", "DELETE", kTfc, "/api/v2/workspaces/ws-SihZTyXKfNXUWuUa/relationships/tags", "{}", "terraform-cloud", W, ""},
        {"lock writes", "POST", kTfc, "/api/v2/workspaces/ws-SihZTyXKfNXUWuUa/actions/lock", "", "terraform-cloud", W, ""},
        {"state version is a flagged write", "POST", kTfc, "/api/v2/workspaces/ws-SihZTyXKfNXUWuUa/state-versions", "{}", "terraform-cloud", W, "replaces-state"},
        {"GET reads", "GET", kTfc, "/api/v2/organizations/acme/workspaces", "", "terraform-cloud", R, ""},
    };
    check_rows(rows);
}

TEST_CASE("heroku and stripe: method rules and their exceptions") {
    const Row rows[] = {
        {"heroku app delete", "DELETE", "api.heroku.com", "/apps/web-prod", "", "heroku", D, ""},
        {"heroku add-on delete takes its data", "DELETE", "api.heroku.com", "/apps/web-prod/addons/heroku-postgresql-12345", "", "heroku", D, ""},
        {"heroku dyno restart is a DELETE that restarts", "DELETE", "api.heroku.com", "/apps/web-prod/dynos/web.1", "", "heroku", W, ""},
        {"heroku restart all dynos", "DELETE", "api.heroku.com", "/apps/web-prod/dynos", "", "heroku", W, ""},
        {"heroku scale to zero is flagged", "PATCH", "api.heroku.com", "/apps/web-prod/formation/web", R"({"quantity":0})", "heroku", W, "scales-to-zero"},
        {"heroku GET reads", "GET", "api.heroku.com", "/apps", "", "heroku", R, ""},
        {"stripe GET reads", "GET", "api.stripe.com", "/v1/customers?limit=3", "", "stripe", R, ""},
        {"stripe customer delete", "DELETE", "api.stripe.com", "/v1/customers/cus_NffrFeUfNV2Hib", "", "stripe", D, ""},
        {"stripe subscription DELETE cancels for good", "DELETE", "api.stripe.com", "/v1/subscriptions/sub_1MowQVLkdIwHu7ix", "", "stripe", D, "cancels-subscription"},
        {"stripe refund moves money", "POST", "api.stripe.com", "/v1/refunds", "charge=ch_1", "stripe", W, "moves-money"},
        {"stripe invoice void is flagged", "POST", "api.stripe.com", "/v1/invoices/in_1MtHbELkdIwHu7ix/void", "", "stripe", W, "finalises-document"},
    };
    check_rows(rows);
    CHECK(classify(make_request("DELETE", "api.stripe.com", "/v1/customers/cus_NffrFeUfNV2Hib")).operation ==
          "DELETE /v1/customers/{id}");
}
