// Records to rows and back, for both stores.

#include "storage/row_mapping.hpp"

#include <cmath>
#include <string_view>

#include "storage/journal_chain.hpp"

namespace vigie::storage {

using nlohmann::json;

namespace {

/// The names of a comma-separated column list.
std::vector<std::string> split_columns(const std::string& columns) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= columns.size()) {
    const std::size_t comma = columns.find(',', start);
    const std::size_t end = comma == std::string::npos ? columns.size() : comma;
    std::string name = columns.substr(start, end - start);
    const auto first = name.find_first_not_of(' ');
    const auto last = name.find_last_not_of(' ');
    if (first != std::string::npos) out.push_back(name.substr(first, last - first + 1));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string placeholder(Placeholder mark, int n) {
  std::string p(1, static_cast<char>(mark));
  p += std::to_string(n);
  return p;
}

Status check_finite(double v, const char* field) {
  if (!std::isfinite(v)) return invalid_argument(std::string("alert ") + field + " is not finite");
  return Status::ok();
}

}  // namespace

std::string placeholders(Placeholder mark, int count, int first) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    if (i > 0) out += ", ";
    out += placeholder(mark, first + i);
  }
  return out;
}

std::string insert_sql(const char* table, const std::string& columns, Placeholder mark) {
  const int n = static_cast<int>(split_columns(columns).size());
  return std::string("INSERT INTO ") + table + " (" + columns + ") VALUES (" +
         placeholders(mark, n) + ")";
}

std::string upsert_sql(const char* table, const std::string& columns, Placeholder mark) {
  const auto names = split_columns(columns);
  std::string sql = insert_sql(table, columns, mark) + " ON CONFLICT (" + names.front() +
                    ") DO UPDATE SET ";
  for (std::size_t i = 1; i < names.size(); ++i) {
    if (i > 1) sql += ", ";
    sql += names[i] + " = excluded." + names[i];
  }
  return sql;
}

std::string update_sql(const char* table, const std::string& columns, const char* key,
                       Placeholder mark) {
  const auto names = split_columns(columns);
  std::string sql = std::string("UPDATE ") + table + " SET ";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += names[i] + " = " + placeholder(mark, static_cast<int>(i) + 1);
  }
  return sql + " WHERE " + key + " = " + placeholder(mark, static_cast<int>(names.size()) + 1);
}

// ---- alerts -------------------------------------------------------------------------------

const char* const kAlertColumns =
    "source_id, type, camera, zone, start_s, last_s, raised_ms, updated_ms, ended_ms, score, "
    "detail, region, polygon, params, config_version, model_hash, calibration, state, assignee, "
    "verdict_by, verdict_ms, reason, verdict_comment, evidence_note, verdict_measures";

Result<Values> alert_values(const AlertRecord& a) {
  for (const auto& [v, name] : {std::pair{a.start_s, "start_s"}, std::pair{a.last_s, "last_s"},
                                std::pair{a.score, "score"}}) {
    VIGIE_RETURN_IF_ERROR(check_finite(v, name));
  }
  for (double v : a.region) VIGIE_RETURN_IF_ERROR(check_finite(v, "region"));
  for (const auto& p : a.polygon) {
    for (double v : p) VIGIE_RETURN_IF_ERROR(check_finite(v, "polygon"));
  }
  std::string region, polygon, params, measures;
  try {
    region = json(a.region).dump();
    polygon = json(a.polygon).dump();
    params = a.params.dump();
    measures = json(a.verdict_measures).dump();
  } catch (const std::exception& e) {
    return invalid_argument(std::string("alert params: ") + e.what());
  }
  return Values{a.source_id,      std::string(to_string(a.type)),  a.camera,     a.zone,
                a.start_s,        a.last_s,                        a.raised_ms,  a.updated_ms,
                a.ended_ms,       a.score,                         a.detail,     region,
                polygon,          params,                          a.config_version,
                a.model_hash,     a.calibration,                   std::string(to_string(a.state)),
                a.assignee,       a.verdict_by,                    a.verdict_ms, a.reason,
                a.verdict_comment, a.evidence_note,              measures};
}

