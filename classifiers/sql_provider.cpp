// classifiers/sql_provider.cpp — the `sql` provider: SQL-over-HTTP services
// (classifier-rules.md §10, §15, §17). Each carrier is one row of kCarriers:
// its hosts, the paths that carry SQL, its dialect and its body reader
// (sql_carriers*.cpp). The SQL text itself is judged by classify_sql().
//
// Registry order: this provider must precede the Cloudflare and Supabase
// providers, which own the rest of api.cloudflare.com and api.supabase.com;
// it claims only their SQL endpoints.
#include <array>
#include <cctype>

#include "classifiers/provider.h"
#include "classifiers/sql_carriers.h"

namespace askfirst::classifiers {
namespace {

using sql_carrier::SqlPayload;

struct Carrier {
    std::string_view name;
    std::span<const std::string_view> hosts;
    bool (*carries_sql)(const HttpRequest& request);  // path (and header) shape on those hosts
    SqlDialect dialect;                                      // the engine's usual dialect
    SqlPayload (*payload)(const HttpRequest& request, SqlDialect& dialect);  // may refine the dialect
};

// Host tables, one per carrier.
constexpr std::string_view kNeonHosts[] = {"*.neon.tech"};
constexpr std::string_view kSupabaseHosts[] = {"api.supabase.com"};
constexpr std::string_view kCloudflareHosts[] = {"api.cloudflare.com"};
constexpr std::string_view kTursoHosts[] = {"*.turso.io"};
constexpr std::string_view kPlanetScaleHosts[] = {"*.connect.psdb.cloud"};
constexpr std::string_view kSnowflakeHosts[] = {"*.snowflakecomputing.com"};
constexpr std::string_view kDatabricksHosts[] = {"*.cloud.databricks.com", "*.azuredatabricks.net",
                                                 "*.gcp.databricks.com"};
constexpr std::string_view kHasuraHosts[] = {"*.hasura.app"};
constexpr std::string_view kClickHouseHosts[] = {"*.clickhouse.cloud"};

// The first non-empty segments of a path, looked at in place (matches() runs
// for every request on these hosts), and how many non-empty segments there
// are in all. Eight: the longest carrier path (Cloudflare D1) has eight.
struct PathSegments {
    static constexpr std::size_t kKept = 8;
    std::array<std::string_view, kKept> first{};
    std::size_t count = 0;
    std::size_t size() const { return count; }
    std::string_view operator[](std::size_t i) const { return i < kKept ? first[i] : std::string_view(); }
};

PathSegments path_segments(std::string_view path) {
    PathSegments segments;
    while (!path.empty()) {
        const std::size_t slash = path.find('/');
        const std::string_view segment = path.substr(0, slash);
        if (!segment.empty()) {
            if (segments.count < PathSegments::kKept) segments.first[segments.count] = segment;
            ++segments.count;
        }
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return segments;
}

bool neon_sql(const HttpRequest& r) { return r.path == "/sql" && r.host != "console.neon.tech"; }
// /v1/projects/{ref}/database/query[/read-only]
bool supabase_sql(const HttpRequest& r) {
    const auto s = path_segments(r.path);
    return s.size() >= 5 && s[0] == "v1" && s[1] == "projects" && s[3] == "database" && s[4] == "query";
}
// /client/v4/accounts/{account}/d1/database/{id}/query|raw
bool d1_sql(const HttpRequest& r) {
    const auto s = path_segments(r.path);
    return s.size() == 8 && s[0] == "client" && s[2] == "accounts" && s[4] == "d1" && s[5] == "database" &&
           (s[7] == "query" || s[7] == "raw");
}
bool any_path(const HttpRequest&) { return true; }
bool snowflake_sql(const HttpRequest& r) {
    return r.path.starts_with("/api/v2/statements") || r.path == "/queries/v1/query-request";
}
bool databricks_sql(const HttpRequest& r) { return r.path.starts_with("/api/2.0/sql/statements"); }
bool hasura_sql(const HttpRequest& r) { return r.path == "/v2/query" || r.path == "/v1/query"; }

// Adapts a carrier whose dialect never changes per request.
template <SqlPayload (*read)(const HttpRequest&)>
SqlPayload fixed_dialect(const HttpRequest& request, SqlDialect&) {
    return read(request);
}

constexpr Carrier kCarriers[] = {
    {"Neon serverless", kNeonHosts, neon_sql, SqlDialect::postgres, fixed_dialect<sql_carrier::neon_payload>},
    {"Supabase database/query", kSupabaseHosts, supabase_sql, SqlDialect::postgres,
     fixed_dialect<sql_carrier::supabase_payload>},
    {"Cloudflare D1", kCloudflareHosts, d1_sql, SqlDialect::sqlite, fixed_dialect<sql_carrier::d1_payload>},
    {"Turso/libSQL", kTursoHosts, any_path, SqlDialect::sqlite, fixed_dialect<sql_carrier::hrana_payload>},
    {"PlanetScale", kPlanetScaleHosts, any_path, SqlDialect::mysql, fixed_dialect<sql_carrier::planetscale_payload>},
    {"Snowflake", kSnowflakeHosts, snowflake_sql, SqlDialect::generic, fixed_dialect<sql_carrier::snowflake_payload>},
    {"Databricks SQL", kDatabricksHosts, databricks_sql, SqlDialect::generic,
     fixed_dialect<sql_carrier::databricks_payload>},
    // Hasura's run_sql type names the backend (run_sql, mssql_run_sql, ...).
    {"Hasura", kHasuraHosts, hasura_sql, SqlDialect::postgres, sql_carrier::hasura_payload},
    {"ClickHouse", kClickHouseHosts, any_path, SqlDialect::clickhouse, fixed_dialect<sql_carrier::clickhouse_payload>},
};

// Fingerprints for self-hosted instances on any host.
// (Compared in place: every request that reaches this provider's matches()
// passes here, and a lower-cased copy of each long header name allocated.)
bool has_clickhouse_header(const HttpRequest& r) {
    constexpr std::string_view kPrefix = "x-clickhouse-";
    for (const Header& header : r.headers)
        if (header.name.size() >= kPrefix.size() &&
            equals_ignoring_ascii_case(std::string_view(header.name).substr(0, kPrefix.size()), kPrefix))
            return true;
    return false;
}

const Carrier* carrier_named(std::string_view name) {
    for (const Carrier& carrier : kCarriers)
        if (carrier.name == name) return &carrier;
    return nullptr;
}

const Carrier* find_carrier(const HttpRequest& r) {
    for (const Carrier& carrier : kCarriers)
        if (host_matches_any(r.host, carrier.hosts) && carrier.carries_sql(r)) return &carrier;
    if (has_clickhouse_header(r)) return carrier_named("ClickHouse");
    if (r.path == "/sql" && r.has_header("Neon-Connection-String")) return carrier_named("Neon serverless");
    if (hasura_sql(r) && (r.has_header("X-Hasura-Admin-Secret") || r.has_header("X-Hasura-Role")))
        return carrier_named("Hasura");
    return nullptr;
}

Classification judge(const Carrier& carrier, const HttpRequest& request) {
    Classification result;
    result.provider = "sql";
    SqlDialect dialect = carrier.dialect;
    SqlPayload payload = carrier.payload(request, dialect);
    result.flags = payload.flags;
    if (payload.fixed_tier && payload.texts.empty() && payload.readable) {
        result.tier = *payload.fixed_tier;
        result.operation = payload.fixed_operation;
        result.detail = std::string(carrier.name) + ": " + payload.fixed_operation;
        return result;
    }
    if (!payload.readable) {
        result.tier = Tier::write;  // a known provider we could not read: ask (§0)
        result.operation = "SQL (unreadable request)";
        result.detail = std::string(carrier.name) + ": " + payload.problem;
        result.flags.push_back("unparsed-sql");
        return result;
    }
    const SqlVerdict verdict = classify_sql_batch(payload.texts, dialect);
    result.tier = verdict.tier;
    if (payload.fixed_tier) result.tier = max_tier(result.tier, *payload.fixed_tier);
    result.operation = verdict.operation;
    result.detail = std::string(carrier.name) + ": " + verdict.detail;
    result.flags.insert(result.flags.end(), verdict.flags.begin(), verdict.flags.end());
    return result;
}

Classification sql_classify(const HttpRequest& request) {
    const Carrier* carrier = find_carrier(request);
    if (carrier == nullptr) {
        Classification unknown;
        unknown.provider = "sql";
        unknown.operation = "SQL (unknown carrier)";
        unknown.tier = Tier::write;
        return unknown;
    }
    Classification result = judge(*carrier, request);
    for (const std::string& flag : result.flags)
        if (flag == "server-readonly-setting") result.tier = Tier::read;  // ClickHouse ?readonly=1|2 (§10)
    return result;
}

bool sql_matches(const HttpRequest& request) { return find_carrier(request) != nullptr; }

// The SQL is in the body except for ClickHouse GET (URL parameter), a
// ClickHouse INSERT ... FORMAT in the URL (the body is rows), and status polls.
bool sql_needs_body(const HttpRequest& head) {
    const Carrier* carrier = find_carrier(head);
    if (carrier == nullptr || head.method == "GET" || head.method == "HEAD") return false;
    if (carrier->name == "ClickHouse" && sql_carrier::clickhouse_body_is_data(head)) return false;
    return true;
}

}  // namespace

extern const Provider kSqlProvider;
const Provider kSqlProvider{"sql", sql_matches, sql_classify, sql_needs_body};

}  // namespace askfirst::classifiers
