// src/credentials/token_shapes.cpp — stub generation and credential-shaped
// value detection (see the header for the sources of the table).
#include "src/credentials/token_shapes.h"

#include <sys/random.h>

#include <openssl/evp.h>

#include <algorithm>
#include <cstdint>

#include "src/credentials/aws_sigv4.h"

namespace askfirst::credentials {
namespace {

struct PrefixShape {
    std::string_view prefix;
    std::string_view provider;
    std::size_t min_rest;  // characters after the prefix for the value to count as a token
};

// Longest prefixes first where one starts another (github_pat_ before gh..., sk-ant- alone).
constexpr PrefixShape kPrefixes[] = {
    {"github_pat_", "github", 22}, {"ghp_", "github", 30}, {"gho_", "github", 30}, {"ghu_", "github", 30},
    {"ghs_", "github", 30},        {"ghr_", "github", 30}, {"glpat-", "gitlab", 20}, {"sk-ant-", "anthropic", 20},
    {"xoxb-", "slack", 20},        {"xoxp-", "slack", 20}, {"dop_v1_", "digitalocean", 40},
    {"doo_v1_", "digitalocean", 40}, {"dor_v1_", "digitalocean", 40}, {"AKIA", "aws", 16}, {"ASIA", "aws", 16},
};

// Providers whose tokens have no prefix: any bearer token sent to them is one.
constexpr std::string_view kBearerProviders[] = {"railway", "vercel", "cloudflare", "digitalocean", "kubernetes"};

bool is_token_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

void random_fill(std::uint8_t* out, std::size_t size) {
    while (size > 0) {
        const ssize_t got = getrandom(out, size, 0);
        if (got <= 0) continue;  // EINTR; getrandom does not fail otherwise once the pool is ready
        out += got;
        size -= static_cast<std::size_t>(got);
    }
}

std::string_view known_prefix(std::string_view real) {
    for (const auto& shape : kPrefixes)
        if (real.starts_with(shape.prefix)) return shape.prefix;
    // "sk-proj-", "sk-" and similar: keep up to the last '-' or '_' of a short leading word.
    return {};
}

void add_tokens_in(std::string_view text, std::string_view where, std::vector<FoundToken>& found) {
    for (const auto& shape : kPrefixes) {
        if (shape.provider == "aws") continue;  // only in a SigV4 Credential= (below): AKIA... is too common a word
        for (std::size_t at = text.find(shape.prefix); at != std::string_view::npos;
             at = text.find(shape.prefix, at + 1)) {
            if (at > 0 && is_token_char(text[at - 1])) continue;
            std::size_t end = at + shape.prefix.size();
            while (end < text.size() && is_token_char(text[end])) ++end;
            if (end - at - shape.prefix.size() < shape.min_rest) continue;
            found.push_back({std::string(text.substr(at, end - at)), std::string(shape.provider), std::string(where)});
        }
    }
}

void add_aws_key_id(std::string_view credential, std::string_view where, std::vector<FoundToken>& found) {
    const std::string_view key_id = credential.substr(0, credential.find('/'));
    if ((key_id.starts_with("AKIA") || key_id.starts_with("ASIA")) && key_id.size() >= 16)
        found.push_back({std::string(key_id), "aws", std::string(where)});
}

}  // namespace

std::string stub_shaped_like(std::string_view real) {
    static constexpr std::string_view kDigits = "0123456789";
    static constexpr std::string_view kLower = "abcdefghijklmnopqrstuvwxyz";
    static constexpr std::string_view kUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    static constexpr std::string_view kHex = "0123456789abcdef";
    const std::string_view prefix = known_prefix(real);
    const std::string_view rest = real.substr(prefix.size());
    const bool hex_rest = !rest.empty() && std::all_of(rest.begin(), rest.end(), is_hex);
    std::string stub;
    do {
        std::vector<std::uint8_t> noise(rest.size());
        random_fill(noise.data(), noise.size());
        stub.assign(prefix);
        for (std::size_t i = 0; i < rest.size(); ++i) {
            const char c = rest[i];
            std::string_view alphabet;
            if (hex_rest) alphabet = kHex;
            else if (c >= '0' && c <= '9') alphabet = kDigits;
            else if (c >= 'a' && c <= 'z') alphabet = kLower;
            else if (c >= 'A' && c <= 'Z') alphabet = kUpper;
            stub += alphabet.empty() ? c : alphabet[noise[i] % alphabet.size()];
        }
    } while (stub == real && !rest.empty());
    return stub;
}

std::vector<FoundToken> find_credential_tokens(const classifiers::HttpRequest& request, std::string_view provider) {
    std::vector<FoundToken> found;
    const bool bearer_provider =
        std::find(std::begin(kBearerProviders), std::end(kBearerProviders), provider) != std::end(kBearerProviders);
    for (const auto& header : request.headers) {
        const std::string where = "the " + header.name + " header";
        std::string_view value = header.value;
        if (classifiers::equals_ignoring_ascii_case(header.name, "authorization")) {
            if (value.starts_with("AWS4-HMAC-SHA256")) {
                const std::size_t credential = value.find("Credential=");
                if (credential != std::string_view::npos)
                    add_aws_key_id(value.substr(credential + 11), where, found);
                continue;
            }
            if (value.size() > 6 && classifiers::equals_ignoring_ascii_case(value.substr(0, 6), "basic ")) {
                if (auto decoded = base64_decode(value.substr(6))) {
                    add_tokens_in(*decoded, where + " (Basic)", found);
                    http::wipe_string(*decoded);
                }
                continue;
            }
            const std::size_t space = value.find(' ');
            const std::string_view token = space == std::string_view::npos ? value : value.substr(space + 1);
            const std::size_t before = found.size();
            add_tokens_in(token, where, found);
            if (found.size() == before && bearer_provider && token.size() >= 16)
                found.push_back({std::string(token), std::string(provider), where});
            continue;
        }
        add_tokens_in(value, where, found);
    }
    if (!request.query.empty()) {
        add_tokens_in(request.query, "the query string", found);
        const std::size_t credential = request.query.find("X-Amz-Credential=");
        if (credential != std::string::npos)
            add_aws_key_id(request.query.substr(credential + 17), "the X-Amz-Credential query parameter", found);
    }
    return found;
}

std::string token_fingerprint(std::string_view token) { return "sha256:" + sha256_hex(token).substr(0, 8); }

std::string base64_encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                        reinterpret_cast<const unsigned char*>(bytes.data()),
                                        static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(std::max(written, 0)));
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    if (text.empty() || text.size() % 4 != 0) return std::nullopt;
    std::string out(text.size() / 4 * 3, '\0');
    const int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                        reinterpret_cast<const unsigned char*>(text.data()),
                                        static_cast<int>(text.size()));
    if (written < 0) return std::nullopt;
    std::size_t size = static_cast<std::size_t>(written);
    // EVP_DecodeBlock counts the padding as zero bytes.
    for (std::size_t i = text.size(); i > 0 && text[i - 1] == '=' && size > 0; --i) --size;
    out.resize(size);
    return out;
}

}  // namespace askfirst::credentials
