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

namespace vigie {

/// The Status of a Status or of a Result, for the macros below.
inline const Status& status_of(const Status& s) { return s; }
template <typename T>
Status status_of(const Result<T>& r) {
  return r.status();
}

}  // namespace vigie

#define VIGIE_STATUS_CONCAT_INNER(a, b) a##b
#define VIGIE_STATUS_CONCAT(a, b) VIGIE_STATUS_CONCAT_INNER(a, b)

/// Returns from the enclosing function (which returns a Status or a Result) with the error of
/// `expr`, a Status or a Result, when it has one.
#define VIGIE_RETURN_IF_ERROR(expr)                                                 \
  do {                                                                              \
    if (::vigie::Status vigie_status_ = ::vigie::status_of(expr); !vigie_status_.is_ok()) \
      return vigie_status_;                                                         \
  } while (false)

/// `VIGIE_ASSIGN_OR_RETURN(auto rows, store.alerts(q));` declares `rows` from the value of the
/// Result `expr`, or returns its error from the enclosing function.
#define VIGIE_ASSIGN_OR_RETURN(lhs, expr) \
  VIGIE_ASSIGN_OR_RETURN_IMPL(VIGIE_STATUS_CONCAT(vigie_result_, __LINE__), lhs, expr)
#define VIGIE_ASSIGN_OR_RETURN_IMPL(result, lhs, expr) \
  auto result = (expr);                                \
  if (!result.is_ok()) return result.status();         \
  lhs = std::move(*result)
