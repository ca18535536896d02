// classifiers/sql_carriers.cpp — SQL text out of each service's JSON body.
// Body shapes follow each service's public API reference:
//   Neon serverless driver:  POST /sql {"query","params"} | {"queries":[...]}
//                            (github.com/neondatabase/serverless, sql-over-http)
//   Supabase Management API: POST /v1/projects/{ref}/database/query {"query"}
//   Cloudflare D1:           POST .../d1/database/{id}/query|raw {"sql","params"} | {"batch":[...]}
//   libSQL/Turso Hrana over HTTP: /v2|v3/pipeline {"requests":[{type: execute|batch|sequence|
//                            describe|store_sql|close_sql|close|get_autocommit}]}, /v1/execute, /v1/batch,
//                            legacy POST / {"statements":[...]}
//   PlanetScale database-js: /psdb.v1alpha1.Database/Execute {"query","session"}
//   Snowflake SQL API:       POST /api/v2/statements {"statement"}; Python/JDBC connector
//                            POST /queries/v1/query-request {"sqlText"}
//   Databricks SQL Statement Execution API: POST /api/2.0/sql/statements {"statement"}
//   Hasura:                  POST /v2/query {"type":"run_sql","args":{"sql"}}, "bulk"
#include "classifiers/sql_carriers.h"

#include <array>
#include <map>

#include "classifiers/json_body.h"

