#pragma once
// Follows the journal of a store other nodes write to: polls for the records after the last
// one seen and hands each to a handler, in journal order. This is how a node sharing a
// PostgreSQL database learns what the others did: a stop or an authorization change (applied
// here before the next frame that follows the poll), and their alerts (pushed to this node's
// live event stream). Polling rather than LISTEN/NOTIFY: the journal is already ordered and
// gap-free, so a poll that failed or came late loses nothing; it only delays.

#include <cstdint>
#include <functional>
#include <mutex>
#include <stop_token>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/worker.hpp"
#include "storage/store.hpp"

namespace vigie::engine {

class JournalFollower {
 public:
  /// Called on the follower's thread, in seq order, once per record.
  using Handler = std::function<void(const storage::JournalRecord&)>;

  JournalFollower(const storage::Store& store, const Clock& clock, double interval_s,
                  Handler handler);
  ~JournalFollower();
  JournalFollower(const JournalFollower&) = delete;
  JournalFollower& operator=(const JournalFollower&) = delete;

  /// Starts with the records after `after_seq` (the head when the node read its state).
  Status start(std::int64_t after_seq);
  void stop();

  /// Records handed to the handler so far, and polls that failed (for /metrics and tests).
  [[nodiscard]] std::uint64_t followed() const;
  [[nodiscard]] std::uint64_t failures() const;

 private:
  void run(const std::stop_token& stop);
  /// One poll: every record after the last one seen, page by page, until a stop.
  void poll(const std::stop_token& stop);

  const storage::Store& store_;
  const double interval_s_;
  const Handler handler_;
  ThrottledLog errors_;
  std::int64_t last_seq_ = 0;  // follower thread only (start() sets it before the thread)
  mutable std::mutex mutex_;
  std::uint64_t followed_ = 0;  // guarded by mutex_
  std::uint64_t failures_ = 0;  // guarded by mutex_
  Worker thread_;               // last: it uses the members above
};

}  // namespace vigie::engine
