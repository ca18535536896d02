// src/statement_decision.cpp — a database statement's classification, refusal
// sentence and redacted audit text (see the header).
#include "src/statement_decision.h"

#include <cctype>
#include <memory>

#include <pg_query.h>

#include "classifiers/json_body.h"
#include "classifiers/mongodb_commands.h"
#include "classifiers/redis_commands.h"
#include "classifiers/sql.h"

namespace askfirst {

namespace {

std::string joined(const std::vector<std::string>& texts) {
    std::string out;
    for (const auto& text : texts) {
        if (!out.empty()) out += "; ";
        out += text;
    }
    return out;
}

std::string cut(std::string text, std::size_t limit) {
    if (text.size() <= limit) return text;
    text.resize(limit);
    return text + "...";
}

// The text on one line: newlines and tabs as spaces, so a log or a dialog line stays one line.
std::string one_line(std::string text) {
    for (char& c : text)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    return text;
}

// libpg_query's normalisation: every constant becomes $n. nullopt when it cannot parse the text.
std::optional<std::string> normalized(const std::string& text) {
    PgQueryNormalizeResult result = pg_query_normalize(text.c_str());
    std::unique_ptr<PgQueryNormalizeResult, void (*)(PgQueryNormalizeResult*)> owner(
        &result, [](PgQueryNormalizeResult* r) { pg_query_free_normalize_result(*r); });
    if (result.error != nullptr || result.normalized_query == nullptr) return std::nullopt;
    return std::string(result.normalized_query);
}

// Object kinds named after DROP/TRUNCATE/ALTER/CREATE in PostgreSQL 15's
// grammar (the common ones): "DROP" alone says less than "DROP TABLE".
constexpr std::string_view kObjectKinds[] = {"TABLE", "SCHEMA", "DATABASE", "INDEX", "VIEW", "SEQUENCE", "FUNCTION",
                                             "PROCEDURE", "ROLE", "USER", "TYPE", "EXTENSION", "MATERIALIZED",
                                             "TRIGGER", "OWNED", "POLICY", "PUBLICATION", "SUBSCRIPTION", "TABLESPACE"};

std::string upper_word(std::string_view text, std::size_t& at) {
    while (at < text.size() && (text[at] == ' ' || text[at] == '(')) ++at;
    std::string word;
    for (; at < text.size() && std::isalpha(static_cast<unsigned char>(text[at])); ++at)
        word.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(text[at]))));
    return word;
}

// "DROP" with text "drop table orders" -> "DROP TABLE"; otherwise the operation as it is.
std::string operation_label(std::string operation, std::string_view text) {
    if (operation.starts_with("SQL ")) operation.erase(0, 4);
    std::size_t at = 0;
    if (upper_word(text, at) != operation) return operation;
    const std::string kind = upper_word(text, at);
    for (std::string_view known : kObjectKinds)
        if (kind == known) return operation + " " + kind;
    return operation;
}

bool is_redis(const StatementFacts& statement) { return statement.provider == "redis"; }

bool is_mongodb(const StatementFacts& statement) { return statement.provider == "mongodb"; }

// Every literal of a MongoDB command (strings, numbers, booleans) becomes
// "$1", "$2", ... as libpg_query does for SQL; field names, the command's
// collection (its first member) and $db stay: they name what was touched.
void redact_literals(cJSON* node, int& counter, bool keep) {
    for (cJSON* child = node->child; child != nullptr; child = child->next) {
        if (cJSON_IsObject(child) || cJSON_IsArray(child)) {
            redact_literals(child, counter, false);
            continue;
        }
        if (keep && (child == node->child || (child->string != nullptr && std::string_view(child->string) == "$db")))
            continue;
        if (cJSON_IsString(child) || cJSON_IsNumber(child) || cJSON_IsBool(child)) {
            const std::string placeholder = "$" + std::to_string(++counter);
            cJSON* replacement = cJSON_CreateString(placeholder.c_str());
            replacement->string = child->string;  // the key moves over (an array's items have none)
            child->string = nullptr;
            cJSON_ReplaceItemViaPointer(node, child, replacement);
            child = replacement;
        }
    }
}

