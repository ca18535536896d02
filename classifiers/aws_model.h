// classifiers/aws_model.h — the shape of the AWS tables that
// tools/gen_aws_routes.py generates from botocore's service models at build
// time (aws_model_tables.cpp in the build dir), and lookups over them.
//
// Plain arrays of string literals and indices, so that thousands of
// operations cost no start-up work and little compile time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace askfirst::classifiers::aws_model {

// botocore's metadata.protocol values. Keep `rest_xml` last: kWireProtocolNames
// (aws.cpp) asserts its size by it.
enum class Protocol : std::uint8_t { query, ec2, json, rest_json, rest_xml };

struct Operation {
    const char* name;        // "DeleteDBInstance"
    // Where the primary identifier sits: "u:Label" (URI label), "q:key"
    // (query), "h:header" (lower-case header) or "b:Key" (body/form); "" if none.
    const char* identifier;
};

struct Route {
    const char* method;      // "DELETE"
    const char* path;        // "/2015-03-31/functions/{FunctionName}", "{Key+}" greedy
    const char* query;       // required query keys, '&'-separated, "k" or "k=v"; "" if none
    const char* headers;     // required headers, lower case, ','-separated; "" if none
    std::uint16_t operation; // index into ModelTables::operations
};

struct Service {
    const char* signing_name;     // SigV4 credential-scope service, e.g. "rds"
    const char* endpoint_prefix;  // first host labels, e.g. "rds", "api.ecr"
    const char* iam_prefix;       // canonical operation prefix, e.g. "rds"
    const char* target_prefix;    // JSON X-Amz-Target prefix, "" unless protocol json
    const char* api_version;      // query protocol Version=, e.g. "2014-10-31"
    Protocol protocol;
    std::uint16_t first_operation, operation_count;  // sorted case-insensitively by name
    std::uint16_t first_route, route_count;          // most specific first
};

struct ModelTables {
    std::span<const Service> services;            // sorted by signing name
    std::span<const Operation> operations;
    std::span<const Route> routes;
    std::span<const std::uint16_t> by_endpoint_prefix;  // service indices sorted by endpoint prefix
    std::span<const std::uint16_t> by_target_prefix;    // service indices sorted by target prefix
};

extern const ModelTables kModel;  // defined in the generated aws_model_tables.cpp

// Services whose signing name is `signing_name` (exact), in table order.
std::span<const Service> services_signed_as(std::string_view signing_name);
// Services whose endpoint prefix is `prefix` (exact); indices into kModel.services.
std::span<const std::uint16_t> services_with_endpoint_prefix(std::string_view prefix);
// Services whose JSON target prefix is `prefix` (exact); indices into kModel.services.
std::span<const std::uint16_t> services_with_target_prefix(std::string_view prefix);
// The service's operation called `name`, compared case-insensitively; nullptr if none.
const Operation* find_operation(const Service& service, std::string_view name);
std::span<const Route> routes_of(const Service& service);
std::span<const Operation> operations_of(const Service& service);

}  // namespace askfirst::classifiers::aws_model
