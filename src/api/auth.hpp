#pragma once
// API sessions (random tokens, idle expiry, in memory: a restart logs everyone out) and the
// login throttle (a growing refusal delay after repeated failures, per user name and per
// client address).

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "govern/users.hpp"

namespace vigie::api {

/// Who is calling.
struct Principal {
  std::string user;
  govern::Role role = govern::Role::kOperator;
};

/// Thread-safe.
class SessionTable {
 public:
  SessionTable(const Clock& clock, double idle_s);

  /// A new session; returns its token (64 hex characters from 32 random bytes).
  std::string open(const Principal& who);
  /// The session's principal, refreshing its idle time; nullopt when unknown or expired.
  std::optional<Principal> find(const std::string& token);
  void close(const std::string& token);
  /// Ends every session of a user (disabled, role or password changed).
  void close_user(const std::string& user);
  [[nodiscard]] std::size_t size() const;

 private:
  struct Session {
    Principal who;
    SteadyTime last_used;
  };
  // Keyed by a hash of the token, so a lookup's timing says nothing about stored tokens.
  static std::string key(const std::string& token);
  void expire_locked(SteadyTime now);

  const Clock& clock_;
  double idle_s_;
  mutable std::mutex mutex_;
  std::map<std::string, Session> sessions_;
};

/// Refuses logins for a key (a user name or an address) after `free_failures` consecutive
/// failures, for base_s, then twice as long after each further failure, up to max_s.
/// Thread-safe.
class LoginThrottle {
 public:
  LoginThrottle(const Clock& clock, int free_failures, double base_s, double max_s);

  /// Seconds until the key may try again; 0 when it may now.
  double wait_s(const std::string& key) const;
  /// Counts a failure.
  void failed(const std::string& key);
  void succeeded(const std::string& key);
  /// True the first time it is asked during the current refusal period of `key` (so that a
  /// flood of refused attempts is journaled once per period, not once per attempt).
  bool first_refusal(const std::string& key);

 private:
  struct Entry {
    int failures = 0;
    SteadyTime until{};
    bool refusal_reported = false;
    SteadyTime last{};
  };
  const Clock& clock_;
  int free_failures_;
  double base_s_;
  double max_s_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

}  // namespace vigie::api
