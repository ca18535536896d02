// classifiers/sql_postgres_internal.h — pieces shared by the libpg_query path
// files (sql_postgres.cpp: parsing and DO bodies; sql_postgres_statement.cpp:
// statement kinds). Not for use outside the SQL classifier.
#pragma once

#include <cjson/cJSON.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "classifiers/sql_rules.h"

namespace askfirst::classifiers::sql {

struct JsonDeleter {
    void operator()(cJSON* json) const { cJSON_Delete(json); }
};
using JsonOwner = std::unique_ptr<cJSON, JsonDeleter>;

// Bound on the parse-tree walk; cJSON itself refuses nesting beyond 1000
// (CJSON_NESTING_LIMIT), so this is never the binding limit in practice.
inline constexpr int kMaxJsonWalk = 1200;

inline const cJSON* field(const cJSON* object, const char* key) {
    return object != nullptr ? cJSON_GetObjectItemCaseSensitive(object, key) : nullptr;
}
inline std::string string_of(const cJSON* value) {
    return cJSON_IsString(value) && value->valuestring != nullptr ? value->valuestring : "";
}

// One parsed statement ({"SelectStmt": {...}}) with its own tokens.
StatementVerdict classify_pg_statement(const cJSON* node, std::span<const Token> tokens, SessionState& session,
                                       int depth);

// Any PostgreSQL text: the parse tree when libpg_query reads it, else tokens.
std::vector<StatementVerdict> classify_postgres_text(std::string_view text, SessionState& session, int depth);

}  // namespace askfirst::classifiers::sql
