// The embedded SQLite store: one file, WAL journal, full synchronisation, versioned schema.
//
// One connection serves every thread behind a recursive mutex. Writes are short (a handful of
// rows and one fsync), so readers waiting for one is cheaper than the second connection's
// surprise: with a single connection, a read made inside write() sees that transaction's own
// changes. Other processes (`vigie journal export` beside a running engine) share the file
// through SQLite's locking, and the journal's next seq is read inside each transaction, never
// cached, so they chain correctly.

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <mutex>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <variant>

#include "storage/journal_chain.hpp"
#include "storage/sqlite_schema.hpp"
#include "storage/store.hpp"

namespace vigie::storage {
namespace {

using nlohmann::json;

Status failed_precondition(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}

/// Maps an SQLite result code to the Status a caller can act on.
Status sqlite_status(int rc, sqlite3* db, const std::string& what) {
  const std::string msg = what + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_NOMEM: return unavailable(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return data_loss(msg);
    case SQLITE_CONSTRAINT: return invalid_argument(msg);
    default: return internal_error(msg);
  }
}

/// A cached prepared statement in use: bindings, stepping, columns; reset when it goes.
class Stmt {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  ~Stmt() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  void bind(int i, std::int64_t v) { check(sqlite3_bind_int64(s_, i, v)); }
  void bind(int i, int v) { check(sqlite3_bind_int64(s_, i, v)); }
  void bind(int i, bool v) { check(sqlite3_bind_int(s_, i, v ? 1 : 0)); }
  void bind(int i, double v) { check(sqlite3_bind_double(s_, i, v)); }
  void bind(int i, const std::string& v) {
    check(sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }

  /// True while a row is available; errors end up in status().
  bool row() {
    if (!status_.is_ok()) return false;
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) status_ = sqlite_status(rc, db_, "sqlite step");
    return false;
  }
  /// Runs a statement that returns no rows.
  Status run() {
    while (row()) {
    }
    return status_;
  }
  [[nodiscard]] const Status& status() const { return status_; }

  [[nodiscard]] std::int64_t i64(int c) const { return sqlite3_column_int64(s_, c); }
  [[nodiscard]] double f64(int c) const { return sqlite3_column_double(s_, c); }
  [[nodiscard]] bool boolean(int c) const { return sqlite3_column_int64(s_, c) != 0; }
  [[nodiscard]] bool is_null(int c) const { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
  [[nodiscard]] std::string text(int c) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, c));
    const int n = sqlite3_column_bytes(s_, c);
    return p == nullptr ? std::string() : std::string(p, static_cast<std::size_t>(n));
  }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK && status_.is_ok()) status_ = sqlite_status(rc, db_, "sqlite bind");
  }
  sqlite3* db_;
  sqlite3_stmt* s_;
  Status status_;
};

/// A connection with its prepared statements.
class Db {
 public:
  explicit Db(sqlite3* db) : db_(db) {}
  ~Db() {
    for (auto& [sql, s] : cache_) sqlite3_finalize(s);
    sqlite3_close_v2(db_);
  }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  [[nodiscard]] sqlite3* handle() const { return db_; }

  /// A statement for `sql`, prepared once per connection.
  Result<std::unique_ptr<Stmt>> prepare(const std::string& sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
      sqlite3_stmt* s = nullptr;
      const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                                        SQLITE_PREPARE_PERSISTENT, &s, nullptr);
      if (rc != SQLITE_OK) return sqlite_status(rc, db_, "sqlite prepare");
      it = cache_.emplace(sql, s).first;
    }
    return std::make_unique<Stmt>(db_, it->second);
  }

  Status exec(const char* sql, const std::string& what) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    sqlite3_free(err);
    if (rc != SQLITE_OK) return sqlite_status(rc, db_, what);
    return Status::ok();
  }

  /// First column of the first row of `sql`, as an integer.
  Result<std::int64_t> scalar(const std::string& sql) {
    auto st = prepare(sql);
    if (!st.is_ok()) return st.status();
    Stmt& s = **st;
    if (!s.row()) return s.status().is_ok() ? internal_error("no row for " + sql) : s.status();
    return s.i64(0);
  }

 private:
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// ---- row conversions --------------------------------------------------------------------

constexpr const char* kAlertColumns =
    "source_id, type, camera, zone, start_s, last_s, raised_ms, updated_ms, ended_ms, score, "
    "detail, region, polygon, params, config_version, model_hash, calibration, state, assignee, "
    "verdict_by, verdict_ms, reason, verdict_comment, evidence_note";
constexpr int kAlertColumnCount = 24;

Status check_finite(double v, const char* field) {
  if (!std::isfinite(v)) return invalid_argument(std::string("alert ") + field + " is not finite");
  return Status::ok();
}

