// src/credentials/aws_chunked.h — re-signing an S3 aws-chunked upload body
// (x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD) as it streams
// upstream (issue 13). The head was re-signed by aws_sigv4.h; each chunk
//
//   hex(size);chunk-signature=<64 hex>\r\n <data> \r\n     (the last one of size 0)
//
// carries a signature chained from the previous one (the head's first):
//
//   HMAC(kSigning, "AWS4-HMAC-SHA256-PAYLOAD\n" date "\n" scope "\n"
//                  previous-signature "\n" sha256("") "\n" sha256(data))
//
// (AWS S3 API reference, "Signature Calculations for the Authorization
// Header: Transferring Payload in Multiple Chunks"). Each chunk's guest
// signature is checked with the stub key along the guest's chain; if it
// verifies, the chunk goes upstream with the signature of the real key along
// the real chain. The signature field keeps its 64 characters, so the body's
// length (Content-Length) does not change. A chunk is held until its data is
// complete (its signature covers it): at most kMaxAwsChunkBytes.
//
// Written by hand: no Debian package implements SigV4 chunked signing.
// Sans-io: bytes in, bytes out (http::BodyRewriter).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/credentials/aws_sigv4.h"
#include "src/http/head_edits.h"

namespace askfirst::credentials {

// S3 asks for chunks of at least 8 KiB; SDKs send 64 KiB to 1 MiB. 16 MiB is
// far beyond that and bounds what one flow holds.
inline constexpr std::size_t kMaxAwsChunkBytes = 16 << 20;
// "hex size;chunk-signature=<64 hex>": well under 256 bytes; more is not this format.
inline constexpr std::size_t kMaxAwsChunkHeaderBytes = 256;
// The trailers are a checksum or two (x-amz-checksum-crc64nvme: 12 base64
// characters); 4 KiB is far more than any SDK sends.
inline constexpr std::size_t kMaxAwsTrailerBytes = 4096;

struct AwsChunkScope {
    std::string amz_date;  // the request's X-Amz-Date
    std::string scope;     // date/region/service/aws4_request
    std::string scope_date, region, service;
};

class AwsChunkedResigner final : public http::BodyRewriter {
public:
    AwsChunkedResigner(const AwsChunkScope& scope, std::string_view stub_secret, std::string_view real_secret,
                       std::string guest_seed_signature, std::string real_seed_signature, bool signed_trailer = false);

    std::string rewrite(std::string_view body_bytes) override;
    const std::string& failure() const override { return failure_; }

private:
    enum class State { chunk_header, chunk_data, trailer, done, failed };
    bool read_header(std::string& out);
    bool read_data(std::string& out);
    bool read_trailer(std::string& out);
    // Checks the guest's signature of `data` along its chain; on success appends the chunk re-signed.
    bool resign_chunk(std::string_view data, std::string& out);
    bool finish_trailer(std::string& out);
    std::string string_to_sign(const std::string& previous, const std::string& data_hash) const;
    std::string trailer_string_to_sign(const std::string& previous, const std::string& canonical_hash) const;
    void fail(std::string why);

    AwsChunkScope scope_;
    SigningKey stub_key_;
    SigningKey real_key_;
    std::string guest_previous_;
    std::string real_previous_;
    State state_ = State::chunk_header;
    std::string input_;
    std::string header_line_;
    std::size_t chunk_size_ = 0;
    std::string guest_signature_;
    bool signed_trailer_ = false;
    std::string trailer_lines_;          // as sent, each with its CRLF
    std::vector<std::pair<std::string, std::string>> trailers_;  // lower-case name, trimmed value
    std::string guest_trailer_signature_;
    std::size_t trailer_bytes_ = 0;
    std::string failure_;
};

}  // namespace askfirst::credentials
