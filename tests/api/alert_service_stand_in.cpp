// A minimal AlertService for the API tests, compiled only while the alerts module is not part
// of the build: the workflow transitions, journaled with the alert's id, and listeners.

#include <chrono>

#include "alerts/alert_service.hpp"

namespace vigie::alerts {
namespace {

storage::TimeMs ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

std::vector<std::string> default_reason_codes() {
  return {"false_detection", "duplicate", "test", "other"};
}

AlertService::AlertService(storage::Store& store, const Clock& clock, AlertServiceOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

Result<storage::AlertRecord> AlertService::report(const Alert& alert, AlertChange change,
                                                  bool calibration) {
  std::lock_guard lock(mutex_);
  storage::AlertRecord r;
  auto known = live_.find(alert.id);
  if (known != live_.end()) {
    auto stored = store_.alert(known->second.first);
    if (!stored) return stored.status();
    if (stored->has_value()) r = **stored;
  }
  r.source_id = alert.id;
  r.type = alert.type;
  r.camera = alert.camera;
  r.zone = alert.zone;
  r.start_s = alert.start_s;
  r.last_s = alert.last_s;
  r.score = alert.score;
  r.detail = alert.detail;
  r.region = {alert.region.x, alert.region.y, alert.region.width, alert.region.height};
  r.calibration = calibration;
  const auto now = ms(clock_.wall_now());
  if (r.id == 0) r.raised_ms = now;
  r.updated_ms = now;
  if (change == AlertChange::kEnded) r.ended_ms = now;
  const std::string action = change == AlertChange::kRaised    ? "alert.raised"
                             : change == AlertChange::kUpdated ? "alert.updated"
                                                               : "alert.ended";
  storage::JournalRecord rec;
  Status s = store_.write([&](storage::Tx& tx) -> Status {
    auto id = tx.put_alert(r);
    if (!id) return id.status();
    r.id = *id;
    auto j = tx.journal({now, "system", action, {{"alert_id", r.id}}});
    if (!j) return j.status();
    rec = *j;
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  live_[alert.id] = {r.id, 0.0};
  notify({rec.seq, action, r});
  return r;
}

Result<storage::AlertRecord> AlertService::change(
    std::int64_t id, const std::string& user, const std::string& action, nlohmann::json detail,
    const std::function<Status(storage::AlertRecord&)>& apply) {
  std::lock_guard lock(mutex_);
  storage::AlertRecord r;
  storage::JournalRecord rec;
  Status s = store_.write([&](storage::Tx& tx) -> Status {
    auto found = tx.get_alert(id);
    if (!found) return found.status();
    if (!found->has_value()) return not_found("no alert " + std::to_string(id));
    r = **found;
    if (Status a = apply(r); !a.is_ok()) return a;
    r.updated_ms = ms(clock_.wall_now());
    if (auto put = tx.put_alert(r); !put) return put.status();
    detail["alert_id"] = id;
    auto j = tx.journal({r.updated_ms, user, action, detail});
    if (!j) return j.status();
    rec = *j;
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  notify({rec.seq, action, r});
  return r;
}

Result<storage::AlertRecord> AlertService::mark_seen(std::int64_t id, const std::string& user) {
  return change(id, user, "alert.seen", nlohmann::json::object(), [](storage::AlertRecord& r) {
    if (r.state == storage::AlertState::kNew) r.state = storage::AlertState::kSeen;
    return Status::ok();
  });
}

Result<storage::AlertRecord> AlertService::judge(std::int64_t id, const std::string& user,
                                                 const Verdict& v) {
  if (!v.confirmed) {
    bool known = false;
    for (const auto& c : options_.reason_codes) known = known || c == v.reason;
    if (!known) return invalid_argument("unknown reason code '" + v.reason + "'");
  }
  return change(id, user, "alert.verdict", {{"confirmed", v.confirmed}, {"reason", v.reason}},
                [&](storage::AlertRecord& r) {
                  if (r.state == storage::AlertState::kClosed ||
                      r.state == storage::AlertState::kConfirmed ||
                      r.state == storage::AlertState::kDismissed) {
                    return Status(StatusCode::kFailedPrecondition, "already judged");
                  }
                  r.state = v.confirmed ? storage::AlertState::kConfirmed
                                        : storage::AlertState::kDismissed;
                  r.verdict_by = user;
                  r.verdict_ms = ms(clock_.wall_now());
                  r.reason = v.confirmed ? "" : v.reason;
                  r.verdict_comment = v.comment;
                  return Status::ok();
                });
}

Result<storage::AlertRecord> AlertService::close(std::int64_t id, const std::string& user) {
  return change(id, user, "alert.closed", nlohmann::json::object(), [](storage::AlertRecord& r) {
    if (r.state != storage::AlertState::kConfirmed && r.state != storage::AlertState::kDismissed) {
      return Status(StatusCode::kFailedPrecondition, "an alert is closed after its verdict");
    }
    r.state = storage::AlertState::kClosed;
    return Status::ok();
  });
}

Result<storage::AlertRecord> AlertService::assign(std::int64_t id, const std::string& user,
                                                  const std::string& assignee) {
  return change(id, user, "alert.assigned", {{"assignee", assignee}},
                [&](storage::AlertRecord& r) {
                  r.assignee = assignee;
                  return Status::ok();
                });
}

Result<storage::CommentRecord> AlertService::comment(std::int64_t id, const std::string& user,
                                                     const std::string& text) {
  if (text.empty()) return invalid_argument("empty comment");
  storage::CommentRecord c{0, id, user, ms(clock_.wall_now()), text};
  Status s = store_.write([&](storage::Tx& tx) -> Status {
    auto found = tx.get_alert(id);
    if (!found) return found.status();
    if (!found->has_value()) return not_found("no alert");
    auto cid = tx.add_comment(c);
    if (!cid) return cid.status();
    c.id = *cid;
    return tx.journal({c.at_ms, user, "alert.commented", {{"alert_id", id}}}).status();
  });
  if (!s.is_ok()) return s;
  return c;
}

Status AlertService::add_evidence(std::int64_t alert_id,
                                  const std::vector<storage::EvidenceRecord>& files) {
  return store_.write([&](storage::Tx& tx) -> Status {
    for (auto e : files) {
      e.alert_id = alert_id;
      auto id = tx.add_evidence(e);
      if (!id) return id.status();
      auto j = tx.journal({ms(clock_.wall_now()), "system", "evidence.stored",
                           {{"alert_id", alert_id}, {"evidence_id", *id}, {"sha256", e.sha256}}});
      if (!j) return j.status();
    }
    return Status::ok();
  });
}

Result<storage::EvidenceRecord> AlertService::view_evidence(std::int64_t alert_id,
                                                            std::int64_t evidence_id,
                                                            const std::string& user,
                                                            bool unmasked,
                                                            const std::string& reason) {
  if (unmasked && reason.empty()) return invalid_argument("an unmasked view needs a reason");
  auto files = store_.evidence(alert_id);
  if (!files) return files.status();
  for (const auto& e : *files) {
    if (e.id != evidence_id) continue;
    Status s = store_.write([&](storage::Tx& tx) {
      return tx
          .journal({ms(clock_.wall_now()), user, "evidence.viewed",
                    {{"alert_id", alert_id},
                     {"evidence_id", evidence_id},
                     {"unmasked", unmasked},
                     {"reason", reason}}})
          .status();
    });
    if (!s.is_ok()) return s;
    return e;
  }
  return not_found("no evidence " + std::to_string(evidence_id));
}

int AlertService::subscribe(AlertListener listener) {
  std::lock_guard lock(listeners_mutex_);
  listeners_[next_token_] = std::move(listener);
  return next_token_++;
}

void AlertService::unsubscribe(int token) {
  std::lock_guard lock(listeners_mutex_);
  listeners_.erase(token);
}

void AlertService::notify(const AlertEvent& event) {
  std::lock_guard lock(listeners_mutex_);
  for (const auto& [t, l] : listeners_) l(event);
}

}  // namespace vigie::alerts
