#pragma once
// What vigie keeps: alerts with their lifecycle, comments, evidence files, users,
// authorizations, and the hash-chained journal of everything that happened to them.
// Times are wall-clock milliseconds since the Unix epoch (UTC).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/event_type.hpp"
#include "core/frame.hpp"

namespace vigie::storage {

/// Wall-clock milliseconds since the Unix epoch.
using TimeMs = std::int64_t;

/// Where an alert stands in the operator's workflow.
enum class AlertState {
  kNew,        ///< raised, nobody has opened it yet
  kSeen,       ///< an operator opened it
  kConfirmed,  ///< an operator judged it real
  kDismissed,  ///< an operator judged it false, with a reason code
  kClosed,     ///< handled; nothing more to do
};
std::string_view to_string(AlertState state);
std::optional<AlertState> alert_state_from_string(std::string_view text);

/// One alert as stored: what the pipeline reported, plus the operator's workflow.
struct AlertRecord {
  std::int64_t id = 0;    ///< assigned by the store, increasing
  std::string source_id;  ///< the pipeline's id ("<camera>-<type>-<n>"), unique per run only
  EventType type = EventType::kIntrusion;
  CameraId camera;
  std::string zone;
  double start_s = 0;  ///< stream time of the trigger
  double last_s = 0;   ///< stream time of the latest update
  TimeMs raised_ms = 0;
  TimeMs updated_ms = 0;
  TimeMs ended_ms = 0;  ///< 0 while the situation goes on
  double score = 0;
  std::string detail;
  std::vector<double> region;                ///< [x, y, w, h], source pixels
  std::vector<std::vector<double>> polygon;  ///< [[x, y], ...], source pixels; may be empty
  nlohmann::json params = nlohmann::json::object();  ///< the rule's parameters, by key
  std::string config_version;
  std::string model_hash;
  /// Recorded while the camera was in calibration mode: counted, never shown to operators.
  bool calibration = false;

  AlertState state = AlertState::kNew;
  std::string assignee;        ///< user name; empty when unassigned
  std::string verdict_by;      ///< who confirmed or dismissed
  TimeMs verdict_ms = 0;       ///< when; 0 without a verdict
  std::string reason;          ///< dismissal reason code (configurable list)
  std::string verdict_comment; ///< free text given with the verdict
  /// What was done about a confirmed alert, from the type's configured list of measures.
  std::vector<std::string> verdict_measures;
  /// "evidence missing: <why>" when the alert's evidence could not be written; else empty.
  std::string evidence_note;
};

/// A comment on an alert.
struct CommentRecord {
  std::int64_t id = 0;
  std::int64_t alert_id = 0;
  std::string user;
  TimeMs at_ms = 0;
  std::string text;
};

/// A stored evidence file.
struct EvidenceRecord {
  std::int64_t id = 0;
  std::int64_t alert_id = 0;
  std::string kind;  ///< "snapshot", "clip", or "raw" (unmasked source, never served as is)
  bool masked = true;
  std::string path;  ///< relative to the evidence root
  std::string sha256;
  std::int64_t bytes = 0;
  TimeMs created_ms = 0;
  double from_s = 0;  ///< stream time of the first frame (of the frame, for a snapshot)
  double to_s = 0;    ///< stream time of the last frame
  /// Id of the node that wrote the file, which keeps it on its disk; empty for records
  /// written before nodes were recorded.
  std::string node;
};

/// A console or API user. Passwords are stored only as argon2id hashes.
struct UserRecord {
  std::string name;
  std::string role;  ///< "operator", "supervisor", "auditor" or "admin"
  std::string password_hash;
  bool disabled = false;
  TimeMs created_ms = 0;
};

/// Permission to analyse: which cameras, which event types, from when to when.
struct AuthorizationRecord {
  std::string reference;  ///< reference of the prefectoral order; unique
  std::vector<CameraId> cameras;
  std::vector<EventType> event_types;
  TimeMs start_ms = 0;
  TimeMs end_ms = 0;
  std::string controller;
  std::string origin;  ///< "config" or "api"
  bool revoked = false;
};

/// A camera's geometry as changed from the console: it replaces the configuration's zones,
/// lines, calibration and privacy masks at every start until changed again.
struct CameraGeometryRecord {
  CameraId camera;
  std::string json;  ///< config::geometry_json's shape
  TimeMs updated_ms = 0;
  std::string updated_by;
};

/// A journal record to append; the store numbers, stamps and chains it.
struct JournalDraft {
  TimeMs at_ms = 0;
  std::string actor;   ///< user name, or "system" for the engine itself
  std::string action;  ///< dotted verb, e.g. "alert.raised", "alert.verdict", "login.failed"
  nlohmann::json detail = nlohmann::json::object();
};

/// One journal record as stored. `hash` = SHA-256 over the canonical form of all the other
/// fields, `prev_hash` included (see journal_chain.hpp), so changing or removing a record
/// breaks every hash after it.
struct JournalRecord {
  std::int64_t seq = 0;  ///< 1, 2, 3... with no gap
  TimeMs at_ms = 0;
  std::string actor;
  std::string action;
  nlohmann::json detail;
  std::string prev_hash;  ///< hash of record seq-1; 64 zeros for the first ever record
  std::string hash;
};

/// Filters for listing alerts; empty fields do not filter.
struct AlertQuery {
  std::optional<EventType> type;
  std::optional<CameraId> camera;
  std::optional<AlertState> state;
  std::optional<TimeMs> from_ms;  ///< raised at or after
  std::optional<TimeMs> to_ms;    ///< raised before
  bool include_calibration = false;
  bool only_calibration = false;
  std::optional<std::int64_t> before_id;  ///< pagination: ids strictly below (newest first)
  bool only_unended = false;              ///< only situations not ended (ended_ms == 0)
  int limit = 50;
};

/// Filters for reading the journal.
struct JournalQuery {
  std::optional<TimeMs> from_ms;
  std::optional<TimeMs> to_ms;
  std::optional<std::int64_t> after_seq;  ///< records with seq strictly above
  std::optional<std::string> action_prefix;  ///< e.g. "alert."
  std::optional<std::string> actor;
  int limit = 1000;
};

}  // namespace vigie::storage
