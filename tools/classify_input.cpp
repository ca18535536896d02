// tools/classify_input.cpp — corpus JSON lines (cJSON) into HttpRequest
// values for `askfirst classify` and the benchmark. A raw request (`--raw`)
// is read by askfirstd's own HTTP session (src/http/raw_request.h), so the
// dry run judges exactly what askfirstd would.
#include "tools/classify_input.h"

#include <cjson/cJSON.h>

#include <cctype>
#include <cstdlib>
#include <memory>

namespace askfirst::cli {
namespace {

using classifiers::HttpRequest;

struct JsonDeleter {
    void operator()(cJSON* json) const { cJSON_Delete(json); }
};

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
    return text;
}

// cJSON strings end at their first NUL, but pkt-line bodies carry NUL bytes
// ("\u0000" in the corpus). Before parsing, each "\u0000" escape becomes
// U+F8FF (a private-use code point no corpus text uses), turned back into a
// NUL byte by corpus_body_bytes().
constexpr std::string_view kNulStandIn = "\\uf8ff";
constexpr std::string_view kNulStandInUtf8 = "\xef\xa3\xbf";

std::string with_nul_stand_ins(std::string_view line) {
    std::string out;
    out.reserve(line.size());
    for (std::size_t i = 0; i < line.size(); ++i) {
        if (line[i] != '\\' || i + 1 >= line.size()) {
            out.push_back(line[i]);
        } else if (line.compare(i, 6, "\\u0000") == 0) {
            out.append(kNulStandIn);
            i += 5;
        } else {
            out.append(line.substr(i, 2));  // keep any other escape pair whole ("\\\\" too)
            ++i;
        }
    }
    return out;
}

// The corpus stores body bytes that are not UTF-8 as U+0000..U+00FF. cJSON
// hands us UTF-8: when every code point is below U+0100 the body is those
// bytes; otherwise it was UTF-8 text and stays as it is (NULs restored).
std::string corpus_body_bytes(std::string_view utf8) {
    std::string bytes;
    bytes.reserve(utf8.size());
    bool latin1 = true;
    for (std::size_t i = 0; i < utf8.size(); ++i) {
        const auto c = static_cast<unsigned char>(utf8[i]);
        if (utf8.compare(i, kNulStandInUtf8.size(), kNulStandInUtf8) == 0) {
            bytes.push_back('\0');
            i += kNulStandInUtf8.size() - 1;
        } else if (c < 0x80) {
            bytes.push_back(static_cast<char>(c));
        } else if ((c == 0xC2 || c == 0xC3) && i + 1 < utf8.size() && latin1) {
            bytes.push_back(static_cast<char>(((c & 0x03) << 6) | (static_cast<unsigned char>(utf8[i + 1]) & 0x3F)));
            ++i;
        } else if (latin1) {
            latin1 = false;  // a code point above U+00FF: real UTF-8 text; start again, keeping bytes
            bytes.clear();
            i = static_cast<std::size_t>(-1);
        } else {
            bytes.push_back(static_cast<char>(c));
        }
    }
    return bytes;
}

std::string string_field(const cJSON* object, const char* name) {
    const cJSON* item = cJSON_GetObjectItemCaseSensitive(object, name);
    return cJSON_IsString(item) ? item->valuestring : "";
}

Status read_headers(const cJSON* headers, HttpRequest& request) {
    if (headers == nullptr) return ok_status();
    if (!cJSON_IsObject(headers)) return Status::failure("\"request.headers\" must be an object of name: value");
    for (const cJSON* header = headers->child; header != nullptr; header = header->next) {
        if (cJSON_IsString(header)) {
            request.headers.push_back({header->string, std::string(trim(header->valuestring))});
        } else if (cJSON_IsArray(header)) {  // repeated header
            for (const cJSON* value = header->child; value != nullptr; value = value->next)
                if (cJSON_IsString(value)) request.headers.push_back({header->string, std::string(trim(value->valuestring))});
        } else {
            return Status::failure(std::string("header \"") + header->string + "\" must be a string");
        }
    }
    return ok_status();
}

}  // namespace

std::string normalize_host(std::string_view host) {
    host = trim(host);
    if (!host.empty() && host.front() == '[') {
        const auto close = host.find(']');
        return lower(host.substr(0, close == std::string_view::npos ? host.size() : close + 1));
    }
    const auto colon = host.rfind(':');
    if (colon != std::string_view::npos && host.find(':') == colon) host = host.substr(0, colon);
    return lower(host);
}

Result<CorpusRecord> parse_corpus_record(std::string_view line) {
    using Parsed = Result<CorpusRecord>;
    const std::string prepared = with_nul_stand_ins(line);
    std::unique_ptr<cJSON, JsonDeleter> root(cJSON_ParseWithLength(prepared.data(), prepared.size()));
    if (!root || !cJSON_IsObject(root.get()))
        return Parsed::failure("bad JSON: each line must be one JSON object (the corpus format; see --help)");
    const cJSON* request = cJSON_GetObjectItemCaseSensitive(root.get(), "request");
    if (!cJSON_IsObject(request))
        return Parsed::failure(
            "no \"request\" object: each line needs {\"request\":{\"method\",\"host\",\"path\",...}}");
    CorpusRecord record;
    record.request.method = string_field(request, "method");
    record.request.host = normalize_host(string_field(request, "host"));
    record.request.path = string_field(request, "path");
    record.request.query = string_field(request, "query");
    record.request.body = corpus_body_bytes(string_field(request, "body"));
    if (record.request.method.empty() || record.request.path.empty())
        return Parsed::failure("\"request\" needs at least \"method\" and \"path\"");
    if (Status headers = read_headers(cJSON_GetObjectItemCaseSensitive(request, "headers"), record.request); !headers)
        return Parsed::failure(headers.error());
    if (record.request.host.empty()) record.request.host = normalize_host(record.request.header("Host"));
    if (const auto expect = string_field(root.get(), "expect"); !expect.empty()) {
        record.expect = classifiers::parse_tier(expect);
        if (!record.expect)
            return Parsed::failure("\"expect\" must be read, write or destructive, not \"" + expect + "\"");
    }
    record.operation = string_field(root.get(), "operation");
    record.provider = string_field(root.get(), "provider");
    return Parsed::success(std::move(record));
}

}  // namespace askfirst::cli
