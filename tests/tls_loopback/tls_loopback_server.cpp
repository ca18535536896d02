// tests/tls_loopback/tls_loopback_server.cpp — a tiny HTTPS server on
// 127.0.0.1 built from the tls/ layer alone (detection, ClientHello parser,
// GuestTlsServer, TlsSession), so that real clients (curl, openssl
// s_client, python) can be pointed at our guest-side session without the
// data path. One connection at a time, blocking I/O with poll(); it answers
// every request with a short 200 and closes. Loopback only, by design.
//
// usage: tls_loopback_server PORT_FILE   (writes the chosen port to PORT_FILE)
// Logs one `key=value` line per connection on stderr.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "tls/ca_store.h"
#include "tls/client_hello.h"
#include "tls/guest_tls_server.h"
#include "tls/protocol_detect.h"

using namespace askfirst::tls;

namespace {

constexpr int kIdleTimeoutMs = 5000;  // a stuck client must not stall the test

bool flush(TlsSession& session, int fd) {
    while (session.wants_to_write()) {
        const auto pending = session.pending_ciphertext();
        const ssize_t n = ::send(fd, pending.data(), pending.size(), MSG_NOSIGNAL);
        if (n <= 0) return false;
        session.consume_ciphertext(static_cast<std::size_t>(n));
    }
    return true;
}

bool receive(int fd, std::vector<std::uint8_t>& into) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, kIdleTimeoutMs) <= 0) return false;
    std::uint8_t chunk[16384];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    into.assign(chunk, chunk + n);
    return true;
}

void serve(GuestTlsServer& server, int fd) {
    std::vector<std::uint8_t> first, chunk;
    ClientHelloParse parse;
    do {
        if (!receive(fd, chunk)) return (void)std::fprintf(stderr, "event=closed_before_hello\n");
        first.insert(first.end(), chunk.begin(), chunk.end());
        if (fits_tls_client_hello(first) == Fit::no) return (void)std::fprintf(stderr, "event=not_tls\n");
        parse = parse_client_hello(first);
    } while (parse.status == ClientHelloStatus::incomplete);
    if (parse.status == ClientHelloStatus::invalid) return (void)std::fprintf(stderr, "event=invalid_hello error=\"%s\"\n", parse.error.c_str());
    auto started = server.start_session(parse.hello, "127.0.0.1");
    if (!started) return (void)std::fprintf(stderr, "event=session_error error=\"%s\"\n", started.error().c_str());
    TlsSession& session = *started.value();
    std::string request;
    std::uint8_t plain[16384];
    while (flush(session, fd) && session.state() != TlsSessionState::failed) {
        for (std::size_t n; (n = session.read_plaintext(plain)) > 0;) request.append(reinterpret_cast<char*>(plain), n);
        if (request.find("\r\n\r\n") != std::string::npos) {
            const std::string body = "hello from askfirst\n";
            const std::string response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                                         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
            session.write_plaintext({reinterpret_cast<const std::uint8_t*>(response.data()), response.size()});
            session.close();
            flush(session, fd);
            break;
        }
        if (session.state() == TlsSessionState::peer_closed || !receive(fd, chunk)) break;
        session.accept_ciphertext(chunk);
        session.advance();
    }
    flush(session, fd);
    std::fprintf(stderr, "event=connection sni=%s state=%s failure=%s resumed=%d alpn=%s reason=\"%s\"\n",
                 parse.hello.server_name.c_str(), state_name(session.state()), failure_kind_name(session.failure().kind),
                 session.resumed() ? 1 : 0, session.negotiated_alpn().c_str(), session.failure().reason.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) return std::fprintf(stderr, "usage: tls_loopback_server PORT_FILE\n"), 2;
    auto location = CaLocation::from_environment();
    if (!location) return std::fprintf(stderr, "tls_loopback_server: %s\n", location.error().c_str()), 1;
    auto ca = CertificateAuthority::load_or_create(location.value());
    if (!ca) return std::fprintf(stderr, "tls_loopback_server: %s\n", ca.error().c_str()), 1;
    auto server = GuestTlsServer::create(*ca.value());
    if (!server) return std::fprintf(stderr, "tls_loopback_server: %s\n", server.error().c_str()), 1;

    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // 127.0.0.1 only
    socklen_t length = sizeof address;
    if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener, 16) != 0 || ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0)
        return std::perror("tls_loopback_server: listen on 127.0.0.1"), 1;
    FILE* port_file = std::fopen(argv[1], "w");
    if (port_file == nullptr) return std::perror(argv[1]), 1;
    std::fprintf(port_file, "%d\n", ntohs(address.sin_port));
    std::fclose(port_file);
    for (;;) {
        const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        serve(*server.value(), fd);
        ::close(fd);
    }
}
