#pragma once
// Logging through spdlog, with secrets scrubbed from every line, and a throttle so that a
// camera spewing per-packet errors writes at most one line per second.

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "core/clock.hpp"

namespace vigie {

/// Installs the process logger: stderr, redacting, at the given level
/// ("trace", "debug", "info", "warn", "error", "off"). Safe to call again.
void init_logging(std::string_view level = "info");

/// Aggregates repeated errors of one source into at most one log line per interval,
/// with a count of what was folded in. Thread-safe.
class ThrottledLog {
 public:
  ThrottledLog(std::string source, const Clock& clock, double interval_s = 1.0);

  /// Counts the message, and logs it (with the count since the last line) when the interval
  /// has passed. Returns true when a line was written.
  bool warn(std::string_view message);

  /// Total messages seen since construction.
  [[nodiscard]] std::uint64_t total() const;

 private:
  std::string source_;
  const Clock& clock_;
  double interval_s_;
  mutable std::mutex mutex_;
  SteadyTime last_{};
  bool logged_once_ = false;
  std::uint64_t folded_ = 0;
  std::uint64_t total_ = 0;
};

}  // namespace vigie
