#pragma once
// Status and Result<T>: the error type at every fallible boundary.
// Codes follow Abseil's meanings, so callers know what to do with an error.

#include <string>
#include <utility>
#include <variant>

namespace vigie {

/// What went wrong, and therefore what the caller should do about it.
enum class StatusCode {
  kOk,
  kInvalidArgument,     ///< The input is wrong: fix it (config, URL, file contents).
  kNotFound,            ///< A named thing does not exist (file, stream path, camera).
  kUnavailable,         ///< Transient: the peer is down or unreachable; retry later.
  kDeadlineExceeded,    ///< A timeout elapsed; usually retried like kUnavailable.
  kFailedPrecondition,  ///< The system is not in a state that allows this.
  kPermissionDenied,    ///< The caller may not do this (someone else's act, a role's limit).
  kDataLoss,            ///< Data is truncated or corrupt.
  kUnimplemented,       ///< Not supported (e.g. a codec we cannot decode).
  kCancelled,           ///< Stopped on request.
  kInternal,            ///< A bug: an invariant did not hold.
};

/// Short lowercase name of a code, e.g. "invalid_argument".
const char* to_string(StatusCode code);

/// The outcome of an operation that returns no value.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }

  [[nodiscard]] bool is_ok() const { return code_ == StatusCode::kOk; }
  [[nodiscard]] StatusCode code() const { return code_; }
  [[nodiscard]] const std::string& message() const { return message_; }
  /// "code: message", for logs.
  [[nodiscard]] std::string to_string() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalid_argument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status not_found(std::string m) {
  return {StatusCode::kNotFound, std::move(m)};
}
inline Status unavailable(std::string m) {
  return {StatusCode::kUnavailable, std::move(m)};
}
inline Status internal_error(std::string m) {
  return {StatusCode::kInternal, std::move(m)};
}
inline Status data_loss(std::string m) {
  return {StatusCode::kDataLoss, std::move(m)};
}

/// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool is_ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return is_ok(); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }

  /// The error; Status::ok() when a value is held.
  [[nodiscard]] Status status() const { return is_ok() ? Status::ok() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace vigie
