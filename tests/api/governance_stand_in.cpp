// A minimal Governance for the API tests, compiled only while governance.cpp is not part of
// the build: authorizations in memory and in the store, stops, permits.

#include <chrono>

#include "core/iso_time.hpp"
#include "govern/governance.hpp"

namespace vigie::govern {
namespace {

storage::TimeMs ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

Governance::Governance(storage::Store& store, const Clock& clock) : store_(store), clock_(clock) {}

Result<std::unique_ptr<Governance>> Governance::open(
    storage::Store& store, const Clock& clock,
    const std::vector<config::Authorization>& configured) {
  std::unique_ptr<Governance> g(new Governance(store, clock));
  auto stored = store.authorizations();
  if (!stored) return stored.status();
  g->authorizations_ = *stored;
  for (const auto& c : configured) {
    auto start = parse_iso8601(c.start);
    auto end = parse_iso8601(c.end);
    if (!start || !end) return invalid_argument("bad authorization times");
    storage::AuthorizationRecord a{c.reference, c.cameras, c.event_types, ms(*start),
                                   ms(*end),    c.controller, "config", false};
    g->authorizations_.push_back(a);
  }
  return g;
}

Permit Governance::permit(const CameraId& camera) const {
  std::lock_guard lock(mutex_);
  Permit p;
  if (global_.stopped) {
    p.why_not = "stopped by " + global_.by;
    return p;
  }
  if (auto it = cameras_.find(camera); it != cameras_.end() && it->second.stopped) {
    p.why_not = "stopped by " + it->second.by;
    return p;
  }
  const auto now = ms(clock_.wall_now());
  for (const auto& a : authorizations_) {
    if (a.revoked || now < a.start_ms || now >= a.end_ms) continue;
    bool covers = false;
    for (const auto& c : a.cameras) covers = covers || c == camera;
    if (!covers) continue;
    p.analyse = true;
    p.event_types.insert(a.event_types.begin(), a.event_types.end());
    p.references.push_back(a.reference);
  }
  if (!p.analyse) p.why_not = "no active authorization";
  return p;
}

Status Governance::stop(const std::string& user, const CameraId& camera,
                        const std::string& reason) {
  StopInfo info{true, user, ms(clock_.wall_now()), reason};
  Status s = store_.write([&](storage::Tx& tx) {
    return tx.journal({info.at_ms, user, "analysis.stopped", {{"camera", camera}, {"reason", reason}}})
        .status();
  });
  if (!s.is_ok()) return s;
  std::lock_guard lock(mutex_);
  (camera.empty() ? global_ : cameras_[camera]) = info;
  return Status::ok();
}

Status Governance::resume(const std::string& user, const CameraId& camera) {
  Status s = store_.write([&](storage::Tx& tx) {
    return tx.journal({ms(clock_.wall_now()), user, "analysis.resumed", {{"camera", camera}}})
        .status();
  });
  if (!s.is_ok()) return s;
  std::lock_guard lock(mutex_);
  if (camera.empty()) {
    global_ = {};
  } else {
    cameras_.erase(camera);
  }
  return Status::ok();
}

StopInfo Governance::global_stop() const {
  std::lock_guard lock(mutex_);
  return global_;
}

std::map<CameraId, StopInfo> Governance::camera_stops() const {
  std::lock_guard lock(mutex_);
  return cameras_;
}

Status Governance::authorize(const std::string& user, storage::AuthorizationRecord a) {
  if (a.end_ms <= a.start_ms) return invalid_argument("the end must be after the start");
  if (a.cameras.empty() || a.event_types.empty()) {
    return invalid_argument("an authorization names cameras and event types");
  }
  a.origin = "api";
  Status s = store_.write([&](storage::Tx& tx) -> Status {
    if (Status p = tx.put_authorization(a); !p.is_ok()) return p;
    return tx.journal({ms(clock_.wall_now()), user, "authorization.added",
                       {{"reference", a.reference}}})
        .status();
  });
  if (!s.is_ok()) return s;
  std::lock_guard lock(mutex_);
  std::erase_if(authorizations_, [&](const auto& x) { return x.reference == a.reference; });
  authorizations_.push_back(a);
  return Status::ok();
}

Status Governance::revoke(const std::string& user, const std::string& reference) {
  storage::AuthorizationRecord a;
  {
    std::lock_guard lock(mutex_);
    bool found = false;
    for (const auto& x : authorizations_) {
      if (x.reference == reference) {
        a = x;
        found = true;
      }
    }
    if (!found) return not_found("no authorization '" + reference + "'");
  }
  a.revoked = true;
  Status s = store_.write([&](storage::Tx& tx) -> Status {
    if (Status p = tx.put_authorization(a); !p.is_ok()) return p;
    return tx.journal({ms(clock_.wall_now()), user, "authorization.revoked",
                       {{"reference", reference}}})
        .status();
  });
  if (!s.is_ok()) return s;
  std::lock_guard lock(mutex_);
  for (auto& x : authorizations_) {
    if (x.reference == reference) x.revoked = true;
  }
  return Status::ok();
}

std::vector<storage::AuthorizationRecord> Governance::authorizations() const {
  std::lock_guard lock(mutex_);
  return authorizations_;
}

void Governance::on_change(std::function<void()> listener) {
  std::lock_guard lock(mutex_);
  listeners_.push_back(std::move(listener));
}

}  // namespace vigie::govern
