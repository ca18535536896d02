// src/credentials/aws_sigv4.cpp — reading, verifying and re-signing SigV4
// (see the header for the theory and what is supported).
#include "src/credentials/aws_sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <map>

#include "classifiers/url_query.h"

namespace askfirst::credentials {
namespace {

using classifiers::HttpRequest;

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
constexpr std::string_view kStreamingPrefix = "STREAMING-";
constexpr std::string_view kStreamingSigned = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
constexpr std::string_view kStreamingSignedTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
constexpr std::size_t kDigestBytes = 32;  // SHA-256

using Digest = std::array<unsigned char, kDigestBytes>;

std::string hex(const unsigned char* bytes, std::size_t size) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out(size * 2, '0');
    for (std::size_t i = 0; i < size; ++i) {
        out[2 * i] = kDigits[bytes[i] >> 4];
        out[2 * i + 1] = kDigits[bytes[i] & 0x0f];
    }
    return out;
}

Digest hmac(std::string_view key, std::string_view data) {
    Digest out{};
    unsigned int size = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out.data(), &size);
    return out;
}

std::string_view as_view(const Digest& digest) {
    return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = classifiers::ascii_lower(c);
    return out;
}

// botocore's _header_value: surrounding whitespace dropped, inner runs of spaces and tabs become one space.
std::string canonical_header_value(std::string_view value) {
    std::string out;
    bool in_space = false;
    for (char c : value) {
        if (c == ' ' || c == '\t') {
            in_space = true;
            continue;
        }
        if (in_space && !out.empty()) out += ' ';
        in_space = false;
        out += c;
    }
    return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// "Credential=AKID/20240101/us-east-1/s3/aws4_request" → its parts.
bool read_credential(std::string_view credential, SigV4Signature& out) {
    std::vector<std::string_view> parts;
    std::size_t at = 0;
    while (at <= credential.size()) {
        const std::size_t slash = std::min(credential.find('/', at), credential.size());
        parts.push_back(credential.substr(at, slash - at));
        at = slash + 1;
    }
    if (parts.size() != 5 || parts[4] != "aws4_request" || parts[0].empty() || parts[1].size() != 8) return false;
    out.access_key_id = parts[0];
    out.scope_date = parts[1];
    out.region = parts[2];
    out.service = parts[3];
    return !out.region.empty() && !out.service.empty();
}

std::vector<std::string> split_signed_headers(std::string_view list) {
    std::vector<std::string> names;
    std::size_t at = 0;
    while (at <= list.size()) {
        const std::size_t end = std::min(list.find(';', at), list.size());
        if (end > at) names.push_back(lower(list.substr(at, end - at)));
        at = end + 1;
    }
    return names;
}

// Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...
Status read_authorization(std::string_view value, SigV4Signature& out) {
    value.remove_prefix(kAlgorithm.size());
    std::map<std::string, std::string, std::less<>> fields;
    std::size_t at = 0;
    while (at < value.size()) {
        const std::size_t end = std::min(value.find(',', at), value.size());
        std::string_view field = value.substr(at, end - at);
        while (!field.empty() && (field.front() == ' ' || field.front() == '\t')) field.remove_prefix(1);
        while (!field.empty() && (field.back() == ' ' || field.back() == '\t')) field.remove_suffix(1);
        const std::size_t equals = field.find('=');
        if (equals != std::string_view::npos) fields[std::string(field.substr(0, equals))] = field.substr(equals + 1);
        at = end + 1;
    }
    const auto credential = fields.find("Credential");
    const auto signed_headers = fields.find("SignedHeaders");
    const auto signature = fields.find("Signature");
    if (credential == fields.end() || signed_headers == fields.end() || signature == fields.end() ||
        !read_credential(credential->second, out))
        return Status::failure("the AWS Authorization header is not a well-formed SigV4 signature");
    out.signed_headers = split_signed_headers(signed_headers->second);
    out.signature = lower(signature->second);
    return ok_status();
}

struct QueryPair {
    std::string key;    // raw, as sent
    std::string value;  // raw, as sent
};

std::vector<QueryPair> split_query(std::string_view query) {
    std::vector<QueryPair> pairs;
    if (query.empty()) return pairs;
    std::size_t at = 0;
    while (at <= query.size()) {
        const std::size_t end = std::min(query.find('&', at), query.size());
        const std::string_view pair = query.substr(at, end - at);
        const std::size_t equals = pair.find('=');
        if (equals == std::string_view::npos) pairs.push_back({std::string(pair), ""});
        else pairs.push_back({std::string(pair.substr(0, equals)), std::string(pair.substr(equals + 1))});
        at = end + 1;
    }
    return pairs;
}

const QueryPair* find_pair(const std::vector<QueryPair>& pairs, std::string_view key) {
    for (const auto& pair : pairs)
        if (pair.key == key) return &pair;
    return nullptr;
}

std::string decoded(std::string_view raw) { return classifiers::percent_decode(raw, false); }

Status read_presigned(const HttpRequest& request, SigV4Signature& out) {
    const auto pairs = split_query(request.query);
    const QueryPair* algorithm = find_pair(pairs, "X-Amz-Algorithm");
    const QueryPair* credential = find_pair(pairs, "X-Amz-Credential");
    const QueryPair* signed_headers = find_pair(pairs, "X-Amz-SignedHeaders");
    const QueryPair* signature = find_pair(pairs, "X-Amz-Signature");
    const QueryPair* date = find_pair(pairs, "X-Amz-Date");
    if (algorithm == nullptr || decoded(algorithm->value) != kAlgorithm || credential == nullptr ||
        signed_headers == nullptr || signature == nullptr || date == nullptr ||
        !read_credential(decoded(credential->value), out))
        return Status::failure("the presigned AWS URL is not a well-formed SigV4 signature");
    out.placement = SigV4Signature::Placement::query;
    out.signed_headers = split_signed_headers(decoded(signed_headers->value));
    out.signature = lower(decoded(signature->value));
    out.amz_date = decoded(date->value);
    if (const QueryPair* token = find_pair(pairs, "X-Amz-Security-Token")) {
        out.has_security_token = true;
        out.security_token = decoded(token->value);
    }
    return ok_status();
}

// ---- the canonical request ----

// The two spellings clients use (see the header): which one verified is the one re-signed.
struct CanonicalForm {
    bool normalize_and_encode_path = false;
    bool reencode_query = false;
};

// RFC 3986 §5.2.4 dot segments and empty segments removed, as botocore's normalize_url_path.
std::string normalized_path(std::string_view path) {
    std::vector<std::string_view> segments;
    std::size_t at = 0;
    while (at <= path.size()) {
        const std::size_t end = std::min(path.find('/', at), path.size());
        const std::string_view segment = path.substr(at, end - at);
        if (segment == "..") {
            if (!segments.empty()) segments.pop_back();
        } else if (!segment.empty() && segment != ".") {
            segments.push_back(segment);
        }
        at = end + 1;
    }
    std::string out;
    for (const auto segment : segments) out += "/" + std::string(segment);
    if (out.empty() || (path.size() > 1 && path.back() == '/')) out += "/";
    return out;
}

std::string canonical_path(std::string_view path, CanonicalForm form) {
    if (path.empty()) return "/";
    if (!form.normalize_and_encode_path) return std::string(path);
    return uri_encode(normalized_path(path), true);
}

struct SigningInputs {
    std::string access_key_id;
    std::string session_token;             // what the canonical request carries as the token
    std::vector<std::string> signed_headers;
    bool add_token_header = false;          // the token is signed as a header the request lacked
    bool add_token_query = false;
};

std::string canonical_query(const std::vector<QueryPair>& pairs, const SigV4Signature& signature,
                            const SigningInputs& inputs, CanonicalForm form) {
    std::vector<std::pair<std::string, std::string>> encoded;
    const bool presigned = signature.placement == SigV4Signature::Placement::query;
    for (const auto& pair : pairs) {
        if (presigned && pair.key == "X-Amz-Signature") continue;
        std::string key = form.reencode_query ? uri_encode(decoded(pair.key), false) : pair.key;
        std::string value = form.reencode_query ? uri_encode(decoded(pair.value), false) : pair.value;
        if (presigned && pair.key == "X-Amz-Credential")
            value = uri_encode(inputs.access_key_id + "/" + signature.scope_date + "/" + signature.region + "/" +
                                   signature.service + "/aws4_request",
                               false);
        if (presigned && pair.key == "X-Amz-Security-Token") value = uri_encode(inputs.session_token, false);
        encoded.emplace_back(std::move(key), std::move(value));
    }
    if (inputs.add_token_query) encoded.emplace_back("X-Amz-Security-Token", uri_encode(inputs.session_token, false));
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (const auto& [key, value] : encoded) out += (out.empty() ? "" : "&") + key + "=" + value;
    return out;
}

std::string canonical_headers(const HttpRequest& request, const SigV4Signature& signature,
                              const SigningInputs& inputs) {
    std::string out;
    for (const std::string& name : inputs.signed_headers) {
        std::string value;
        bool seen = false;
        if (name == "x-amz-security-token" && (signature.has_security_token || inputs.add_token_header)) {
            value = inputs.session_token;
            seen = true;
        } else {
            for (const auto& header : request.headers) {
                if (lower(header.name) != name) continue;
                value += (seen ? "," : "") + canonical_header_value(header.value);
                seen = true;
            }
        }
        out += name + ":" + value + "\n";
    }
    return out;
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ";") + name;
    return out;
}

