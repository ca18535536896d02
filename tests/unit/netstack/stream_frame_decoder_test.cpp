// tests/unit/netstack/stream_frame_decoder_test.cpp — QEMU's stream framing
// (4-byte big-endian length + frame) across arbitrary read splits, and the
// lengths that must close the peer.
#include <doctest.h>

#include <string>
#include <vector>

#include "netstack/ethernet_frame.h"
#include "netstack/stream_frontend.h"

namespace askfirst::netstack::test {
namespace {

std::vector<std::uint8_t> framed(const std::vector<std::string>& frames) {
    std::vector<std::uint8_t> out;
    for (const auto& frame : frames) {
        const auto n = static_cast<std::uint32_t>(frame.size());
        out.insert(out.end(), {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
                               static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)});
        out.insert(out.end(), frame.begin(), frame.end());
    }
    return out;
}

}  // namespace

TEST_CASE("the stream decoder yields the same frames however the bytes are split") {
    const std::vector<std::string> frames = {std::string(60, 'a'), std::string(1514, 'b'), std::string(42, 'c')};
    const auto stream = framed(frames);
    for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{5}, std::size_t{64}, stream.size()}) {
        CAPTURE(chunk);
        StreamFrameDecoder decoder;
        std::vector<std::string> seen;
        for (std::size_t at = 0; at < stream.size(); at += chunk) {
            const auto piece = std::span<const std::uint8_t>(stream).subspan(at, std::min(chunk, stream.size() - at));
            REQUIRE(decoder.feed(piece, [&](std::span<const std::uint8_t> frame) {
                seen.emplace_back(frame.begin(), frame.end());
            }) == StreamFrameDecoder::Status::ok);
        }
        CHECK(seen == frames);
        CHECK(decoder.buffered() == 0);
    }
}

TEST_CASE("a zero length or a length over the maximum frame is refused") {
    for (std::uint32_t length : {std::uint32_t{0}, static_cast<std::uint32_t>(kMaxFrameBytes + 1), 0xffffffffu}) {
        CAPTURE(length);
        for (std::size_t split : {std::size_t{1}, std::size_t{4}}) {
            StreamFrameDecoder decoder;
            const std::uint8_t prefix[4] = {static_cast<std::uint8_t>(length >> 24), static_cast<std::uint8_t>(length >> 16),
                                            static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)};
            int frames = 0;
            auto status = StreamFrameDecoder::Status::ok;
            for (std::size_t at = 0; at < 4 && status == StreamFrameDecoder::Status::ok; at += split)
                status = decoder.feed({prefix + at, split}, [&](std::span<const std::uint8_t>) { ++frames; });
            CHECK(status == StreamFrameDecoder::Status::bad_length);
            CHECK(decoder.last_bad_length() == length);
            CHECK(frames == 0);
        }
    }
}

}  // namespace askfirst::netstack::test
