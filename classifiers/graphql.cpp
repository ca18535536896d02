// classifiers/graphql.cpp — the GraphQL lexer and executable-document parser
// behind classifiers/graphql.h.
//
// Why by hand: Debian packages no C or C++ GraphQL parser (libgraphqlparser
// is not in Debian 12), and the classifier needs only the executable subset
// (operations, fragments, values), parsed strictly and with bounded depth.
//
// Theory of operation: a lexer yields tokens (ignoring whitespace, commas,
// comments and the BOM, and decoding strings and block strings); a
// recursive-descent parser follows the grammar of the GraphQL specification
// (October 2021, §2). Only root fields are kept (with their arguments);
// nested selections are parsed and dropped. Fragment spreads at the root are
// expanded after the whole document is read.
//
// Limits: nesting (selection sets, list/object values, types) is bounded by
// kMaxNestingDepth; fragment expansion by kMaxFragmentSpreadDepth; root
// fields per operation by kMaxRootFields. Past a limit the document is an
// error, and the request is judged as unparseable (write).
#include "classifiers/graphql.h"

#include <iterator>
#include <map>

#include "classifiers/graphql_lexer.h"

namespace askfirst::classifiers::graphql {

const Value* Value::member(std::string_view name) const {
    if (kind != Kind::object) return nullptr;
    for (const auto& child : children)
        if (child.key == name) return &child;
    return nullptr;
}

const Value* RootField::argument(std::string_view arg_name) const {
    for (const auto& arg : arguments)
        if (arg.name == arg_name) return &arg.value;
    return nullptr;
}

// Indexed by OperationType: the keywords of the GraphQL grammar.
constexpr std::string_view kOperationTypeNames[] = {"query", "mutation", "subscription"};
static_assert(std::size(kOperationTypeNames) == static_cast<std::size_t>(OperationType::subscription) + 1,
              "kOperationTypeNames must name every OperationType");

std::string_view operation_type_name(OperationType type) {
    const auto index = static_cast<std::size_t>(type);
    return index < std::size(kOperationTypeNames) ? kOperationTypeNames[index] : "query";
}

namespace {

// What a selection set at the root of an operation or fragment holds: fields
// (kept) and named spreads (expanded later). Inline fragments are flattened.
struct RootSelections {
    std::vector<RootField> fields;
    std::vector<std::string> spreads;
    // Order matters only for display; fields from spreads are appended.
};

class Parser {
public:
    explicit Parser(std::string_view text) : lexer_(text) { advance(); }

    ParseResult parse();

private:
    Lexer lexer_;
    Token token_;
    std::string error_;
    std::map<std::string, RootSelections, std::less<>> fragments_;
    std::vector<std::pair<Operation, RootSelections>> operations_;

    void advance() {
        token_ = lexer_.next();
        if (token_.kind == TokenKind::error && error_.empty()) error_ = lexer_.error();
    }
    bool failed() const { return !error_.empty(); }
    bool fail(std::string message) {
        if (error_.empty())
            error_ = message + " at offset " + std::to_string(token_.offset);
        return false;
    }
    bool at(TokenKind kind) const { return token_.kind == kind; }
    bool at_name(std::string_view name) const { return token_.kind == TokenKind::name && token_.text == name; }
    bool expect(TokenKind kind, const char* what) {
        if (!at(kind)) return fail(std::string("expected ") + what);
        advance();
        return true;
    }
    bool take_name(std::string& out) {
        if (!at(TokenKind::name)) return fail("expected a name");
        out = token_.text;
        advance();
        return true;
    }