// The payload hash the signature covers; a failure when askfirst cannot re-sign it.
Result<std::string> payload_hash(const HttpRequest& request, const SigV4Signature& signature) {
    using Hashed = Result<std::string>;
    if (signature.placement == SigV4Signature::Placement::query) {
        if (const auto given = classifiers::query_param(request.query, "X-Amz-Content-Sha256"))
            return Hashed::success(*given);
        return Hashed::success(std::string(kUnsignedPayload));
    }
    if (request.has_header("x-amz-content-sha256")) {
        std::string given(request.header("x-amz-content-sha256"));
        if (given.starts_with(kStreamingPrefix) && given != "STREAMING-UNSIGNED-PAYLOAD-TRAILER" &&
            given != kStreamingSigned && given != kStreamingSignedTrailer)
            return Hashed::failure("askfirst cannot re-sign aws-chunked uploads of the form " + given + " yet");
        return Hashed::success(std::move(given));
    }
    if (!request.body_complete)
        return Hashed::failure("the request's signature covers a body larger than http.max_inspect_bytes, so askfirst "
                               "cannot re-sign it with the real key");
    return Hashed::success(sha256_hex(request.body));
}

std::string string_to_sign(const HttpRequest& request, const SigV4Signature& signature, const SigningInputs& inputs,
                           CanonicalForm form, std::string_view hashed_payload, std::string_view amz_date) {
    const auto pairs = split_query(request.query);
    const std::string canonical = request.method + "\n" + canonical_path(request.path, form) + "\n" +
                                  canonical_query(pairs, signature, inputs, form) + "\n" +
                                  canonical_headers(request, signature, inputs) + "\n" +
                                  joined(inputs.signed_headers) + "\n" + std::string(hashed_payload);
    return std::string(kAlgorithm) + "\n" + std::string(amz_date) + "\n" + signature.scope_date + "/" +
           signature.region + "/" + signature.service + "/aws4_request\n" + sha256_hex(canonical);
}

