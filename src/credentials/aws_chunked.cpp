// src/credentials/aws_chunked.cpp — the aws-chunked body re-signer (see the header).
#include "src/credentials/aws_chunked.h"

#include <openssl/crypto.h>

namespace askfirst::credentials {
namespace {

constexpr std::string_view kChunkAlgorithm = "AWS4-HMAC-SHA256-PAYLOAD";
constexpr std::string_view kSignatureField = ";chunk-signature=";
constexpr std::size_t kSignatureHexLength = 64;
// sha256("") in hex: the chunk string-to-sign's fixed line.
constexpr std::string_view kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

bool parse_hex_size(std::string_view text, std::size_t& out) {
    if (text.empty() || text.size() > 8) return false;  // 8 hex digits: 4 GiB, far above kMaxAwsChunkBytes
    out = 0;
    for (const char c : text) {
        const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (digit < 0) return false;
        out = out * 16 + static_cast<std::size_t>(digit);
    }
    return true;
}

}  // namespace

AwsChunkedResigner::AwsChunkedResigner(const AwsChunkScope& scope, std::string_view stub_secret,
                                       std::string_view real_secret, std::string guest_seed_signature,
                                       std::string real_seed_signature)
    : scope_(scope),
      stub_key_(stub_secret, scope.scope_date, scope.region, scope.service),
      real_key_(real_secret, scope.scope_date, scope.region, scope.service),
      guest_previous_(std::move(guest_seed_signature)),
      real_previous_(std::move(real_seed_signature)) {}

void AwsChunkedResigner::fail(std::string why) {
    state_ = State::failed;
    failure_ = std::move(why);
    input_.clear();
}

std::string AwsChunkedResigner::string_to_sign(const std::string& previous, const std::string& data_hash) const {
    return std::string(kChunkAlgorithm) + "\n" + scope_.amz_date + "\n" + scope_.scope + "\n" + previous + "\n" +
           std::string(kEmptySha256) + "\n" + data_hash;
}

std::string AwsChunkedResigner::rewrite(std::string_view body_bytes) {
    if (state_ == State::failed) return "";
    input_.append(body_bytes);
    std::string out;
    bool progress = true;
    while (progress && state_ != State::failed) {
        switch (state_) {
        case State::chunk_header: progress = read_header(out); break;
        case State::chunk_data: progress = read_data(out); break;
        case State::done:
            if (!input_.empty()) fail("bytes after the last aws-chunked chunk");
            progress = false;
            break;
        case State::failed: progress = false; break;
        }
    }
    return state_ == State::failed ? "" : out;
}

bool AwsChunkedResigner::read_header(std::string&) {
    const std::size_t end = input_.find("\r\n");
    if (end == std::string::npos) {
        if (input_.size() > kMaxAwsChunkHeaderBytes) fail("an aws-chunked chunk header longer than expected");
        return false;
    }
    const std::string_view line(input_.data(), end);
    const std::size_t field = line.find(kSignatureField);
    if (field == std::string_view::npos || line.size() != field + kSignatureField.size() + kSignatureHexLength ||
        !parse_hex_size(line.substr(0, field), chunk_size_)) {
        fail("an aws-chunked chunk header that is not \"hex-size;chunk-signature=<64 hex>\"");
        return false;
    }
    if (chunk_size_ > kMaxAwsChunkBytes) {
        fail("an aws-chunked chunk larger than " + std::to_string(kMaxAwsChunkBytes) + " bytes");
        return false;
    }
    header_line_ = std::string(line.substr(0, field + kSignatureField.size()));
    guest_signature_ = std::string(line.substr(field + kSignatureField.size()));
    input_.erase(0, end + 2);
    state_ = State::chunk_data;
    return true;
}

bool AwsChunkedResigner::read_data(std::string& out) {
    if (input_.size() < chunk_size_ + 2) return false;
    if (input_.compare(chunk_size_, 2, "\r\n") != 0) {
        fail("an aws-chunked chunk whose data does not end where its size says");
        return false;
    }
    const std::string_view data(input_.data(), chunk_size_);
    const std::string data_hash = sha256_hex(data);
    const std::string expected = stub_key_.sign(string_to_sign(guest_previous_, data_hash));
    if (expected.size() != guest_signature_.size() ||
        CRYPTO_memcmp(expected.data(), guest_signature_.data(), expected.size()) != 0) {
        fail("an aws-chunked chunk signature does not verify with the key askfirst issued: the upload was altered "
             "after signing");
        return false;
    }
    const std::string real_signature = real_key_.sign(string_to_sign(real_previous_, data_hash));
    out += header_line_;
    out += real_signature;
    out += "\r\n";
    out.append(data);
    out += "\r\n";
    guest_previous_ = guest_signature_;
    real_previous_ = real_signature;
    input_.erase(0, chunk_size_ + 2);
    state_ = chunk_size_ == 0 ? State::done : State::chunk_header;
    return true;
}

}  // namespace askfirst::credentials