    bool parse_definition();
    bool parse_operation();
    bool parse_fragment_definition();
    bool parse_variable_definitions(Operation& operation);
    bool parse_type(std::size_t depth);
    bool parse_directives(bool constant);
    bool parse_arguments(std::vector<Argument>* out, bool constant, std::size_t depth);
    bool parse_value(Value& out, bool constant, std::size_t depth);
    bool parse_selection_set(RootSelections* root, std::size_t depth);
    bool parse_selection(RootSelections* root, std::size_t depth);
    bool parse_field(RootSelections* root, std::size_t depth);
    bool parse_fragment(RootSelections* root, std::size_t depth);
    bool expand(const RootSelections& selections, std::vector<RootField>& out, std::size_t depth);
};

ParseResult Parser::parse() {
    ParseResult result;
    if (at(TokenKind::end) && !failed()) fail("empty document");
    while (!failed() && !at(TokenKind::end))
        if (!parse_definition()) break;
    Document document;
    bool anonymous = false;
    std::map<std::string, int, std::less<>> names;
    for (auto& [operation, selections] : operations_) {
        if (failed()) break;
        if (operation.name.empty()) anonymous = true;
        else if (names[operation.name]++ > 0) fail("operation '" + operation.name + "' is defined twice");
        if (!expand(selections, operation.root_fields, 0)) break;
        document.operations.push_back(std::move(operation));
    }
    if (!failed() && anonymous && document.operations.size() > 1)
        fail("an anonymous operation must be the only operation in the document");
    if (failed()) {
        result.error = error_;
        return result;
    }
    result.document = std::move(document);
    return result;
}

bool Parser::parse_definition() {
    if (at(TokenKind::brace_open)) {  // query shorthand: { ... }
        std::pair<Operation, RootSelections> entry;
        if (!parse_selection_set(&entry.second, 1)) return false;
        operations_.push_back(std::move(entry));
        return true;
    }
    if (at_name("query") || at_name("mutation") || at_name("subscription")) return parse_operation();
    if (at_name("fragment")) return parse_fragment_definition();
    if (at(TokenKind::name))
        return fail("'" + token_.text + "' starts no executable definition (type-system documents are not requests)");
    return fail("expected an operation or a fragment");
}

bool Parser::parse_operation() {
    std::pair<Operation, RootSelections> entry;
    Operation& operation = entry.first;
    operation.type = at_name("mutation") ? OperationType::mutation
                     : at_name("subscription") ? OperationType::subscription
                                               : OperationType::query;
    advance();
    if (at(TokenKind::name) && !take_name(operation.name)) return false;
    if (at(TokenKind::paren_open) && !parse_variable_definitions(operation)) return false;
    if (!parse_directives(false)) return false;
    if (!parse_selection_set(&entry.second, 1)) return false;
    operations_.push_back(std::move(entry));
    return true;
}

bool Parser::parse_fragment_definition() {
    advance();  // 'fragment'
    std::string name;
    if (!take_name(name)) return false;
    if (name == "on") return fail("a fragment cannot be named 'on'");
    if (!at_name("on")) return fail("expected 'on' after the fragment name");
    advance();
    std::string type_condition;
    if (!take_name(type_condition) || !parse_directives(false)) return false;
    RootSelections selections;
    if (!parse_selection_set(&selections, 1)) return false;
    if (!fragments_.emplace(name, std::move(selections)).second)
        return fail("fragment '" + name + "' is defined twice");
    return true;
}

bool Parser::parse_variable_definitions(Operation& operation) {
    advance();  // '('
    if (at(TokenKind::paren_close)) return fail("empty variable definitions");
    while (!at(TokenKind::paren_close)) {
        if (!expect(TokenKind::dollar, "'$' before a variable name")) return false;
        VariableDefinition definition;
        if (!take_name(definition.name)) return false;
        if (!expect(TokenKind::colon, "':' after a variable name")) return false;
        if (!parse_type(1)) return false;
        if (at(TokenKind::equals)) {
            advance();
            Value value;
            if (!parse_value(value, true, 1)) return false;
            definition.default_value = std::move(value);
        }
        if (!parse_directives(true)) return false;
        operation.variables.push_back(std::move(definition));
    }
    advance();  // ')'
    return true;
}

bool Parser::parse_type(std::size_t depth) {
    if (depth > kMaxNestingDepth) return fail("type nested too deeply");
    if (at(TokenKind::bracket_open)) {
        advance();
        if (!parse_type(depth + 1) || !expect(TokenKind::bracket_close, "']' closing a list type")) return false;
    } else {
        std::string name;
        if (!take_name(name)) return false;
    }
    if (at(TokenKind::bang)) advance();
    return true;
}

bool Parser::parse_directives(bool constant) {
    while (at(TokenKind::at)) {
        advance();
        std::string name;
        if (!take_name(name)) return false;
        if (at(TokenKind::paren_open) && !parse_arguments(nullptr, constant, 1)) return false;
    }
    return true;
}

bool Parser::parse_arguments(std::vector<Argument>* out, bool constant, std::size_t depth) {
    advance();  // '('
    if (at(TokenKind::paren_close)) return fail("empty argument list");
    while (!at(TokenKind::paren_close)) {
        Argument argument;
        if (!take_name(argument.name)) return false;
        if (!expect(TokenKind::colon, "':' after an argument name")) return false;
        if (!parse_value(argument.value, constant, depth + 1)) return false;
        if (out != nullptr) out->push_back(std::move(argument));
    }
    advance();  // ')'
    return true;
}

bool Parser::parse_value(Value& out, bool constant, std::size_t depth) {
    if (depth > kMaxNestingDepth) return fail("value nested too deeply");
    switch (token_.kind) {
        case TokenKind::dollar:
            if (constant) return fail("a variable is not allowed in a constant value");
            advance();
            out.kind = Value::Kind::variable;
            return take_name(out.text);
        case TokenKind::int_value:
        case TokenKind::float_value: out.kind = Value::Kind::number; break;
        case TokenKind::string_value: out.kind = Value::Kind::string; break;
        case TokenKind::name:
            out.kind = token_.text == "null"                              ? Value::Kind::null
                       : (token_.text == "true" || token_.text == "false") ? Value::Kind::boolean
                                                                          : Value::Kind::enum_value;
            break;
        case TokenKind::bracket_open:
            out.kind = Value::Kind::list;
            advance();
            while (!at(TokenKind::bracket_close)) {
                if (at(TokenKind::end)) return fail("unterminated list value");
                out.children.emplace_back();
                if (!parse_value(out.children.back(), constant, depth + 1)) return false;
            }
            advance();
            return true;
        case TokenKind::brace_open:
            out.kind = Value::Kind::object;
            advance();
            while (!at(TokenKind::brace_close)) {
                Value member;
                if (!take_name(member.key)) return false;
                if (!expect(TokenKind::colon, "':' after an object field name")) return false;
                if (!parse_value(member, constant, depth + 1)) return false;
                out.children.push_back(std::move(member));
            }
            advance();
            return true;
        default: return fail("expected a value");
    }
    out.text = token_.text;
    advance();
    return true;
}

bool Parser::parse_selection_set(RootSelections* root, std::size_t depth) {
    if (depth > kMaxNestingDepth) return fail("selection set nested too deeply");
    if (!expect(TokenKind::brace_open, "'{' opening a selection set")) return false;
    if (at(TokenKind::brace_close)) return fail("empty selection set");
    while (!at(TokenKind::brace_close))
        if (!parse_selection(root, depth)) return false;
    advance();
    return true;
}

bool Parser::parse_selection(RootSelections* root, std::size_t depth) {
    if (at(TokenKind::spread)) return parse_fragment(root, depth);
    return parse_field(root, depth);
}

bool Parser::parse_field(RootSelections* root, std::size_t depth) {
    RootField field;
    if (!take_name(field.name)) return false;
    if (at(TokenKind::colon)) {  // alias: name
        advance();
        field.alias = std::move(field.name);
        if (!take_name(field.name)) return false;
    }
    if (at(TokenKind::paren_open) && !parse_arguments(root ? &field.arguments : nullptr, false, depth))
        return false;
    if (!parse_directives(false)) return false;
    if (at(TokenKind::brace_open) && !parse_selection_set(nullptr, depth + 1)) return false;
    if (root != nullptr) {
        if (root->fields.size() >= kMaxRootFields) return fail("too many root fields");
        root->fields.push_back(std::move(field));
    }
    return true;
}

bool Parser::parse_fragment(RootSelections* root, std::size_t depth) {
    advance();  // '...'
    if (at(TokenKind::name) && !at_name("on")) {  // named spread
        std::string name;
        if (!take_name(name) || !parse_directives(false)) return false;
        if (root != nullptr) root->spreads.push_back(std::move(name));
        return true;
    }
    if (at_name("on")) {  // inline fragment with a type condition
        advance();
        std::string type_condition;
        if (!take_name(type_condition)) return false;
    }
    if (!parse_directives(false)) return false;
    // An inline fragment at the root adds its fields to the root.
    return parse_selection_set(root, depth + 1);
}

bool Parser::expand(const RootSelections& selections, std::vector<RootField>& out, std::size_t depth) {
    if (depth > kMaxFragmentSpreadDepth) return fail("fragment spreads nested too deeply (or a cycle)");
    for (const auto& field : selections.fields) {
        if (out.size() >= kMaxRootFields) return fail("too many root fields");
        out.push_back(field);
    }
    for (const auto& spread : selections.spreads) {
        auto found = fragments_.find(spread);
        if (found == fragments_.end()) return fail("fragment '" + spread + "' is not defined");
        if (!expand(found->second, out, depth + 1)) return false;
    }
    return true;
}

const Value* find_variable(const Value& variables, std::string_view name) {
    return variables.member(name);
}

Value resolve_at(const Value& value, const Operation& operation, const Value& variables, std::size_t depth) {
    if (value.kind == Value::Kind::variable) {
        Value resolved;
        if (const Value* given = find_variable(variables, value.text)) {
            resolved = *given;
        } else {
            for (const auto& definition : operation.variables)
                if (definition.name == value.text && definition.default_value) resolved = *definition.default_value;
        }
        resolved.key = value.key;
        return resolved;
    }
    Value copy;
    copy.kind = value.kind;
    copy.key = value.key;
    copy.text = value.text;
    if (depth > kMaxNestingDepth) return copy;  // parser bounds make this unreachable
    copy.children.reserve(value.children.size());
    for (const auto& child : value.children) copy.children.push_back(resolve_at(child, operation, variables, depth + 1));
    return copy;
}

}  // namespace

ParseResult parse_document(std::string_view text) {
    Parser parser(text);
    return parser.parse();
}

Value resolve_variables(const Value& value, const Operation& operation, const Value& variables) {
    return resolve_at(value, operation, variables, 0);
}

}  // namespace askfirst::classifiers::graphql
