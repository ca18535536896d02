// tests/unit/src/credentials/aws_chunked_test.cpp — the aws-chunked body
// re-signer against a body Python's hmac signed from AWS's description
// (make_chunked_vectors.py): fed in any slicing, it gives exactly the body
// the real key signs; an altered chunk stops it.
#include <doctest/doctest.h>

#include <string>

#include "src/credentials/aws_chunked.h"

namespace {

#include "aws_chunked_vectors.inc"

using askfirst::credentials::AwsChunkedResigner;
using askfirst::credentials::AwsChunkScope;

const AwsChunkScope kScope{kAmzDate, "20260107/us-east-1/s3/aws4_request", "20260107", "us-east-1", "s3"};
constexpr const char* kStubSecret = "stubSecretStubSecretStubSecretStubSecret0";
constexpr const char* kRealSecret = "realSecret/RealSecret+RealSecretRealSecr";

std::string resign_in_slices(const std::string& body, std::size_t slice, std::string* failure = nullptr) {
    AwsChunkedResigner resigner(kScope, kStubSecret, kRealSecret, kGuestSeed, kRealSeed);
    std::string out;
    for (std::size_t at = 0; at < body.size(); at += slice) out += resigner.rewrite(std::string_view(body).substr(at, slice));
    if (failure != nullptr) *failure = resigner.failure();
    return out;
}

}  // namespace

TEST_CASE("an aws-chunked body is re-signed chunk by chunk, whatever the slicing, to exactly the real key's body") {
    for (const std::size_t slice : {std::size_t{1}, std::size_t{7}, std::size_t{1000}, kGuestBody.size()}) {
        CAPTURE(slice);
        std::string failure;
        const std::string out = resign_in_slices(kGuestBody, slice, &failure);
        CHECK(failure.empty());
        CHECK(out.size() == kGuestBody.size());  // Content-Length stays true
        CHECK(out == kRealBody);
    }
}

TEST_CASE("an altered chunk, a wrong seed, bad framing or bytes after the last chunk stop the upload") {
    std::string failure;
    std::string altered = kGuestBody;
    altered[200] ^= 1;  // inside the first chunk's data
    CHECK(resign_in_slices(altered, 4096, &failure).empty());  // nothing of the altered chunk goes out
    CHECK(failure.find("does not verify") != std::string::npos);

    AwsChunkedResigner wrong_seed(kScope, kStubSecret, kRealSecret, kRealSeed, kRealSeed);
    CHECK(wrong_seed.rewrite(kGuestBody).empty());
    CHECK_FALSE(wrong_seed.failure().empty());

    AwsChunkedResigner framing(kScope, kStubSecret, kRealSecret, kGuestSeed, kRealSeed);
    CHECK(framing.rewrite("zz;chunk-signature=00\r\n").empty());
    CHECK(framing.failure().find("not \"hex-size") != std::string::npos);

    resign_in_slices(kGuestBody + "extra", kGuestBody.size() + 5, &failure);
    CHECK(failure.find("after the last") != std::string::npos);
}

namespace {

std::string resign_trailer_body(const std::string& body, std::size_t slice, std::string& failure) {
    AwsChunkedResigner resigner(kScope, kStubSecret, kRealSecret, kGuestSeed, kRealSeed, true);
    std::string out;
    for (std::size_t at = 0; at < body.size(); at += slice) out += resigner.rewrite(std::string_view(body).substr(at, slice));
    failure = resigner.failure();
    return out;
}

std::string replaced(std::string text, std::string_view from, std::string_view to) {
    const std::size_t at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("signed trailers: the chunks and the trailer signature are re-signed, whatever the slicing") {
    for (const std::size_t slice : {std::size_t{1}, std::size_t{5}, std::size_t{333}, kGuestTrailerBody.size()}) {
        CAPTURE(slice);
        std::string failure;
        const std::string out = resign_trailer_body(kGuestTrailerBody, slice, failure);
        CHECK(failure.empty());
        CHECK(out.size() == kGuestTrailerBody.size());  // Content-Length stays true
        CHECK(out == kRealTrailerBody);
    }
}

TEST_CASE("signed trailers that were altered, unsigned, malformed or too long are refused, naming why") {
    const std::string signature_line = "x-amz-trailer-signature:";
    const std::size_t signature_at = kGuestTrailerBody.find(signature_line) + signature_line.size();
    std::string bad_signature = kGuestTrailerBody;
    bad_signature[signature_at] = bad_signature[signature_at] == '0' ? '1' : '0';
    std::string no_signature = kGuestTrailerBody;
    no_signature.erase(signature_at - signature_line.size(), signature_line.size() + 64 + 2);
    struct Row {
        const char* name;
        std::string body;
        const char* reason;
    };
    const Row rows[] = {
        {"a trailer value changed", replaced(kGuestTrailerBody, "AAAAAA==", "AAAAAB=="), "trailers were altered"},
        {"a trailer name changed", replaced(kGuestTrailerBody, "X-Amz-Meta-Note", "X-Amz-Meta-Notf"), "trailers were altered"},
        {"a trailer added", replaced(kGuestTrailerBody, "x-amz-checksum-crc32:", "x-extra:1\r\nx-amz-checksum-crc32:"),
         "trailers were altered"},
        {"the trailer signature changed", bad_signature, "trailers were altered"},
        {"no trailer signature", no_signature, "without x-amz-trailer-signature"},
        {"a trailer after the signature",
         replaced(kGuestTrailerBody, "\r\n\r\n", "\r\nx-late:1\r\n\r\n"), "before the trailer signature"},
        {"a trailer line without a colon", replaced(kGuestTrailerBody, "x-amz-checksum-crc32:", "x-amz-checksum-crc32 "),
         "not \"name:value\""},
        {"a trailer signature that is not hex", replaced(kGuestTrailerBody, signature_line, signature_line + "zz"),
         "not 64 hex"},
        {"trailers without end", kGuestTrailerBody.substr(0, kGuestTrailerBody.size() - 2) +
                                     std::string(askfirst::credentials::kMaxAwsTrailerBytes + 1, 'x'), "longer than expected"},
    };
    for (const Row& row : rows) {
        const std::string name = row.name;
        CAPTURE(name);
        std::string failure;
        const std::string out = resign_trailer_body(row.body, 64, failure);
        CHECK(failure.find(row.reason) != std::string::npos);
        CAPTURE(failure);
        // Nothing of the trailers goes out: no trailer signature, real or guest's.
        CHECK(out.find("x-amz-trailer-signature") == std::string::npos);
    }
}

TEST_CASE("a trailer body given to the plain aws-chunked re-signer fails rather than passing the trailers") {
    std::string failure;
    resign_in_slices(kGuestTrailerBody, 4096, &failure);
    CHECK_FALSE(failure.empty());
}
