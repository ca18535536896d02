// src/base/result.h — the one Result type of askfirst, for every layer (GCC 12
// has no std::expected): a value, or a sentence that says what failed and
// what to do about it ("tls.extra_ca: /etc/x.pem: no such file; fix the path
// or remove it from the profile"). Callers pass the sentence on, prefixed
// with what they were doing, or print it as it is; they never parse it.
//
//   Result<Profile> parsed = ...;
//   if (!parsed) return Result<X>::failure("the profile: " + parsed.error());
//   use(parsed.take());
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace askfirst {

template <typename T>
class Result {
public:
    static Result success(T value) { return Result(std::move(value), {}); }
    static Result failure(std::string error) { return Result(std::nullopt, std::move(error)); }

    bool ok() const { return value_.has_value(); }
    explicit operator bool() const { return ok(); }
    T& value() { return *value_; }
    const T& value() const { return *value_; }
    T& operator*() { return *value_; }
    const T& operator*() const { return *value_; }
    T* operator->() { return &*value_; }
    const T* operator->() const { return &*value_; }
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

}  // namespace askfirst
