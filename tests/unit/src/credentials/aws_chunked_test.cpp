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
