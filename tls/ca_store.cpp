// tls/ca_store.cpp — finding, creating, checking and rotating the CA files.
// File handling is plain POSIX: mkdir/open with explicit modes, write to a
// temporary name, fsync, rename, so a reader never sees half a file.
#include "tls/ca_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/pk.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "tls/certificate_builder.h"

namespace askfirst::tls {
namespace {

using CaResult = Result<std::unique_ptr<CertificateAuthority>>;

constexpr mode_t kDirectoryMode = 0700;
constexpr mode_t kKeyMode = 0600;
constexpr mode_t kCertificateMode = 0644;  // public; the directory still keeps others out
constexpr std::time_t kBackdateSeconds = 2 * 24 * 3600;  // same skew allowance as the leaves
constexpr std::size_t kMaxPemFileBytes = 64 * 1024;      // a P-256 key or cert is < 1 KiB

const char* kRecreateAdvice =
    "restore it from a backup, or run `askfirst ca rotate` to make a new CA (guests must then install the new "
    "certificate from `askfirst ca export`)";

bool path_exists(const std::string& path) {
    struct stat info{};
    // Anything but "no such file" counts as present, so load() reports the real error.
    return ::lstat(path.c_str(), &info) == 0 || errno != ENOENT;
}

std::string errno_text() { return std::strerror(errno); }

// mkdir -p with mode 0700 for every directory it creates.
Status make_directories(const std::string& path) {
    for (std::size_t slash = path.find('/', 1); ; slash = path.find('/', slash + 1)) {
        const std::string prefix = path.substr(0, slash);
        if (::mkdir(prefix.c_str(), kDirectoryMode) != 0 && errno != EEXIST)
            return Status::failure("cannot create directory " + prefix + ": " + errno_text());
        if (slash == std::string::npos) return ok_status();
    }
}

Status check_private_directory(const std::string& path) {
    struct stat info{};
    if (::stat(path.c_str(), &info) != 0) return Status::failure("cannot inspect " + path + ": " + errno_text());
    if (!S_ISDIR(info.st_mode)) return Status::failure(path + " is not a directory; move it away and run again");
    if ((info.st_mode & 077) != 0)
        return Status::failure("CA directory " + path + " is open to other users; run `chmod 700 " + path + "`");
    return ok_status();
}

Result<std::string> read_small_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return Result<std::string>::failure("cannot read " + path + ": " + errno_text());
    std::string content;
    char chunk[4096];
    ssize_t n = 0;
    while ((n = ::read(fd, chunk, sizeof chunk)) > 0 && content.size() <= kMaxPemFileBytes) content.append(chunk, static_cast<std::size_t>(n));
    const int read_errno = errno;
    ::close(fd);
    if (n < 0) return Result<std::string>::failure("cannot read " + path + ": " + std::strerror(read_errno));
    if (content.size() > kMaxPemFileBytes) return Result<std::string>::failure(path + " is too large to be a CA file");
    return Result<std::string>::success(std::move(content));
}

Status write_file_atomically(const std::string& path, const std::string& content, mode_t mode) {
    const std::string temporary = path + ".new";
    ::unlink(temporary.c_str());
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) return Status::failure("cannot create " + temporary + ": " + errno_text());
    const bool written = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
                         ::fchmod(fd, mode) == 0 && ::fsync(fd) == 0;
    const int write_errno = errno;
    ::close(fd);
    if (!written || ::rename(temporary.c_str(), path.c_str()) != 0) {
        ::unlink(temporary.c_str());
        return Status::failure("cannot write " + path + ": " + std::strerror(written ? errno : write_errno));
    }
    return ok_status();
}

// "CN=a, O=b" (mbedtls_x509_dn_gets) → "CN=a,O=b" (the form x509write reads).
std::string subject_string(const mbedtls_x509_crt* certificate) {
    char text[512];
    if (mbedtls_x509_dn_gets(text, sizeof text, &certificate->subject) < 0) return {};
    std::string subject(text);
    for (std::size_t at = subject.find(", "); at != std::string::npos; at = subject.find(", ", at))
        subject.erase(at + 1, 1);
    return subject;
}

std::string new_ca_subject(std::time_t now) {
    std::tm utc{};
    gmtime_r(&now, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
    return std::string("CN=askfirst CA ") + stamp + ",O=askfirst";
}

// A CA made before certificates were written by libcrypto: rustls (Codex CLI,
// Rust tools) refuses it; every other client still accepts it, so it stays
// usable, with this advice wherever the CA is shown.
std::string strict_client_advice(const CaLocation& location) {
    return "the askfirst CA " + location.certificate_file +
           " was made by an older askfirst with an ecdsa-with-SHA256 NULL parameter (RFC 5758 §3.2 forbids it) that "
           "rustls-based clients such as Codex CLI refuse: run `askfirst ca rotate` and restart askfirstd (askfirst "
           "exec and askfirst-vm give guests the new CA; an image you installed the old one in needs the new one)";
}

bool has_expired(const mbedtls_x509_crt* certificate) { return mbedtls_x509_time_is_past(&certificate->valid_to) != 0; }

}  // namespace

Result<CaLocation> CaLocation::from_environment() {
    const char* data_home = std::getenv("XDG_DATA_HOME");
    if (data_home != nullptr && data_home[0] == '/')  // XDG: relative values are ignored
        return Result<CaLocation>::success(in_directory(std::string(data_home) + "/askfirst/ca"));
    const char* home = std::getenv("HOME");
    if (home == nullptr || home[0] != '/')
        return Result<CaLocation>::failure("neither XDG_DATA_HOME nor HOME is an absolute path; set one of them so "
                                           "askfirst knows where its CA lives");
    return Result<CaLocation>::success(in_directory(std::string(home) + "/.local/share/askfirst/ca"));
}

