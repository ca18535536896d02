// tls/passthrough_hosts.h — the profile's `tls.passthrough` host patterns
// (sans-io). A flow whose SNI matches is spliced without MITM and judged
// as an opaque flow by destination; so is a host whose client refused our
// certificate (the shell adds it at run time with add_exact_host()).
//
// Pattern grammar (validated when the profile loads; a bad pattern stops
// startup with the pattern in the message):
//   "api.example.com"   that name only
//   "*.example.com"     any name below example.com, at any depth
//                       (a.example.com, a.b.example.com), not example.com
// Matching ignores ASCII case and one trailing dot. '*' anywhere else
// ("a*.example.com", "*", "*.com") is refused: it would match far more than
// its author meant.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "src/base/result.h"

namespace askfirst::tls {

class PassthroughHosts {
public:
    // Learned hosts are bounded so a guest that refuses every certificate
    // cannot grow the list without end; 1024 is far above any real set of
    // pinned hosts one agent talks to.
    static constexpr std::size_t kMaxLearnedHosts = 1024;

    static Result<PassthroughHosts> from_patterns(const std::vector<std::string>& patterns);

    bool matches(std::string_view host) const;
    // A host learned at run time (the guest refused our certificate for it).
    // Returns false when the list is full (kMaxLearnedHosts) or the host is
    // already covered.
    bool add_exact_host(std::string_view host);
    std::size_t size() const { return exact_.size() + suffixes_.size(); }

private:
    std::vector<std::string> exact_;     // lower case, no trailing dot
    std::vector<std::string> suffixes_;  // ".example.com" for "*.example.com"
    std::size_t learned_ = 0;
};

}  // namespace askfirst::tls
