// Tests for tls/ca_store.h: where the CA lives, its file modes, reuse
// across loads, rotation, and the errors that refuse to make a new CA
// behind the user's back.
#include <doctest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "tests/unit/tls/tls_test_peers.h"
#include "tls/ca_store.h"

using namespace askfirst::tls;
using namespace askfirst::tls::testing;

namespace {

mode_t mode_of(const std::string& path) {
    struct stat info{};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    return info.st_mode & 0777;
}

// Sets an environment variable for one scope.
class ScopedEnvironment {
public:
    ScopedEnvironment(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value != nullptr) ::setenv(name, value, 1);
        else ::unsetenv(name);
    }
    ~ScopedEnvironment() {
        if (old_.empty()) ::unsetenv(name_);
        else ::setenv(name_, old_.c_str(), 1);
    }

private:
    const char* name_;
    std::string old_;
};

}  // namespace

TEST_CASE("the CA lives in $XDG_DATA_HOME/askfirst/ca, or ~/.local/share when XDG_DATA_HOME is unset or relative") {
    TemporaryDirectory home;
    ScopedEnvironment set_home("HOME", home.path().c_str());
    {
        ScopedEnvironment xdg("XDG_DATA_HOME", "/srv/data");
        CHECK(CaLocation::from_environment().value().directory == "/srv/data/askfirst/ca");
        CHECK(CaLocation::from_environment().value().key_file == "/srv/data/askfirst/ca/askfirst-ca.key");
    }
    {
        ScopedEnvironment xdg("XDG_DATA_HOME", "relative/path");
        CHECK(CaLocation::from_environment().value().directory == home.path() + "/.local/share/askfirst/ca");
    }
    ScopedEnvironment no_xdg("XDG_DATA_HOME", nullptr);
    CHECK(CaLocation::from_environment().value().directory == home.path() + "/.local/share/askfirst/ca");
    ScopedEnvironment no_home("HOME", nullptr);
    CHECK_FALSE(CaLocation::from_environment().ok());
}

TEST_CASE("first use creates a P-256 CA with a 0700 directory and a 0600 key; later loads reuse it") {
    TemporaryDirectory data;
    ScopedEnvironment xdg("XDG_DATA_HOME", data.path().c_str());
    const auto location = CaLocation::from_environment().take();
    auto first = CertificateAuthority::load_or_create(location);
    REQUIRE(first.ok());
    CHECK(first.value()->created_now());
    CHECK(mode_of(location.directory) == 0700);
    CHECK(mode_of(data.path() + "/askfirst") == 0700);
    CHECK(mode_of(location.key_file) == 0600);
    CHECK(first.value()->certificate()->ca_istrue == 1);
    CHECK(mbedtls_pk_get_type(&first.value()->certificate()->pk) == MBEDTLS_PK_ECKEY);
    CHECK(mbedtls_pk_get_bitlen(&first.value()->certificate()->pk) == 256);
    CHECK(first.value()->pem().rfind("-----BEGIN CERTIFICATE-----", 0) == 0);
    CHECK(std::filesystem::directory_iterator(location.directory) != std::filesystem::directory_iterator());

    auto second = CertificateAuthority::load_or_create(location);
    REQUIRE(second.ok());
    CHECK_FALSE(second.value()->created_now());
    CHECK(second.value()->sha256_fingerprint() == first.value()->sha256_fingerprint());
    CHECK(second.value()->subject() == first.value()->subject());
    // Only the two files: nothing else (no temporaries) is left behind.
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(location.directory)) ++files;
    CHECK(files == 2);
}

TEST_CASE("rotate makes a new CA with a new fingerprint, and loads then return the new one") {
    TemporaryDirectory data;
    const auto location = CaLocation::in_directory(data.path() + "/ca");
    const std::string before = CertificateAuthority::load_or_create(location).value()->sha256_fingerprint();
    auto rotated = CertificateAuthority::rotate(location);
    REQUIRE(rotated.ok());
    CHECK(rotated.value()->sha256_fingerprint() != before);
    CHECK(CertificateAuthority::load_or_create(location).value()->sha256_fingerprint() == rotated.value()->sha256_fingerprint());
    CHECK(mode_of(location.key_file) == 0600);
}

TEST_CASE("a damaged CA is an error naming the file and the fix, never a silent new CA") {
    TemporaryDirectory data;
    const auto location = CaLocation::in_directory(data.path() + "/ca");
    REQUIRE(CertificateAuthority::load_or_create(location).ok());
    struct Row {
        const char* name;
        void (*damage)(const CaLocation&);
        std::vector<std::string> words;
    };
    const Row rows[] = {
        {"missing key", [](const CaLocation& l) { std::filesystem::remove(l.key_file); }, {"askfirst-ca.key", "missing", "askfirst ca rotate"}},
        {"missing certificate", [](const CaLocation& l) { std::filesystem::remove(l.certificate_file); }, {"askfirst-ca.pem", "missing"}},
        {"corrupt key", [](const CaLocation& l) { write_text_file(l.key_file, "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"); }, {"askfirst-ca.key", "not a readable EC private key", "askfirst ca rotate"}},
        {"key readable by others", [](const CaLocation& l) { ::chmod(l.key_file.c_str(), 0644); }, {"chmod 600", "askfirst-ca.key"}},
        {"directory open to others", [](const CaLocation& l) { ::chmod(l.directory.c_str(), 0755); }, {"chmod 700"}},
        {"certificate of another key", [](const CaLocation& l) {
             TemporaryDirectory other;
             auto stranger = CertificateAuthority::load_or_create(CaLocation::in_directory(other.path() + "/ca"));
             write_text_file(l.certificate_file, stranger.value()->pem() + "\n");
         }, {"does not belong", "askfirst-ca.pem"}},
    };
    for (const auto& row : rows) {
        const std::string name = row.name;
        CAPTURE(name);
        // Restore the good pair, then damage it one way.
        CertificateAuthority::rotate(location);
        row.damage(location);
        auto loaded = CertificateAuthority::load_or_create(location);
        REQUIRE_FALSE(loaded.ok());
        for (const auto& word : row.words) CHECK(loaded.error().find(word) != std::string::npos);
        ::chmod(location.directory.c_str(), 0700);
    }
}
