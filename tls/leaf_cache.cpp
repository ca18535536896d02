// tls/leaf_cache.cpp — minting a leaf with the CA (subject, SAN, validity)
// and the LRU that keeps them.
#include "tls/leaf_cache.h"

namespace askfirst::tls {
namespace {

// RFC 5280 ub-common-name: a CN holds at most 64 characters. Longer names
// live in the SAN only (clients match the SAN, never the CN, when one exists).
constexpr std::size_t kMaxCommonNameBytes = 64;

std::string leaf_subject(const LeafName& name) {
    if (name.text.size() > kMaxCommonNameBytes) return "O=askfirst";
    return "CN=" + name.text + ",O=askfirst";
}

}  // namespace

Result<std::shared_ptr<LeafCertificate>> LeafMinter::mint(const LeafName& name, std::time_t now) {
    using R = Result<std::shared_ptr<LeafCertificate>>;
    CertificateRequest request{leaf_subject(name), now - kLeafBackdateSeconds, now + kLeafValiditySeconds, false, name};
    const mbedtls_x509_buf& issuer_name = ca_.certificate()->subject_raw;
    request.issuer_name_der.assign(issuer_name.p, issuer_name.p + issuer_name.len);
    auto der = write_certificate(request, leaf_key_, ca_.key(), ca_.subject());
    if (!der) return R::failure("cannot mint a certificate for " + name.text + ": " + der.error());
    auto leaf = std::make_shared<LeafCertificate>();
    leaf->name = name;
    leaf->der = der.take();
    leaf->not_after = request.not_after;
    // _nocopy: the parsed certificate refers to leaf->der instead of holding a second copy.
    const int rc = mbedtls_x509_crt_parse_der_nocopy(leaf->certificate.get(), leaf->der.data(), leaf->der.size());
    if (rc != 0) return R::failure("cannot parse the certificate just minted for " + name.text + ": " + mbedtls_error_text(rc));
    return R::success(std::move(leaf));
}

std::shared_ptr<LeafCertificate> LeafCertificateCache::find(const std::string& name, std::time_t now) {
    const auto found = by_name_.find(name);
    if (found == by_name_.end()) {
        ++misses_;
        return nullptr;
    }
    if ((*found->second)->not_after - now < kLeafRenewBeforeSeconds) {
        recency_.erase(found->second);
        by_name_.erase(found);
        ++misses_;
        return nullptr;
    }
    recency_.splice(recency_.begin(), recency_, found->second);
    ++hits_;
    return *found->second;
}

void LeafCertificateCache::insert(std::shared_ptr<LeafCertificate> leaf) {
    const std::string name = leaf->name.text;
    if (const auto existing = by_name_.find(name); existing != by_name_.end()) {
        recency_.erase(existing->second);
        by_name_.erase(existing);
    }
    recency_.push_front(std::move(leaf));
    by_name_.emplace(name, recency_.begin());
    while (by_name_.size() > capacity_) {
        by_name_.erase(recency_.back()->name.text);
        recency_.pop_back();
    }
}

}  // namespace askfirst::tls
