// tests/fuzz/fuzz_tls_session.cpp — libFuzzer target for the guest-side
// TlsSession shell (tls/tls_session.cpp): a real ClientHello starts a
// session, then the input is fed as the guest's next bytes, in pieces whose
// sizes the input also chooses. Checks: no crash, every call returns (the
// read loop cannot spin), and the queues stay within their bounds.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>

#include "tls/ca_store.h"
#include "tls/client_hello.h"
#include "tls/guest_tls_server.h"

using namespace askfirst::tls;

namespace {

// A ClientHello any TLS 1.2 client could send: X25519/P-256, ECDSA-AEAD
// suites, SNI "fuzz.example", ALPN http/1.1 (hand-encoded, 2 records' worth
// of fields kept minimal).
std::vector<std::uint8_t> first_flight() {
    std::vector<std::uint8_t> body = {0x03, 0x03};
    body.insert(body.end(), 32, 0x42);                        // random
    body.push_back(0);                                        // no session id
    body.insert(body.end(), {0x00, 0x04, 0xcc, 0xa9, 0xc0, 0x2b});  // ChaCha20, AES-128-GCM
    body.insert(body.end(), {0x01, 0x00});                    // null compression
    const std::vector<std::uint8_t> extensions = {
        0x00, 0x00, 0x00, 0x11, 0x00, 0x0f, 0x00, 0x00, 0x0c, 'f', 'u', 'z', 'z', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e',
        0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17,  // supported_groups: x25519, secp256r1
        0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,                          // ec_point_formats: uncompressed
        0x00, 0x0d, 0x00, 0x04, 0x00, 0x02, 0x04, 0x03,              // signature_algorithms: ecdsa_secp256r1_sha256
        0x00, 0x10, 0x00, 0x0b, 0x00, 0x09, 0x08, 'h', 't', 't', 'p', '/', '1', '.', '1',
    };
    body.push_back(static_cast<std::uint8_t>(extensions.size() >> 8));
    body.push_back(static_cast<std::uint8_t>(extensions.size()));
    body.insert(body.end(), extensions.begin(), extensions.end());
    std::vector<std::uint8_t> record = {22, 3, 1, static_cast<std::uint8_t>((body.size() + 4) >> 8),
                                        static_cast<std::uint8_t>(body.size() + 4), 1, 0,
                                        static_cast<std::uint8_t>(body.size() >> 8), static_cast<std::uint8_t>(body.size())};
    record.insert(record.end(), body.begin(), body.end());
    return record;
}

struct FuzzWorld {
    std::unique_ptr<CertificateAuthority> ca;
    std::unique_ptr<GuestTlsServer> server;
    ClientHello hello;
    FuzzWorld() {
        char directory[] = "/tmp/askfirst-fuzz-ca-XXXXXX";
        if (::mkdtemp(directory) == nullptr) std::abort();
        ca = CertificateAuthority::load_or_create(CaLocation::in_directory(std::string(directory) + "/ca")).take();
        server = GuestTlsServer::create(*ca).take();
        const auto flight = first_flight();
        auto parse = parse_client_hello(flight);
        if (parse.status != ClientHelloStatus::complete) std::abort();
        hello = parse.hello;
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static FuzzWorld world;
    auto started = world.server->start_session(world.hello, "192.0.2.1");
    if (!started) std::abort();
    TlsSession& session = *started.value();
    session.take_ciphertext();
    std::span<const std::uint8_t> input(data, size);
    std::uint8_t plaintext[4096];
    while (!input.empty()) {
        const std::size_t piece = 1 + input[0] % 64;
        const auto chunk = input.subspan(1, std::min(piece, input.size() - 1));
        input = input.subspan(1 + chunk.size());
        session.accept_ciphertext(chunk);
        session.advance();
        while (session.read_plaintext(plaintext) > 0) {}
        if (session.pending_ciphertext().size() > kMaxBufferedCiphertextOut + 20000) std::abort();
        session.take_ciphertext();
        if (session.state() == TlsSessionState::failed) break;
    }
    session.on_transport_eof();
    while (session.read_plaintext(plaintext) > 0) {}
    session.close();
    return 0;
}
