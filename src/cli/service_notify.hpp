#pragma once
// What a node tells systemd when it runs as a Type=notify service (packaging/systemd/
// vigie.service): READY=1 once its API answers, STOPPING=1 when it stops, and watchdog pings
// only while analysis makes progress. Through libsystemd's sd_notify when vigie is built with
// it (VIGIE_HAVE_SYSTEMD); otherwise, and outside systemd (no $NOTIFY_SOCKET), every call
// does nothing.

#include <chrono>
#include <optional>
#include <string>

namespace vigie::cli {

/// Used by the run loop's thread only.
class ServiceNotifier {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  /// Reads $NOTIFY_SOCKET and $WATCHDOG_USEC/$WATCHDOG_PID (sd_watchdog_enabled).
  ServiceNotifier();

  /// True when built with libsystemd.
  [[nodiscard]] static bool built_in();
  /// True when a service manager listens ($NOTIFY_SOCKET set and support built in).
  [[nodiscard]] bool active() const { return active_; }
  /// The watchdog interval systemd asked for (WatchdogSec=), if any.
  [[nodiscard]] std::optional<std::chrono::microseconds> watchdog() const { return watchdog_; }

  /// READY=1, with a human-readable STATUS= line.
  void ready(const std::string& status) const;
  /// STATUS= alone (shown by systemctl status).
  void status(const std::string& status) const;
  /// STOPPING=1.
  void stopping() const;
  /// RELOADING=1: the configuration is being read again; ready() ends it.
  void reloading() const;
  /// True when a watchdog ping is due at `now` (every half interval).
  [[nodiscard]] bool watchdog_due(SteadyTime now) const;
  /// WATCHDOG=1, and the next ping becomes due half an interval after `now`.
  void watchdog_ping(SteadyTime now);

 private:
  void send(const std::string& message) const;

  bool active_ = false;
  std::optional<std::chrono::microseconds> watchdog_;
  SteadyTime next_ping_{};
};

}  // namespace vigie::cli
