// tests/unit/netstack/stream_frontend_test.cpp — the QEMU stream socket on a
// private loop with plain unix-socket clients: frames both ways, a second
// peer refused, a bad length closing the peer (logged), and the socket file
// removed on exit.
#include <doctest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "netstack/stream_frontend.h"

namespace askfirst::netstack::test {
namespace {

int connect_unix(const std::string& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path.copy(address.sun_path, sizeof address.sun_path - 1);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    return fd;
}

void send_framed(int fd, const std::string& frame) {
    const auto n = static_cast<std::uint32_t>(frame.size());
    std::string wire = {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                        static_cast<char>(n)};
    wire += frame;
    REQUIRE(::send(fd, wire.data(), wire.size(), 0) == static_cast<ssize_t>(wire.size()));
}

struct StreamHarness {
    uv_loop_t loop{};
    std::string path;
    std::vector<std::string> frames, log;
    std::unique_ptr<StreamFrontend> frontend;

    StreamHarness() {
        uv_loop_init(&loop);
        path = "/tmp/askfirst-stream-test-" + std::to_string(::getpid()) + ".sock";
        auto listening = StreamFrontend::listen(
            &loop, path, [this](std::span<const std::uint8_t> frame) { frames.emplace_back(frame.begin(), frame.end()); },
            [this](const std::string& line) { log.push_back(line); });
        REQUIRE_MESSAGE(listening.ok(), listening.error());
        frontend = listening.take();
    }
    ~StreamHarness() {
        frontend.reset();
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
    }
    bool run_until(const std::function<bool()>& done) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            uv_run(&loop, UV_RUN_NOWAIT);
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        return true;
    }
    bool logged(const std::string& text) const {
        for (const auto& line : log)
            if (line.find(text) != std::string::npos) return true;
        return false;
    }
};

// True once the peer has closed `fd` (read returns 0 or an error).
bool closed_by_peer(int fd) {
    char byte;
    const ssize_t n = ::recv(fd, &byte, 1, MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

}  // namespace

TEST_CASE("the stream socket carries frames both ways and refuses a second guest") {
    StreamHarness harness;
    struct stat info {};
    REQUIRE(::stat(harness.path.c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);
    const int guest = connect_unix(harness.path);
    REQUIRE(harness.run_until([&] { return harness.frontend->has_peer(); }));
    send_framed(guest, std::string(60, 'g'));
    CHECK(harness.run_until([&] { return harness.frames.size() == 1 && harness.frames[0] == std::string(60, 'g'); }));
    const std::string reply(1514, 'r');
    harness.frontend->send_frame({reinterpret_cast<const std::uint8_t*>(reply.data()), reply.size()});
    std::string received;
    REQUIRE(harness.run_until([&] {
        char buffer[4096];
        const ssize_t n = ::recv(guest, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n > 0) received.append(buffer, static_cast<std::size_t>(n));
        return received.size() >= 4 + reply.size();
    }));
    CHECK(received.substr(0, 4) == std::string("\x00\x00\x05\xea", 4));
    CHECK(received.substr(4) == reply);
    const int second = connect_unix(harness.path);
    CHECK(harness.run_until([&] { return closed_by_peer(second); }));
    CHECK(harness.logged("event=stream_refused"));
    CHECK(harness.frontend->has_peer());
    ::close(second);
    ::close(guest);
}

TEST_CASE("a bad frame length closes the guest's connection with a logged error") {
    StreamHarness harness;
    const int guest = connect_unix(harness.path);
    REQUIRE(harness.run_until([&] { return harness.frontend->has_peer(); }));
    const char too_long[4] = {0x00, 0x01, 0x00, 0x05};  // 65541 > the maximum frame
    REQUIRE(::send(guest, too_long, 4, 0) == 4);
    CHECK(harness.run_until([&] { return closed_by_peer(guest); }));
    CHECK(harness.logged("bad frame length 65541"));
    CHECK_FALSE(harness.frontend->has_peer());
    CHECK(harness.frames.empty());
    ::close(guest);
    const int next = connect_unix(harness.path);  // the socket keeps listening
    CHECK(harness.run_until([&] { return harness.frontend->has_peer(); }));
    ::close(next);
}

TEST_CASE("the socket file is removed when the frontend goes") {
    std::string path;
    {
        StreamHarness harness;
        path = harness.path;
    }
    struct stat info {};
    CHECK(::stat(path.c_str(), &info) != 0);
}

}  // namespace askfirst::netstack::test
