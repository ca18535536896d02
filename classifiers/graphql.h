// classifiers/graphql.h — a strict, sans-io GraphQL document parser and the
// request-level GraphQL classifier that every GraphQL provider shares
// (GitHub, GitLab, Railway, Fly.io, and any cloud that speaks GraphQL).
//
// Data path: a provider recognises its GraphQL endpoint, then hands the whole
// HttpRequest to classify_graphql_request() together with a GraphqlPolicy
// (how to label one mutation field, which fields escalate on which
// arguments). This file knows HTTP carriers (JSON body, batched array, GET
// ?query=, application/graphql) and GraphQL; it knows no provider.
//
// Rules implemented (../shared/classifier-rules.md §3 and §16):
//   * the operation is chosen by operationName, else the single operation;
//   * query/subscription → read; mutation → max over the root fields, named
//     by field (never by alias), fragments and inline fragments expanded,
//     and never below write: a read verb in a mutation field's name
//     (verifyVerifiableDomain) does not make it a read (invariant 6);
//   * a batched array takes the max over its elements;
//   * a persisted-query hash without a document, or a document that does not
//     parse, is a write (unknown on a known provider is never read).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "classifiers/classification.h"

namespace askfirst::classifiers::graphql {

// A GraphQL input value or a JSON variable value, in one shape so that
// `$input` and an inline `{...}` literal are inspected the same way.
struct Value {
    enum class Kind { null, boolean, number, string, enum_value, list, object, variable };
    Kind kind = Kind::null;
    std::string key;              // this value's name inside its parent object ("" otherwise)
    std::string text;             // scalar text (decoded string, number, true/false, enum) or variable name
    std::vector<Value> children;  // object members or list items, in order

    const Value* member(std::string_view name) const;  // object member by name, or nullptr
    bool is_string() const { return kind == Kind::string; }
};

// Keep `subscription` last: kOperationTypeNames (graphql.cpp) asserts its size by it.
enum class OperationType { query, mutation, subscription };
std::string_view operation_type_name(OperationType type);

struct Argument {
    std::string name;
    Value value;
};

struct RootField {
    std::string name;                  // the schema field: what is judged
    std::string alias;                 // "" when none; never judged
    std::vector<Argument> arguments;   // as written (variables unresolved)
    const Value* argument(std::string_view arg_name) const;
};

struct VariableDefinition {
    std::string name;
    std::optional<Value> default_value;
};

struct Operation {
    OperationType type = OperationType::query;
    std::string name;                            // "" for an anonymous operation
    std::vector<VariableDefinition> variables;
    std::vector<RootField> root_fields;          // fragments already expanded
};

struct Document {
    std::vector<Operation> operations;
};

// Bounds. Both are far above what real clients send (GitHub's and Railway's
// own client documents nest under 20 levels and spread fragments at most a
// few levels deep) and keep the recursive-descent stack small under fuzzing.
inline constexpr std::size_t kMaxNestingDepth = 64;
inline constexpr std::size_t kMaxFragmentSpreadDepth = 16;
inline constexpr std::size_t kMaxRootFields = 256;

struct ParseResult {
    std::optional<Document> document;
    std::string error;  // set when document is empty: what failed and where
};

// Parses an executable document (operations and fragments only; a
// type-system definition is an error). Strict: anything the GraphQL
// specification (October 2021) does not allow is an error.
ParseResult parse_document(std::string_view text);

// Replaces variable references in `value` with the request's variables (or
// the definition's default; null when neither exists).
Value resolve_variables(const Value& value, const Operation& operation, const Value& variables);

// ---- request-level classification -----------------------------------------

// How a provider labels its fields. `field_tier` sees a mutation root field
// name and returns its base tier (the provider applies its lexicon order and
// override table). `escalate` (optional) sees each mutation root field with
// its arguments already resolved against the variables; it may raise the
// tier and add flags/detail (e.g. updateRefs with a zero afterOid).
struct FieldJudgement {
    Tier tier = Tier::write;
    std::vector<std::string> flags;
    std::string detail_suffix;  // appended to the field's detail, e.g. "force"
};
struct ResolvedField {
    std::string_view name;
    std::span<const Argument> arguments;  // resolved: no variable references remain
    const Value* argument(std::string_view arg_name) const;
};
struct GraphqlPolicy {
    std::string_view provider;
    Tier (*field_tier)(std::string_view mutation_field) = nullptr;
    void (*escalate)(const ResolvedField& field, FieldJudgement& judgement) = nullptr;
};

// Classifies a GraphQL HTTP request (POST JSON or application/graphql, GET
// ?query=). The operation is "mutation <field>" / "query <field>" of the
// most severe root field; detail names the field and its key argument.
Classification classify_graphql_request(const HttpRequest& request, const GraphqlPolicy& policy);

// The identifier a dialog should show for a field: the first argument named
// id/…Id/…Ids/name (searched one level into an `input` object), as text.
std::string key_argument_text(std::span<const Argument> arguments);

}  // namespace askfirst::classifiers::graphql
