// classifiers/sql_carriers_hasura_clickhouse.cpp — the two carriers whose
// request holds more than one SQL text shape.
//
// Hasura /v2/query (and legacy /v1/query): `run_sql` for each backend
// (https://hasura.io/docs/latest/api-reference/schema-api/run-sql/), a
// `bulk` list of them, and the legacy data queries select/count/insert/
// update/delete, which name their own effect.
//
// ClickHouse HTTP interface (https://clickhouse.com/docs/interfaces/http):
// SQL in the `query` URL parameter and/or the POST body, concatenated; an
// INSERT's rows follow `FORMAT <name>` in the body and are data, not SQL.
#include <array>

#include "classifiers/json_body.h"
#include "classifiers/sql_carriers.h"
#include "classifiers/sql_lexer.h"
#include "classifiers/url_query.h"

namespace askfirst::classifiers::sql_carrier {
namespace {

// Bound on nested `bulk` requests; Hasura nests one level in practice.
constexpr int kMaxHasuraNesting = 4;

struct HasuraBackend {
    std::string_view run_sql_type;
    SqlDialect dialect;
};
constexpr std::array<HasuraBackend, 6> kHasuraBackends = {{
    {"run_sql", SqlDialect::postgres},
    {"pg_run_sql", SqlDialect::postgres},
    {"citus_run_sql", SqlDialect::postgres},
    {"cockroach_run_sql", SqlDialect::postgres},
    {"mssql_run_sql", SqlDialect::generic},
    {"bigquery_run_sql", SqlDialect::generic},
}};

// Legacy /v1/query data operations name their effect.
struct HasuraDataQuery {
    std::string_view type;
    Tier tier;
};
constexpr std::array<HasuraDataQuery, 5> kHasuraDataQueries = {{
    {"select", Tier::read}, {"count", Tier::read}, {"insert", Tier::write},
    {"update", Tier::write}, {"delete", Tier::destructive},
}};

void take_hasura(const cJSON* query, SqlDialect& dialect, SqlPayload& payload, int depth) {
    const std::string type = json_string(query, "type").value_or("");
    const cJSON* args = json_member(query, "args");
    if (type == "bulk" || type == "concurrent_bulk") {
        if (depth >= kMaxHasuraNesting || !cJSON_IsArray(args)) {
            payload.readable = false;
            payload.problem = "bulk request too deep or without a list";
            return;
        }
        for (const cJSON* item = args->child; item != nullptr; item = item->next)
            take_hasura(item, dialect, payload, depth + 1);
        return;
    }
    for (const HasuraBackend& backend : kHasuraBackends) {
        if (type != backend.run_sql_type) continue;
        dialect = backend.dialect;
        if (const std::optional<std::string> sql = json_string(args, "sql")) {
            payload.texts.push_back(*sql);
        } else {
            payload.readable = false;
            payload.problem = "run_sql without an \"sql\" string";
        }
        return;
    }
    for (const HasuraDataQuery& data : kHasuraDataQueries) {
        if (type != data.type) continue;
        if (!payload.fixed_tier || data.tier > *payload.fixed_tier) {
            payload.fixed_tier = data.tier;
            payload.fixed_operation = "Hasura " + type;
        }
        return;
    }
    payload.readable = false;
    payload.problem = "unknown Hasura query type \"" + type + "\"";
}

// Where an INSERT's FORMAT data starts (just after the format name), or
// npos. The rows are not SQL: a CSV row reading "DROP TABLE x" must not count.
std::size_t insert_data_start(const std::string& text) {
    const sql::LexResult lexed = sql::lex_sql(text, sql::lex_options_for(SqlDialect::clickhouse));
    const std::vector<sql::Token>& tokens = lexed.tokens;
    if (tokens.empty() || !sql::is_word(tokens[0], "INSERT")) return std::string::npos;
    for (std::size_t i = 1; i + 1 < tokens.size(); ++i) {
        if (sql::is_punct(tokens[i], ';')) return std::string::npos;
        if (sql::is_word(tokens[i], "FORMAT") && tokens[i + 1].kind == sql::TokenKind::word)
            return tokens[i + 1].offset + tokens[i + 1].text.size();
    }
    return std::string::npos;
}

std::string without_insert_data(const std::string& text) {
    const std::size_t data = insert_data_start(text);
    return data == std::string::npos ? text : text.substr(0, data);
}

}  // namespace

SqlPayload hasura_payload(const HttpRequest& request, SqlDialect& dialect) {
    SqlPayload payload;
    if (request.body.find("\\u0000") != std::string::npos) {
        payload.readable = false;
        payload.problem = "body holds an escaped NUL";
        return payload;
    }
    const JsonTree tree = parse_json(request.body);
    if (!tree) {
        payload.readable = false;
        payload.problem = request.body_complete ? "body is not JSON" : "body not fully inspected";
        return payload;
    }
    take_hasura(tree.get(), dialect, payload, 0);
    return payload;
}

bool clickhouse_body_is_data(const HttpRequest& request) {
    const std::optional<std::string> query = query_param(request.query, "query");
    if (!query) return false;
    const std::size_t data = insert_data_start(*query);
    if (data == std::string::npos) return false;
    // Only blanks may follow the format name in the URL part.
    return query->find_first_not_of(" \t\r\n", data) == std::string::npos;
}

SqlPayload clickhouse_payload(const HttpRequest& request) {
    SqlPayload payload;
    static constexpr std::array<std::string_view, 5> kStatusPaths = {"/ping", "/replicas_status", "/play",
                                                                     "/dashboard", "/binary"};
    for (std::string_view status : kStatusPaths) {
        if (request.path == status) {
            payload.fixed_tier = Tier::read;
            payload.fixed_operation = "ClickHouse " + std::string(status);
            return payload;
        }
    }
    std::string text = query_param(request.query, "query").value_or("");
    const bool body_is_data = clickhouse_body_is_data(request);
    if (request.method == "POST" && !request.body.empty() && !body_is_data) {
        if (!text.empty()) text += '\n';
        text += request.body;
    }
    if (!request.body_complete && !body_is_data) payload.flags.push_back("body-not-inspected");
    payload.texts.push_back(without_insert_data(text));
    const std::optional<std::string> readonly = query_param(request.query, "readonly");
    if (readonly == "1" || readonly == "2") payload.flags.push_back("server-readonly-setting");
    if (request.method == "GET") payload.flags.push_back("clickhouse-get-runs-readonly");
    return payload;
}

}  // namespace askfirst::classifiers::sql_carrier
