#include "alerts/alert_service.hpp"

#include <algorithm>
#include <chrono>

#include "core/log.hpp"

namespace vigie::alerts {
namespace {

const char* action_of(AlertChange change) {
  switch (change) {
    case AlertChange::kRaised: return "alert.raised";
    case AlertChange::kUpdated: return "alert.updated";
    case AlertChange::kEnded: return "alert.ended";
  }
  return "alert.updated";
}

// What the pipeline knows, copied onto the stored record (workflow fields are left alone).
void copy_observation(const Alert& a, storage::AlertRecord& r) {
  r.source_id = a.id;
  r.type = a.type;
  r.camera = a.camera;
  r.zone = a.zone;
  r.start_s = a.start_s;
  r.last_s = a.last_s;
  r.score = a.score;
  r.detail = a.detail;
  r.region = {a.region.x, a.region.y, a.region.width, a.region.height};
  r.polygon.clear();
  for (const auto& p : a.polygon) r.polygon.push_back({p.x, p.y});
  r.params = nlohmann::json::object();
  for (const auto& [key, value] : a.params) r.params[key] = value;
  r.config_version = a.config_version;
  r.model_hash = a.model_hash;
}

// The journal keeps what the evaluators need to audit the alert without the database.
nlohmann::json observation_detail(const storage::AlertRecord& r) {
  return {{"alert", r.id},         {"type", to_string(r.type)},
          {"camera", r.camera},    {"zone", r.zone},
          {"start_s", r.start_s},  {"last_s", r.last_s},
          {"score", r.score},      {"detail", r.detail},
          {"region", r.region},    {"params", r.params},
          {"config_version", r.config_version},
          {"model_hash", r.model_hash},
          {"calibration", r.calibration}};
}

bool is_final(storage::AlertState s) {
  return s == storage::AlertState::kConfirmed || s == storage::AlertState::kDismissed ||
         s == storage::AlertState::kClosed;
}

}  // namespace

std::vector<std::string> default_reason_codes() {
  return {"reflection_or_light", "object", "person_resting", "animal", "duplicate", "other"};
}

AlertService::AlertService(storage::Store& store, const Clock& clock, AlertServiceOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

Result<storage::AlertRecord> AlertService::report(const Alert& alert, AlertChange change,
                                                  bool calibration) {
  std::unique_lock lock(mutex_);
  const storage::TimeMs now = unix_ms(clock_.wall_now());
  const double now_s = static_cast<double>(now) / 1000.0;
  auto live = live_.find(alert.id);

  if (change == AlertChange::kUpdated && live != live_.end() &&
      now_s - live->second.second < options_.update_interval_s) {
    // Rules update an open alert every frame; storing each would cost a sync per frame.
    auto stored = store_.alert(live->second.first);
    if (!stored.is_ok()) return stored.status();
    if (!*stored) return not_found("alert " + std::to_string(live->second.first));
    return **stored;
  }

  const bool ends = change == AlertChange::kEnded;
  if (live == live_.end() && change != AlertChange::kRaised) {
    // An update or end of an alert this process never stored (raised before the service
    // restarted): store it as new, so that nothing the pipeline reported is lost.
    change = AlertChange::kRaised;
  }
  // A raise is always a new alert: a source id seen before belongs to an analysis that was
  // replaced (its situations were ended), not to this one.
  const std::int64_t known_id =
      live != live_.end() && change != AlertChange::kRaised ? live->second.first : 0;
  const char* action = action_of(change);
  storage::AlertRecord record;
  storage::JournalRecord journaled;
  Status s = store_.write([&](storage::Tx& tx) -> Status {
    record = storage::AlertRecord{};
    if (known_id != 0) {
      // Read in the transaction: the operator's workflow fields must not be overwritten.
      auto stored = tx.get_alert(known_id);
      if (!stored.is_ok()) return stored.status();
      if (*stored) record = **stored;
    }
    copy_observation(alert, record);
    if (record.id == 0) {
      // Raised when the frame that completed the event was taken, when the pipeline knows.
      const storage::TimeMs frame_ms = unix_ms(alert.wall_start);
      record.raised_ms = frame_ms > 0 ? std::min(frame_ms, now) : now;
      record.calibration = calibration;
      record.state = storage::AlertState::kNew;
    }
    record.updated_ms = now;
    if (ends) record.ended_ms = now;
    auto id = tx.put_alert(record);
    if (!id.is_ok()) return id.status();
    record.id = *id;
    auto j = tx.journal({now, "system", action, observation_detail(record)});
    if (!j.is_ok()) return j.status();
    journaled = *j;
    return Status::ok();
  });
  if (!s.is_ok()) return s;

  if (ends) {
    live_.erase(alert.id);
  } else {
    live_[alert.id] = {record.id, now_s};
  }
  lock.unlock();
  notify({journaled.seq, action, record});
  return record;
}

Result<storage::AlertRecord> AlertService::change(
    std::int64_t id, const std::string& user, const std::string& action, nlohmann::json detail,
    const std::function<Status(storage::AlertRecord&)>& apply, const nlohmann::json* learned) {
  std::unique_lock lock(mutex_);
  storage::AlertRecord record;
  storage::JournalRecord journaled;
  const storage::TimeMs now = unix_ms(clock_.wall_now());
  Status s = store_.write([&](storage::Tx& tx) -> Status {
    // Read inside the transaction so two operators' verdicts cannot interleave.
    auto stored = tx.get_alert(id);
    if (!stored.is_ok()) return stored.status();
    if (!*stored) return not_found("no alert " + std::to_string(id));
    record = **stored;
    VIGIE_RETURN_IF_ERROR(apply(record));
    record.updated_ms = now;
    if (auto put = tx.put_alert(record); !put.is_ok()) return put.status();
    // What apply() found in the stored record (an undo names the verdict it undid).
    if (learned != nullptr && learned->is_object()) detail["undid"] = *learned;
    detail["alert"] = id;
    auto j = tx.journal({now, user, action, std::move(detail)});
    if (!j.is_ok()) return j.status();
    journaled = *j;
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  lock.unlock();
  notify({journaled.seq, action, record});
  return record;
}

Result<storage::AlertRecord> AlertService::evidence_missing(std::int64_t id,
                                                          const std::string& why) {
  return change(id, "system", "evidence.missing", {{"reason", why}},
                [&why](storage::AlertRecord& r) -> Status {
                  r.evidence_note = "evidence missing: " + why;
                  return Status::ok();
                });
}

Result<int> AlertService::end_unfollowed(const std::string& why,
                                         const std::optional<std::set<CameraId>>& cameras) {
  storage::AlertQuery open;
  open.only_unended = true;
  open.include_calibration = true;
  open.limit = 100'000;
  auto alerts = store_.alerts(open);
  if (!alerts.is_ok()) return alerts.status();
  int ended = 0;
  for (const auto& a : *alerts) {
    if (cameras && cameras->count(a.camera) == 0) continue;
    VIGIE_RETURN_IF_ERROR(end_by_system(a.id, why));
    ++ended;
  }
  return ended;
}

Status AlertService::end_by_system(std::int64_t id, const std::string& why) {
  auto r = change(id, "system", "alert.ended", {{"reason", why}},
                  [this](storage::AlertRecord& rec) -> Status {
                    rec.ended_ms = unix_ms(clock_.wall_now());
                    return Status::ok();
                  });
  return r.status();
}

Result<int> AlertService::end_followed(const CameraId& camera, const std::string& why,
                                       const std::set<EventType>* types) {
  std::vector<std::pair<std::string, std::int64_t>> followed;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [source, entry] : live_) followed.emplace_back(source, entry.first);
  }
  int ended = 0;
  for (const auto& [source, id] : followed) {
    auto stored = store_.alert(id);
    if (!stored.is_ok()) return stored.status();
    if (!*stored || (*stored)->camera != camera) continue;
    if (types != nullptr && types->count((*stored)->type) == 0) continue;
    {
      std::lock_guard lock(mutex_);
      live_.erase(source);
    }
    if ((*stored)->ended_ms != 0) continue;
    VIGIE_RETURN_IF_ERROR(end_by_system(id, why));
    ++ended;
  }
  return ended;
}

Result<storage::AlertRecord> AlertService::mark_seen(std::int64_t id, const std::string& user) {
  return change(id, user, "alert.seen", nlohmann::json::object(),
                [](storage::AlertRecord& r) -> Status {
                  if (r.state != storage::AlertState::kNew) {
                    return {StatusCode::kFailedPrecondition,
                            "alert is already " + std::string(to_string(r.state))};
                  }
                  r.state = storage::AlertState::kSeen;
                  return Status::ok();
                });
}

Result<storage::AlertRecord> AlertService::judge(std::int64_t id, const std::string& user,
                                                 const Verdict& verdict) {
  if (!verdict.confirmed) {
    const auto& codes = options_.reason_codes;
    if (std::find(codes.begin(), codes.end(), verdict.reason) == codes.end()) {
      std::string known;
      for (const auto& c : codes) known += (known.empty() ? "" : ", ") + c;
      return invalid_argument("unknown reason code '" + verdict.reason + "' (known: " + known +
                              ")");
    }
  }
  if (!verdict.confirmed && !verdict.measures.empty()) {
    return invalid_argument("measures go with a confirmation, not a dismissal");
  }
  const storage::TimeMs now = unix_ms(clock_.wall_now());
  nlohmann::json detail = {{"verdict", verdict.confirmed ? "confirmed" : "dismissed"},
                           {"reason", verdict.reason},
                           {"comment", verdict.comment}};
  if (verdict.confirmed) detail["measures"] = verdict.measures;
  return change(id, user, "alert.verdict", std::move(detail),
                [&](storage::AlertRecord& r) -> Status {
                  if (is_final(r.state)) {
                    return {StatusCode::kFailedPrecondition,
                            "alert is already " + std::string(to_string(r.state))};
                  }
                  // Checked against the alert's own type, which only the stored record knows.
                  VIGIE_RETURN_IF_ERROR(check_measures(r.type, verdict.measures));
                  r.state = verdict.confirmed ? storage::AlertState::kConfirmed
                                              : storage::AlertState::kDismissed;
                  r.verdict_by = user;
                  r.verdict_ms = now;
                  r.reason = verdict.confirmed ? "" : verdict.reason;
                  r.verdict_comment = verdict.comment;
                  r.verdict_measures = verdict.measures;  // none with a dismissal (above)
                  return Status::ok();
                });
}

Status AlertService::check_measures(EventType type,
                                    const std::vector<std::string>& measures) const {
  static const std::vector<std::string> kNone;
  auto it = options_.measures.find(type);
  const auto& allowed = it == options_.measures.end() ? kNone : it->second;
  for (const auto& m : measures) {
    if (std::find(allowed.begin(), allowed.end(), m) == allowed.end()) {
      std::string known;
      for (const auto& a : allowed) known += (known.empty() ? "" : ", ") + a;
      return invalid_argument("unknown measure '" + m + "' for " + std::string(to_string(type)) +
                              " (known: " + known + ")");
    }
  }
  return Status::ok();
}

Result<storage::AlertRecord> AlertService::undo_verdict(std::int64_t id, const std::string& user) {
  const storage::TimeMs now = unix_ms(clock_.wall_now());
  const auto window_ms = static_cast<storage::TimeMs>(options_.verdict_undo_s * 1000.0);
  nlohmann::json undone;
  auto done = change(id, user, "alert.verdict_undone", nlohmann::json::object(),
                     [&](storage::AlertRecord& r) -> Status {
                       if (r.state != storage::AlertState::kConfirmed &&
                           r.state != storage::AlertState::kDismissed) {
                         return {StatusCode::kFailedPrecondition,
                                 "alert " + std::to_string(id) + " is " +
                                     std::string(to_string(r.state)) + ", not judged"};
                       }
                       if (r.verdict_by != user) {
                         return {StatusCode::kPermissionDenied,
                                 "only " + r.verdict_by + ", who gave the verdict, may undo it"};
                       }
                       if (now - r.verdict_ms > window_ms) {
                         return {StatusCode::kFailedPrecondition,
                                 "a verdict can be undone for " +
                                     std::to_string(static_cast<int>(options_.verdict_undo_s)) +
                                     " s only"};
                       }
                       undone = {{"verdict", std::string(to_string(r.state))},
                                 {"reason", r.reason},
                                 {"measures", r.verdict_measures},
                                 {"verdict_ms", r.verdict_ms}};
                       // Opened already: the alert goes back to the queue as seen.
                       r.state = storage::AlertState::kSeen;
                       r.verdict_by.clear();
                       r.verdict_ms = 0;
                       r.reason.clear();
                       r.verdict_comment.clear();
                       r.verdict_measures.clear();
                       return Status::ok();
                     },
                     &undone);
  return done;
}

Result<storage::AlertRecord> AlertService::close(std::int64_t id, const std::string& user) {
  return change(id, user, "alert.closed", nlohmann::json::object(),
                [](storage::AlertRecord& r) -> Status {
                  // Human control: an alert is closed only after someone has judged it.
                  if (r.state != storage::AlertState::kConfirmed &&
                      r.state != storage::AlertState::kDismissed) {
                    return {StatusCode::kFailedPrecondition,
                            "an alert is closed after its verdict; it is " +
                                std::string(to_string(r.state))};
                  }
                  r.state = storage::AlertState::kClosed;
                  return Status::ok();
                });
}

Result<storage::AlertRecord> AlertService::assign(std::int64_t id, const std::string& user,
                                                  const std::string& assignee) {
  return change(id, user, "alert.assigned", {{"assignee", assignee}},
                [&](storage::AlertRecord& r) -> Status {
                  if (r.state == storage::AlertState::kClosed) {
                    return {StatusCode::kFailedPrecondition, "alert is closed"};
                  }
                  r.assignee = assignee;
                  return Status::ok();
                });
}

Result<storage::CommentRecord> AlertService::comment(std::int64_t id, const std::string& user,
                                                     const std::string& text) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return invalid_argument("empty comment");
  }
  storage::CommentRecord comment{0, id, user, unix_ms(clock_.wall_now()), text};
  auto updated = change(id, user, "alert.commented", {{"text", text}},
                        [&](storage::AlertRecord&) { return Status::ok(); });
  if (!updated.is_ok()) return updated.status();
  // The comment row follows its journal record; a failure here is reported, the journal
  // already holds the text.
  Status s = store_.write([&](storage::Tx& tx) -> Status {
    auto cid = tx.add_comment(comment);
    if (!cid.is_ok()) return cid.status();
    comment.id = *cid;
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  return comment;
}

Status AlertService::add_evidence(std::int64_t alert_id,
                                  const std::vector<storage::EvidenceRecord>& files) {
  const storage::TimeMs now = unix_ms(clock_.wall_now());
  return store_.write([&](storage::Tx& tx) -> Status {
    for (storage::EvidenceRecord e : files) {
      e.alert_id = alert_id;
      if (e.created_ms == 0) e.created_ms = now;
      auto id = tx.add_evidence(e);
      if (!id.is_ok()) return id.status();
      auto j = tx.journal({now, "system", "evidence.stored",
                           {{"alert", alert_id},
                            {"evidence", *id},
                            {"kind", e.kind},
                            {"masked", e.masked},
                            {"path", e.path},
                            {"sha256", e.sha256},
                            {"bytes", e.bytes}}});
      if (!j.is_ok()) return j.status();
    }
    return Status::ok();
  });
}

Result<storage::EvidenceRecord> AlertService::view_evidence(std::int64_t alert_id,
                                                            std::int64_t evidence_id,
                                                            const std::string& user,
                                                            bool unmasked,
                                                            const std::string& reason) {
  if (unmasked && reason.find_first_not_of(" \t\r\n") == std::string::npos) {
    return invalid_argument("an unmasked view needs a reason");
  }
  auto files = store_.evidence(alert_id);
  if (!files.is_ok()) return files.status();
  const storage::EvidenceRecord* found = nullptr;
  for (const auto& f : *files) {
    if (f.id == evidence_id) found = &f;
  }
  if (found == nullptr) {
    return not_found("alert " + std::to_string(alert_id) + " has no evidence " +
                     std::to_string(evidence_id));
  }
  const storage::TimeMs now = unix_ms(clock_.wall_now());
  Status s = store_.write([&](storage::Tx& tx) -> Status {
    auto j = tx.journal({now, user, unmasked ? "evidence.viewed_unmasked" : "evidence.viewed",
                         {{"alert", alert_id},
                          {"evidence", evidence_id},
                          {"kind", found->kind},
                          {"sha256", found->sha256},
                          {"reason", reason}}});
    return j.status();
  });
  if (!s.is_ok()) return s;
  return *found;
}

int AlertService::subscribe(AlertListener listener) {
  std::lock_guard lock(listeners_mutex_);
  const int token = next_token_++;
  listeners_.emplace(token, std::move(listener));
  return token;
}

void AlertService::unsubscribe(int token) {
  std::lock_guard lock(listeners_mutex_);
  listeners_.erase(token);
}

void AlertService::notify(const AlertEvent& event) {
  std::vector<AlertListener> copy;
  {
    std::lock_guard lock(listeners_mutex_);
    for (const auto& [token, l] : listeners_) copy.push_back(l);
  }
  for (const auto& l : copy) {
    try {
      l(event);
    } catch (const std::exception& e) {
      spdlog::error("alert listener failed: {}", e.what());
    }
  }
}

}  // namespace vigie::alerts
