#include "govern/governance.hpp"

#include <algorithm>

#include "core/iso_time.hpp"

namespace vigie::govern {
namespace {

std::string iso(storage::TimeMs ms) {
  return format_iso8601(std::chrono::system_clock::time_point{std::chrono::milliseconds(ms)});
}

nlohmann::json authorization_json(const storage::AuthorizationRecord& a) {
  nlohmann::json types = nlohmann::json::array();
  for (EventType t : a.event_types) types.push_back(to_string(t));
  return {{"reference", a.reference}, {"cameras", a.cameras},     {"event_types", types},
          {"start", iso(a.start_ms)}, {"end", iso(a.end_ms)},     {"controller", a.controller},
          {"origin", a.origin},       {"revoked", a.revoked}};
}

Status check_authorization(const storage::AuthorizationRecord& a) {
  const std::string where = "authorization '" + a.reference + "': ";
  if (a.reference.empty()) return invalid_argument("authorization without a reference");
  if (a.cameras.empty()) return invalid_argument(where + "names no camera");
  if (a.event_types.empty()) return invalid_argument(where + "names no event type");
  if (a.end_ms <= a.start_ms) return invalid_argument(where + "ends before it starts");
  if (a.controller.empty()) return invalid_argument(where + "names no controller");
  return Status::ok();
}

std::string describe_stop(const StopInfo& s) {
  std::string text = "stopped by " + s.by + " at " + iso(s.at_ms);
  if (!s.reason.empty()) text += " (" + s.reason + ")";
  return text;
}

}  // namespace

Governance::Governance(storage::Store& store, const Clock& clock) : store_(store), clock_(clock) {}

Result<std::unique_ptr<Governance>> Governance::open(
    storage::Store& store, const Clock& clock,
    const std::vector<config::Authorization>& configured) {
  std::unique_ptr<Governance> g(new Governance(store, clock));
  VIGIE_RETURN_IF_ERROR(g->apply_configured(configured, "config"));

  // The stop state is whatever the journal says last: a restart never resumes analysis
  // that a supervisor stopped.
  storage::JournalQuery q;
  q.action_prefix = "stop.";
  q.limit = 1000;
  for (;;) {
    auto records = store.journal(q);
    if (!records.is_ok()) return records.status();
    for (const auto& r : *records) {
      const std::string camera = r.detail.value("camera", "");
      StopInfo& target = camera.empty() ? g->global_ : g->cameras_[camera];
      g->stop_seq_[camera] = r.seq;
      if (r.action == "stop.stopped") {
        target = {true, r.actor, r.at_ms, r.detail.value("reason", "")};
      } else if (r.action == "stop.resumed") {
        target = {};
      }
      q.after_seq = r.seq;
    }
    if (static_cast<int>(records->size()) < q.limit) break;
  }
  for (auto it = g->cameras_.begin(); it != g->cameras_.end();) {
    it = it->second.stopped ? std::next(it) : g->cameras_.erase(it);
  }
  return g;
}

Status Governance::apply_configured(const std::vector<config::Authorization>& configured,
                                    const std::string& actor) {
  std::vector<storage::AuthorizationRecord> from_config;
  for (const auto& c : configured) {
    storage::AuthorizationRecord a;
    a.reference = c.reference;
    a.cameras = c.cameras;
    a.event_types = c.event_types;
    a.controller = c.controller;
    a.origin = "config";
    auto start = parse_iso8601(c.start);
    auto end = parse_iso8601(c.end);
    if (!start || !end) {
      return invalid_argument("authorization '" + c.reference + "': start and end must be ISO 8601 times with an offset");
    }
    a.start_ms = unix_ms(*start);
    a.end_ms = unix_ms(*end);
    if (Status s = check_authorization(a); !s.is_ok()) return s;
    from_config.push_back(std::move(a));
  }

  auto stored = store_.authorizations();
  if (!stored.is_ok()) return stored.status();
  // The configuration is the source of truth for its own references: store what changed,
  // journaled, so an evaluator sees every authorization the node ran under.
  const storage::TimeMs now = unix_ms(clock_.wall_now());
  Status s = store_.write([&](storage::Tx& tx) -> Status {
    for (const auto& a : from_config) {
      auto same = std::find_if(stored->begin(), stored->end(), [&](const auto& b) {
        return b.reference == a.reference;
      });
      if (same != stored->end() && authorization_json(*same) == authorization_json(a)) continue;
      // A revocation is a decision taken after the order was written into the configuration:
      // a restart with the same configuration must not grant again what was revoked. The
      // order's other terms still follow the configuration; analysis resumes under it only
      // with a new reference (a new order).
      if (same != stored->end() && same->revoked) {
        storage::AuthorizationRecord kept = a;
        kept.revoked = true;
        if (authorization_json(*same) == authorization_json(kept)) continue;
        if (Status p = tx.put_authorization(kept); !p.is_ok()) return p;
        auto j = tx.journal({now, actor, "authorization.set", authorization_json(kept)});
        if (!j.is_ok()) return j.status();
        continue;
      }
      if (Status p = tx.put_authorization(a); !p.is_ok()) return p;
      auto j = tx.journal({now, actor, "authorization.set", authorization_json(a)});
      if (!j.is_ok()) return j.status();
    }
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  auto all = store_.authorizations();
  if (!all.is_ok()) return all.status();
  {
    std::lock_guard lock(mutex_);
    authorizations_ = std::move(*all);
  }

  for (const auto& l : listeners_) l();
  return Status::ok();
}

Permit Governance::permit(const CameraId& camera) const {
  const storage::TimeMs now = unix_ms(clock_.wall_now());
  std::lock_guard lock(mutex_);
  Permit p;
  if (global_.stopped) {
    p.why_not = "global stop: " + describe_stop(global_);
    return p;
  }
  if (auto c = cameras_.find(camera); c != cameras_.end() && c->second.stopped) {
    p.why_not = describe_stop(c->second);
    return p;
  }
  for (const auto& a : authorizations_) {
    if (a.revoked || now < a.start_ms || now >= a.end_ms) continue;
    if (std::find(a.cameras.begin(), a.cameras.end(), camera) == a.cameras.end()) continue;
    p.event_types.insert(a.event_types.begin(), a.event_types.end());
    p.references.push_back(a.reference);
  }
  p.analyse = !p.event_types.empty();
  if (!p.analyse) p.why_not = "no active authorization";
  return p;
}

Status Governance::stop(const std::string& user, const CameraId& camera,
                        const std::string& reason) {
  const storage::TimeMs now = unix_ms(clock_.wall_now());
  Status journaled;
  {
    std::lock_guard lock(mutex_);
    // The stop takes effect first: a store that cannot write must never keep analysis
    // running. The journal failure is still reported to the caller.
    StopInfo& target = camera.empty() ? global_ : cameras_[camera];
    target = {true, user, now, reason};
    journaled = store_.write([&](storage::Tx& tx) -> Status {
      auto j = tx.journal({now, user, "stop.stopped", {{"camera", camera}, {"reason", reason}}});
      if (j.is_ok()) stop_seq_[camera] = j->seq;
      return j.status();
    });
  }
  for (const auto& l : listeners_) l();
  if (!journaled.is_ok()) {
    return {journaled.code(), "stopped, but the stop could not be journaled: " +
                                  journaled.message()};
  }
  return Status::ok();
}

Status Governance::resume(const std::string& user, const CameraId& camera) {
  const storage::TimeMs now = unix_ms(clock_.wall_now());
  {
    std::lock_guard lock(mutex_);
    const bool stopped = camera.empty() ? global_.stopped
                                        : (cameras_.count(camera) && cameras_[camera].stopped);
    if (!stopped) {
      return {StatusCode::kFailedPrecondition,
              camera.empty() ? "analysis is not stopped" : "camera " + camera + " is not stopped"};
    }
    Status s = store_.write([&](storage::Tx& tx) -> Status {
      auto j = tx.journal({now, user, "stop.resumed", {{"camera", camera}}});
      if (j.is_ok()) stop_seq_[camera] = j->seq;
      return j.status();
    });
    if (!s.is_ok()) return s;
    if (camera.empty()) {
      global_ = {};
    } else {
      cameras_.erase(camera);
    }
  }
  for (const auto& l : listeners_) l();
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
  a.origin = "api";
  a.revoked = false;
  VIGIE_RETURN_IF_ERROR(check_authorization(a));
  const storage::TimeMs now = unix_ms(clock_.wall_now());
  {
    std::lock_guard lock(mutex_);
    Status s = store_.write([&](storage::Tx& tx) -> Status {
      VIGIE_RETURN_IF_ERROR(tx.put_authorization(a));
      auto j = tx.journal({now, user, "authorization.set", authorization_json(a)});
      return j.status();
    });
    if (!s.is_ok()) return s;
    auto same = std::find_if(authorizations_.begin(), authorizations_.end(),
                             [&](const auto& b) { return b.reference == a.reference; });
    if (same != authorizations_.end()) {
      *same = a;
    } else {
      authorizations_.push_back(a);
    }
  }
  for (const auto& l : listeners_) l();
  return Status::ok();
}

Status Governance::revoke(const std::string& user, const std::string& reference) {
  const storage::TimeMs now = unix_ms(clock_.wall_now());
  {
    std::lock_guard lock(mutex_);
    auto it = std::find_if(authorizations_.begin(), authorizations_.end(),
                           [&](const auto& b) { return b.reference == reference; });
    if (it == authorizations_.end()) return not_found("no authorization '" + reference + "'");
    storage::AuthorizationRecord a = *it;
    a.revoked = true;
    Status s = store_.write([&](storage::Tx& tx) -> Status {
      VIGIE_RETURN_IF_ERROR(tx.put_authorization(a));
      auto j = tx.journal({now, user, "authorization.revoked", authorization_json(a)});
      return j.status();
    });
    if (!s.is_ok()) return s;
    *it = a;
  }
  for (const auto& l : listeners_) l();
  return Status::ok();
}

std::vector<storage::AuthorizationRecord> Governance::authorizations() const {
  std::lock_guard lock(mutex_);
  return authorizations_;
}

void Governance::on_change(std::function<void()> listener) {
  listeners_.push_back(std::move(listener));
}

Status Governance::follow(const storage::JournalRecord& r) {
  if (r.action == "stop.stopped" || r.action == "stop.resumed") {
    const std::string camera = r.detail.value("camera", "");
    {
      std::lock_guard lock(mutex_);
      auto seen = stop_seq_.find(camera);
      if (seen != stop_seq_.end() && seen->second >= r.seq) return Status::ok();
      stop_seq_[camera] = r.seq;
      StopInfo& target = camera.empty() ? global_ : cameras_[camera];
      if (r.action == "stop.stopped") {
        target = {true, r.actor, r.at_ms, r.detail.value("reason", "")};
      } else if (camera.empty()) {
        global_ = {};
      } else {
        cameras_.erase(camera);
      }
    }
    for (const auto& l : listeners_) l();
    return Status::ok();
  }
  if (r.action.rfind("authorization.", 0) != 0) return Status::ok();
  auto all = store_.authorizations();
  if (!all.is_ok()) return all.status();
  {
    std::lock_guard lock(mutex_);
    authorizations_ = std::move(*all);
  }
  for (const auto& l : listeners_) l();
  return Status::ok();
}

}  // namespace vigie::govern
