#include "cli/service_notify.hpp"

#include <cstdlib>

#include <spdlog/spdlog.h>

#ifdef VIGIE_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace vigie::cli {

ServiceNotifier::ServiceNotifier() {
#ifdef VIGIE_HAVE_SYSTEMD
  const char* socket = std::getenv("NOTIFY_SOCKET");
  active_ = socket != nullptr && *socket != '\0';
  std::uint64_t usec = 0;
  // $WATCHDOG_PID makes sure a ping interval meant for a parent is not taken for ours.
  if (active_ && sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_ = std::chrono::microseconds(usec);
  }
#else
  if (const char* socket = std::getenv("NOTIFY_SOCKET"); socket != nullptr && *socket != '\0') {
    spdlog::warn("NOTIFY_SOCKET is set but this vigie was built without libsystemd: the "
                 "service manager will not hear READY=1 (use Type=simple, or rebuild with "
                 "libsystemd-dev installed)");
  }
#endif
  if (watchdog_) {
    spdlog::info("systemd watchdog every {:.1f} s: pinged while analysis makes progress",
                 static_cast<double>(watchdog_->count()) / 1e6);
  }
}

bool ServiceNotifier::built_in() {
#ifdef VIGIE_HAVE_SYSTEMD
  return true;
#else
  return false;
#endif
}

void ServiceNotifier::send(const std::string& message) const {
  if (!active_) return;
#ifdef VIGIE_HAVE_SYSTEMD
  if (const int r = sd_notify(0, message.c_str()); r < 0) {
    spdlog::warn("systemd notification '{}' not sent: error {}", message.substr(0, 40), -r);
  }
#else
  (void)message;
#endif
}

void ServiceNotifier::ready(const std::string& status) const {
  send("READY=1\nSTATUS=" + status);
}

void ServiceNotifier::status(const std::string& status) const {
  send("STATUS=" + status);
}

void ServiceNotifier::stopping() const {
  send("STOPPING=1\nSTATUS=stopping");
}

void ServiceNotifier::reloading() const {
  send("RELOADING=1\nSTATUS=reloading the configuration");
}

bool ServiceNotifier::watchdog_due(SteadyTime now) const {
  return active_ && watchdog_ && now >= next_ping_;
}

void ServiceNotifier::watchdog_ping(SteadyTime now) {
  if (!watchdog_) return;
  send("WATCHDOG=1");
  next_ping_ = now + *watchdog_ / 2;
}

}  // namespace vigie::cli
