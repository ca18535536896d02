// tls/byte_queue.h — a FIFO of bytes between a TLS session and the flow
// shell (ciphertext in from the peer, ciphertext out to the peer). It holds
// no memory while empty, so an idle intercepted flow costs nothing here;
// the session bounds how much it lets in (see tls_session.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace askfirst::tls {

class ByteQueue {
public:
    std::size_t size() const { return bytes_.size() - head_; }
    bool empty() const { return size() == 0; }
    std::span<const std::uint8_t> front() const { return std::span<const std::uint8_t>(bytes_).subspan(head_); }

    void append(std::span<const std::uint8_t> more) {
        if (head_ > 0 && head_ >= bytes_.size() / 2) compact();
        bytes_.insert(bytes_.end(), more.begin(), more.end());
    }
    // Grows the back by n bytes and returns them for the caller to fill
    // (a sealed record is written in place, not copied in).
    std::span<std::uint8_t> append_space(std::size_t n) {
        if (head_ > 0 && head_ >= bytes_.size() / 2) compact();
        const std::size_t at = bytes_.size();
        bytes_.resize(at + n);
        return std::span<std::uint8_t>(bytes_).subspan(at, n);
    }
    // Gives back the last n bytes of append_space that were not filled.
    void drop_back(std::size_t n) {
        bytes_.resize(bytes_.size() - (n < size() ? n : size()));
        if (head_ == bytes_.size()) release();
    }
    // Moves up to out.size() bytes from the front into `out`.
    std::size_t pop_into(std::span<std::uint8_t> out) {
        const std::size_t n = out.size() < size() ? out.size() : size();
        if (n > 0) std::memcpy(out.data(), bytes_.data() + head_, n);
        drop_front(n);
        return n;
    }
    void drop_front(std::size_t n) {
        head_ += n < size() ? n : size();
        if (head_ == bytes_.size()) release();
    }
    // Hands the whole content over (for a uv_write that outlives this call).
    std::vector<std::uint8_t> take_all() {
        std::vector<std::uint8_t> out;
        if (head_ == 0) out.swap(bytes_);
        else out.assign(bytes_.begin() + static_cast<std::ptrdiff_t>(head_), bytes_.end());
        release();
        return out;
    }

private:
    void compact() {
        bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
    }
    void release() {
        std::vector<std::uint8_t>().swap(bytes_);
        head_ = 0;
    }
    std::vector<std::uint8_t> bytes_;
    std::size_t head_ = 0;
};

}  // namespace askfirst::tls
