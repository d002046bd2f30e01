#include "api/auth.hpp"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

namespace vigie::api {
namespace {

std::chrono::steady_clock::duration to_duration(double s) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(Seconds(s));
}

}  // namespace

SessionTable::SessionTable(const Clock& clock, double idle_s) : clock_(clock), idle_s_(idle_s) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string SessionTable::key(const std::string& token) {
  unsigned char digest[crypto_generichash_BYTES];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), nullptr, 0);
  return {reinterpret_cast<const char*>(digest), sizeof digest};
}

std::string SessionTable::open(const Principal& who) {
  unsigned char random[32];
  randombytes_buf(random, sizeof random);
  char hex[sizeof random * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, random, sizeof random);
  std::string token(hex);
  std::lock_guard lock(mutex_);
  const SteadyTime now = clock_.now();
  expire_locked(now);
  sessions_[key(token)] = Session{who, now};
  return token;
}

std::optional<Principal> SessionTable::find(const std::string& token) {
  if (token.empty()) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(key(token));
  if (it == sessions_.end()) return std::nullopt;
  const SteadyTime now = clock_.now();
  if (seconds_between(it->second.last_used, now) > idle_s_) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_used = now;
  return it->second.who;
}

void SessionTable::close(const std::string& token) {
  std::lock_guard lock(mutex_);
  sessions_.erase(key(token));
}

void SessionTable::close_user(const std::string& user) {
  std::lock_guard lock(mutex_);
  std::erase_if(sessions_, [&](const auto& kv) { return kv.second.who.user == user; });
}

std::size_t SessionTable::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void SessionTable::expire_locked(SteadyTime now) {
  std::erase_if(sessions_,
                [&](const auto& kv) { return seconds_between(kv.second.last_used, now) > idle_s_; });
}

LoginThrottle::LoginThrottle(const Clock& clock, int free_failures, double base_s, double max_s)
    : clock_(clock), free_failures_(free_failures), base_s_(base_s), max_s_(max_s) {}

double LoginThrottle::wait_locked(Entry& e, SteadyTime now) const {
  const double refused = seconds_between(now, e.until);
  if (refused > 0) return refused;
  // Old failures no longer say anything about the one trying now.
  if (e.in_flight == 0 && e.failures > 0 && seconds_between(e.last, now) > max_s_) {
    e.failures = 0;
  }
  // Past the free failures, one attempt at a time: each failure lengthens the refusal
  // before the next attempt is admitted.
  const int allowed = std::max(1, free_failures_ - e.failures);
  if (e.in_flight < allowed) return 0;
  return 1;  // an attempt in flight decides; a check takes well under a second
}

double LoginThrottle::admit(const std::vector<std::string>& keys) {
  std::lock_guard lock(mutex_);
  const SteadyTime now = clock_.now();
  // Forget keys quiet for longer than the longest delay, so the table stays small.
  if (entries_.size() > 10000) {
    std::erase_if(entries_, [&](const auto& kv) {
      return kv.second.in_flight == 0 && seconds_between(kv.second.last, now) > max_s_;
    });
  }
  double wait = 0;
  for (const auto& key : keys) {
    // A key without an entry has nothing against it; none is made for a refused attempt.
    if (auto it = entries_.find(key); it != entries_.end()) {
      wait = std::max(wait, wait_locked(it->second, now));
    }
  }
  if (wait > 0) return wait;
  for (const auto& key : keys) {
    Entry& e = entries_[key];
    e.in_flight += 1;
    e.last = now;
  }
  return 0;
}

void LoginThrottle::finish(const std::vector<std::string>& keys, LoginOutcome outcome) {
  std::lock_guard lock(mutex_);
  const SteadyTime now = clock_.now();
  for (const auto& key : keys) {
    auto it = entries_.find(key);
    if (it == entries_.end()) continue;
    Entry& e = it->second;
    e.in_flight = std::max(0, e.in_flight - 1);
    e.last = now;
    switch (outcome) {
      case LoginOutcome::kFailed: {
        e.failures += 1;
        if (e.failures >= free_failures_) {
          const int extra = std::min(e.failures - free_failures_, 20);
          const double delay = std::min(max_s_, base_s_ * std::pow(2.0, extra));
          e.until = now + to_duration(delay);
          e.refusal_reported = false;
        }
        break;
      }
      case LoginOutcome::kSucceeded:
        // For the address too: behind a proxy, one user's typos must not lock out the
        // others once someone got in. Guessing one user's password stays bounded by the
        // user's own key.
        e.failures = 0;
        e.until = SteadyTime{};
        break;
      case LoginOutcome::kAbandoned:
        break;
    }
    if (e.in_flight == 0 && e.failures == 0) entries_.erase(it);
  }
}

double LoginThrottle::wait_s(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return 0;
  return std::max(0.0, seconds_between(clock_.now(), it->second.until));
}

bool LoginThrottle::first_refusal(const std::string& key) {
  std::lock_guard lock(mutex_);
  Entry& e = entries_[key];
  if (e.refusal_reported) return false;
  e.refusal_reported = true;
  return true;
}

}  // namespace vigie::api
