#pragma once
// API sessions (random tokens, idle expiry, in memory: a restart logs everyone out) and the
// login throttle (a growing refusal delay after repeated failures, per user name and per
// client address, decided before a password is checked).

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

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

/// How an admitted login attempt ended.
enum class LoginOutcome {
  kFailed,     ///< wrong user name or password: counts towards a refusal
  kSucceeded,  ///< forgets the keys' failures
  kAbandoned,  ///< never checked (the password checker was busy, the store failed): no count
};

/// Refuses logins for a key (a user name or an address) after `free_failures` consecutive
/// failures, for base_s, then twice as long after each further failure, up to max_s. An
/// attempt is admitted and counted before its password is checked, and attempts still being
/// checked count as failures-to-be: parallel guesses cannot all pass the check before the
/// first of them is recorded. Failures are forgotten after a success from the key, or after
/// max_s without any attempt. Thread-safe.
class LoginThrottle {
 public:
  LoginThrottle(const Clock& clock, int free_failures, double base_s, double max_s);

  /// Admits one attempt for every key at once, or for none. 0: admitted; the attempt stays
  /// in flight for each key until finish(). Otherwise the seconds until a retry may be
  /// admitted (while a key is refused, or while as many attempts as it has failures left
  /// are already in flight).
  double admit(const std::vector<std::string>& keys);
  /// Ends an attempt admit() admitted for the same keys.
  void finish(const std::vector<std::string>& keys, LoginOutcome outcome);
  /// Seconds until the key's refusal period ends; 0 when it is not refused.
  [[nodiscard]] double wait_s(const std::string& key) const;
  /// True the first time it is asked during the current refusal period of `key` (so that a
  /// flood of refused attempts is journaled once per period, not once per attempt).
  bool first_refusal(const std::string& key);

 private:
  struct Entry {
    int failures = 0;
    int in_flight = 0;
    SteadyTime until{};
    bool refusal_reported = false;
    SteadyTime last{};
  };
  // Seconds `e` must wait before one more attempt; 0 when it may start now.
  [[nodiscard]] double wait_locked(Entry& e, SteadyTime now) const;

  const Clock& clock_;
  int free_failures_;
  double base_s_;
  double max_s_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;  // guarded by mutex_
};

}  // namespace vigie::api
