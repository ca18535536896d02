// src/http/raw_request.h — one raw HTTP/1.1 request (bytes, as a client would send
// them) to the classifier's HttpRequest, through the very HttpSession that
// askfirstd runs: same strict framing, same Host rules, same body inspection
// (needs_body, max_inspect_bytes). For `askfirst classify --raw FILE`, so
// that the dry run judges exactly what askfirstd would judge.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "src/base/result.h"
#include "classifiers/classification.h"
#include "src/http/http_session.h"

namespace askfirst::http {

struct RawRequestResult {
    std::optional<classifiers::HttpRequest> request;
    int refused_status = 0;  // 400/421 when askfirstd would refuse it before judging
    std::string error;       // why there is no request
};

// Only the first request in `raw` is read. `sni` as the TLS layer would give it.
RawRequestResult read_raw_request(std::string_view raw, std::string_view sni = {},
                                  std::size_t max_inspect_bytes = kDefaultMaxInspectBytes);

// A request a person saved to a file, for `askfirst classify --raw`: the
// head may end its lines with a bare LF (an editor's), which becomes CRLF;
// everything else is read by read_raw_request. A failure says why, and
// for a request askfirstd would refuse before judging it, with which status.
Result<classifiers::HttpRequest> read_saved_request(std::string_view file_bytes);

}  // namespace askfirst::http
