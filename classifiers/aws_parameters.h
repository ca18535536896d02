// classifiers/aws_parameters.h — one view over an AWS request's parameters,
// whatever the protocol carries them in: query string and form body (query,
// ec2), JSON body (json, rest-json), XML body (rest-xml). The escalation
// rules (classifiers/aws_rules.cpp) and the dialog's identifier read it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "classifiers/aws_request.h"
#include "classifiers/classification.h"

struct cJSON;

namespace askfirst::classifiers::aws {

enum class BodyFormat { none, form, json, xml };

class RequestParameters {
public:
    RequestParameters(const HttpRequest& request, BodyFormat body_format);
    ~RequestParameters();
    RequestParameters(const RequestParameters&) = delete;
    RequestParameters& operator=(const RequestParameters&) = delete;

    // Every value given for `name` anywhere, compared case-insensitively:
    // a form/query key equal to `name` or having it as a dotted component
    // ("DisableApiTermination.Value", "Filter.1.Name"); a JSON object key at
    // any depth (scalars as text, each element of an array of scalars,
    // objects and arrays as "{}"/"[]"); an XML element at any depth (its
    // text, CDATA and entities decoded). Empty when `name` does not occur.
    std::vector<std::string> values_anywhere(std::string_view name) const;

    // The first value of a top-level parameter: form key `name`, `name.1`
    // or `name.member.1`; a top-level JSON key; the first XML element.
    std::optional<std::string> top_level(std::string_view name) const;

    // Decoded query string pairs followed by decoded form-body pairs.
    const FormPairs& form() const { return form_; }
    // Did a JSON body fail to parse?
    bool json_unparsed() const { return json_unparsed_; }

private:
    struct JsonDeleter {
        void operator()(cJSON* json) const;
    };
    FormPairs form_;
    std::unique_ptr<cJSON, JsonDeleter> json_;
    bool json_unparsed_ = false;
    std::string_view xml_;
};

// XML element texts named `name` (any namespace prefix) in document order.
// A hand-written scan, not a parser: it only has to find a few well-known
// elements (Route 53 <Action>, S3 <Expiration>), and when in doubt it finds
// more (e.g. inside comments), which can only make a judgement stricter.
std::vector<std::string> xml_element_texts(std::string_view xml, std::string_view name);

}  // namespace askfirst::classifiers::aws
