// classifiers/rest_resource.h — what the hand-written REST classifiers of the
// cloud area share (GCP, Azure, Cloudflare, Vercel, Supabase, Neon, Terraform
// Cloud, Heroku, Stripe): the method rule, an operation name built from the
// path's shape, and a Classification filled in one call.
//
// These APIs have no committed route table: the method decides by default
// and each provider file lists its exceptions (POSTs that read or delete,
// DELETEs that don't) as data.
#pragma once

#include <string>
#include <string_view>

#include "classifiers/classification.h"
#include "classifiers/route_template.h"

namespace askfirst::classifiers {

// GET/HEAD/OPTIONS read, DELETE destructive, anything else (POST, PUT,
// PATCH, unknown methods) a write.
Tier tier_for_rest_method(std::string_view method);
bool is_read_method(std::string_view method);

// Does a path segment look like an identifier rather than a collection name?
// Digits-only, UUIDs, long hex strings, prefixed ids (`cus_NffrFeUfNV2Hib`,
// `prj_…`), and anything with a digit that is at least kMinIdentifierLength long.
bool looks_like_identifier(std::string_view segment);
inline constexpr std::size_t kMinIdentifierLength = 8;  // shorter words with digits: "v2", "ipv6", "s3"

// The path with identifier segments written `{id}`: "/v1/customers/{id}".
std::string path_shape(const RequestPath& path);

// "<METHOD> <path shape>", the operation name when the API has no names.
std::string method_and_shape(std::string_view method, const RequestPath& path);

// A Classification with provider, operation, tier, and detail "<METHOD> <host><path>".
Classification make_classification(std::string_view provider, std::string operation, Tier tier,
                                   const HttpRequest& request);

// Adds `flag` unless it is already there.
void add_flag(Classification& result, std::string_view flag);

// An endpoint that a provider's route table does not name (llm, packages):
// the method rule, so never a read unless the method reads (invariant 6),
// flagged "unknown-endpoint" when it is not a read.
Classification classify_unnamed_endpoint(std::string_view provider, std::string operation, const HttpRequest& request);

}  // namespace askfirst::classifiers
