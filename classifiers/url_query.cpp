// classifiers/url_query.cpp — see classifiers/url_query.h.
#include "classifiers/url_query.h"

namespace askfirst::classifiers {

namespace {

// Calls visit(decoded_key, raw_value) for each pair until it returns true.
template <typename Visit>
void for_each_pair(std::string_view query, Visit visit) {
    while (!query.empty()) {
        std::size_t amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) continue;
        std::size_t eq = pair.find('=');
        std::string_view key = pair.substr(0, eq);
        std::string_view value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
        if (visit(percent_decode(key), value)) return;
    }
}

bool is_unreserved(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

// The unreserved character that text[i..i+2] ("%XX") encodes, or 0.
char encoded_unreserved_at(std::string_view text, std::size_t i) {
    const int byte = percent_escape_at(text, i);
    if (byte < 0) return 0;
    const char decoded = static_cast<char>(byte);
    return is_unreserved(decoded) ? decoded : 0;
}

}  // namespace

bool has_encoded_unreserved(std::string_view path) {
    for (std::size_t i = path.find('%'); i != std::string_view::npos; i = path.find('%', i + 1))
        if (encoded_unreserved_at(path, i) != 0) return true;
    return false;
}

std::string decode_unreserved(std::string_view path) {
    std::string out;
    out.reserve(path.size());
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (char decoded = encoded_unreserved_at(path, i); decoded != 0) {
            out += decoded;
            i += 2;
        } else {
            out += path[i];
        }
    }
    return out;
}

bool body_is_encoded(const HttpRequest& request) {
    for (const Header& header : request.headers) {
        if (header.name.size() != 16) continue;
        std::string name;
        for (char c : header.name) name += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        if (name != "content-encoding") continue;
        std::string value;
        for (char c : header.value) value += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        if (!value.empty() && value != "identity") return true;
    }
    return false;
}

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
    std::optional<std::string> found;
    for_each_pair(query, [&](const std::string& key, std::string_view value) {
        if (key != name) return false;
        found = percent_decode(value);
        return true;
    });
    return found;
}

std::vector<std::string> query_params(std::string_view query, std::string_view name) {
    std::vector<std::string> values;
    for_each_pair(query, [&](const std::string& key, std::string_view value) {
        if (key == name) values.push_back(percent_decode(value));
        return false;
    });
    return values;
}

}  // namespace askfirst::classifiers
