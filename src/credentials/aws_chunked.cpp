// src/credentials/aws_chunked.cpp — the aws-chunked body re-signer (see the header).
#include "src/credentials/aws_chunked.h"

#include <openssl/crypto.h>

#include <algorithm>

namespace askfirst::credentials {
namespace {

constexpr std::string_view kChunkAlgorithm = "AWS4-HMAC-SHA256-PAYLOAD";
constexpr std::string_view kTrailerAlgorithm = "AWS4-HMAC-SHA256-TRAILER";
constexpr std::string_view kTrailerSignatureName = "x-amz-trailer-signature";
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

bool is_lower_hex(std::string_view text) {
    for (const char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

bool signatures_equal(const std::string& expected, const std::string& given) {
    return expected.size() == given.size() && CRYPTO_memcmp(expected.data(), given.data(), expected.size()) == 0;
}

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

}  // namespace

AwsChunkedResigner::AwsChunkedResigner(const AwsChunkScope& scope, std::string_view stub_secret,
                                       std::string_view real_secret, std::string guest_seed_signature,
                                       std::string real_seed_signature, bool signed_trailer)
    : scope_(scope),
      stub_key_(stub_secret, scope.scope_date, scope.region, scope.service),
      real_key_(real_secret, scope.scope_date, scope.region, scope.service),
      guest_previous_(std::move(guest_seed_signature)),
      real_previous_(std::move(real_seed_signature)),
      signed_trailer_(signed_trailer) {}

void AwsChunkedResigner::fail(std::string why) {
    state_ = State::failed;
    failure_ = std::move(why);
    input_.clear();
}

std::string AwsChunkedResigner::string_to_sign(const std::string& previous, const std::string& data_hash) const {
    return std::string(kChunkAlgorithm) + "\n" + scope_.amz_date + "\n" + scope_.scope + "\n" + previous + "\n" +
           std::string(kEmptySha256) + "\n" + data_hash;
}

std::string AwsChunkedResigner::trailer_string_to_sign(const std::string& previous,
                                                       const std::string& canonical_hash) const {
    return std::string(kTrailerAlgorithm) + "\n" + scope_.amz_date + "\n" + scope_.scope + "\n" + previous + "\n" +
           canonical_hash;
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
        case State::trailer: progress = read_trailer(out); break;
        case State::done:
            if (!input_.empty()) fail("bytes after the last aws-chunked chunk");
            progress = false;
            break;
        case State::failed: progress = false; break;
        }
    }
    return state_ == State::failed ? "" : out;
}

bool AwsChunkedResigner::read_header(std::string& out) {
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
    if (signed_trailer_ && chunk_size_ == 0) {  // the last chunk: no data line, the trailers follow
        if (!resign_chunk("", out)) return false;
        state_ = State::trailer;
        return true;
    }
    state_ = State::chunk_data;
    return true;
}

bool AwsChunkedResigner::resign_chunk(std::string_view data, std::string& out) {
    const std::string data_hash = sha256_hex(data);
    if (!signatures_equal(stub_key_.sign(string_to_sign(guest_previous_, data_hash)), guest_signature_)) {
        fail("an aws-chunked chunk signature does not verify with the key askfirst issued: the upload was altered "
             "after signing");
        return false;
    }
    const std::string real_signature = real_key_.sign(string_to_sign(real_previous_, data_hash));
    out += header_line_;
    out += real_signature;
    out += "\r\n";
    guest_previous_ = guest_signature_;
    real_previous_ = real_signature;
    return true;
}

// One trailer line at a time; the empty line ends them.
bool AwsChunkedResigner::read_trailer(std::string& out) {
    const std::size_t end = input_.find("\r\n");
    if (end == std::string::npos) {
        if (trailer_bytes_ + input_.size() > kMaxAwsTrailerBytes) fail("aws-chunked trailers longer than expected");
        return false;
    }
    trailer_bytes_ += end + 2;
    if (trailer_bytes_ > kMaxAwsTrailerBytes) {
        fail("aws-chunked trailers longer than expected");
        return false;
    }
    const std::string line = input_.substr(0, end);
    input_.erase(0, end + 2);
    if (line.empty()) return finish_trailer(out);
    const std::size_t colon = line.find(':');
    std::string name = colon == std::string::npos ? "" : line.substr(0, colon);
    for (char& c : name)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (name.empty() || name.find_first_of(" \t") != std::string::npos || !guest_trailer_signature_.empty()) {
        fail("an aws-chunked trailer that is not \"name:value\" before the trailer signature");
        return false;
    }
    const std::string_view value = trimmed(std::string_view(line).substr(colon + 1));
    if (name == kTrailerSignatureName) {
        if (value.size() != kSignatureHexLength || !is_lower_hex(value)) {
            fail("an aws-chunked trailer signature that is not 64 hex digits");
            return false;
        }
        guest_trailer_signature_ = std::string(value);
        return true;
    }
    trailers_.emplace_back(std::move(name), std::string(value));
    trailer_lines_ += line + "\r\n";
    return true;
}

bool AwsChunkedResigner::finish_trailer(std::string& out) {
    if (guest_trailer_signature_.empty()) {
        fail("aws-chunked signed trailers without x-amz-trailer-signature");
        return false;
    }
    std::sort(trailers_.begin(), trailers_.end());
    std::string canonical;
    for (const auto& [name, value] : trailers_) canonical += name + ":" + value + "\n";
    const std::string canonical_hash = sha256_hex(canonical);
    if (!signatures_equal(stub_key_.sign(trailer_string_to_sign(guest_previous_, canonical_hash)),
                          guest_trailer_signature_)) {
        fail("the aws-chunked trailer signature does not verify with the key askfirst issued: the trailers were "
             "altered after signing");
        return false;
    }
    out += trailer_lines_;
    out += std::string(kTrailerSignatureName) + ":" + real_key_.sign(trailer_string_to_sign(real_previous_, canonical_hash));
    out += "\r\n\r\n";
    state_ = State::done;
    return true;
}

bool AwsChunkedResigner::read_data(std::string& out) {
    if (input_.size() < chunk_size_ + 2) return false;
    if (input_.compare(chunk_size_, 2, "\r\n") != 0) {
        fail("an aws-chunked chunk whose data does not end where its size says");
        return false;
    }
    if (!resign_chunk(std::string_view(input_.data(), chunk_size_), out)) return false;
    out.append(input_, 0, chunk_size_ + 2);
    input_.erase(0, chunk_size_ + 2);
    state_ = chunk_size_ == 0 ? State::done : State::chunk_header;
    return true;
}

}  // namespace askfirst::credentials
