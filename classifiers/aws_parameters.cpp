// classifiers/aws_parameters.cpp — the protocol-independent parameter view
// of an AWS request (classifiers/aws_parameters.h). JSON bodies are parsed
// with cJSON (Debian libcjson); XML is scanned for named elements only.
#include "classifiers/aws_parameters.h"

#include <cjson/cJSON.h>

#include <cstdio>
#include <cstdlib>

namespace askfirst::classifiers::aws {
namespace {

// JSON nesting deeper than this is not searched (DynamoDB's own limit on
// attribute nesting is 32 levels).
constexpr int kMaxJsonDepth = 64;

bool dotted_key_has_component(std::string_view key, std::string_view name) {
    while (true) {
        const auto dot = key.find('.');
        if (equals_ignoring_case(key.substr(0, dot), name)) return true;
        if (dot == std::string_view::npos) return false;
        key.remove_prefix(dot + 1);
    }
}

std::string json_scalar_text(const cJSON* item) {
    if (cJSON_IsString(item)) return item->valuestring;
    if (cJSON_IsTrue(item)) return "true";
    if (cJSON_IsFalse(item)) return "false";
    if (cJSON_IsNull(item)) return "null";
    if (cJSON_IsNumber(item)) {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%.17g", item->valuedouble);
        return buffer;
    }
    return cJSON_IsArray(item) ? "[]" : "{}";
}

void append_json_values(const cJSON* item, std::vector<std::string>& out) {
    if (cJSON_IsArray(item)) {
        bool any_scalar = false;
        for (const cJSON* element = item->child; element != nullptr; element = element->next) {
            if (!cJSON_IsArray(element) && !cJSON_IsObject(element)) {
                out.push_back(json_scalar_text(element));
                any_scalar = true;
            }
        }
        if (!any_scalar) out.emplace_back("[]");
        return;
    }
    out.push_back(json_scalar_text(item));
}

void collect_json(const cJSON* node, std::string_view name, int depth, std::vector<std::string>& out) {
    if (node == nullptr || depth > kMaxJsonDepth) return;
    for (const cJSON* child = node->child; child != nullptr; child = child->next) {
        if (child->string != nullptr && equals_ignoring_case(child->string, name))
            append_json_values(child, out);
        if (cJSON_IsArray(child) || cJSON_IsObject(child)) collect_json(child, name, depth + 1, out);
    }
}

// Decodes the five predefined entities and numeric references; others stay.
std::string decode_xml_text(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '&') {
            out.push_back(text[i]);
            continue;
        }
        const auto semicolon = text.find(';', i);
        if (semicolon == std::string_view::npos) {
            out.append(text.substr(i));
            break;
        }
        const std::string_view entity = text.substr(i + 1, semicolon - i - 1);
        if (entity == "lt") out.push_back('<');
        else if (entity == "gt") out.push_back('>');
        else if (entity == "amp") out.push_back('&');
        else if (entity == "quot") out.push_back('"');
        else if (entity == "apos") out.push_back('\'');
        else if (entity.size() > 1 && entity[0] == '#') {
            const bool hex = entity[1] == 'x' || entity[1] == 'X';
            const long code = std::strtol(std::string(entity.substr(hex ? 2 : 1)).c_str(), nullptr, hex ? 16 : 10);
            out.push_back(code > 0 && code < 128 ? static_cast<char>(code) : '?');
        } else {
            out.append(text.substr(i, semicolon - i + 1));
        }
        i = semicolon;
    }
    return out;
}

// The text right after an element's start tag ending at `content`: CDATA
// sections joined, up to the next tag.
std::string xml_text_at(std::string_view xml, std::size_t content) {
    std::string text;
    while (content < xml.size()) {
        if (xml.compare(content, 9, "<![CDATA[") == 0) {
            const auto end = xml.find("]]>", content + 9);
            text.append(xml.substr(content + 9, end == std::string_view::npos ? end : end - content - 9));
            if (end == std::string_view::npos) break;
            content = end + 3;
            continue;
        }
        const auto next_tag = xml.find('<', content);
        text += decode_xml_text(xml.substr(content, next_tag == std::string_view::npos ? next_tag : next_tag - content));
        if (next_tag == std::string_view::npos || xml.compare(next_tag, 9, "<![CDATA[") != 0) break;
        content = next_tag;
    }
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return {};
    return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

}  // namespace

std::vector<std::string> xml_element_texts(std::string_view xml, std::string_view name) {
    std::vector<std::string> texts;
    for (std::size_t at = xml.find('<'); at != std::string_view::npos; at = xml.find('<', at + 1)) {
        std::size_t start = at + 1;
        if (start >= xml.size() || xml[start] == '/' || xml[start] == '?' || xml[start] == '!') continue;
        const auto name_end = xml.find_first_of(" \t\r\n/>", start);
        if (name_end == std::string_view::npos) break;
        std::string_view tag = xml.substr(start, name_end - start);
        if (const auto colon = tag.find(':'); colon != std::string_view::npos) tag.remove_prefix(colon + 1);
        if (!equals_ignoring_case(tag, name)) continue;
        const auto tag_end = xml.find('>', name_end);
        if (tag_end == std::string_view::npos) break;
        texts.push_back(xml[tag_end - 1] == '/' ? std::string() : xml_text_at(xml, tag_end + 1));
    }
    return texts;
}

void RequestParameters::JsonDeleter::operator()(cJSON* json) const { cJSON_Delete(json); }

RequestParameters::RequestParameters(const HttpRequest& request, BodyFormat body_format)
    : form_(parse_form(request.query)) {
    switch (body_format) {
        case BodyFormat::form:
            for (auto& pair : parse_form(request.body)) form_.push_back(std::move(pair));
            break;
        case BodyFormat::json: {
            const auto first = request.body.find_first_not_of(" \t\r\n");
            if (first == std::string::npos) break;
            json_.reset(cJSON_ParseWithLength(request.body.data(), request.body.size()));
            json_unparsed_ = json_ == nullptr;
            break;
        }
        case BodyFormat::xml: xml_ = request.body; break;
        case BodyFormat::none: break;
    }
}

RequestParameters::~RequestParameters() = default;

std::vector<std::string> RequestParameters::values_anywhere(std::string_view name) const {
    std::vector<std::string> values;
    for (const auto& [key, value] : form_)
        if (dotted_key_has_component(key, name)) values.push_back(value);
    if (json_) collect_json(json_.get(), name, 0, values);
    if (!xml_.empty())
        for (auto& text : xml_element_texts(xml_, name)) values.push_back(std::move(text));
    return values;
}

std::optional<std::string> RequestParameters::top_level(std::string_view name) const {
    for (const auto& [key, value] : form_) {
        if (equals_ignoring_case(key, name)) return value;
        if (key.size() > name.size() && equals_ignoring_case(std::string_view(key).substr(0, name.size()), name)) {
            const std::string_view rest = std::string_view(key).substr(name.size());
            if (rest == ".1" || rest == ".member.1") return value;
        }
    }
    if (json_) {
        for (const cJSON* child = json_->child; child != nullptr; child = child->next)
            if (child->string != nullptr && name == child->string && !cJSON_IsObject(child) && !cJSON_IsArray(child))
                return json_scalar_text(child);
    }
    if (!xml_.empty()) {
        auto texts = xml_element_texts(xml_, name);
        if (!texts.empty() && !texts.front().empty()) return std::move(texts.front());
    }
    return std::nullopt;
}

}  // namespace askfirst::classifiers::aws