std::optional<std::string> redacted_mongodb_command(const std::string& json) {
    classifiers::JsonTree tree = classifiers::parse_json(json);
    if (!tree || !cJSON_IsObject(tree.get())) return std::nullopt;
    int counter = 0;
    redact_literals(tree.get(), counter, true);
    char* printed = cJSON_PrintUnformatted(tree.get());
    if (printed == nullptr) return std::nullopt;
    std::string out(printed);
    cJSON_free(printed);
    return out;
}

// A Redis command as a person reads it: its arguments separated by spaces.
std::string command_line(const std::vector<std::string>& arguments) {
    std::string out;
    for (const auto& argument : arguments) {
        if (!out.empty()) out += ' ';
        out += argument;
    }
    return out;
}

std::string statement_text(const StatementFacts& statement) {
    return is_redis(statement) ? command_line(statement.texts) : joined(statement.texts);
}

}  // namespace

classifiers::Classification classify_statement(const StatementFacts& statement) {
    classifiers::Classification c;
    c.provider = statement.provider;
    const std::string where = is_redis(statement)     ? " (redis on " + statement.host + ")"
                              : is_mongodb(statement) ? " (database " + statement.database + " on " + statement.host + ")"
                                                      : " (database " + statement.database + " on " + statement.host + " as " +
                                        statement.user + ")";
    if (is_redis(statement) && !statement.texts.empty()) {
        const auto verdict = classifiers::redis::classify_redis_command(statement.texts);
        c.tier = verdict.tier;
        c.operation = verdict.operation;
        c.flags = verdict.flags;
    } else if (is_mongodb(statement) && !statement.texts.empty()) {
        const auto verdict = classifiers::mongodb::classify_mongodb_command(statement.texts[0]);
        c.tier = verdict.tier;
        c.operation = verdict.operation;
        c.flags = verdict.flags;
    } else if (!statement.texts.empty()) {
        const auto dialect = statement.provider == "mysql" ? classifiers::SqlDialect::mysql : classifiers::SqlDialect::postgres;
        const auto verdict = classifiers::classify_sql_batch(statement.texts, dialect);
        c.tier = verdict.tier;
        c.operation = verdict.operation;
        c.flags = verdict.flags;
    } else {
        c.tier = classifiers::Tier::destructive;
        c.operation = is_mongodb(statement) ? statement.message : "SQL " + statement.message;
    }
    if (!statement.complete) {
        c.tier = classifiers::Tier::destructive;
        c.flags.push_back("not-inspected");
    }
    std::string text = cut(one_line(statement_text(statement)), kMaxQuestionStatementBytes);
    if (!statement.complete) text += (text.empty() ? "" : " — ") + statement.why_incomplete + ", judged the worst it could be";
    c.detail = text + where;
    return c;
}

http::RequestDecision decide_statement(const StatementFacts& statement, const consent::ModeTable& modes,
                                       consent::NoUiAnswer no_ui) {
    return http::decide_classified(classify_statement(statement), modes, no_ui);
}

std::string statement_refusal_message(const http::RequestDecision& decision, const StatementFacts& statement) {
    std::string text = cut(one_line(statement_text(statement)), 200);
    const std::string operation = operation_label(decision.classification.operation, text);
    if (text.empty()) text = statement.why_incomplete;
    return "askfirst refused " + operation + " (" + text + "): " + decision.reason;
}

std::string redacted_statement(const StatementFacts& statement) {
    if (is_redis(statement)) {  // the command's name; its keys and values are the user's data
        if (statement.texts.empty()) return statement.why_incomplete;
        return one_line(statement.texts[0]) + " [" + std::to_string(statement.texts.size() - 1) + " arguments]" +
               (statement.complete ? "" : " — " + statement.why_incomplete);
    }
    std::vector<std::string> redacted;
    for (const auto& text : statement.texts) {
        auto normal = is_mongodb(statement) ? redacted_mongodb_command(text) : normalized(text);
        redacted.push_back(normal ? one_line(*normal)
                                  : "[" + std::to_string(text.size()) + " bytes askfirst could not parse, not logged]");
    }
    std::string out = cut(joined(redacted), kMaxAuditStatementBytes);
    if (!statement.complete) out += (out.empty() ? "" : " — ") + statement.why_incomplete;
    return out;
}

}  // namespace askfirst