std::string amz_date_of(const HttpRequest& request, const SigV4Signature& signature) {
    if (signature.placement == SigV4Signature::Placement::query) return signature.amz_date;
    return std::string(request.header("x-amz-date"));
}

std::string query_with_signature(const HttpRequest& request, const SigningInputs& inputs,
                                 const SigV4Signature& signature, std::string_view new_signature) {
    std::string out;
    for (const auto& pair : split_query(request.query)) {
        std::string value = pair.value;
        if (pair.key == "X-Amz-Credential")
            value = uri_encode(inputs.access_key_id + "/" + signature.scope_date + "/" + signature.region + "/" +
                                   signature.service + "/aws4_request",
                               false);
        else if (pair.key == "X-Amz-Security-Token")
            value = uri_encode(inputs.session_token, false);
        else if (pair.key == "X-Amz-Signature")
            value = std::string(new_signature);
        out += (out.empty() ? "" : "&") + pair.key + (pair.value.empty() && value.empty() ? "" : "=") + value;
    }
    if (inputs.add_token_query) out += "&X-Amz-Security-Token=" + uri_encode(inputs.session_token, false);
    return out;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
    Digest digest{};
    unsigned int size = 0;
    EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr);
    return hex(digest.data(), digest.size());
}

// RFC 3986 unreserved characters stay; everything else is %XX (upper-case), as SigV4 requires.
std::string uri_encode(std::string_view text, bool keep_slash) {
    static constexpr char kDigits[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : text) {
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '_' || c == '.' || c == '~';
        if (unreserved || (keep_slash && c == '/')) {
            out += c;
        } else {
            const auto byte = static_cast<unsigned char>(c);
            out += '%';
            out += kDigits[byte >> 4];
            out += kDigits[byte & 0x0f];
        }
    }
    return out;
}

