// src/credentials/token_shapes.h — what real credentials look like, as data:
// the prefixes providers put on their tokens (so a stub keeps the prefix
// and a client's format check passes), and the shapes askfirst recognises
// as a real credential it did not issue (issue 13, "unissued credentials").
//
// Sources of the prefixes: GitHub's token formats (ghp_, gho_, ghu_, ghs_,
// ghr_, github_pat_; "Behind GitHub's new authentication token formats",
// 2021), GitLab's personal access tokens (glpat-), Anthropic API keys
// (sk-ant-), Slack bot/user tokens (xoxb-, xoxp-), DigitalOcean's
// (dop_v1_, doo_v1_, dor_v1_), AWS access key ids (AKIA long-term, ASIA
// temporary; IAM's "unique identifiers"). Railway, Vercel and Cloudflare
// tokens have no prefix: they are recognised by the provider's host
// (the classifier's provider) in the Authorization header, as are
// Kubernetes bearer tokens.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "classifiers/classification.h"

namespace askfirst::credentials {

// A stub of the same shape as `real`: the same known prefix, the same
// length, and each other character replaced by a random one of its class
// (digit, lower, upper; hex stays hex); punctuation kept in place. Never
// equal to `real`. Random bytes come from getrandom(2).
std::string stub_shaped_like(std::string_view real);

// A credential-shaped value found in a request.
struct FoundToken {
    std::string value;     // the token (in memory only: never logged)
    std::string provider;  // "github", "gitlab", "aws", ...; for host-recognised tokens the classifier's provider
    std::string where;     // "the Authorization header", "the X-Amz-Credential query parameter", ...
};

// Credential-shaped values in the request's headers and query: prefixed
// tokens anywhere there, AWS access key ids in a SigV4 Credential=, and any
// bearer token when `provider` is one whose tokens have no prefix (railway,
// vercel, cloudflare, digitalocean, kubernetes).
std::vector<FoundToken> find_credential_tokens(const classifiers::HttpRequest& request, std::string_view provider);

// "sha256:" + the first 8 hex digits of the token's SHA-256: names a
// credential in a question and a grant without showing it.
std::string token_fingerprint(std::string_view token);

// Base64 (RFC 4648) for HTTP Basic credentials.
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace askfirst::credentials
