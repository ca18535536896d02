// tls/tls_result.h — the small Result type of the tls/ layer (GCC 12 has no
// std::expected). A failed step carries a sentence that says what failed and
// what to do; callers in src/ log it or print it as it is.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace askfirst::tls {

template <typename T>
class Result {
public:
    static Result success(T value) { return Result(std::move(value), {}); }
    static Result failure(std::string error) { return Result(std::nullopt, std::move(error)); }

    bool ok() const { return value_.has_value(); }
    explicit operator bool() const { return ok(); }
    T& value() { return *value_; }
    const T& value() const { return *value_; }
    T take() { return std::move(*value_); }
    const std::string& error() const { return error_; }

private:
    Result(std::optional<T> value, std::string error) : value_(std::move(value)), error_(std::move(error)) {}
    std::optional<T> value_;
    std::string error_;
};

// For steps that return nothing but may fail.
struct Done {};
using Status = Result<Done>;
inline Status ok_status() { return Status::success(Done{}); }

}  // namespace askfirst::tls