SigningKey::SigningKey(std::string_view secret, std::string_view scope_date, std::string_view region,
                       std::string_view service) {
    std::string first_key = "AWS4" + std::string(secret);
    Digest key = hmac(first_key, scope_date);
    http::wipe_string(first_key);
    for (const std::string_view step : {region, service, std::string_view("aws4_request")}) {
        const Digest next = hmac(as_view(key), step);
        OPENSSL_cleanse(key.data(), key.size());
        key = next;
    }
    std::copy(key.begin(), key.end(), key_);
    OPENSSL_cleanse(key.data(), key.size());
}

SigningKey::~SigningKey() { OPENSSL_cleanse(key_, sizeof key_); }

std::string SigningKey::sign(std::string_view data) const {
    const Digest signature = hmac(std::string_view(reinterpret_cast<const char*>(key_), sizeof key_), data);
    return hex(signature.data(), signature.size());
}

std::string sigv4_signature(std::string_view secret, std::string_view scope_date, std::string_view region,
                            std::string_view service, std::string_view to_sign) {
    return SigningKey(secret, scope_date, region, service).sign(to_sign);
}

Result<std::optional<SigV4Signature>> read_sigv4(const HttpRequest& request) {
    using Read = Result<std::optional<SigV4Signature>>;
    SigV4Signature signature;
    const std::string_view authorization = request.header("authorization");
    if (authorization.starts_with(kAlgorithm)) {
        if (Status read = read_authorization(authorization, signature); !read) return Read::failure(read.error());
        signature.amz_date = std::string(request.header("x-amz-date"));
        if (signature.amz_date.empty())
            return Read::failure("the AWS signature has no X-Amz-Date header (askfirst re-signs only that form)");
        if (request.has_header("x-amz-security-token")) {
            signature.has_security_token = true;
            signature.security_token = std::string(request.header("x-amz-security-token"));
        }
        return Read::success(std::move(signature));
    }
    if (request.query.find("X-Amz-Signature=") != std::string::npos) {
        if (Status read = read_presigned(request, signature); !read) return Read::failure(read.error());
        return Read::success(std::move(signature));
    }
    return Read::success(std::nullopt);
}

