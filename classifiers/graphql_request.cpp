// classifiers/graphql_request.cpp — GraphQL over HTTP: from an HttpRequest
// to the documents it carries, and from each document to a tier
// (../shared/classifier-rules.md §16). The parser is classifiers/graphql.cpp.
//
// Carriers: POST JSON `{query, variables, operationName, extensions}`, a
// batched JSON array of those (max over elements), POST
// `application/graphql` (the body is the document), and GET/POST with
// `?query=&operationName=&variables=` in the URL.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>

#include "classifiers/graphql.h"
#include "classifiers/json_body.h"
#include "classifiers/url_query.h"

namespace askfirst::classifiers::graphql {

const Value* ResolvedField::argument(std::string_view arg_name) const {
    for (const auto& arg : arguments)
        if (arg.name == arg_name) return &arg.value;
    return nullptr;
}

namespace {

// One GraphQL request: what the envelope said.
struct Envelope {
    std::optional<std::string> query;
    std::optional<std::string> operation_name;
    Value variables;                           // object, or null
    std::optional<std::string> persisted_hash;
    std::string error;                         // the envelope itself was malformed
    bool worst_case = false;                   // malformed in a way meant to confuse: destructive
    bool duplicated_keys = false;              // one of several readings of duplicated keys
};

struct Judged {
    Tier tier = Tier::write;
    std::string operation;
    std::string detail;
    std::vector<std::string> flags;
};

Value json_to_value(const cJSON* node, std::size_t depth) {
    Value value;
    if (node == nullptr || depth > kMaxNestingDepth) return value;
    if (node->string != nullptr) value.key = node->string;
    if (cJSON_IsBool(node)) {
        value.kind = Value::Kind::boolean;
        value.text = cJSON_IsTrue(node) ? "true" : "false";
    } else if (cJSON_IsNumber(node)) {
        value.kind = Value::Kind::number;
        char buffer[64];
        std::snprintf(buffer, sizeof buffer, "%.17g", node->valuedouble);
        value.text = buffer;
    } else if (cJSON_IsString(node)) {
        value.kind = Value::Kind::string;
        value.text = node->valuestring != nullptr ? node->valuestring : "";
    } else if (cJSON_IsArray(node) || cJSON_IsObject(node)) {
        value.kind = cJSON_IsArray(node) ? Value::Kind::list : Value::Kind::object;
        for (const cJSON* child = node->child; child != nullptr; child = child->next) {
            value.children.push_back(json_to_value(child, depth + 1));
            if (value.kind == Value::Kind::list) value.children.back().key.clear();
        }
    }
    return value;
}

// `variables` and `extensions` may arrive as JSON text (GET, or some clients).
JsonTree reparse_if_string(const cJSON* node) {
    if (node != nullptr && cJSON_IsString(node) && node->valuestring != nullptr)
        return parse_json(node->valuestring);
    return JsonTree{};
}

std::optional<std::string> persisted_hash_of(const cJSON* extensions) {
    const cJSON* persisted = json_member(extensions, "persistedQuery");
    if (persisted == nullptr) return std::nullopt;
    if (auto hash = json_string(persisted, "sha256Hash")) return hash;
    return std::string("(no hash)");
}

// How many copies of one envelope key are judged (every combination of
// them, so at most 2^4 readings); more is treated as an attempt to confuse
// the proxy (worst case). Real clients send each key once.
constexpr std::size_t kMaxDuplicateKeys = 2;

Envelope envelope_from_members(const cJSON* query, const cJSON* name, const cJSON* variables, const cJSON* extensions) {
    Envelope envelope;
    if (query != nullptr && cJSON_IsString(query)) envelope.query = query->valuestring;
    else if (query != nullptr && !cJSON_IsNull(query)) envelope.error = "\"query\" is not a string";
    if (name != nullptr && cJSON_IsString(name)) envelope.operation_name = name->valuestring;
    JsonTree variables_text = reparse_if_string(variables);
    envelope.variables = json_to_value(variables_text ? variables_text.get() : variables, 0);
    JsonTree extensions_text = reparse_if_string(extensions);
    envelope.persisted_hash = persisted_hash_of(extensions_text ? extensions_text.get() : extensions);
    return envelope;
}

// One envelope per combination of duplicated keys ({"query":A,"query":B}
// runs A on some servers and B on others: both are judged).
void envelopes_from_json(const cJSON* object, std::vector<Envelope>& out) {
    if (!cJSON_IsObject(object)) {
        Envelope envelope;
        envelope.error = "a GraphQL request element is not a JSON object";
        out.push_back(std::move(envelope));
        return;
    }
    auto candidates = [&](const char* key) {
        std::vector<const cJSON*> members = json_members(object, key);
        if (members.empty()) members.push_back(nullptr);
        return members;
    };
    auto queries = candidates("query"), names = candidates("operationName");
    auto variables = candidates("variables"), extensions = candidates("extensions");
    for (const auto* list : {&queries, &names, &variables, &extensions})
        if (list->size() > kMaxDuplicateKeys) {
            Envelope envelope;
            envelope.error = "a GraphQL request repeats one key too often";
            envelope.worst_case = true;
            envelope.duplicated_keys = true;
            out.push_back(std::move(envelope));
            return;
        }
    bool duplicated = queries.size() > 1 || names.size() > 1 || variables.size() > 1 || extensions.size() > 1;
    for (const cJSON* query : queries)
        for (const cJSON* name : names)
            for (const cJSON* variable : variables)
                for (const cJSON* extension : extensions) {
                    out.push_back(envelope_from_members(query, name, variable, extension));
                    out.back().duplicated_keys = duplicated;
                }
}

// The URL form: ?query=&operationName=&variables=&extensions=. A repeated
// parameter is judged in every reading, as duplicated JSON keys are.
void envelopes_from_url(std::string_view query_string, std::vector<Envelope>& out) {
    auto candidates = [&](std::string_view key) {
        std::vector<std::optional<std::string>> values;
        for (auto& value : query_params(query_string, key)) values.emplace_back(std::move(value));
        if (values.empty()) values.emplace_back(std::nullopt);
        return values;
    };
    auto queries = candidates("query"), names = candidates("operationName");
    auto variables = candidates("variables"), extensions = candidates("extensions");
    for (const auto* list : {&queries, &names, &variables, &extensions})
        if (list->size() > kMaxDuplicateKeys) {
            Envelope envelope;
            envelope.error = "a GraphQL URL repeats one parameter too often";
            envelope.worst_case = true;
            envelope.duplicated_keys = true;
            out.push_back(std::move(envelope));
            return;
        }
    bool duplicated = queries.size() > 1 || names.size() > 1 || variables.size() > 1 || extensions.size() > 1;
    for (const auto& query : queries)
        for (const auto& name : names)
            for (const auto& variable : variables)
                for (const auto& extension : extensions) {
                    Envelope envelope;
                    envelope.query = query;
                    envelope.operation_name = name;
                    if (variable) envelope.variables = json_to_value(parse_json(*variable).get(), 0);
                    if (extension) envelope.persisted_hash = persisted_hash_of(parse_json(*extension).get());
                    envelope.duplicated_keys = duplicated;
                    out.push_back(std::move(envelope));
                }
}

// A POST may carry GraphQL parameters in its URL as well as in its JSON
// body. Servers differ on which wins (express-graphql takes the URL's
// query/operationName over the body's; most take the body's), so a read
// in the body must not hide a mutation in the URL: each body envelope is
// also judged with the URL's parameters laid over it.
void add_url_readings(std::string_view query_string, std::vector<Envelope>& envelopes) {
    bool url_has_parameter = false;
    for (std::string_view key : {"query", "operationName", "extensions"})
        if (!query_params(query_string, key).empty()) url_has_parameter = true;
    if (!url_has_parameter) return;
    std::vector<Envelope> from_url;
    envelopes_from_url(query_string, from_url);
    std::vector<Envelope> overlaid;
    for (const Envelope& url : from_url) {
        if (!url.error.empty()) {
            overlaid.push_back(url);
            continue;
        }
        for (const Envelope& body : envelopes) {
            Envelope reading = body;
            if (url.query) reading.query = url.query;
            if (url.operation_name) reading.operation_name = url.operation_name;
            if (url.persisted_hash) reading.persisted_hash = url.persisted_hash;
            reading.duplicated_keys = reading.duplicated_keys || url.duplicated_keys;
            overlaid.push_back(std::move(reading));
        }
    }
    for (auto& reading : overlaid) envelopes.push_back(std::move(reading));
}

bool content_type_is(const HttpRequest& request, std::string_view wanted) {
    std::string_view type = request.header("Content-Type");
    type = type.substr(0, type.find(';'));
    while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
    if (type.size() != wanted.size()) return false;
    for (std::size_t i = 0; i < type.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(type[i])) != wanted[i]) return false;
    return true;
}

// The `operations` part of a multipart/form-data body (GraphQL multipart
// request spec), or nullopt when the body is not one or has none.
std::optional<std::string_view> multipart_operations_part(const HttpRequest& request) {
    std::string_view type = request.header("Content-Type");
    if (type.size() < 19 || !equals_ignoring_ascii_case(type.substr(0, 19), "multipart/form-data")) return std::nullopt;
    const std::string_view body = request.body;
    constexpr std::string_view kName = "name=\"operations\"";
    const std::size_t at = body.find(kName);
    if (at == std::string_view::npos) return std::nullopt;
    const std::size_t start = body.find("\r\n\r\n", at);
    if (start == std::string_view::npos) return std::nullopt;
    const std::size_t end = body.find("\r\n--", start + 4);
    return body.substr(start + 4, end == std::string_view::npos ? std::string_view::npos : end - start - 4);
}

std::vector<Envelope> envelopes_of(const HttpRequest& request) {
    std::vector<Envelope> envelopes;
    bool body_empty = request.body.find_first_not_of(" \t\r\n") == std::string::npos;
    if (request.method == "GET" || request.method == "HEAD" || body_empty) {
        envelopes_from_url(request.query, envelopes);
        return envelopes;
    }
    if (content_type_is(request, "application/graphql")) {
        envelopes_from_url(request.query, envelopes);
        for (auto& envelope : envelopes)
            if (envelope.error.empty()) envelope.query = request.body;
        return envelopes;
    }
    // express-graphql reads a url-encoded form body as it reads the URL.
    if (content_type_is(request, "application/x-www-form-urlencoded")) {
        envelopes_from_url(request.body, envelopes);
        add_url_readings(request.query, envelopes);
        return envelopes;
    }
    // The GraphQL multipart request spec (file uploads): the envelope is the
    // JSON of the `operations` part.
    std::string_view json_text = request.body;
    if (auto operations = multipart_operations_part(request)) json_text = *operations;
    JsonTree tree = parse_json(json_text);
    if (!tree) {
        Envelope envelope;
        envelope.error = "the body is neither JSON nor application/graphql";
        envelopes.push_back(std::move(envelope));
    } else if (cJSON_IsArray(tree.get())) {
        for (const cJSON* element = tree->child; element != nullptr; element = element->next)
            envelopes_from_json(element, envelopes);
        if (envelopes.empty()) {
            Envelope envelope;
            envelope.error = "an empty batch";
            envelopes.push_back(std::move(envelope));
        }
    } else {
        envelopes_from_json(tree.get(), envelopes);
    }
    add_url_readings(request.query, envelopes);
    return envelopes;
}

std::string value_text(const Value& value) {
    if (value.kind == Value::Kind::list) {
        std::string joined;
        for (const auto& item : value.children) {
            if (item.kind == Value::Kind::list || item.kind == Value::Kind::object) continue;
            if (!joined.empty()) joined += ",";
            joined += item.text;
        }
        return joined;
    }
    if (value.kind == Value::Kind::object || value.kind == Value::Kind::null) return {};
    return value.text;
}

bool is_key_name(std::string_view name) {
    auto ends_with = [&](std::string_view suffix) {
        return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
    };
    return name == "id" || name == "ids" || name == "name" || ends_with("Id") || ends_with("Ids");
}

Judged judge_operation(const Operation& operation, const Envelope& envelope, const GraphqlPolicy& policy);

Judged judge_document(const Envelope& envelope, const GraphqlPolicy& policy);

Judged judge_envelope(const Envelope& envelope, const GraphqlPolicy& policy) {
    Judged judged = judge_document(envelope, policy);
    if (envelope.duplicated_keys) {
        judged.tier = max_tier(judged.tier, Tier::write);
        judged.flags.push_back("duplicate-json-keys");
    }
    return judged;
}

Judged judge_document(const Envelope& envelope, const GraphqlPolicy& policy) {
    Judged judged;
    judged.tier = Tier::write;
    if (!envelope.error.empty()) {
        if (envelope.worst_case) judged.tier = Tier::destructive;
        judged.operation = "graphql (unreadable request)";
        judged.detail = envelope.error;
        judged.flags.push_back("unparsed-graphql");
        return judged;
    }
    if (!envelope.query) {
        if (envelope.persisted_hash) {
            judged.operation = "graphql persisted query";
            judged.detail = "persisted query " + envelope.persisted_hash->substr(0, 16) + " (document not sent)";
            judged.flags.push_back("persisted-query");
        } else {
            judged.operation = "graphql (no query)";
            judged.detail = "a GraphQL request without a query";
            judged.flags.push_back("unparsed-graphql");
        }
        return judged;
    }
    ParseResult parsed = parse_document(*envelope.query);
    if (!parsed.document) {
        judged.operation = "graphql (unparsed document)";
        judged.detail = "GraphQL document does not parse: " + parsed.error;
        judged.flags.push_back("unparsed-graphql");
        return judged;
    }
    const auto& operations = parsed.document->operations;
    if (envelope.operation_name && !envelope.operation_name->empty()) {
        for (const auto& operation : operations)
            if (operation.name == *envelope.operation_name) return judge_operation(operation, envelope, policy);
        judged.operation = "graphql (unknown operationName)";
        judged.detail = "operationName '" + *envelope.operation_name + "' names no operation in the document";
        judged.flags.push_back("unparsed-graphql");
        return judged;
    }
    if (operations.size() == 1) return judge_operation(operations.front(), envelope, policy);
    // Several operations and no operationName: the server refuses to pick
    // one; judge the worst of them, and never below write.
    Judged worst;
    worst.tier = Tier::read;
    for (const auto& operation : operations) {
        Judged one = judge_operation(operation, envelope, policy);
        if (worst.operation.empty() || one.tier > worst.tier) worst = std::move(one);
    }
    worst.tier = max_tier(worst.tier, Tier::write);
    worst.flags.push_back("ambiguous-operation");
    return worst;
}

Judged judge_operation(const Operation& operation, const Envelope& envelope, const GraphqlPolicy& policy) {
    Judged judged;
    std::string_view type = operation_type_name(operation.type);
    if (operation.type != OperationType::mutation) {
        judged.tier = Tier::read;
        const RootField& first = operation.root_fields.front();
        judged.operation = std::string(type) + " " + first.name;
        judged.detail = judged.operation;
        if (operation.root_fields.size() > 1)
            judged.detail += " (+" + std::to_string(operation.root_fields.size() - 1) + " more fields)";
        return judged;
    }
    bool first = true;
    for (const RootField& field : operation.root_fields) {
        FieldJudgement judgement;
        std::vector<Argument> resolved;
        resolved.reserve(field.arguments.size());
        for (const auto& argument : field.arguments)
            resolved.push_back({argument.name, resolve_variables(argument.value, operation, envelope.variables)});
        if (field.name.starts_with("__")) {
            judgement.tier = Tier::read;  // __typename: introspection, no effect of its own
        } else {
            // A mutation field is never read, whatever its name says
            // (verifyVerifiableDomain, previewX, checkY change state):
            // the verb lexicon can only raise a field above write.
            const Tier by_name = policy.field_tier != nullptr ? policy.field_tier(field.name) : Tier::write;
            judgement.tier = max_tier(by_name, Tier::write);
            if (policy.escalate != nullptr) policy.escalate(ResolvedField{field.name, resolved}, judgement);
            judgement.tier = max_tier(judgement.tier, Tier::write);
        }
        for (auto& flag : judgement.flags) judged.flags.push_back(std::move(flag));
        if (first || judgement.tier > judged.tier) {
            judged.tier = judgement.tier;
            judged.operation = "mutation " + field.name;
            judged.detail = field.name;
            std::string key = key_argument_text(resolved);
            if (!key.empty()) judged.detail += " " + key;
            if (!judgement.detail_suffix.empty()) judged.detail += " " + judgement.detail_suffix;
        }
        first = false;
    }
    // A mutation operation is at least a write, even one that selects only
    // __typename: the server runs it on the mutation root (invariant 6).
    judged.tier = max_tier(judged.tier, Tier::write);
    if (operation.root_fields.size() > 1)
        judged.detail += " (+" + std::to_string(operation.root_fields.size() - 1) + " more fields)";
    return judged;
}

}  // namespace