Result<AlertRecord> read_alert(const ColumnReader& r) {
  AlertRecord a;
  int i = 0;
  a.id = r.i64(i++);
  a.source_id = r.text(i++);
  const std::string type = r.text(i++);
  const auto t = parse_event_type(type);
  if (!t) return data_loss("alert " + std::to_string(a.id) + ": unknown type \"" + type + "\"");
  a.type = *t;
  a.camera = r.text(i++);
  a.zone = r.text(i++);
  a.start_s = r.f64(i++);
  a.last_s = r.f64(i++);
  a.raised_ms = r.i64(i++);
  a.updated_ms = r.i64(i++);
  a.ended_ms = r.i64(i++);
  a.score = r.f64(i++);
  a.detail = r.text(i++);
  try {
    a.region = json::parse(r.text(i++)).get<std::vector<double>>();
    a.polygon = json::parse(r.text(i++)).get<std::vector<std::vector<double>>>();
    a.params = json::parse(r.text(i++));
  } catch (const std::exception& e) {
    return data_loss("alert " + std::to_string(a.id) + ": " + e.what());
  }
  a.config_version = r.text(i++);
  a.model_hash = r.text(i++);
  a.calibration = r.boolean(i++);
  const std::string state = r.text(i++);
  const auto st = alert_state_from_string(state);
  if (!st) return data_loss("alert " + std::to_string(a.id) + ": unknown state \"" + state + "\"");
  a.state = *st;
  a.assignee = r.text(i++);
  a.verdict_by = r.text(i++);
  a.verdict_ms = r.i64(i++);
  a.reason = r.text(i++);
  a.verdict_comment = r.text(i++);
  a.evidence_note = r.text(i++);
  try {
    a.verdict_measures = json::parse(r.text(i++)).get<std::vector<std::string>>();
  } catch (const std::exception& e) {
    return data_loss("alert " + std::to_string(a.id) + ": verdict_measures: " + e.what());
  }
  return a;
}

// ---- comments and evidence ----------------------------------------------------------------

// "user" is a reserved word in PostgreSQL; SQLite reads the quoted name as the column too.
const char* const kCommentColumns = "alert_id, \"user\", at_ms, text";

Values comment_values(const CommentRecord& c) { return {c.alert_id, c.user, c.at_ms, c.text}; }

CommentRecord read_comment(const ColumnReader& r) {
  return {r.i64(0), r.i64(1), r.text(2), r.i64(3), r.text(4)};
}

const char* const kEvidenceColumns =
    "alert_id, kind, masked, path, sha256, bytes, created_ms, from_s, to_s, node";

Values evidence_values(const EvidenceRecord& e) {
  return {e.alert_id, e.kind,  e.masked, e.path, e.sha256,
          e.bytes,    e.created_ms, e.from_s, e.to_s, e.node};
}

EvidenceRecord read_evidence(const ColumnReader& r) {
  EvidenceRecord e;
  e.id = r.i64(0);
  e.alert_id = r.i64(1);
  e.kind = r.text(2);
  e.masked = r.boolean(3);
  e.path = r.text(4);
  e.sha256 = r.text(5);
  e.bytes = r.i64(6);
  e.created_ms = r.i64(7);
  e.from_s = r.f64(8);
  e.to_s = r.f64(9);
  e.node = r.text(10);
  return e;
}

// ---- users, authorizations, camera geometry -----------------------------------------------

const char* const kUserColumns = "name, role, password_hash, disabled, created_ms";

Values user_values(const UserRecord& u) {
  return {u.name, u.role, u.password_hash, u.disabled, u.created_ms};
}

UserRecord read_user(const ColumnReader& r) {
  return {r.text(0), r.text(1), r.text(2), r.boolean(3), r.i64(4)};
}

const char* const kAuthorizationColumns =
    "reference, cameras, event_types, start_ms, end_ms, controller, origin, revoked";

