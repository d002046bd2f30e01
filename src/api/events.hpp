#pragma once
// Fan-out of committed alert events to the API's event streams. publish() runs on the thread
// that changed the alert (inside AlertService's notification), so it only appends to bounded
// per-client queues: a client that falls too far behind is dropped, never waited for.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>

#include "alerts/alert_service.hpp"

namespace vigie::api {

/// One event stream's queue. Thread-safe.
class EventQueue {
 public:
  EventQueue(std::size_t capacity, bool sees_calibration)
      : capacity_(capacity), sees_calibration_(sees_calibration) {}

  /// Appends, or marks the queue dropped when it is full.
  void push(const alerts::AlertEvent& event);
  /// Waits up to `timeout_s` for events; moves them into `out`. False once the queue is
  /// dropped or closed (the stream must end).
  bool wait(double timeout_s, std::deque<alerts::AlertEvent>& out);
  void close();
  [[nodiscard]] bool sees_calibration() const { return sees_calibration_; }
  [[nodiscard]] bool dropped() const;

 private:
  std::size_t capacity_;
  bool sees_calibration_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<alerts::AlertEvent> events_;
  bool dropped_ = false;
  bool closed_ = false;
};

/// The set of open event streams. Thread-safe.
class EventHub {
 public:
  EventHub(std::size_t queue_capacity, int max_clients)
      : capacity_(queue_capacity), max_clients_(max_clients) {}

  /// A new stream's queue, receiving from now on; nullptr when max_clients are connected.
  std::shared_ptr<EventQueue> add(bool sees_calibration);
  void remove(const std::shared_ptr<EventQueue>& queue);
  /// Calibration alerts go only to queues that see them.
  void publish(const alerts::AlertEvent& event);
  /// Closes every stream (server stop).
  void close_all();

  [[nodiscard]] int clients() const;
  [[nodiscard]] std::uint64_t dropped_total() const;

 private:
  std::size_t capacity_;
  int max_clients_;
  mutable std::mutex mutex_;
  std::set<std::shared_ptr<EventQueue>> queues_;
  std::uint64_t dropped_ = 0;
};

}  // namespace vigie::api
