// tls/leaf_cache.h — the leaf certificates askfirst presents to the guest,
// one per server name (SNI, or the destination IP when there is none),
// minted on first use and kept in a bounded LRU so that repeated
// connections to the same host cost a cache lookup, not an ECDSA signature.
//
// All leaves share one ECDSA P-256 key, generated per process and never
// written to disk: a leaf key lives in the same memory as the CA key, so
// separate keys would add no isolation, only a P-256 key generation per mint
// (a mint now costs ~1.1 ms of CPU, mostly the CA's ECDSA signature; a
// cached leaf with its server config is ~2.7 KiB; tests/bench/tls_bench).
// A leaf is held through shared_ptr: eviction never pulls a certificate out
// from under a handshake still using it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "tls/ca_store.h"
#include "tls/certificate_builder.h"
#include "tls/mbedtls_handles.h"
#include "src/base/result.h"

namespace askfirst::tls {

// Validity of a leaf: short, because leaves are never revoked and live only
// in this process's memory; 7 days outlasts any one VM session without
// re-minting more than once a day (kLeafRenewBeforeSeconds).
constexpr std::time_t kLeafValiditySeconds = 7 * 24 * 3600;
// Backdated by 2 days: a guest booted from an old image, or a TCG guest
// whose clock has not synced yet, lags the host; a leaf that is "not yet
// valid" for it would break every TLS connection.
constexpr std::time_t kLeafBackdateSeconds = 2 * 24 * 3600;
// A cached leaf closer than this to its end is minted again.
constexpr std::time_t kLeafRenewBeforeSeconds = 24 * 3600;
// Distinct server names one VM reaches in a session: a busy agent touches
// a few hundred; 1024 leaves are ~2.8 MiB at most.
constexpr std::size_t kLeafCacheCapacity = 1024;

struct LeafCertificate {
    LeafName name;
    std::vector<std::uint8_t> der;  // the parsed certificate points into these bytes
    X509Certificate certificate;
    std::time_t not_after = 0;
    // The guest-side server config presenting this leaf (set by GuestTlsServer).
    std::unique_ptr<SslConfig> server_config;
    // The same with ALPN http/1.1 only (an upstream that speaks no h2).
    std::unique_ptr<SslConfig> server_config_http1;
};

class LeafMinter {
public:
    LeafMinter(CertificateAuthority& ca, PrivateKey& leaf_key) : ca_(ca), leaf_key_(leaf_key) {}
    Result<std::shared_ptr<LeafCertificate>> mint(const LeafName& name, std::time_t now);

private:
    CertificateAuthority& ca_;
    PrivateKey& leaf_key_;
};

class LeafCertificateCache {
public:
    explicit LeafCertificateCache(std::size_t capacity = kLeafCacheCapacity) : capacity_(capacity) {}

    // The cached leaf for `name`, made most recent; null when absent or
    // when it is within kLeafRenewBeforeSeconds of expiry (then dropped).
    std::shared_ptr<LeafCertificate> find(const std::string& name, std::time_t now);
    // Adds (or replaces) a leaf, evicting the least recently used beyond capacity.
    void insert(std::shared_ptr<LeafCertificate> leaf);

    std::size_t size() const { return by_name_.size(); }
    std::size_t capacity() const { return capacity_; }
    std::uint64_t hits() const { return hits_; }
    std::uint64_t misses() const { return misses_; }

private:
    using Recency = std::list<std::shared_ptr<LeafCertificate>>;  // front: most recent
    std::size_t capacity_;
    Recency recency_;
    std::unordered_map<std::string, Recency::iterator> by_name_;
    std::uint64_t hits_ = 0;
    std::uint64_t misses_ = 0;
};

}  // namespace askfirst::tls
