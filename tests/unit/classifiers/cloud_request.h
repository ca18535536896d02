// tests/unit/classifiers/cloud_request.h — builds HttpRequest values for the
// cloud classifier tests (table rows stay one line each).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "classifiers/classification.h"

namespace cloud_test {

using askfirst::classifiers::HttpRequest;

// `target` is path[?query]; `host` as the Host header would carry it.
inline HttpRequest make_request(std::string_view method, std::string_view host, std::string_view target,
                                std::string_view body = {},
                                std::initializer_list<std::pair<const char*, const char*>> headers = {}) {
    HttpRequest request;
    request.method = std::string(method);
    const auto colon = host.find(':');
    request.host = std::string(host.substr(0, colon));
    request.headers.push_back({"Host", std::string(host)});
    for (const auto& [name, value] : headers) request.headers.push_back({name, value});
    const auto question = target.find('?');
    request.path = std::string(target.substr(0, question));
    if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
    request.body = std::string(body);
    return request;
}

}  // namespace cloud_test
