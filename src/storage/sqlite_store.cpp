// The embedded SQLite store: one file, WAL journal, full synchronisation, versioned schema.
//
// Two connections: one for writes, which concurrent writers share in one transaction (group
// commit, group_commit.hpp), and one for reads, which sees only committed data and never waits
// for a commit (WAL lets a reader and the writer proceed together). Other processes (`vigie journal export` beside a running engine) share the file
// through SQLite's locking, and the journal's next seq is read inside each transaction, never
// cached, so they chain correctly. The rows themselves are mapped in row_mapping.cpp, shared
// with the PostgreSQL store; the changes of a transaction are in sqlite_tx.cpp.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <type_traits>

#include "storage/group_commit.hpp"
#include "storage/sqlite_schema.hpp"
#include "storage/sqlite_tx.hpp"
#include "storage/store.hpp"

namespace vigie::storage {
namespace {

Status failed_precondition(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
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

/// Appends one filter of a query, with its parameter.
void add_clause(std::string& sql, Values& params, const char* clause, Value value) {
  sql += clause;
  params.push_back(std::move(value));
}

// ---- the store ----------------------------------------------------------------------------

/// The write connection's calls for group commit. One transaction holds SQLite's write lock
/// (BEGIN IMMEDIATE) from the batch's first write to its commit.
class SqliteWrites final : public GroupCommit::Connection {
 public:
  explicit SqliteWrites(std::unique_ptr<Db> writer) : writer_(std::move(writer)) {}

  Status begin() override {
    Status s = writer_->exec("BEGIN IMMEDIATE", "begin transaction");
    if (!s.is_ok()) writer_->rollback();
    return s;
  }

  Status savepoint() override { return writer_->exec("SAVEPOINT vigie_write", "savepoint"); }

  Status release() override { return writer_->exec("RELEASE vigie_write", "release savepoint"); }

  Status roll_back_write(const Status& refusal) override {
    // Some failures (a full disk, an I/O error) make SQLite roll the whole transaction
    // back: the batch, and every write that joined it, is lost.
    if (sqlite3_get_autocommit(writer_->handle()) != 0) return refusal;
    return writer_->exec("ROLLBACK TO vigie_write; RELEASE vigie_write", "roll back to savepoint");
  }

  Ran run(const Changes& changes) override {
    SqliteTx tx(*writer_);
    Status result = call_changes(changes, tx);
    return {std::move(result), tx.failure()};
  }

  Status end(bool commit) override {
    return commit ? writer_->exec("COMMIT", "commit") : Status::ok();
  }

  void discard() override { writer_->rollback(); }

 private:
  std::unique_ptr<Db> writer_;  ///< guarded by the GroupCommit's write_mu_, the only caller
};

class SqliteStore final : public Store {
 public:
  /// `writer` serves write(), `reader` every read.
  SqliteStore(std::unique_ptr<Db> writer, std::unique_ptr<Db> reader, int version)
      : writes_(std::make_unique<SqliteWrites>(std::move(writer))),
        reader_(std::move(reader)),
        version_(version) {}

  // Group commit (group_commit.hpp). The journal's head is read inside the transaction by
  // each append, so it follows the batch's own appends and a rolled-back savepoint takes its
  // record back with it.
  Status write(const std::function<Status(Tx&)>& changes) override {
    return writes_.write(changes);
  }

  [[nodiscard]] std::string commit_problem() const override { return writes_.commit_problem(); }

  Result<std::optional<AlertRecord>> alert(std::int64_t id) const override {
    return first<AlertRecord>(std::string("SELECT id, ") + kAlertColumns +
                                  " FROM alerts WHERE id = ?1",
                              {id}, read_alert);
  }

  Result<std::vector<AlertRecord>> alerts(const AlertQuery& q) const override {
    if (q.limit <= 0) return invalid_argument("alert query: limit must be positive");
    std::string sql = std::string("SELECT id, ") + kAlertColumns + " FROM alerts WHERE ";
    Values params;
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
        std::string("SELECT id, ") + kCommentColumns +
            " FROM comments WHERE alert_id = ?1 ORDER BY id",
        {alert_id}, read_comment);
  }

  Result<std::vector<EvidenceRecord>> evidence(std::int64_t alert_id) const override {
    return list<EvidenceRecord>(std::string("SELECT id, ") + kEvidenceColumns +
                                    " FROM evidence WHERE alert_id = ?1 ORDER BY id",
                                {alert_id}, read_evidence);
  }

  Result<std::vector<EvidenceRecord>> evidence_before(TimeMs before_ms) const override {
    return list<EvidenceRecord>(std::string("SELECT id, ") + kEvidenceColumns +
                                    " FROM evidence WHERE created_ms < ?1 ORDER BY created_ms, id",
                                {before_ms}, read_evidence);
  }

  Result<std::optional<UserRecord>> user(const std::string& name) const override {
    return first<UserRecord>(std::string("SELECT ") + kUserColumns + " FROM users WHERE name = ?1",
                             {name}, read_user);
  }

  Result<std::vector<UserRecord>> users() const override {
    return list<UserRecord>(std::string("SELECT ") + kUserColumns + " FROM users ORDER BY name", {},
                            read_user);
  }

  Result<std::vector<CameraGeometryRecord>> camera_geometries() const override {
    return list<CameraGeometryRecord>(std::string("SELECT ") + kCameraGeometryColumns +
                                          " FROM camera_geometry ORDER BY camera",
                                      {}, read_camera_geometry);
  }

  Result<std::vector<AuthorizationRecord>> authorizations() const override {
    return list<AuthorizationRecord>(std::string("SELECT ") + kAuthorizationColumns +
                                         " FROM authorizations ORDER BY reference",
                                     {}, read_authorization);
  }

  Result<std::vector<JournalRecord>> journal(const JournalQuery& q) const override {
    if (q.limit <= 0) return invalid_argument("journal query: limit must be positive");
    std::string sql = std::string("SELECT ") + kJournalColumns + " FROM journal WHERE 1 = 1";
    Values params;
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
    return first<JournalRecord>(std::string("SELECT ") + kJournalColumns +
                                    " FROM journal ORDER BY seq DESC LIMIT 1",
                                {}, read_journal);
  }

  Result<std::vector<AlertCountRow>> alert_counts(TimeMs from_ms, TimeMs to_ms) const override {
    // A verdict survives closing: a closed alert counts as confirmed or dismissed by its
    // verdict (a dismissal always carries a reason code).
    return list<AlertCountRow>(
        "SELECT type, camera, (raised_ms / 3600000) * 3600000 AS hour, calibration, COUNT(*), "
        "SUM(state = 'confirmed' OR (state = 'closed' AND verdict_ms > 0 AND reason = '')), "
        "SUM(state = 'dismissed' OR (state = 'closed' AND verdict_ms > 0 AND reason <> '')), "
        "TOTAL(CASE WHEN verdict_ms > 0 THEN (verdict_ms - raised_ms) / 1000.0 ELSE 0 END) "
        "FROM alerts WHERE raised_ms >= ?1 AND raised_ms < ?2 "
        "GROUP BY type, camera, hour, calibration ORDER BY hour, type, camera, calibration",
        {from_ms, to_ms}, read_alert_count);
  }

  [[nodiscard]] int schema_version() const override { return version_; }

 private:
  template <typename T, typename Read>
  Result<std::vector<T>> list(const std::string& sql, const Values& params, Read read) const {
    std::lock_guard lock(read_mu_);
    VIGIE_ASSIGN_OR_RETURN(auto s, reader_->prepare(sql));
    s->bind_all(params);
    std::vector<T> out;
    while (s->row()) {
      // Readers return a record, or Result<record> when a stored value can be corrupt.
      if constexpr (std::is_same_v<std::decay_t<decltype(read(*s))>, T>) {
        out.push_back(read(*s));
      } else {
        VIGIE_ASSIGN_OR_RETURN(T r, read(*s));
        out.push_back(std::move(r));
      }
    }
    VIGIE_RETURN_IF_ERROR(s->status());
    return out;
  }

  /// The first row `sql` gives, if any.
  template <typename T, typename Read>
  Result<std::optional<T>> first(const std::string& sql, const Values& params, Read read) const {
    VIGIE_ASSIGN_OR_RETURN(auto rows, list<T>(sql, params, read));
    if (rows.empty()) return std::optional<T>();
    return std::optional<T>(std::move(rows.front()));
  }

  GroupCommit writes_;  ///< every write, on the write connection; locks itself
  mutable std::mutex read_mu_;
  std::unique_ptr<Db> reader_;     ///< guarded by read_mu_
  int version_;
};

// ---- opening --------------------------------------------------------------------------

constexpr std::int64_t kApplicationId = 0x76696769;  // "vigi"

Status not_vigie(const std::filesystem::path& path, const std::string& why) {
  return invalid_argument(path.string() + " is not a vigie database (" + why + ")");
}

Status newer_than_build(const std::filesystem::path& path, std::int64_t version, int latest) {
  return failed_precondition("database " + path.string() + " has schema version " +
                             std::to_string(version) + ", newer than this build (" +
                             std::to_string(latest) + "): upgrade vigie");
}

/// Creates the file, readable by its owner only, when it does not exist yet.
Status create_private_file(const std::filesystem::path& path) {
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
  return Status::ok();
}

/// Opens a connection for reading and writing, in WAL mode with full synchronisation.
Result<std::unique_ptr<Db>> open_connection(const std::filesystem::path& path) {
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
    VIGIE_ASSIGN_OR_RETURN(auto s, db->prepare("PRAGMA journal_mode = WAL"));
    if (!s->row()) return s->status().is_ok() ? internal_error("journal_mode: no row") : s->status();
    if (s->text(0) != "wal") {
      return failed_precondition("cannot put " + path.string() + " in WAL mode (got " +
                                 s->text(0) + ")");
    }
  }
  for (const char* pragma : {"PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON"}) {
    VIGIE_RETURN_IF_ERROR(db->exec(pragma, pragma));
  }
  return db;
}

/// Applies pending migrations; returns the schema version.
Result<int> migrate(Db& db, const std::filesystem::path& path) {
  const auto& migrations = schema_migrations();
  const int latest = static_cast<int>(migrations.size());
  for (;;) {
    // Each step in its own transaction, the version re-read under the write lock, so two
    // processes opening a new file at once do not both apply the same step.
    VIGIE_RETURN_IF_ERROR(db.exec("BEGIN IMMEDIATE", "begin migration"));
    struct Rollback {
      Db& db;
      bool done = false;
      ~Rollback() {
        if (!done) db.rollback();
      }
    } guard{db};
    VIGIE_ASSIGN_OR_RETURN(const std::int64_t version, db.scalar("PRAGMA user_version"));
    VIGIE_ASSIGN_OR_RETURN(const std::int64_t id, db.scalar("PRAGMA application_id"));
    if (version > latest) return newer_than_build(path, version, latest);
    if (version == 0) {
      VIGIE_ASSIGN_OR_RETURN(const std::int64_t objects,
                             db.scalar("SELECT COUNT(*) FROM sqlite_schema"));
      if (objects > 0 || (id != 0 && id != kApplicationId)) {
        return not_vigie(path, "an SQLite database of another application");
      }
    } else if (id != kApplicationId) {
      return not_vigie(path, "its application_id is " + std::to_string(id));
    }
    if (version == latest) {
      guard.done = true;
      VIGIE_RETURN_IF_ERROR(db.exec("COMMIT", "commit"));
      return latest;
    }
    VIGIE_RETURN_IF_ERROR(db.exec(migrations[static_cast<std::size_t>(version)],
                                  "migration to schema version " + std::to_string(version + 1)));
    const std::string bump = "PRAGMA user_version = " + std::to_string(version + 1) +
                             "; PRAGMA application_id = " + std::to_string(kApplicationId);
    VIGIE_RETURN_IF_ERROR(db.exec(bump.c_str(), "set schema version"));
    guard.done = true;
    VIGIE_RETURN_IF_ERROR(db.exec("COMMIT", "commit migration"));
  }
}

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& path) {
  VIGIE_RETURN_IF_ERROR(create_private_file(path));
  VIGIE_ASSIGN_OR_RETURN(auto db, open_connection(path));
  VIGIE_ASSIGN_OR_RETURN(const int version, migrate(*db, path));
  // Reads have a connection of their own: they see only committed data, even while a batch
  // of writes is open between two of its writers, and never wait for a commit's fsync.
  VIGIE_ASSIGN_OR_RETURN(auto reader, open_connection(path));
  VIGIE_RETURN_IF_ERROR(reader->exec("PRAGMA query_only = 1", "read-only connection"));
  return std::unique_ptr<Store>(
      std::make_unique<SqliteStore>(std::move(db), std::move(reader), version));
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
  std::string query = has_log ? "mode=ro" : "immutable=1";
  auto [rc, db] = open(query);
  std::optional<Result<std::int64_t>> version;
  if (rc == SQLITE_OK) version = db->scalar("PRAGMA user_version");
  if (rc != SQLITE_OK || !version->is_ok()) {
    query = "immutable=1";
    std::tie(rc, db) = open(query);
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
  VIGIE_ASSIGN_OR_RETURN(const std::int64_t id, db->scalar("PRAGMA application_id"));
  const int latest = static_cast<int>(schema_migrations().size());
  if (**version < 1 || id != kApplicationId) return not_vigie(path, "not a vigie database");
  if (**version > latest) return newer_than_build(path, **version, latest);
  auto [reader_rc, reader] = open(query);
  if (reader_rc != SQLITE_OK) {
    return sqlite_status(reader_rc, reader->handle(), "cannot open " + path.string());
  }
  sqlite3_extended_result_codes(reader->handle(), 1);
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(std::move(db), std::move(reader),
                                                              static_cast<int>(**version)));
}

}  // namespace vigie::storage
