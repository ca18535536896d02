// consent/query_redaction.cpp — which query parameters are secrets, as tables.
#include "consent/query_redaction.h"

#include <array>
#include <cctype>

namespace askfirst::consent {

namespace {

// Exact names (lower-case) whose values are credentials. Sources: AWS SigV4
// query auth (X-Amz-*), Google Cloud signed URLs (X-Goog-*), Azure SAS (sig),
// OAuth 2.0 (RFC 6749/6750: access_token, code, client_secret), and the usual
// API-key conventions.
constexpr std::array<std::string_view, 26> kSecretNames = {
    "x-amz-signature", "x-amz-credential", "x-amz-security-token", "x-goog-signature",
    "x-goog-credential", "access_token", "refresh_token", "id_token", "token", "key",
    "api_key", "apikey", "api-key", "password", "passwd", "pwd", "sig", "signature",
    "secret", "client_secret", "code", "auth", "authorization", "private_token",
    "jwt", "session",
};

// Fragments: a name that contains one of these is treated as a secret too
// (e.g. "github_token", "db_password"). Over-redacting costs a log reader a
// value; under-redacting leaks a credential.
constexpr std::array<std::string_view, 8> kSecretFragments = {
    "token", "secret", "passw", "signature", "credential", "apikey", "api_key", "session",
};

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// Percent-decoded, '+' as space, lower-cased: the name a server would see.
std::string decoded_lower_name(std::string_view raw) {
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == '%' && i + 2 < raw.size()) {
            int high = hex_value(raw[i + 1]);
            int low = hex_value(raw[i + 2]);
            if (high >= 0 && low >= 0) {
                c = static_cast<char>(high * 16 + low);
                i += 2;
            }
        } else if (c == '+') {
            c = ' ';
        }
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

}  // namespace

bool is_secret_query_name(std::string_view raw_name) {
    std::string name = decoded_lower_name(raw_name);
    for (std::string_view secret : kSecretNames) {
        if (name == secret) return true;
    }
    for (std::string_view fragment : kSecretFragments) {
        if (name.find(fragment) != std::string::npos) return true;
    }
    return false;
}

std::string redact_query(std::string_view query) {
    std::string out;
    out.reserve(query.size());
    while (true) {
        std::size_t end = query.find_first_of("&;");
        std::string_view pair = query.substr(0, end);
        std::size_t equals = pair.find('=');
        if (equals != std::string_view::npos && is_secret_query_name(pair.substr(0, equals))) {
            out.append(pair.substr(0, equals + 1));
            out.append(kRedactedValue);
        } else {
            out.append(pair);
        }
        if (end == std::string_view::npos) break;
        out += query[end];
        query.remove_prefix(end + 1);
    }
    return out;
}

std::string redacted_target(std::string_view path, std::string_view query) {
    std::string out(path);
    if (!query.empty()) {
        out += '?';
        out += redact_query(query);
    }
    return out;
}

}  // namespace askfirst::consent