Result<Resigned> verify_and_resign(const HttpRequest& request, const SigV4Signature& signature, const AwsKeys& stub,
                                   const AwsKeys& real) {
    using Refused = Result<Resigned>;
    if (signature.access_key_id != stub.access_key_id)
        return Refused::failure("the AWS signature is not made with the access key askfirst issued to the sandbox");
    if (signature.has_security_token && signature.security_token != stub.session_token)
        return Refused::failure("the AWS request carries a session token askfirst did not issue");
    const Result<std::string> payload = payload_hash(request, signature);
    if (!payload) return Refused::failure(payload.error());
    const std::string& hashed_payload = payload.value();
    const std::string amz_date = amz_date_of(request, signature);

    SigningInputs guest_inputs{std::string(stub.access_key_id), std::string(stub.session_token),
                               signature.signed_headers, false, false};
    static constexpr CanonicalForm kForms[] = {{false, false}, {true, false}, {false, true}, {true, true}};
    const CanonicalForm* verified = nullptr;
    for (const auto& form : kForms) {
        const std::string to_sign = string_to_sign(request, signature, guest_inputs, form, hashed_payload, amz_date);
        const std::string expected = sigv4_signature(stub.secret_access_key, signature.scope_date, signature.region,
                                                     signature.service, to_sign);
        if (constant_time_equal(expected, signature.signature)) {
            verified = &form;
            break;
        }
    }
    if (verified == nullptr)
        return Refused::failure("the request's AWS signature does not verify with the key askfirst issued: it was "
                                "altered after signing or not signed in the sandbox");

    // The same canonical request, with the real key id and session token.
    SigningInputs real_inputs{std::string(real.access_key_id), std::string(real.session_token),
                              signature.signed_headers, false, false};
    const bool header_auth = signature.placement == SigV4Signature::Placement::header;
    if (!real.session_token.empty() && !signature.has_security_token) {
        if (header_auth) {
            real_inputs.add_token_header = true;
            real_inputs.signed_headers.push_back("x-amz-security-token");
            std::sort(real_inputs.signed_headers.begin(), real_inputs.signed_headers.end());
        } else {
            real_inputs.add_token_query = true;
        }
    }
    const std::string to_sign = string_to_sign(request, signature, real_inputs, *verified, hashed_payload, amz_date);
    const std::string real_signature =
        sigv4_signature(real.secret_access_key, signature.scope_date, signature.region, signature.service, to_sign);

    Resigned result;
    result.streaming = hashed_payload == kStreamingSigned || hashed_payload == kStreamingSignedTrailer;
    result.signed_trailer = hashed_payload == kStreamingSignedTrailer;
    result.guest_seed_signature = signature.signature;
    result.real_seed_signature = real_signature;
    using Kind = http::HeadEdit::Kind;
    if (header_auth) {
        result.edits.emplace_back(Kind::replace_in_header, "Authorization",
                                  "Credential=" + std::string(stub.access_key_id) + "/",
                                  "Credential=" + std::string(real.access_key_id) + "/");
        result.edits.emplace_back(Kind::replace_in_header, "Authorization", "SignedHeaders=" +
                                  joined(signature.signed_headers), "SignedHeaders=" + joined(real_inputs.signed_headers));
        result.edits.emplace_back(Kind::replace_in_header, "Authorization", "Signature=" + signature.signature,
                                  "Signature=" + real_signature);
        if (signature.has_security_token || real_inputs.add_token_header)
            result.edits.emplace_back(Kind::set_header, "X-Amz-Security-Token", "", std::string(real.session_token));
    } else {
        result.edits.emplace_back(Kind::replace_in_target, "", "?" + request.query,
                                  "?" + query_with_signature(request, real_inputs, signature, real_signature));
    }
    return Result<Resigned>::success(std::move(result));
}

}  // namespace askfirst::credentials