namespace askfirst::classifiers::sql_carrier {
namespace {

SqlPayload unreadable(std::string problem) {
    SqlPayload payload;
    payload.readable = false;
    payload.problem = std::move(problem);
    return payload;
}

SqlPayload fixed(Tier tier, std::string operation) {
    SqlPayload payload;
    payload.fixed_tier = tier;
    payload.fixed_operation = std::move(operation);
    return payload;
}

// cJSON stops a string at an escaped NUL ("\u0000"); the server would not.
// Such a body cannot be read faithfully.
bool hides_nul(const HttpRequest& request) { return request.body.find("\\u0000") != std::string::npos; }

// One string member, or the payload explains why not.
bool take_string(const cJSON* object, const char* name, SqlPayload& payload) {
    const std::optional<std::string> text = json_string(object, name);
    if (!text) {
        payload.readable = false;
        payload.problem = std::string("no \"") + name + "\" string";
        return false;
    }
    payload.texts.push_back(*text);
    return true;
}

SqlPayload parse_or_explain(const HttpRequest& request, JsonTree& tree) {
    if (hides_nul(request)) return unreadable("body holds an escaped NUL");
    tree = parse_json(request.body);
    if (!tree) return unreadable(request.body_complete ? "body is not JSON" : "body not fully inspected");
    return SqlPayload{};
}

// Hrana `stmt` object: {"sql": "..."} or {"sql_id": n} (stored earlier).
void take_hrana_stmt(const cJSON* stmt, const std::map<double, std::string>& stored, SqlPayload& payload) {
    if (json_string(stmt, "sql")) {
        take_string(stmt, "sql", payload);
        return;
    }
    const cJSON* id = json_member(stmt, "sql_id");
    const auto found = cJSON_IsNumber(id) ? stored.find(id->valuedouble) : stored.end();
    if (found != stored.end()) {
        payload.texts.push_back(found->second);
        return;
    }
    payload.readable = false;
    payload.problem = "statement refers to SQL stored outside this request";
    payload.flags.push_back("stored-sql-reference");
}

void take_hrana_request(const cJSON* request, std::map<double, std::string>& stored, SqlPayload& payload) {
    const std::string type = json_string(request, "type").value_or("");
    if (type == "execute") return take_hrana_stmt(json_member(request, "stmt"), stored, payload);
    if (type == "batch") {
        const cJSON* steps = json_member(json_member(request, "batch"), "steps");
        for (const cJSON* step = steps ? steps->child : nullptr; step != nullptr; step = step->next)
            take_hrana_stmt(json_member(step, "stmt"), stored, payload);
        return;
    }
    if (type == "sequence") return take_hrana_stmt(request, stored, payload);
    if (type == "store_sql") {
        const cJSON* id = json_member(request, "sql_id");
        const std::optional<std::string> sql = json_string(request, "sql");
        if (cJSON_IsNumber(id) && sql) stored[id->valuedouble] = *sql;
        return;
    }
    // describe (parses without running), close_sql, close, get_autocommit: nothing runs.
    static constexpr std::array<std::string_view, 4> kInert = {"describe", "close_sql", "close", "get_autocommit"};
    for (std::string_view inert : kInert)
        if (type == inert) return;
    payload.readable = false;
    payload.problem = "unknown pipeline request type \"" + type + "\"";
}

}  // namespace

SqlPayload neon_payload(const HttpRequest& request) {
    JsonTree tree;
    SqlPayload payload = parse_or_explain(request, tree);
    if (!payload.readable) return payload;
    const cJSON* queries = json_member(tree.get(), "queries");
    if (cJSON_IsArray(queries)) {
        for (const cJSON* query = queries->child; query != nullptr; query = query->next)
            take_string(query, "query", payload);
        return payload;
    }
    take_string(tree.get(), "query", payload);
    return payload;
}

SqlPayload supabase_payload(const HttpRequest& request) {
    JsonTree tree;
    SqlPayload payload = parse_or_explain(request, tree);
    if (payload.readable) take_string(tree.get(), "query", payload);
    return payload;
}

SqlPayload d1_payload(const HttpRequest& request) {
    JsonTree tree;
    SqlPayload payload = parse_or_explain(request, tree);
    if (!payload.readable) return payload;
    const cJSON* batch = json_member(tree.get(), "batch");
    if (cJSON_IsArray(batch)) {
        for (const cJSON* item = batch->child; item != nullptr; item = item->next) take_string(item, "sql", payload);
        return payload;
    }
    take_string(tree.get(), "sql", payload);
    return payload;
}

SqlPayload hrana_payload(const HttpRequest& request) {
    if (request.method == "GET" || request.method == "HEAD") return fixed(Tier::read, "libSQL status");  // /health, /version
    JsonTree tree;
    SqlPayload payload = parse_or_explain(request, tree);
    if (!payload.readable) return payload;
    std::map<double, std::string> stored;
    if (const cJSON* requests = json_member(tree.get(), "requests"); cJSON_IsArray(requests)) {
        for (const cJSON* item = requests->child; item != nullptr; item = item->next)
            take_hrana_request(item, stored, payload);
    } else if (const cJSON* stmt = json_member(tree.get(), "stmt")) {  // /v1/execute
        take_hrana_stmt(stmt, stored, payload);
    } else if (const cJSON* steps = json_member(json_member(tree.get(), "batch"), "steps")) {  // /v1/batch
        for (const cJSON* step = steps->child; step != nullptr; step = step->next)
            take_hrana_stmt(json_member(step, "stmt"), stored, payload);
    } else if (const cJSON* statements = json_member(tree.get(), "statements"); cJSON_IsArray(statements)) {
        for (const cJSON* item = statements->child; item != nullptr; item = item->next) {  // legacy POST /
            if (cJSON_IsString(item)) payload.texts.push_back(item->valuestring);
            else take_string(item, "q", payload);
        }
    } else {
        return unreadable("no pipeline requests, stmt, batch or statements");
    }
    if (payload.readable && payload.texts.empty()) return fixed(Tier::read, "pipeline without statements");
    return payload;
}

SqlPayload planetscale_payload(const HttpRequest& request) {
    if (request.path.ends_with("/CreateSession")) return fixed(Tier::read, "PlanetScale CreateSession");
    if (!request.path.ends_with("/Execute")) return unreadable("unknown PlanetScale RPC " + request.path);
    JsonTree tree;
    SqlPayload payload = parse_or_explain(request, tree);
    if (payload.readable) take_string(tree.get(), "query", payload);
    return payload;
}

SqlPayload snowflake_payload(const HttpRequest& request) {
    if (request.method == "GET" || request.method == "HEAD") return fixed(Tier::read, "Snowflake statement status");
    if (request.path.ends_with("/cancel")) return fixed(Tier::write, "Snowflake cancel statement");
    JsonTree tree;
    SqlPayload payload = parse_or_explain(request, tree);
    if (!payload.readable) return payload;
    take_string(tree.get(), request.path.starts_with("/queries/") ? "sqlText" : "statement", payload);
    return payload;
}

SqlPayload databricks_payload(const HttpRequest& request) {
    if (request.method == "GET" || request.method == "HEAD") return fixed(Tier::read, "Databricks statement status");
    if (request.path.ends_with("/cancel")) return fixed(Tier::write, "Databricks cancel statement");
    JsonTree tree;
    SqlPayload payload = parse_or_explain(request, tree);
    if (payload.readable) take_string(tree.get(), "statement", payload);
    return payload;
}

}  // namespace askfirst::classifiers::sql_carrier
