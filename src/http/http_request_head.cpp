// src/http/http_request_head.cpp — Host, target and protocol checks of a request
// head; see http_request_head.h.
#include "src/http/http_request_head.h"
#include "src/http/http_head_lines.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace askfirst::http {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::vector<std::string_view> header_values(const std::vector<classifiers::Header>& headers,
                                            std::string_view name) {
    std::vector<std::string_view> values;
    for (const auto& header : headers) {
        if (iequals(header.name, name)) values.push_back(header.value);
    }
    return values;
}

// Does a comma-separated header value list `token` (case-insensitive)?
bool list_has_token(std::string_view list, std::string_view token) {
    while (!list.empty()) {
        std::size_t comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (iequals(item, token)) return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

bool any_value_has_token(const std::vector<classifiers::Header>& headers, std::string_view name,
                         std::string_view token) {
    for (std::string_view value : header_values(headers, name)) {
        if (list_has_token(value, token)) return true;
    }
    return false;
}

bool is_reg_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~';
}

bool all_digits(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

HeadRefusal bad_request(std::string reason) { return {400, std::move(reason)}; }

struct Target {
    std::string authority;  // empty for origin-form
    std::string path;
    std::string query;
};

// origin-form "/p?q", absolute-form "http://host/p?q", asterisk-form "*".
std::optional<Target> split_target(std::string_view target) {
    Target out;
    if (target.find('#') != std::string_view::npos) return std::nullopt;  // no fragments on the wire
    if (target == "*") {
        out.path = "*";
        return out;
    }
    if (target.empty()) return std::nullopt;
    if (target.front() != '/') {
        std::size_t scheme_end = target.find("://");
        if (scheme_end == std::string_view::npos) return std::nullopt;
        std::string_view rest = target.substr(scheme_end + 3);
        std::size_t path_start = rest.find_first_of("/?");
        out.authority = std::string(rest.substr(0, path_start));
        target = path_start == std::string_view::npos ? std::string_view("/") : rest.substr(path_start);
        if (out.authority.empty() || out.authority.find('@') != std::string::npos) return std::nullopt;
    }
    std::size_t question = target.find('?');
    out.path = std::string(target.substr(0, question));
    if (out.path.empty()) out.path = "/";
    if (question != std::string_view::npos) out.query = std::string(target.substr(question + 1));
    return out;
}

std::optional<HeadRefusal> check_protocol(const MessageParser& parser) {
    if (parser.method() == "CONNECT") {
        return bad_request("CONNECT is refused: askfirst is not a proxy; unset HTTP(S)_PROXY in the guest");
    }
    if (any_value_has_token(parser.headers(), "Upgrade", "h2c")) {
        return bad_request("Upgrade: h2c is refused: askfirst judges HTTP/1.1 requests only; "
                           "use HTTP/1.1 (curl --http1.1)");
    }
    for (const auto& header : parser.headers()) {
        if (header.name.empty()) return bad_request("a header line without a field name");
        if (header.name.find('_') != std::string::npos && is_framing_or_routing_field(header.name)) {
            return bad_request("header '" + header.name + "' looks like a framing or routing header; "
                               "some servers read it as one");
        }
    }
    if (auto repeated = repeated_single_value_field(parser.headers())) {
        return bad_request("more than one " + *repeated + " header: servers differ on which one counts");
    }
    bool http10 = parser.http_major() == 1 && parser.http_minor() == 0;
    if (http10 && parser.has_transfer_encoding()) {
        return bad_request("Transfer-Encoding in an HTTP/1.0 request: framing is ambiguous");
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> repeated_single_value_field(const std::vector<classifiers::Header>& headers) {
    // (The method-override headers may repeat: every value is judged.)
    static constexpr std::string_view kSingleValue[] = {"Content-Type", "X-Amz-Target"};
    for (std::string_view name : kSingleValue) {
        std::size_t seen = 0;
        for (const auto& header : headers)
            if (classifiers::equals_ignoring_ascii_case(header.name, name)) ++seen;
        if (seen > 1) return std::string(name);
    }
    return std::nullopt;
}

std::optional<std::string> normalize_host(std::string_view value) {
    std::string_view host = value;
    std::string_view port;
    if (!value.empty() && value.front() == '[') {
        std::size_t close = value.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = value.substr(0, close + 1);
        std::string_view rest = value.substr(close + 1);
        if (!rest.empty() && rest.front() != ':') return std::nullopt;
        if (!rest.empty()) port = rest.substr(1);
        for (char c : host.substr(1, host.size() - 2)) {
            if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return std::nullopt;
        }
    } else {
        std::size_t colon = value.find(':');
        if (colon != std::string_view::npos) {
            host = value.substr(0, colon);
            port = value.substr(colon + 1);
            if (port.empty()) return std::nullopt;
        }
        if (!std::all_of(host.begin(), host.end(), is_reg_name_char)) return std::nullopt;
    }
    if (host.empty() || !all_digits(port) || port.size() > 5) return std::nullopt;
    return lower(host);
}

RequestHeadResult build_request_head(const MessageParser& parser, std::string_view sni) {
    RequestHeadResult result;
    if (auto refusal = check_protocol(parser)) {
        result.refusal = std::move(refusal);
        return result;
    }
    auto target = split_target(parser.target());
    if (!target) {
        result.refusal = bad_request("request target is not origin-form, absolute-form or '*'");
        return result;
    }
    auto hosts = header_values(parser.headers(), "Host");
    bool http11 = !(parser.http_major() == 1 && parser.http_minor() == 0);
    if (hosts.size() > 1) {
        result.refusal = bad_request("more than one Host header");
        return result;
    }
    if (hosts.empty() && (http11 || !target->authority.empty())) {
        result.refusal = bad_request(http11 ? "HTTP/1.1 request without a Host header"
                                            : "absolute-form target without a Host header");
        return result;
    }
    std::string host;
    if (!hosts.empty()) {
        auto normalized = normalize_host(hosts.front());
        if (!normalized) {
            result.refusal = bad_request("Host header is not a valid host[:port]");
            return result;
        }
        host = *normalized;
    } else {
        host = lower(sni);  // HTTP/1.0 without Host: the server can only route by SNI
    }
    if (!target->authority.empty() && normalize_host(target->authority) != host) {
        result.refusal = bad_request("absolute-form target names another host than the Host header");
        return result;
    }
    if (!sni.empty() && !iequals(host, sni)) {
        result.refusal = HeadRefusal{421, "Host '" + host + "' does not match the TLS server name '" +
                                              lower(sni) + "'; open a new connection for that host"};
        return result;
    }
    classifiers::HttpRequest& request = result.head.request;
    request.method = std::string(parser.method());
    request.host = std::move(host);
    request.path = std::move(target->path);
    request.query = std::move(target->query);
    request.headers = parser.headers();
    result.head.expect_continue =
        http11 && any_value_has_token(parser.headers(), "Expect", "100-continue");
    result.head.wants_upgrade = parser.is_upgrade();
    return result;
}

}  // namespace askfirst::http
