#include "engine/journal_follower.hpp"

namespace vigie::engine {
namespace {
constexpr int kPage = 500;
}

JournalFollower::JournalFollower(const storage::Store& store, const Clock& clock,
                                 double interval_s, Handler handler)
    : store_(store),
      interval_s_(interval_s),
      handler_(std::move(handler)),
      errors_("journal follower", clock) {}

JournalFollower::~JournalFollower() {
  stop();
}

Status JournalFollower::start(std::int64_t after_seq) {
  last_seq_ = after_seq;
  thread_ = Worker("vigie-follower", [this](const std::stop_token& stop) { run(stop); });
  return Status::ok();
}

void JournalFollower::stop() {
  thread_.stop();
}

void JournalFollower::run(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    poll(stop);
    sleep_for(stop, std::chrono::duration<double>(interval_s_));
  }
}

void JournalFollower::poll(const std::stop_token& stop) {
  for (;;) {
    storage::JournalQuery q;
    q.after_seq = last_seq_;
    q.limit = kPage;
    auto page = store_.journal(q);
    if (!page.is_ok()) {
      {
        std::lock_guard lock(mutex_);
        ++failures_;
      }
      errors_.warn("cannot read the journal: " + page.status().to_string());
      return;
    }
    for (const auto& r : *page) {
      try {
        handler_(r);
      } catch (const std::exception& e) {
        errors_.warn("record " + std::to_string(r.seq) + ": " + e.what());
      }
      last_seq_ = r.seq;
    }
    {
      std::lock_guard lock(mutex_);
      followed_ += page->size();
    }
    if (stop.stop_requested() || static_cast<int>(page->size()) < kPage) return;
  }
}

std::uint64_t JournalFollower::followed() const {
  std::lock_guard lock(mutex_);
  return followed_;
}

std::uint64_t JournalFollower::failures() const {
  std::lock_guard lock(mutex_);
  return failures_;
}

}  // namespace vigie::engine