Status bind_alert(Stmt& s, const AlertRecord& a) {
  for (const auto& [v, name] : {std::pair{a.start_s, "start_s"}, std::pair{a.last_s, "last_s"},
                                std::pair{a.score, "score"}}) {
    if (auto st = check_finite(v, name); !st.is_ok()) return st;
  }
  for (double v : a.region) {
    if (auto st = check_finite(v, "region"); !st.is_ok()) return st;
  }
  for (const auto& p : a.polygon) {
    for (double v : p) {
      if (auto st = check_finite(v, "polygon"); !st.is_ok()) return st;
    }
  }
  std::string region, polygon, params;
  try {
    region = json(a.region).dump();
    polygon = json(a.polygon).dump();
    params = a.params.dump();
  } catch (const std::exception& e) {
    return invalid_argument(std::string("alert params: ") + e.what());
  }
  int i = 0;
  s.bind(++i, a.source_id);
  s.bind(++i, std::string(to_string(a.type)));
  s.bind(++i, a.camera);
  s.bind(++i, a.zone);
  s.bind(++i, a.start_s);
  s.bind(++i, a.last_s);
  s.bind(++i, a.raised_ms);
  s.bind(++i, a.updated_ms);
  s.bind(++i, a.ended_ms);
  s.bind(++i, a.score);
  s.bind(++i, a.detail);
  s.bind(++i, region);
  s.bind(++i, polygon);
  s.bind(++i, params);
  s.bind(++i, a.config_version);
  s.bind(++i, a.model_hash);
  s.bind(++i, a.calibration);
  s.bind(++i, std::string(to_string(a.state)));
  s.bind(++i, a.assignee);
  s.bind(++i, a.verdict_by);
  s.bind(++i, a.verdict_ms);
  s.bind(++i, a.reason);
  s.bind(++i, a.verdict_comment);
  s.bind(++i, a.evidence_note);
  return s.status();
}

/// Reads an alert from columns `id, <kAlertColumns>`.
Result<AlertRecord> read_alert(const Stmt& s) {
  AlertRecord a;
  int i = 0;
  a.id = s.i64(i++);
  a.source_id = s.text(i++);
  const std::string type = s.text(i++);
  const auto t = parse_event_type(type);
  if (!t) return data_loss("alert " + std::to_string(a.id) + ": unknown type \"" + type + "\"");
  a.type = *t;
  a.camera = s.text(i++);
  a.zone = s.text(i++);
  a.start_s = s.f64(i++);
  a.last_s = s.f64(i++);
  a.raised_ms = s.i64(i++);
  a.updated_ms = s.i64(i++);
  a.ended_ms = s.i64(i++);
  a.score = s.f64(i++);
  a.detail = s.text(i++);
  try {
    a.region = json::parse(s.text(i++)).get<std::vector<double>>();
    a.polygon = json::parse(s.text(i++)).get<std::vector<std::vector<double>>>();
    a.params = json::parse(s.text(i++));
  } catch (const std::exception& e) {
    return data_loss("alert " + std::to_string(a.id) + ": " + e.what());
  }
  a.config_version = s.text(i++);
  a.model_hash = s.text(i++);
  a.calibration = s.boolean(i++);
  const std::string state = s.text(i++);
  const auto st = alert_state_from_string(state);
  if (!st) return data_loss("alert " + std::to_string(a.id) + ": unknown state \"" + state + "\"");
  a.state = *st;
  a.assignee = s.text(i++);
  a.verdict_by = s.text(i++);
  a.verdict_ms = s.i64(i++);
  a.reason = s.text(i++);
  a.verdict_comment = s.text(i++);
  a.evidence_note = s.text(i++);
  return a;
}

constexpr const char* kJournalColumns = "seq, at_ms, actor, action, detail, prev_hash, hash";

JournalRecord read_journal(const Stmt& s) {
  JournalRecord r;
  r.seq = s.i64(0);
  r.at_ms = s.i64(1);
  r.actor = s.text(2);
  r.action = s.text(3);
  const std::string detail = s.text(4);
  try {
    r.detail = json::parse(detail);
  } catch (const std::exception&) {
    // Only a damaged or tampered file gets here. Keeping the raw text as a string lets the
    // record still be shown, and its hash cannot match (a stored detail is always valid
    // JSON), so verification names this very record.
    r.detail = detail;
  }
  r.prev_hash = s.text(5);
  r.hash = s.text(6);
  return r;
}

CommentRecord read_comment(const Stmt& s) {
  return {s.i64(0), s.i64(1), s.text(2), s.i64(3), s.text(4)};
}

constexpr const char* kEvidenceColumns =
    "id, alert_id, kind, masked, path, sha256, bytes, created_ms, from_s, to_s";

EvidenceRecord read_evidence(const Stmt& s) {
  EvidenceRecord e;
  e.id = s.i64(0);
  e.alert_id = s.i64(1);
  e.kind = s.text(2);
  e.masked = s.boolean(3);
  e.path = s.text(4);
  e.sha256 = s.text(5);
  e.bytes = s.i64(6);
  e.created_ms = s.i64(7);
  e.from_s = s.f64(8);
  e.to_s = s.f64(9);
  return e;
}

UserRecord read_user(const Stmt& s) {
  return {s.text(0), s.text(1), s.text(2), s.boolean(3), s.i64(4)};
}