Result<Values> authorization_values(const AuthorizationRecord& a) {
  json types = json::array();
  for (EventType t : a.event_types) types.push_back(std::string(to_string(t)));
  std::string cameras;
  try {
    cameras = json(a.cameras).dump();
  } catch (const std::exception& e) {
    return invalid_argument(std::string("authorization cameras: ") + e.what());
  }
  return Values{a.reference, cameras,      types.dump(), a.start_ms,
                a.end_ms,    a.controller, a.origin,     a.revoked};
}

Result<AuthorizationRecord> read_authorization(const ColumnReader& r) {
  AuthorizationRecord a;
  a.reference = r.text(0);
  try {
    a.cameras = json::parse(r.text(1)).get<std::vector<CameraId>>();
    for (const auto& name : json::parse(r.text(2)).get<std::vector<std::string>>()) {
      const auto t = parse_event_type(name);
      if (!t) return data_loss("authorization " + a.reference + ": unknown type " + name);
      a.event_types.push_back(*t);
    }
  } catch (const std::exception& e) {
    return data_loss("authorization " + a.reference + ": " + e.what());
  }
  a.start_ms = r.i64(3);
  a.end_ms = r.i64(4);
  a.controller = r.text(5);
  a.origin = r.text(6);
  a.revoked = r.boolean(7);
  return a;
}

const char* const kCameraGeometryColumns = "camera, json, updated_ms, updated_by";

Values camera_geometry_values(const CameraGeometryRecord& g) {
  return {g.camera, g.json, g.updated_ms, g.updated_by};
}

CameraGeometryRecord read_camera_geometry(const ColumnReader& r) {
  return {r.text(0), r.text(1), r.i64(2), r.text(3)};
}

// ---- the journal --------------------------------------------------------------------------

const char* const kJournalColumns = "seq, at_ms, actor, action, detail, prev_hash, hash";

Values journal_values(const JournalRecord& r) {
  return {r.seq, r.at_ms, r.actor, r.action, r.detail.dump(), r.prev_hash, r.hash};
}

JournalRecord read_journal(const ColumnReader& r) {
  JournalRecord j;
  j.seq = r.i64(0);
  j.at_ms = r.i64(1);
  j.actor = r.text(2);
  j.action = r.text(3);
  const std::string detail = r.text(4);
  try {
    j.detail = json::parse(detail);
  } catch (const std::exception&) {
    // Only a damaged or tampered database gets here. Keeping the raw text as a string lets
    // the record still be shown, and its hash cannot match (a stored detail is always valid
    // JSON), so verification names this very record.
    j.detail = detail;
  }
  j.prev_hash = r.text(5);
  j.hash = r.text(6);
  return j;
}

Result<JournalRecord> journal_record_of(const JournalDraft& draft) {
  if (draft.action.empty()) return invalid_argument("journal: empty action");
  if (draft.actor.empty()) return invalid_argument("journal: empty actor");
  JournalRecord r;
  r.at_ms = draft.at_ms;
  r.actor = draft.actor;
  r.action = draft.action;
  try {
    r.detail = json::parse(draft.detail.dump());
  } catch (const std::exception& e) {
    return invalid_argument(std::string("journal detail: ") + e.what());
  }
  return r;
}

Status chain_after(JournalRecord& r, std::int64_t prev_seq, const std::string& prev_hash) {
  r.seq = prev_seq + 1;
  r.prev_hash = prev_hash;
  try {
    r.hash = journal_hash(r);
  } catch (const std::exception& e) {
    return invalid_argument(std::string("journal record: ") + e.what());
  }
  return Status::ok();
}

// ---- statistics ---------------------------------------------------------------------------

Result<AlertCountRow> read_alert_count(const ColumnReader& r) {
  AlertCountRow c;
  const std::string type = r.text(0);
  const auto t = parse_event_type(type);
  if (!t) return data_loss("alerts: unknown type \"" + type + "\"");
  c.type = *t;
  c.camera = r.text(1);
  c.hour_ms = r.i64(2);
  c.calibration = r.boolean(3);
  c.alerts = r.i64(4);
  c.confirmed = r.i64(5);
  c.dismissed = r.i64(6);
  c.verdict_seconds_sum = r.f64(7);
  return c;
}

}  // namespace vigie::storage
