#include "api/events.hpp"

#include <chrono>

namespace vigie::api {

void EventQueue::push(const alerts::AlertEvent& event) {
  {
    std::lock_guard lock(mutex_);
    if (dropped_ || closed_) return;
    if (events_.size() >= capacity_) {
      dropped_ = true;
      events_.clear();
    } else {
      events_.push_back(event);
    }
  }
  cv_.notify_one();
}

bool EventQueue::wait(double timeout_s, std::deque<alerts::AlertEvent>& out) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, std::chrono::duration<double>(timeout_s),
               [&] { return !events_.empty() || dropped_ || closed_; });
  if (dropped_ || closed_) return false;
  while (!events_.empty()) {
    out.push_back(std::move(events_.front()));
    events_.pop_front();
  }
  return true;
}

void EventQueue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool EventQueue::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

std::shared_ptr<EventQueue> EventHub::add(bool sees_calibration) {
  std::lock_guard lock(mutex_);
  if (static_cast<int>(queues_.size()) >= max_clients_) return nullptr;
  auto queue = std::make_shared<EventQueue>(capacity_, sees_calibration);
  queues_.insert(queue);
  return queue;
}

void EventHub::remove(const std::shared_ptr<EventQueue>& queue) {
  std::lock_guard lock(mutex_);
  if (queues_.erase(queue) > 0 && queue->dropped()) ++dropped_;
  queue->close();
}

void EventHub::publish(const alerts::AlertEvent& event) {
  std::lock_guard lock(mutex_);
  for (const auto& q : queues_) {
    if (event.alert.calibration && !q->sees_calibration()) continue;
    q->push(event);
  }
}

void EventHub::close_all() {
  std::lock_guard lock(mutex_);
  for (const auto& q : queues_) q->close();
}

int EventHub::clients() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(queues_.size());
}

std::uint64_t EventHub::dropped_total() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

}  // namespace vigie::api
