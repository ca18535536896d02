// tests/unit/src/credentials/aws_sigv4_test.cpp — SigV4 verify and re-sign
// against vectors that botocore's own signer computed
// (make_sigv4_vectors.py → sigv4_vectors.inc): each request signed with the
// stub keys must verify, and the head askfirstd re-signs must carry exactly
// the signature botocore gives the same request under the real keys.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "src/credentials/aws_sigv4.h"
#include "src/http/head_edits.h"

namespace {

using askfirst::classifiers::HttpRequest;
using namespace askfirst::credentials;

struct Vector {
    const char* name;
    const char* method;
    const char* host;
    const char* path;
    const char* query;
    std::vector<std::pair<const char*, const char*>> headers;
    const char* body;
    const char* real_authorization;  // header signing: what the re-signed head must carry
    const char* real_query;          // presigned: the re-signed query
};

const Vector kVectors[] = {
#include "sigv4_vectors.inc"
};

const AwsKeys kStub{"AKIASTUBSTUBSTUB0001", "stubSecretStubSecretStubSecretStubSecret0", "StubSessionToken0123456789"};
const AwsKeys kReal{"AKIAREALREALREAL0002", "realSecret/RealSecret+RealSecretRealSecr", "RealSessionToken/abc+def=="};

HttpRequest request_of(const Vector& v) {
    HttpRequest request;
    request.method = v.method;
    request.host = v.host;
    request.path = v.path;
    request.query = v.query;
    for (const auto& [name, value] : v.headers) request.headers.push_back({name, value});
    if (!request.has_header("host")) request.headers.push_back({"Host", v.host});
    request.body = v.body;
    request.body_complete = true;
    return request;
}

std::string raw_head_of(const HttpRequest& request) {
    std::string head = request.method + " " + request.path + (request.query.empty() ? "" : "?" + request.query) +
                       " HTTP/1.1\r\n";
    for (const auto& header : request.headers) head += header.name + ": " + header.value + "\r\n";
    return head + "\r\n";
}

std::string header_in(const std::string& head, const std::string& name) {
    const std::size_t at = head.find("\r\n" + name + ": ");
    if (at == std::string::npos) return "";
    const std::size_t start = at + 4 + name.size();
    return head.substr(start, head.find("\r\n", start) - start);
}

}  // namespace

TEST_CASE("botocore's stub-signed requests verify, and are re-signed exactly as botocore signs them with the real keys") {
    for (const Vector& v : kVectors) {
        CAPTURE(v.name);
        const HttpRequest request = request_of(v);
        const auto read = read_sigv4(request);
        REQUIRE_MESSAGE(read.ok(), read.error());
        const auto& signature = read.value();
        REQUIRE(signature);
        CHECK(signature->access_key_id == kStub.access_key_id);
        const auto verified = verify_and_resign(request, *signature, kStub, kReal);
        REQUIRE_MESSAGE(verified.ok(), verified.error());
        const Resigned& resigned = verified.value();
        const std::string head = askfirst::http::apply_head_edits(raw_head_of(request), resigned.edits);
        if (std::string(v.real_authorization).empty()) {
            const std::string line = head.substr(0, head.find("\r\n"));
            CHECK(line == std::string("GET ") + v.path + "?" + v.real_query + " HTTP/1.1");
        } else {
            CHECK(header_in(head, "Authorization") == v.real_authorization);
            CHECK(header_in(head, "X-Amz-Security-Token") == std::string(kReal.session_token));
        }
        CHECK(head.find(kStub.access_key_id) == std::string::npos);
    }
}

TEST_CASE("a request altered after signing, or signed with another secret, does not verify") {
    for (const Vector& v : kVectors) {
        CAPTURE(v.name);
        HttpRequest altered = request_of(v);
        if (altered.query.empty()) altered.path += "x";
        else altered.query.insert(0, "extra=1&");
        auto signature = read_sigv4(altered).value();
        REQUIRE(signature);
        const auto refused = verify_and_resign(altered, *signature, kStub, kReal);
        CHECK_FALSE(refused.ok());
        CHECK(refused.error().find("does not verify") != std::string::npos);

        const HttpRequest original = request_of(v);
        signature = read_sigv4(original).value();
        REQUIRE(signature);
        const AwsKeys wrong_secret{kStub.access_key_id, "wrongSecretWrongSecretWrongSecretWrongSe", kStub.session_token};
        CHECK_FALSE(verify_and_resign(original, *signature, wrong_secret, kReal).ok());
    }
}

TEST_CASE("a session token askfirst did not issue, and SigV4a aws-chunked uploads, are refused with a reason") {
    HttpRequest request = request_of(kVectors[0]);
    auto signature = read_sigv4(request).value();
    REQUIRE(signature);
    const AwsKeys other_token{kStub.access_key_id, kStub.secret_access_key, "AnotherToken"};
    CHECK(verify_and_resign(request, *signature, other_token, kReal).error().find("session token") != std::string::npos);

    // SigV4a (ECDSA) chunk signatures: askfirst cannot re-sign them, and says so.
    request.headers.push_back({"x-amz-content-sha256", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"});
    signature = read_sigv4(request).value();
    REQUIRE(signature);
    CHECK(verify_and_resign(request, *signature, kStub, kReal).error().find("aws-chunked") != std::string::npos);
}

TEST_CASE("a body too large to inspect cannot be re-signed when its hash is signed") {
    HttpRequest request = request_of(kVectors[0]);
    request.body_complete = false;
    const auto signature = read_sigv4(request).value();
    REQUIRE(signature);
    CHECK(verify_and_resign(request, *signature, kStub, kReal).error().find("max_inspect_bytes") != std::string::npos);
}

TEST_CASE("malformed SigV4 is an error, an unsigned request is not SigV4") {
    HttpRequest request;
    request.headers.push_back({"Authorization", "AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=00"});
    const auto malformed = read_sigv4(request);
    CHECK_FALSE(malformed.ok());
    CHECK(malformed.error().find("not a well-formed") != std::string::npos);
    HttpRequest plain;
    plain.headers.push_back({"Authorization", "Bearer x"});
    const auto unsigned_request = read_sigv4(plain);
    REQUIRE(unsigned_request.ok());
    CHECK_FALSE(unsigned_request.value().has_value());
}

TEST_CASE("uri_encode keeps RFC 3986's unreserved set, and '/' only when asked") {
    CHECK(uri_encode("a b/c~d-e_f.g+h=", false) == "a%20b%2Fc~d-e_f.g%2Bh%3D");
    CHECK(uri_encode("/a b/c", true) == "/a%20b/c");
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
