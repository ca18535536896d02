// tests/unit/src/client_requests_test.cpp — strict is not broken: requests
// captured from real clients (curl 7.88, wget, python urllib, git, kubectl,
// aws-cli; client_requests/*.raw, captured on loopback, Host port fixed to
// 8080, credentials fake) are accepted and forwarded byte-for-byte.
#include <doctest.h>

#include <fstream>
#include <sstream>

#include "tests/unit/src/session_playbook.h"

using namespace askfirst::http;
using namespace askfirst::http::testing;

namespace {

std::string fixture(const std::string& name) {
    std::ifstream in(std::string(ASKFIRST_CLIENT_REQUESTS_DIR) + "/" + name, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

}  // namespace

TEST_CASE("requests from real clients pass the strict checks and go upstream unchanged") {
    struct Case { const char* file; const char* method; const char* path; };
    const Case cases[] = {
        {"curl_get.raw", "GET", "/path"},
        {"curl_post.raw", "POST", "/form"},
        {"curl_put_expect.raw", "PUT", "/upload"},
        {"curl_chunked.raw", "POST", "/chunked"},
        {"curl_ws.raw", "GET", "/ws"},
        {"wget_get.raw", "GET", "/w"},
        {"python_urllib.raw", "DELETE", "/py"},
        {"git_lsremote.raw", "GET", "/repo.git/info/refs"},
        {"kubectl_get.raw", "GET", "/version"},
        {"aws_s3.raw", "DELETE", "/b"},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.file));
        std::string raw = fixture(c.file);
        REQUIRE_FALSE(raw.empty());
        Playbook book;
        book.guest(raw);
        REQUIRE(book.decisions.size() == 1);
        CHECK(book.decisions[0].request.method == c.method);
        CHECK(book.decisions[0].request.path == c.path);
        CHECK(book.decisions[0].request.host == "127.0.0.1");
        CHECK(book.to_upstream() == raw);
        CHECK_FALSE(book.closed());
    }
}
