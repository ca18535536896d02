// classifiers/gcp_batch_parts.h — the request lines of a Google API batch
// body (multipart/mixed, each part `Content-Type: application/http` with one
// "METHOD /path HTTP/1.1" line). Included by gcp_content.h: a template, so
// the caller's classifier runs inline on each inner request.
#pragma once

#include <algorithm>
#include <array>
#include <string_view>

namespace askfirst::classifiers {

template <typename Inner>
int for_each_batch_part(std::string_view body, Inner inner) {
    constexpr std::array<std::string_view, 6> kMethods = {"GET ", "HEAD ", "POST ", "PUT ", "PATCH ", "DELETE "};
    int found = 0;
    std::size_t start = 0;
    while (start < body.size()) {
        std::size_t end = body.find('\n', start);
        if (end == std::string_view::npos) end = body.size();
        std::string_view line = body.substr(start, end - start);
        start = end + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        for (const std::string_view method : kMethods) {
            if (line.substr(0, method.size()) != method) continue;
            std::string_view target = line.substr(method.size());
            target = target.substr(0, target.find(' '));
            if (const auto scheme = target.find("://"); scheme != std::string_view::npos)
                target = target.substr(std::min(target.find('/', scheme + 3), target.size()));
            inner(method.substr(0, method.size() - 1), target.substr(0, target.find('?')));
            ++found;
        }
    }
    return found;
}

}  // namespace askfirst::classifiers