/// The smallest string above every string that starts with `prefix`; empty when none is.
std::string prefix_upper_bound(std::string prefix) {
  while (!prefix.empty()) {
    auto& c = reinterpret_cast<unsigned char&>(prefix.back());
    if (c < 0xff) {
      ++c;
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;
}

using Param = std::variant<std::int64_t, std::string>;

void bind_params(Stmt& s, const std::vector<Param>& params) {
  int i = 0;
  for (const auto& p : params) {
    if (const auto* n = std::get_if<std::int64_t>(&p)) {
      s.bind(++i, *n);
    } else {
      s.bind(++i, std::get<std::string>(p));
    }
  }
}

/// Appends one filter of a query, with its parameter.
void add_clause(std::string& sql, std::vector<Param>& params, const char* clause, Param value) {
  sql += clause;
  params.push_back(std::move(value));
}

// ---- transactions -----------------------------------------------------------------------

class SqliteTx final : public Tx {
 public:
  explicit SqliteTx(Db& db) : db_(db) {}

  /// The first database failure inside the transaction; write() refuses to commit after one
  /// even when the caller's function ignores it.
  [[nodiscard]] const Status& failure() const { return failure_; }

  Result<std::optional<AlertRecord>> get_alert(std::int64_t id) override {
    auto st = prepare(std::string("SELECT id, ") + kAlertColumns + " FROM alerts WHERE id = ?1");
    if (!st.is_ok()) return st.status();
    Stmt& s = **st;
    s.bind(1, id);
    if (!s.row()) {
      if (!s.status().is_ok()) return fail(s.status());
      return std::optional<AlertRecord>();
    }
    auto a = read_alert(s);
    if (!a.is_ok()) return a.status();
    return std::optional<AlertRecord>(std::move(*a));
  }

  Result<std::int64_t> put_alert(const AlertRecord& record) override {
    const bool insert = record.id == 0;
    const std::string sql =
        insert ? std::string("INSERT INTO alerts (") + kAlertColumns +
                     ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
                     "?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)"
               : std::string(
                     "UPDATE alerts SET source_id = ?1, type = ?2, camera = ?3, zone = ?4, "
                     "start_s = ?5, last_s = ?6, raised_ms = ?7, updated_ms = ?8, ended_ms = ?9, "
                     "score = ?10, detail = ?11, region = ?12, polygon = ?13, params = ?14, "
                     "config_version = ?15, model_hash = ?16, calibration = ?17, state = ?18, "
                     "assignee = ?19, verdict_by = ?20, verdict_ms = ?21, reason = ?22, "
                     "verdict_comment = ?23, evidence_note = ?24 WHERE id = ?25");
    auto st = prepare(sql);
    if (!st.is_ok()) return st.status();
    Stmt& s = **st;
    if (auto b = bind_alert(s, record); !b.is_ok()) return b;
    if (!insert) s.bind(kAlertColumnCount + 1, record.id);
    if (auto r = s.run(); !r.is_ok()) return fail(r);
    if (insert) return sqlite3_last_insert_rowid(db_.handle());
    if (sqlite3_changes(db_.handle()) == 0) {
      return not_found("no alert " + std::to_string(record.id));
    }
    return record.id;
  }

  Result<std::int64_t> add_comment(const CommentRecord& c) override {
    if (auto s = alert_exists(c.alert_id); !s.is_ok()) return s;
    auto st = prepare("INSERT INTO comments (alert_id, user, at_ms, text) VALUES (?1, ?2, ?3, ?4)");
    if (!st.is_ok()) return st.status();
    Stmt& s = **st;
    s.bind(1, c.alert_id);
    s.bind(2, c.user);
    s.bind(3, c.at_ms);
    s.bind(4, c.text);
    if (auto r = s.run(); !r.is_ok()) return fail(r);
    return sqlite3_last_insert_rowid(db_.handle());
  }

  Result<std::int64_t> add_evidence(const EvidenceRecord& e) override {
    if (auto s = alert_exists(e.alert_id); !s.is_ok()) return s;
    auto st = prepare(
        "INSERT INTO evidence (alert_id, kind, masked, path, sha256, bytes, created_ms, from_s, "
        "to_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!st.is_ok()) return st.status();
    Stmt& s = **st;
    s.bind(1, e.alert_id);
    s.bind(2, e.kind);
    s.bind(3, e.masked);
    s.bind(4, e.path);
    s.bind(5, e.sha256);
    s.bind(6, e.bytes);
    s.bind(7, e.created_ms);
    s.bind(8, e.from_s);
    s.bind(9, e.to_s);
    if (auto r = s.run(); !r.is_ok()) return fail(r);
    return sqlite3_last_insert_rowid(db_.handle());
  }

  Status delete_evidence(std::int64_t evidence_id) override {
    auto st = prepare("DELETE FROM evidence WHERE id = ?1");
    if (!st.is_ok()) return st.status();
    Stmt& s = **st;
    s.bind(1, evidence_id);
    if (auto r = s.run(); !r.is_ok()) return fail(r);
    if (sqlite3_changes(db_.handle()) == 0) {
      return not_found("no evidence " + std::to_string(evidence_id));
    }
    return Status::ok();
  }

  Status put_user(const UserRecord& u) override {
    if (u.name.empty()) return invalid_argument("user: empty name");
    auto st = prepare(
        "INSERT INTO users (name, role, password_hash, disabled, created_ms) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name) DO UPDATE SET role = excluded.role, "
        "password_hash = excluded.password_hash, disabled = excluded.disabled, "
        "created_ms = excluded.created_ms");
    if (!st.is_ok()) return st.status();
    Stmt& s = **st;
    s.bind(1, u.name);
    s.bind(2, u.role);
    s.bind(3, u.password_hash);
    s.bind(4, u.disabled);
    s.bind(5, u.created_ms);
    return fail(s.run());
  }

  Status put_authorization(const AuthorizationRecord& a) override {
    if (a.reference.empty()) return invalid_argument("authorization: empty reference");
    json types = json::array();
    for (EventType t : a.event_types) types.push_back(std::string(to_string(t)));
    std::string cameras;
    try {
      cameras = json(a.cameras).dump();
    } catch (const std::exception& e) {
      return invalid_argument(std::string("authorization cameras: ") + e.what());
    }
    auto st = prepare(
        "INSERT INTO authorizations (reference, cameras, event_types, start_ms, end_ms, "
        "controller, origin, revoked) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
        "ON CONFLICT (reference) DO UPDATE SET cameras = excluded.cameras, "
        "event_types = excluded.event_types, start_ms = excluded.start_ms, "
        "end_ms = excluded.end_ms, controller = excluded.controller, origin = excluded.origin, "
        "revoked = excluded.revoked");
    if (!st.is_ok()) return st.status();
    Stmt& s = **st;
    s.bind(1, a.reference);
    s.bind(2, cameras);
    s.bind(3, types.dump());
    s.bind(4, a.start_ms);
    s.bind(5, a.end_ms);
    s.bind(6, a.controller);
    s.bind(7, a.origin);
    s.bind(8, a.revoked);
    return fail(s.run());
  }

  Status put_camera_geometry(const CameraGeometryRecord& g) override {
    if (g.camera.empty()) return invalid_argument("camera geometry: empty camera");
    auto st = prepare(
        "INSERT INTO camera_geometry (camera, json, updated_ms, updated_by) "
        "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (camera) DO UPDATE SET json = excluded.json, "
        "updated_ms = excluded.updated_ms, updated_by = excluded.updated_by");
    if (!st.is_ok()) return st.status();
    Stmt& s = **st;
    s.bind(1, g.camera);
    s.bind(2, g.json);
    s.bind(3, g.updated_ms);
    s.bind(4, g.updated_by);
    return fail(s.run());
  }

  Result<std::int64_t> delete_journal_before(TimeMs before_ms) override {
    // The anchor is the last record (by seq) stamped before the cutoff; everything before it
    // goes, so what remains is one contiguous chain even if a few stamps are out of order.
    auto anchor = prepare("SELECT MAX(seq) FROM journal WHERE at_ms < ?1");
    if (!anchor.is_ok()) return anchor.status();
    Stmt& a = **anchor;
    a.bind(1, before_ms);
    if (!a.row()) return fail(a.status().is_ok() ? internal_error("no MAX row") : a.status());
    if (a.is_null(0)) return std::int64_t{0};
    const std::int64_t anchor_seq = a.i64(0);
    auto del = prepare("DELETE FROM journal WHERE seq < ?1");
    if (!del.is_ok()) return del.status();
    Stmt& d = **del;
    d.bind(1, anchor_seq);
    if (auto r = d.run(); !r.is_ok()) return fail(r);
    return static_cast<std::int64_t>(sqlite3_changes64(db_.handle()));
  }

  Result<std::optional<JournalRecord>> journal_first() override {
    auto st = prepare(std::string("SELECT ") + kJournalColumns +
                      " FROM journal ORDER BY seq LIMIT 1");
    if (!st.is_ok()) return st.status();
    Stmt& s = **st;
    if (s.row()) return std::optional<JournalRecord>(read_journal(s));
    if (!s.status().is_ok()) return fail(s.status());
    return std::optional<JournalRecord>();
  }

  Result<JournalRecord> journal(const JournalDraft& draft) override {
    if (draft.action.empty()) return invalid_argument("journal: empty action");
    if (draft.actor.empty()) return invalid_argument("journal: empty actor");
    JournalRecord r;
    r.at_ms = draft.at_ms;
    r.actor = draft.actor;
    r.action = draft.action;
    std::string detail;
    try {
      // The stored text is the canonical dump, and the record is hashed from its reparse,
      // so what is on disk is exactly what was hashed.
      detail = draft.detail.dump();
      r.detail = json::parse(detail);
    } catch (const std::exception& e) {
      return invalid_argument(std::string("journal detail: ") + e.what());
    }
    {
      auto st = prepare("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1");
      if (!st.is_ok()) return st.status();
      Stmt& s = **st;
      if (s.row()) {
        r.seq = s.i64(0) + 1;
        r.prev_hash = s.text(1);
      } else if (!s.status().is_ok()) {
        return fail(s.status());
      } else {
        r.seq = 1;
        r.prev_hash = kGenesisHash;
      }
    }
    try {
      r.hash = journal_hash(r);
    } catch (const std::exception& e) {
      return invalid_argument(std::string("journal record: ") + e.what());
    }
    auto st = prepare(std::string("INSERT INTO journal (") + kJournalColumns +
                      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!st.is_ok()) return st.status();
    Stmt& s = **st;
    s.bind(1, r.seq);
    s.bind(2, r.at_ms);
    s.bind(3, r.actor);
    s.bind(4, r.action);
    s.bind(5, detail);
    s.bind(6, r.prev_hash);
    s.bind(7, r.hash);
    if (auto res = s.run(); !res.is_ok()) return fail(res);
    return r;
  }

 private:
  Result<std::unique_ptr<Stmt>> prepare(const std::string& sql) {
    auto st = db_.prepare(sql);
    if (!st.is_ok()) (void)fail(st.status());
    return st;
  }

  Status alert_exists(std::int64_t id) {
    auto st = prepare("SELECT 1 FROM alerts WHERE id = ?1");
    if (!st.is_ok()) return st.status();
    Stmt& s = **st;
    s.bind(1, id);
    if (s.row()) return Status::ok();
    if (!s.status().is_ok()) return fail(s.status());
    return not_found("no alert " + std::to_string(id));
  }

  Status fail(Status s) {
    if (!s.is_ok() && failure_.is_ok()) failure_ = s;
    return s;
  }

  Db& db_;
  Status failure_;
};

// ---- the store ----------------------------------------------------------------------------

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<Db> db, int version) : db_(std::move(db)), version_(version) {}

  Status write(const std::function<Status(Tx&)>& changes) override {
    std::lock_guard lock(mu_);
    if (in_write_) return failed_precondition("Store::write called from inside write()");
    in_write_ = true;
    struct Reset {
      bool& flag;
      ~Reset() { flag = false; }
    } reset{in_write_};

    if (auto s = db_->exec("BEGIN IMMEDIATE", "begin transaction"); !s.is_ok()) {
      return commit_failed(s);
    }
    SqliteTx tx(*db_);
    Status result;
    try {
      result = changes(tx);
    } catch (const std::exception& e) {
      result = internal_error(std::string("exception inside a store transaction: ") + e.what());
    } catch (...) {
      result = internal_error("unknown exception inside a store transaction");
    }
    if (!tx.failure().is_ok()) {
      rollback();
      return commit_failed(result.is_ok() ? tx.failure() : result);
    }
    if (!result.is_ok()) {
      rollback();  // refused by the caller's own checks: the database is fine
      return result;
    }
    if (auto s = db_->exec("COMMIT", "commit"); !s.is_ok()) {
      rollback();
      return commit_failed(s);
    }
    commit_problem_.clear();
    return Status::ok();
  }

  [[nodiscard]] std::string commit_problem() const override {
    std::lock_guard lock(mu_);
    return commit_problem_;
  }

  Result<std::optional<AlertRecord>> alert(std::int64_t id) const override {
    std::lock_guard lock(mu_);
    auto st =
        db_->prepare(std::string("SELECT id, ") + kAlertColumns + " FROM alerts WHERE id = ?1");
    if (!st.is_ok()) return st.status();
    Stmt& s = **st;
    s.bind(1, id);
    if (!s.row()) {
      if (!s.status().is_ok()) return s.status();
      return std::optional<AlertRecord>();
    }
    auto a = read_alert(s);
    if (!a.is_ok()) return a.status();
    return std::optional<AlertRecord>(std::move(*a));
  }

  Result<std::vector<AlertRecord>> alerts(const AlertQuery& q) const override {
    if (q.limit <= 0) return invalid_argument("alert query: limit must be positive");
    std::string sql = std::string("SELECT id, ") + kAlertColumns + " FROM alerts WHERE ";
    std::vector<Param> params;
    if (q.only_calibration) {
      sql += "calibration = 1";
    } else if (q.include_calibration) {
      sql += "1 = 1";
    } else {
      sql += "calibration = 0";
    }
    if (q.type) add_clause(sql, params, " AND type = ?", std::string(to_string(*q.type)));
    if (q.camera) add_clause(sql, params, " AND camera = ?", *q.camera);
    if (q.state) add_clause(sql, params, " AND state = ?", std::string(to_string(*q.state)));
    if (q.from_ms) add_clause(sql, params, " AND raised_ms >= ?", *q.from_ms);
    if (q.to_ms) add_clause(sql, params, " AND raised_ms < ?", *q.to_ms);
    if (q.before_id) add_clause(sql, params, " AND id < ?", *q.before_id);
    if (q.only_unended) sql += " AND ended_ms = 0";
    sql += " ORDER BY id DESC LIMIT ?";
    params.emplace_back(std::int64_t{q.limit});

    return list<AlertRecord>(sql, params, read_alert);
  }

  Result<std::vector<CommentRecord>> comments(std::int64_t alert_id) const override {
    return list<CommentRecord>(
        "SELECT id, alert_id, user, at_ms, text FROM comments WHERE alert_id = ?1 ORDER BY id",
        {alert_id}, read_comment);
  }

  Result<std::vector<EvidenceRecord>> evidence(std::int64_t alert_id) const override {
    return list<EvidenceRecord>(std::string("SELECT ") + kEvidenceColumns +
                                    " FROM evidence WHERE alert_id = ?1 ORDER BY id",
                                {alert_id}, read_evidence);
  }

  Result<std::vector<EvidenceRecord>> evidence_before(TimeMs before_ms) const override {
    return list<EvidenceRecord>(std::string("SELECT ") + kEvidenceColumns +
                                    " FROM evidence WHERE created_ms < ?1 ORDER BY created_ms, id",
                                {before_ms}, read_evidence);
  }

  Result<std::optional<UserRecord>> user(const std::string& name) const override {
    auto users = list<UserRecord>(
        "SELECT name, role, password_hash, disabled, created_ms FROM users WHERE name = ?1", {name},
        read_user);
    if (!users.is_ok()) return users.status();
    if (users->empty()) return std::optional<UserRecord>();
    return std::optional<UserRecord>(std::move(users->front()));
  }

  Result<std::vector<UserRecord>> users() const override {
    return list<UserRecord>(
        "SELECT name, role, password_hash, disabled, created_ms FROM users ORDER BY name", {},
        read_user);
  }

  Result<std::vector<CameraGeometryRecord>> camera_geometries() const override {
    std::lock_guard lock(mu_);
    auto st = db_->prepare(
        "SELECT camera, json, updated_ms, updated_by FROM camera_geometry ORDER BY camera");
    if (!st.is_ok()) return st.status();
    Stmt& s = **st;
    std::vector<CameraGeometryRecord> out;
    while (s.row()) {
      CameraGeometryRecord g;
      g.camera = s.text(0);
      g.json = s.text(1);
      g.updated_ms = s.i64(2);
      g.updated_by = s.text(3);
      out.push_back(std::move(g));
    }
    if (!s.status().is_ok()) return s.status();
    return out;
  }

  Result<std::vector<AuthorizationRecord>> authorizations() const override {
    std::lock_guard lock(mu_);
    auto st = db_->prepare(
        "SELECT reference, cameras, event_types, start_ms, end_ms, controller, origin, revoked "
        "FROM authorizations ORDER BY reference");
    if (!st.is_ok()) return st.status();
    Stmt& s = **st;
    std::vector<AuthorizationRecord> out;
    while (s.row()) {
      AuthorizationRecord a;
      a.reference = s.text(0);
      try {
        a.cameras = json::parse(s.text(1)).get<std::vector<CameraId>>();
        for (const auto& name : json::parse(s.text(2)).get<std::vector<std::string>>()) {
          const auto t = parse_event_type(name);
          if (!t) return data_loss("authorization " + a.reference + ": unknown type " + name);
          a.event_types.push_back(*t);
        }
      } catch (const std::exception& e) {
        return data_loss("authorization " + a.reference + ": " + e.what());
      }
      a.start_ms = s.i64(3);
      a.end_ms = s.i64(4);
      a.controller = s.text(5);
      a.origin = s.text(6);
      a.revoked = s.boolean(7);
      out.push_back(std::move(a));
    }
    if (!s.status().is_ok()) return s.status();
    return out;
  }

  Result<std::vector<JournalRecord>> journal(const JournalQuery& q) const override {
    if (q.limit <= 0) return invalid_argument("journal query: limit must be positive");
    std::string sql = std::string("SELECT ") + kJournalColumns + " FROM journal WHERE 1 = 1";
    std::vector<Param> params;
    if (q.from_ms) add_clause(sql, params, " AND at_ms >= ?", *q.from_ms);
    if (q.to_ms) add_clause(sql, params, " AND at_ms < ?", *q.to_ms);
    if (q.after_seq) add_clause(sql, params, " AND seq > ?", *q.after_seq);
    if (q.action_prefix && !q.action_prefix->empty()) {
      // A range rather than LIKE, so the index on action serves it and '%' or '_' in a
      // prefix mean themselves.
      sql += " AND action >= ?";
      params.emplace_back(*q.action_prefix);
      const std::string upper = prefix_upper_bound(*q.action_prefix);
      if (!upper.empty()) {
        sql += " AND action < ?";
        params.emplace_back(upper);
      }
    }
    if (q.actor) add_clause(sql, params, " AND actor = ?", *q.actor);
    sql += " ORDER BY seq LIMIT ?";
    params.emplace_back(std::int64_t{q.limit});

    return list<JournalRecord>(sql, params, read_journal);
  }

  Result<std::optional<JournalRecord>> journal_head() const override {
    std::lock_guard lock(mu_);
    auto st = db_->prepare(std::string("SELECT ") + kJournalColumns +
                           " FROM journal ORDER BY seq DESC LIMIT 1");
    if (!st.is_ok()) return st.status();
    Stmt& s = **st;
    if (s.row()) return std::optional<JournalRecord>(read_journal(s));
    if (!s.status().is_ok()) return s.status();
    return std::optional<JournalRecord>();
  }

  Result<std::vector<AlertCountRow>> alert_counts(TimeMs from_ms, TimeMs to_ms) const override {
    // A verdict survives closing: a closed alert counts as confirmed or dismissed by its
    // verdict (a dismissal always carries a reason code).
    std::lock_guard lock(mu_);
    auto st = db_->prepare(
        "SELECT type, camera, (raised_ms / 3600000) * 3600000 AS hour, calibration, COUNT(*), "
        "SUM(state = 'confirmed' OR (state = 'closed' AND verdict_ms > 0 AND reason = '')), "
        "SUM(state = 'dismissed' OR (state = 'closed' AND verdict_ms > 0 AND reason <> '')), "
        "TOTAL(CASE WHEN verdict_ms > 0 THEN (verdict_ms - raised_ms) / 1000.0 ELSE 0 END) "
        "FROM alerts WHERE raised_ms >= ?1 AND raised_ms < ?2 "
        "GROUP BY type, camera, hour, calibration ORDER BY hour, type, camera, calibration");
    if (!st.is_ok()) return st.status();
    Stmt& s = **st;
    s.bind(1, from_ms);
    s.bind(2, to_ms);
    std::vector<AlertCountRow> out;
    while (s.row()) {
      AlertCountRow r;
      const std::string type = s.text(0);
      const auto t = parse_event_type(type);
      if (!t) return data_loss("alerts: unknown type \"" + type + "\"");
      r.type = *t;
      r.camera = s.text(1);
      r.hour_ms = s.i64(2);
      r.calibration = s.boolean(3);
      r.alerts = s.i64(4);
      r.confirmed = s.i64(5);
      r.dismissed = s.i64(6);
      r.verdict_seconds_sum = s.f64(7);
      out.push_back(std::move(r));
    }
    if (!s.status().is_ok()) return s.status();
    return out;
  }

  [[nodiscard]] int schema_version() const override { return version_; }

 private:
  template <typename T, typename Read>
  Result<std::vector<T>> list(const std::string& sql, const std::vector<Param>& params,
                              Read read) const {
    std::lock_guard lock(mu_);
    auto st = db_->prepare(sql);
    if (!st.is_ok()) return st.status();
    Stmt& s = **st;
    bind_params(s, params);
    std::vector<T> out;
    while (s.row()) {
      // Readers return a record, or Result<record> when a stored value can be corrupt.
      if constexpr (std::is_same_v<std::decay_t<decltype(read(s))>, T>) {
        out.push_back(read(s));
      } else {
        auto r = read(s);
        if (!r.is_ok()) return r.status();
        out.push_back(std::move(*r));
      }
    }
    if (!s.status().is_ok()) return s.status();
    return out;
  }

  void rollback() {
    if (sqlite3_get_autocommit(db_->handle()) == 0) {
      (void)db_->exec("ROLLBACK", "rollback");
    }
  }

  /// Remembers why the database refused a commit, for health checks, and returns it. A
  /// constraint the change broke (InvalidArgument) says nothing of the database's health.
  Status commit_failed(Status s) {
    if (s.code() != StatusCode::kInvalidArgument) commit_problem_ = s.message();
    return s;
  }

  mutable std::recursive_mutex mu_;
  bool in_write_ = false;
  std::string commit_problem_;  ///< guarded by mu_; empty since the last commit succeeded
  std::unique_ptr<Db> db_;
  int version_;
};

// ---- opening --------------------------------------------------------------------------

constexpr std::int64_t kApplicationId = 0x76696769;  // "vigi"

Status not_vigie(const std::filesystem::path& path, const std::string& why) {
  return invalid_argument(path.string() + " is not a vigie database (" + why + ")");
}

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& path) {
  std::error_code ec;
  const auto parent = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  if (!std::filesystem::is_directory(parent, ec)) {
    return not_found("no directory " + parent.string() + " for database " + path.string());
  }
  if (std::filesystem::is_directory(path, ec)) {
    return invalid_argument(path.string() + " is a directory, not a database file");
  }
  if (!std::filesystem::exists(path, ec)) {
    // Alerts and the journal are personal data: the file (and the -wal and -shm files SQLite
    // creates with the same mode) is readable by its owner only.
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) {
      return unavailable("cannot create " + path.string() + ": " + std::strerror(errno));
    }
    if (fd >= 0) ::close(fd);
  }

  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  auto db = std::make_unique<Db>(raw);  // closes even a failed handle
  if (rc != SQLITE_OK) return sqlite_status(rc, raw, "cannot open " + path.string());
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 10000);

  auto app_id = db->scalar("PRAGMA application_id");
  if (!app_id.is_ok()) {
    if (app_id.status().code() == StatusCode::kDataLoss) {
      return not_vigie(path, sqlite3_errmsg(raw));
    }
    return app_id.status();
  }
  {
    auto st = db->prepare("PRAGMA journal_mode = WAL");
    if (!st.is_ok()) return st.status();
    Stmt& s = **st;
    if (!s.row()) return s.status().is_ok() ? internal_error("journal_mode: no row") : s.status();
    if (s.text(0) != "wal") {
      return failed_precondition("cannot put " + path.string() + " in WAL mode (got " + s.text(0) +
                                 ")");
    }
  }
  for (const char* pragma : {"PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON"}) {
    if (auto s = db->exec(pragma, pragma); !s.is_ok()) return s;
  }

  const auto& migrations = schema_migrations();
  const int latest = static_cast<int>(migrations.size());
  int version = 0;
  for (;;) {
    // Each step in its own transaction, the version re-read under the write lock, so two
    // processes opening a new file at once do not both apply the same step.
    if (auto s = db->exec("BEGIN IMMEDIATE", "begin migration"); !s.is_ok()) return s;
    struct Rollback {
      Db& db;
      bool done = false;
      ~Rollback() {
        if (!done && sqlite3_get_autocommit(db.handle()) == 0) (void)db.exec("ROLLBACK", "");
      }
    } guard{*db};
    auto v = db->scalar("PRAGMA user_version");
    if (!v.is_ok()) return v.status();
    version = static_cast<int>(*v);
    auto id = db->scalar("PRAGMA application_id");
    if (!id.is_ok()) return id.status();
    if (version > latest) {
      return failed_precondition("database " + path.string() + " has schema version " +
                                 std::to_string(version) + ", newer than this build (" +
                                 std::to_string(latest) + "): upgrade vigie");
    }
    if (version == 0) {
      auto objects = db->scalar("SELECT COUNT(*) FROM sqlite_schema");
      if (!objects.is_ok()) return objects.status();
      if (*objects > 0 || (*id != 0 && *id != kApplicationId)) {
        return not_vigie(path, "an SQLite database of another application");
      }
    } else if (*id != kApplicationId) {
      return not_vigie(path, "its application_id is " + std::to_string(*id));
    }
    if (version == latest) {
      guard.done = true;
      if (auto s = db->exec("COMMIT", "commit"); !s.is_ok()) return s;
      break;
    }
    if (auto s = db->exec(migrations[static_cast<std::size_t>(version)],
                          "migration to schema version " + std::to_string(version + 1));
        !s.is_ok()) {
      return s;
    }
    const std::string bump = "PRAGMA user_version = " + std::to_string(version + 1) +
                             "; PRAGMA application_id = " + std::to_string(kApplicationId);
    if (auto s = db->exec(bump.c_str(), "set schema version"); !s.is_ok()) return s;
    guard.done = true;
    if (auto s = db->exec("COMMIT", "commit migration"); !s.is_ok()) return s;
  }
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(std::move(db), version));
}

