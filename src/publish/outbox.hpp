#pragma once
// A durable FIFO of MQTT messages: an alert is on disk before publish_alert() returns, and
// leaves the disk only when the broker has acknowledged it, so alerts raised while the broker
// is down (or the process restarts) are delivered later, in order.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/status.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace vigie::publish {

/// One stored message; `id` grows with every append and is never reused.
struct OutboxMessage {
  std::int64_t id = 0;
  std::string topic;
  std::string payload;
};

/// The outbox file `outbox.sqlite` (SQLite in WAL mode with synchronous=FULL, so a committed
/// append survives a power cut). Thread-safe: appends come from pipeline threads, reads and
/// removals from the MQTT sender.
class Outbox {
 public:
  /// Opens or creates `dir/outbox.sqlite` (creating `dir`), keeping at most `max_messages`.
  static Result<std::unique_ptr<Outbox>> open(const std::filesystem::path& dir,
                                              std::size_t max_messages);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  /// Stores (topic, payload) messages in one durable transaction, in order. When the bound
  /// would be exceeded the oldest messages are deleted first; returns how many were.
  Result<std::size_t> append(const std::vector<std::pair<std::string, std::string>>& messages);
  /// Up to `limit` messages with an id above `after_id`, oldest first.
  Result<std::vector<OutboxMessage>> read_after(std::int64_t after_id, std::size_t limit);
  /// Deletes delivered messages; ids no longer present are ignored.
  Status remove(const std::vector<std::int64_t>& ids);
  /// Messages stored now.
  [[nodiscard]] std::size_t size() const { return size_.load(); }
  /// Path of the database file.
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  Outbox(sqlite3* db, std::filesystem::path path, std::size_t max_messages);
  Status prepare();
  Status exec(const char* sql);
  Status error(const char* what) const;

  sqlite3* db_;
  std::filesystem::path path_;
  std::size_t max_messages_;
  std::mutex mutex_;
  std::atomic<std::size_t> size_{0};
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* read_ = nullptr;
  sqlite3_stmt* delete_ = nullptr;
  sqlite3_stmt* drop_oldest_ = nullptr;
};

}  // namespace vigie::publish
