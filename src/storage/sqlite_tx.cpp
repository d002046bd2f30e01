// The changes of one SQLite transaction.

#include "storage/sqlite_tx.hpp"

#include "storage/journal_chain.hpp"

namespace vigie::storage {

namespace {
constexpr Placeholder kMark = Placeholder::kSqlite;
}  // namespace

Result<std::optional<AlertRecord>> SqliteTx::get_alert(std::int64_t id) {
  VIGIE_ASSIGN_OR_RETURN(auto s,
                         prepare(std::string("SELECT id, ") + kAlertColumns +
                                 " FROM alerts WHERE id = ?1"));
  s->bind(1, id);
  if (!s->row()) {
    VIGIE_RETURN_IF_ERROR(fail(s->status()));
    return std::optional<AlertRecord>();
  }
  VIGIE_ASSIGN_OR_RETURN(auto a, read_alert(*s));
  return std::optional<AlertRecord>(std::move(a));
}

Result<std::int64_t> SqliteTx::put_alert(const AlertRecord& record) {
  VIGIE_ASSIGN_OR_RETURN(Values values, alert_values(record));
  if (record.id == 0) return insert(insert_sql("alerts", kAlertColumns, kMark), values);
  values.emplace_back(record.id);
  VIGIE_RETURN_IF_ERROR(run(update_sql("alerts", kAlertColumns, "id", kMark), values));
  if (sqlite3_changes(db_.handle()) == 0) {
    return not_found("no alert " + std::to_string(record.id));
  }
  return record.id;
}

Result<std::int64_t> SqliteTx::add_comment(const CommentRecord& c) {
  VIGIE_RETURN_IF_ERROR(alert_exists(c.alert_id));
  return insert(insert_sql("comments", kCommentColumns, kMark), comment_values(c));
}

Result<std::int64_t> SqliteTx::add_evidence(const EvidenceRecord& e) {
  VIGIE_RETURN_IF_ERROR(alert_exists(e.alert_id));
  return insert(insert_sql("evidence", kEvidenceColumns, kMark), evidence_values(e));
}

Status SqliteTx::delete_evidence(std::int64_t evidence_id) {
  VIGIE_RETURN_IF_ERROR(run("DELETE FROM evidence WHERE id = ?1", {evidence_id}));
  if (sqlite3_changes(db_.handle()) == 0) {
    return not_found("no evidence " + std::to_string(evidence_id));
  }
  return Status::ok();
}

Status SqliteTx::put_user(const UserRecord& u) {
  if (u.name.empty()) return invalid_argument("user: empty name");
  return run(upsert_sql("users", kUserColumns, kMark), user_values(u));
}

Status SqliteTx::put_authorization(const AuthorizationRecord& a) {
  if (a.reference.empty()) return invalid_argument("authorization: empty reference");
  VIGIE_ASSIGN_OR_RETURN(const Values values, authorization_values(a));
  return run(upsert_sql("authorizations", kAuthorizationColumns, kMark), values);
}

Status SqliteTx::put_camera_geometry(const CameraGeometryRecord& g) {
  if (g.camera.empty()) return invalid_argument("camera geometry: empty camera");
  return run(upsert_sql("camera_geometry", kCameraGeometryColumns, kMark),
             camera_geometry_values(g));
}

Result<std::int64_t> SqliteTx::delete_journal_before(TimeMs before_ms) {
  // The anchor is the last record (by seq) stamped before the cutoff; everything before it
  // goes, so what remains is one contiguous chain even if a few stamps are out of order.
  VIGIE_ASSIGN_OR_RETURN(auto a, prepare("SELECT MAX(seq) FROM journal WHERE at_ms < ?1"));
  a->bind(1, before_ms);
  if (!a->row()) return fail(a->status().is_ok() ? internal_error("no MAX row") : a->status());
  if (a->is_null(0)) return std::int64_t{0};
  const std::int64_t anchor_seq = a->i64(0);
  VIGIE_RETURN_IF_ERROR(run("DELETE FROM journal WHERE seq < ?1", {anchor_seq}));
  return static_cast<std::int64_t>(sqlite3_changes64(db_.handle()));
}

Result<std::optional<JournalRecord>> SqliteTx::journal_first() {
  VIGIE_ASSIGN_OR_RETURN(auto s, prepare(std::string("SELECT ") + kJournalColumns +
                                         " FROM journal ORDER BY seq LIMIT 1"));
  if (s->row()) return std::optional<JournalRecord>(read_journal(*s));
  VIGIE_RETURN_IF_ERROR(fail(s->status()));
  return std::optional<JournalRecord>();
}

Result<JournalRecord> SqliteTx::journal(const JournalDraft& draft) {
  VIGIE_ASSIGN_OR_RETURN(JournalRecord r, journal_record_of(draft));
  {
    // Read inside the transaction every time, never cached: another process sharing the
    // file may have appended since this one last did.
    VIGIE_ASSIGN_OR_RETURN(auto s, prepare("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1"));
    if (s->row()) {
      VIGIE_RETURN_IF_ERROR(chain_after(r, s->i64(0), s->text(1)));
    } else {
      VIGIE_RETURN_IF_ERROR(fail(s->status()));
      VIGIE_RETURN_IF_ERROR(chain_after(r, 0, kGenesisHash));
    }
  }
  VIGIE_RETURN_IF_ERROR(run(insert_sql("journal", kJournalColumns, kMark), journal_values(r)));
  return r;
}

Result<std::unique_ptr<Stmt>> SqliteTx::prepare(const std::string& sql) {
  auto st = db_.prepare(sql);
  if (!st.is_ok()) (void)fail(st.status());
  return st;
}

Result<std::int64_t> SqliteTx::insert(const std::string& sql, const Values& values) {
  VIGIE_RETURN_IF_ERROR(run(sql, values));
  return sqlite3_last_insert_rowid(db_.handle());
}

Status SqliteTx::run(const std::string& sql, const Values& values) {
  VIGIE_ASSIGN_OR_RETURN(auto s, prepare(sql));
  s->bind_all(values);
  return fail(s->run());
}

Status SqliteTx::alert_exists(std::int64_t id) {
  VIGIE_ASSIGN_OR_RETURN(auto s, prepare("SELECT 1 FROM alerts WHERE id = ?1"));
  s->bind(1, id);
  if (s->row()) return Status::ok();
  VIGIE_RETURN_IF_ERROR(fail(s->status()));
  return not_found("no alert " + std::to_string(id));
}

Status SqliteTx::fail(Status s) {
  if (!s.is_ok() && failure_.is_ok()) failure_ = s;
  return s;
}

}  // namespace vigie::storage