std::string key_argument_text(std::span<const Argument> arguments) {
    for (const auto& argument : arguments)
        if (is_key_name(argument.name)) {
            std::string text = value_text(argument.value);
            if (!text.empty()) return text;
        }
    for (const auto& argument : arguments) {
        if (argument.value.kind != Value::Kind::object) continue;
        for (const auto& member : argument.value.children)
            if (is_key_name(member.key)) {
                std::string text = value_text(member);
                if (!text.empty()) return text;
            }
    }
    return {};
}

Classification classify_graphql_request(const HttpRequest& request, const GraphqlPolicy& policy) {
    Classification result;
    result.provider = std::string(policy.provider);
    if (!request.body_complete && request.method != "GET") {
        // The document may continue past what was inspected (invariant 6).
        result.tier = Tier::destructive;
        result.operation = "graphql (body not inspected)";
        result.detail = "GraphQL request body larger than the inspection limit";
        result.flags.push_back("body-truncated");
        return result;
    }
    if (request.method != "GET" && body_is_encoded(request)) {
        result.tier = Tier::destructive;
        result.operation = "graphql (encoded body)";
        result.detail = "GraphQL request body with Content-Encoding " + std::string(request.header("Content-Encoding")) +
                        ": not inspected";
        result.flags.push_back("body-encoded");
        return result;
    }
    std::vector<Envelope> envelopes = envelopes_of(request);
    Judged worst;
    bool first = true;
    for (const auto& envelope : envelopes) {
        Judged one = judge_envelope(envelope, policy);
        for (const auto& flag : one.flags)
            if (std::find(result.flags.begin(), result.flags.end(), flag) == result.flags.end()) result.flags.push_back(flag);
        if (first || one.tier > worst.tier) worst = std::move(one);
        first = false;
    }
    result.tier = worst.tier;
    result.operation = worst.operation;
    result.detail = worst.detail;
    std::size_t body_start = request.body.find_first_not_of(" \t\r\n");
    if (body_start != std::string::npos && request.body[body_start] == '[')
        result.detail = "batch: " + result.detail;
    return result;
}

}  // namespace askfirst::classifiers::graphql
