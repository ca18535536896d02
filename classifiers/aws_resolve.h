// classifiers/aws_resolve.h — from an AWS request to the service model's
// operation(s) it invokes (../shared/classifier-rules.md §1 "Protocol per
// service"): the credential scope and host pick candidate services, then the
// request's shape picks the protocol:
//   X-Amz-Target header          -> json      (target prefix + operation)
//   Action= in query or form     -> query/ec2 (one entry per distinct Action)
//   otherwise                    -> rest-json/rest-xml route templates,
//                                   with S3's virtual-hosted addressing.
#pragma once

#include <string>
#include <vector>

#include "classifiers/aws_model.h"
#include "classifiers/aws_parameters.h"
#include "classifiers/aws_request.h"

namespace askfirst::classifiers::aws {

// Services that may have served the request: by signing name (narrowed by
// the host's endpoint prefix when that narrows), else by the host alone.
std::vector<const aws_model::Service*> candidate_services(const HttpRequest& request,
                                                          const CredentialScope& scope);

// The body format the request's shape implies for these candidates.
BodyFormat body_format_for(const HttpRequest& request,
                           const std::vector<const aws_model::Service*>& candidates);

struct ResolvedOperation {
    const aws_model::Service* service = nullptr;      // null: no service identified
    const aws_model::Operation* operation = nullptr;  // null: not an operation of the model
    aws_model::Protocol protocol = aws_model::Protocol::rest_json;
    std::string requested_name;  // the name as sent (Action, X-Amz-Target), "" for REST
    std::string uri_identifier;  // decoded URI label of the primary identifier, if it is one
    std::string s3_bucket;       // S3: the bucket from the host or the path
    std::string s3_key;          // S3: the object key, decoded
};

// One entry per operation the request names (several only when a query
// request carries conflicting Action values); never empty.
std::vector<ResolvedOperation> resolve_operations(const HttpRequest& request,
                                                  const std::vector<const aws_model::Service*>& candidates,
                                                  const RequestParameters& parameters);

// REST: the most specific route of the candidates' rest services that
// matches method, path, query keys and headers (classifiers/aws_rest.cpp).
ResolvedOperation resolve_rest(const HttpRequest& request,
                               const std::vector<const aws_model::Service*>& candidates);

}  // namespace askfirst::classifiers::aws
