#pragma once
// The operator's side of an alert: it is stored and journaled as soon as the pipeline
// reports it, then follows new -> seen -> confirmed | dismissed (with a reason code) ->
// closed, with assignment and comments. Every transition is journaled with user and time
// in the same transaction as the change, and pushed to live listeners (the API's event
// stream, MQTT) after it commits.

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/alert.hpp"
#include "core/clock.hpp"
#include "core/status.hpp"
#include "storage/store.hpp"

namespace vigie::alerts {

/// Dismissal reason codes when the configuration gives none.
std::vector<std::string> default_reason_codes();

struct AlertServiceOptions {
  std::vector<std::string> reason_codes = default_reason_codes();
  /// An ongoing situation is re-stored and pushed at most this often (its end always is):
  /// rules update an open alert on every analysed frame.
  double update_interval_s = 5.0;
  /// The operator who gave a verdict may take it back this long after (undo_verdict).
  double verdict_undo_s = 10.0;
  /// Measures a confirmation may list, per event type; a type absent here allows none.
  std::map<EventType, std::vector<std::string>> measures;
};

/// A committed change, as live listeners see it. `seq` is the journal record of the change:
/// a client that reconnects resumes after the last seq it saw.
struct AlertEvent {
  std::int64_t seq = 0;
  std::string action;  ///< "alert.raised", "alert.updated", "alert.ended", "alert.seen", ...
  storage::AlertRecord alert;
};
using AlertListener = std::function<void(const AlertEvent&)>;

/// An operator's judgement.
struct Verdict {
  bool confirmed = false;
  std::string reason;   ///< required when dismissing: one of the configured reason codes
  std::string comment;  ///< optional free text
  /// Confirmations only: the measures taken, each one of the type's configured measures.
  std::vector<std::string> measures;
};

/// Thread-safe. report() is called by pipeline workers; the rest by API handlers.
/// Errors: NotFound (no such alert), InvalidArgument (unknown reason code, empty comment),
/// FailedPrecondition (transition not allowed from the current state), and the store's
/// errors (Unavailable, DataLoss) unchanged.
class AlertService {
 public:
  AlertService(storage::Store& store, const Clock& clock, AlertServiceOptions options = {});

  /// Stores and journals what a rule reported; returns the stored alert. Updates within
  /// update_interval_s of the last stored one are kept in memory only (returned as stored).
  /// `calibration`: the camera is in calibration mode; the alert is recorded and counted but
  /// operators are not shown it.
  Result<storage::AlertRecord> report(const Alert& alert, AlertChange change, bool calibration);

  Result<storage::AlertRecord> mark_seen(std::int64_t id, const std::string& user);
  Result<storage::AlertRecord> judge(std::int64_t id, const std::string& user,
                                     const Verdict& verdict);
  /// Takes back `user`'s own verdict within verdict_undo_s of giving it: the alert is open
  /// again ("seen"), and the undo is journaled as alert.verdict_undone with what it undid.
  /// PermissionDenied for another user's verdict; FailedPrecondition without a verdict or
  /// once the window has passed.
  Result<storage::AlertRecord> undo_verdict(std::int64_t id, const std::string& user);
  Result<storage::AlertRecord> close(std::int64_t id, const std::string& user);
  /// `assignee` empty: unassign.
  Result<storage::AlertRecord> assign(std::int64_t id, const std::string& user,
                                      const std::string& assignee);
  Result<storage::CommentRecord> comment(std::int64_t id, const std::string& user,
                                         const std::string& text);

  /// Records evidence files of an alert, each journaled with its SHA-256.
  Status add_evidence(std::int64_t alert_id, const std::vector<storage::EvidenceRecord>& files);
  /// Records why an alert has no evidence: its evidence_note becomes "evidence missing:
  /// <why>", journaled as evidence.missing and pushed to listeners.
  Result<storage::AlertRecord> evidence_missing(std::int64_t id, const std::string& why);
  /// Ends every alert whose situation nobody follows any more (not ended: at a node's start,
  /// those the previous run left open), each journaled as alert.ended with `why`; with
  /// `cameras`, only the alerts of those cameras (a node sharing its database with others
  /// ends only its own). Returns how many were ended.
  Result<int> end_unfollowed(const std::string& why,
                             const std::optional<std::set<CameraId>>& cameras = std::nullopt);
  /// Ends the alerts of `camera` this service follows (raised here and not ended), each
  /// journaled as alert.ended with `why`: the camera stopped running on this node (it moved
  /// to another node), or its analysis was replaced. Alerts of the camera raised elsewhere are
  /// left alone. `types`: only the alerts of these event types (a rule removed).
  Result<int> end_followed(const CameraId& camera, const std::string& why,
                           const std::set<EventType>* types = nullptr);
  /// Journals that `user` viewed (or exported) an evidence file; `unmasked` views need a
  /// reason. Returns the record to serve. The caller checks the role.
  Result<storage::EvidenceRecord> view_evidence(std::int64_t alert_id, std::int64_t evidence_id,
                                                const std::string& user, bool unmasked,
                                                const std::string& reason);

  /// Listeners run on the thread that made the change, after it committed; keep them short.
  int subscribe(AlertListener listener);
  void unsubscribe(int token);

  [[nodiscard]] const std::vector<std::string>& reason_codes() const {
    return options_.reason_codes;
  }
  [[nodiscard]] const AlertServiceOptions& options() const { return options_; }

 private:
  Result<storage::AlertRecord> change(std::int64_t id, const std::string& user,
                                      const std::string& action, nlohmann::json detail,
                                      const std::function<Status(storage::AlertRecord&)>& apply,
                                      const nlohmann::json* learned = nullptr);
  /// Ends alert `id` now, on the system's behalf, journaled with `why`.
  Status end_by_system(std::int64_t id, const std::string& why);
  Status check_measures(EventType type, const std::vector<std::string>& measures) const;
  void notify(const AlertEvent& event);

  storage::Store& store_;
  const Clock& clock_;
  AlertServiceOptions options_;
  std::mutex mutex_;  // serialises changes so stored and pushed orders agree
  std::map<std::string, std::pair<std::int64_t, double>> live_;  // source id -> (id, stored at)
  std::mutex listeners_mutex_;
  std::map<int, AlertListener> listeners_;
  int next_token_ = 1;
};

}  // namespace vigie::alerts
