// src/credentials/aws_sigv4.h — AWS Signature Version 4 for the credential
// broker: read the signature a request carries, check it against the stub
// secret the sandbox was given, and compute the edits (src/http/head_edits.h)
// that make the same request carry a signature of the real key (issue 13).
//
// Theory. SigV4 signs a canonical form of the request: method, path, sorted
// query, the signed headers (lower-cased, values trimmed and inner spaces
// collapsed), the payload's SHA-256 (or UNSIGNED-PAYLOAD, or the value the
// client put in x-amz-content-sha256), under a key derived from the secret,
// the date, the region and the service. The guest signs with the stub key;
// askfirstd rebuilds the canonical request, and only if the stub secret gives
// the guest's exact signature does it sign the same canonical request (with
// the real access key in the credential scope and the real session token in
// place of the stub token) with the real secret. Clients differ in two
// details of the canonical form, so both are tried and the one that verifies
// is the one re-signed: the path as sent (S3) or normalized and encoded
// once more (every other service, botocore's rule); the query pairs as sent
// or decoded and encoded again with RFC 3986's unreserved set.
//
// Written by hand: no Debian package offers SigV4 as a C/C++ library
// (aws-sdk-cpp is not packaged); the primitives are libcrypto's HMAC and
// SHA-256.
//
// Supported: header signing (Authorization: AWS4-HMAC-SHA256 ...), presigned
// query strings (X-Amz-Signature), payload hashes given in
// x-amz-content-sha256 (hex, UNSIGNED-PAYLOAD) or computed from a complete
// inspected body. And aws-chunked uploads
// (STREAMING-AWS4-HMAC-SHA256-PAYLOAD, and -TRAILER with signed trailers):
// the head here, every chunk signature and the trailer signature in the body
// by src/credentials/aws_chunked.h. Refused with a reason: the SigV4a
// streaming forms (STREAMING-AWS4-ECDSA-P256-SHA256-*).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/base/result.h"
#include "classifiers/classification.h"
#include "src/http/head_edits.h"

namespace askfirst::credentials {

struct AwsKeys {
    std::string_view access_key_id;
    std::string_view secret_access_key;
    std::string_view session_token;  // empty: long-term keys
};

// What a SigV4-signed request says of its signature.
struct SigV4Signature {
    enum class Placement { header, query };
    Placement placement = Placement::header;
    std::string access_key_id;
    std::string scope_date;  // yyyymmdd
    std::string region;
    std::string service;
    std::string amz_date;    // X-Amz-Date, e.g. 20240101T000000Z
    std::vector<std::string> signed_headers;  // lower-case, as listed
    std::string signature;   // lower-case hex
    bool has_security_token = false;
    std::string security_token;  // decoded
};

// nullopt when the request carries no SigV4 signature; a failure when a
// signature is there but malformed.
Result<std::optional<SigV4Signature>> read_sigv4(const classifiers::HttpRequest& request);

// What verify_and_resign() changes; its failure says why the request was
// refused (never holding a secret).
struct Resigned {
    http::HeadEdits edits;
    // aws-chunked (x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD):
    // the body's chunk signatures chain from these (aws_chunked.h).
    bool streaming = false;
    bool signed_trailer = false;  // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
    std::string guest_seed_signature;
    std::string real_seed_signature;
};

// The SigV4 signing key (kSigning) for one scope; wiped when dropped.
class SigningKey {
public:
    SigningKey(std::string_view secret, std::string_view scope_date, std::string_view region, std::string_view service);
    ~SigningKey();
    SigningKey(const SigningKey&) = delete;
    SigningKey& operator=(const SigningKey&) = delete;
    // hex(HMAC-SHA256(key, data))
    std::string sign(std::string_view data) const;

private:
    unsigned char key_[32];
};

// Checks the request's signature with `stub`; when it verifies, returns the
// edits that re-sign it with `real` for the same region and service.
Result<Resigned> verify_and_resign(const classifiers::HttpRequest& request, const SigV4Signature& signature,
                                   const AwsKeys& stub, const AwsKeys& real);

// The parts, for the unit tests and for checks without re-signing.
std::string sha256_hex(std::string_view data);
std::string uri_encode(std::string_view text, bool keep_slash);
std::string sigv4_signature(std::string_view secret, std::string_view scope_date, std::string_view region,
                            std::string_view service, std::string_view string_to_sign);

}  // namespace askfirst::credentials
