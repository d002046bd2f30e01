#include "rules/situation.hpp"

#include <fmt/format.h>

namespace vigie::rules {

SituationTracker::SituationTracker(HygieneConfig config, EventType type, CameraId camera,
                                   AlertSink sink)
    : config_(config), type_(type), camera_(std::move(camera)), sink_(std::move(sink)) {}

void SituationTracker::set_context(std::vector<std::pair<std::string, double>> params,
                                   std::string config_version) {
  params_ = std::move(params);
  config_version_ = std::move(config_version);
}

void SituationTracker::observe(const std::string& key, const std::string& zone, double t,
                               const Evidence& e) {
  auto [it, fresh] = open_.try_emplace(key);
  Situation& s = it->second;
  if (fresh) {
    s.zone = zone;
    s.first_true = t;
  }
  s.last_true = t;
  s.seen_this_frame = true;
  s.best = e;
  if (s.alert) {
    s.alert->last_s = t;
    s.alert->score = std::max(s.alert->score, e.score);
    s.alert->region = e.region;
    if (!e.detail.empty()) s.alert->detail = e.detail;
    if (!e.model_hash.empty()) s.alert->model_hash = e.model_hash;
    sink_(*s.alert, AlertChange::kUpdated);
    return;
  }
  if (!e.may_raise || t - s.first_true < config_.inertia_s) return;
  if (auto cd = cooldown_until_.find(key); cd != cooldown_until_.end() && t < cd->second) return;
  Alert a;
  a.id = fmt::format("{}-{}-{}", camera_, to_string(type_), ++sequence_);
  a.type = type_;
  a.camera = camera_;
  a.zone = zone;
  a.start_s = t;
  a.last_s = t;
  a.wall_start = std::chrono::system_clock::now();
  a.score = e.score;
  a.region = e.region;
  a.detail = e.detail;
  a.params = params_;
  a.config_version = config_version_;
  a.model_hash = e.model_hash;
  s.alert = a;
  sink_(*s.alert, AlertChange::kRaised);
}

void SituationTracker::end_frame(double t) {
  for (auto it = open_.begin(); it != open_.end();) {
    Situation& s = it->second;
    if (s.seen_this_frame) {
      s.seen_this_frame = false;
      ++it;
      continue;
    }
    // Before an alert the condition must hold throughout the inertia, short gaps aside, or a
    // flickering estimate would add up to an alert; after it, clear_s decides when the
    // situation is over.
    const double grace = s.alert ? config_.clear_s : inertia_gap_s(config_.inertia_s);
    if (t - s.last_true < grace) {
      ++it;
      continue;
    }
    if (s.alert) {
      s.alert->last_s = t;
      sink_(*s.alert, AlertChange::kEnded);
      cooldown_until_[it->first] = t + config_.cooldown_s;
    }
    it = open_.erase(it);
  }
}

bool SituationTracker::is_open(const std::string& key) const {
  auto it = open_.find(key);
  return it != open_.end() && it->second.alert.has_value();
}

std::size_t SituationTracker::open_alerts() const {
  std::size_t n = 0;
  for (const auto& [key, s] : open_) n += s.alert ? 1 : 0;
  return n;
}

}  // namespace vigie::rules