Result<std::unique_ptr<Store>> open_sqlite_store_read_only(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return not_found("no database file " + path.string());
  }
  // Read only: nothing is created, migrated or changed. Without a write-ahead log beside it
  // (a copy, or a database no node has open) the file holds everything and is read as it
  // is, immutable, which creates no file at all. A running node's database is read with its
  // log; if that cannot be opened (a folder the reader cannot write), as it is.
  auto open = [&](const std::string& query) -> std::pair<int, std::unique_ptr<Db>> {
    sqlite3* raw = nullptr;
    const std::string uri = "file:" + path.string() + "?" + query;
    const int rc = sqlite3_open_v2(uri.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
                                   nullptr);
    return {rc, std::make_unique<Db>(raw)};
  };
  const bool has_log = std::filesystem::exists(path.string() + "-wal", ec);
  auto [rc, db] = open(has_log ? "mode=ro" : "immutable=1");
  std::optional<Result<std::int64_t>> version;
  if (rc == SQLITE_OK) version = db->scalar("PRAGMA user_version");
  if (rc != SQLITE_OK || !version->is_ok()) {
    std::tie(rc, db) = open("immutable=1");
    if (rc != SQLITE_OK) return sqlite_status(rc, db->handle(), "cannot open " + path.string());
    version = db->scalar("PRAGMA user_version");
  }
  sqlite3_extended_result_codes(db->handle(), 1);
  if (!version->is_ok()) {
    if (version->status().code() == StatusCode::kDataLoss) {
      return not_vigie(path, sqlite3_errmsg(db->handle()));
    }
    return version->status();
  }
  auto id = db->scalar("PRAGMA application_id");
  if (!id.is_ok()) return id.status();
  const int latest = static_cast<int>(schema_migrations().size());
  if (**version < 1 || *id != kApplicationId) return not_vigie(path, "not a vigie database");
  if (**version > latest) {
    return failed_precondition("database " + path.string() + " has schema version " +
                               std::to_string(**version) + ", newer than this build (" +
                               std::to_string(latest) + "): upgrade vigie");
  }
  return std::unique_ptr<Store>(
      std::make_unique<SqliteStore>(std::move(db), static_cast<int>(**version)));
}

}  // namespace vigie::storage