CaLocation CaLocation::in_directory(const std::string& directory) {
    return CaLocation{directory, directory + "/askfirst-ca.pem", directory + "/askfirst-ca.key"};
}

std::string CertificateAuthority::pem() const { return certificate_pem(der_); }
std::string CertificateAuthority::sha256_fingerprint() const { return tls::sha256_fingerprint(der_); }

CaResult CertificateAuthority::create(const CaLocation& location) {
    if (auto made = make_directories(location.directory); !made) return CaResult::failure(made.error());
    if (auto checked = check_private_directory(location.directory); !checked) return CaResult::failure(checked.error());
    auto key = generate_p256_key();
    if (!key) return CaResult::failure(key.error());
    const std::time_t now = std::time(nullptr);
    CertificateRequest request{new_ca_subject(now), now - kBackdateSeconds, now + kCaValiditySeconds, true, std::nullopt};
    auto der = write_certificate(request, *key.value(), *key.value(), request.subject);
    if (!der) return CaResult::failure(der.error());
    std::string key_pem(1024, '\0');
    const int rc = mbedtls_pk_write_key_pem(key.value()->get(), reinterpret_cast<unsigned char*>(key_pem.data()), key_pem.size());
    if (rc != 0) return CaResult::failure("cannot encode the CA key: " + mbedtls_error_text(rc));
    key_pem.resize(std::strlen(key_pem.c_str()));
    if (auto saved = write_file_atomically(location.key_file, key_pem, kKeyMode); !saved) return CaResult::failure(saved.error());
    if (auto saved = write_file_atomically(location.certificate_file, certificate_pem(der.value()) + "\n", kCertificateMode); !saved)
        return CaResult::failure(saved.error());
    auto loaded = load(location);
    if (loaded) loaded.value()->created_now_ = true;
    return loaded;
}

CaResult CertificateAuthority::load(const CaLocation& location) {
    if (auto checked = check_private_directory(location.directory); !checked) return CaResult::failure(checked.error());
    struct stat key_info{};
    if (::stat(location.key_file.c_str(), &key_info) == 0 && (key_info.st_mode & 077) != 0)
        return CaResult::failure("CA key " + location.key_file + " is readable by other users; run `chmod 600 " +
                                 location.key_file + "`");
    auto key_pem = read_small_file(location.key_file);
    if (!key_pem) return CaResult::failure(key_pem.error() + "; " + kRecreateAdvice);
    auto cert_pem = read_small_file(location.certificate_file);
    if (!cert_pem) return CaResult::failure(cert_pem.error() + "; " + kRecreateAdvice);

    std::unique_ptr<CertificateAuthority> ca(new CertificateAuthority());
    ca->location_ = location;
    ca->key_ = std::make_unique<PrivateKey>();
    int rc = mbedtls_pk_parse_key(ca->key_->get(), reinterpret_cast<const unsigned char*>(key_pem.value().c_str()),
                                  key_pem.value().size() + 1, nullptr, 0);
    if (rc != 0 || !mbedtls_pk_can_do(ca->key_->get(), MBEDTLS_PK_ECDSA))
        return CaResult::failure("CA key " + location.key_file + " is not a readable EC private key (" +
                                 (rc != 0 ? mbedtls_error_text(rc) : std::string("wrong key type")) + "); " + kRecreateAdvice);
    rc = mbedtls_x509_crt_parse(ca->certificate(), reinterpret_cast<const unsigned char*>(cert_pem.value().c_str()),
                                cert_pem.value().size() + 1);
    if (rc != 0 || ca->certificate()->next != nullptr || ca->certificate()->ca_istrue == 0)
        return CaResult::failure("CA certificate " + location.certificate_file + " is not a single CA certificate" +
                                 (rc != 0 ? " (" + mbedtls_error_text(rc) + ")" : std::string()) + "; " + kRecreateAdvice);
    if (mbedtls_pk_check_pair(&ca->certificate()->pk, ca->key_->get()) != 0)
        return CaResult::failure("CA key " + location.key_file + " does not belong to " + location.certificate_file +
                                 "; " + kRecreateAdvice);
    if (has_expired(ca->certificate()))
        return CaResult::failure("CA certificate " + location.certificate_file +
                                 " has expired; run `askfirst ca rotate` and install the new certificate in guests");
    ca->der_.assign(ca->certificate()->raw.p, ca->certificate()->raw.p + ca->certificate()->raw.len);
    ca->subject_ = subject_string(ca->certificate());
    ca->strict_client_warning_ = has_ecdsa_null_parameters(ca->der_) ? strict_client_advice(location) : std::string();
    return CaResult::success(std::move(ca));
}

CaResult CertificateAuthority::load_or_create(const CaLocation& location) {
    const bool has_key = path_exists(location.key_file), has_cert = path_exists(location.certificate_file);
    if (!has_key && !has_cert) return create(location);  // first use
    if (has_key != has_cert) {
        const std::string& missing = has_key ? location.certificate_file : location.key_file;
        return CaResult::failure("the askfirst CA is incomplete: " + missing + " is missing; " + kRecreateAdvice);
    }
    return load(location);
}

CaResult CertificateAuthority::rotate(const CaLocation& location) { return create(location); }

}  // namespace askfirst::tls
