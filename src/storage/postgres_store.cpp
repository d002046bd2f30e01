// The PostgreSQL store, for several nodes sharing one database.
//
// Two connections: one for write(), one for reads, each behind its own mutex, so a reader
// never waits for a write in progress and sees only committed data. A connection that breaks
// is opened again by the next call. Every write transaction begins by taking one
// transaction-scoped advisory lock (kWriteLockSql): writes are serialised across all nodes
// exactly as SQLite's BEGIN IMMEDIATE serialises them across processes, so the journal's head
// read inside a write is the head its record follows, and the chain never forks. The lock is
// taken first, before any row, so two writers can never wait for each other in a cycle.
// `journal.seq` is the primary key as well: were the lock ever bypassed, a second record with
// a seq would be refused, not chained beside the first. Concurrent writes of one store share
// transactions (group commit, group_commit.hpp), so one lock and one WAL flush carry many
// records.

#include <mutex>
#include <optional>
#include <type_traits>

#include "storage/group_commit.hpp"
#include "storage/journal_chain.hpp"
#include "storage/postgres_connection.hpp"
#include "storage/postgres_leases.hpp"
#include "storage/postgres_rows.hpp"
#include "storage/postgres_schema.hpp"
#include "storage/store.hpp"

namespace vigie::storage {
namespace {

using nlohmann::json;
using pg::Params;

constexpr Placeholder kMark = Placeholder::kPostgres;

/// Serialises migrations across nodes starting together: "vigie" + 'm'.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(130470019590253)";

Status failed_precondition(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}

// ---- transactions -----------------------------------------------------------------------

/// The journal's head as the open transaction sees it: read once per batch, then advanced
/// by each append, so that an append costs one statement.
struct JournalHead {
  std::int64_t seq = 0;
  std::string hash;
};

class PgTx final : public Tx {
 public:
  /// `head`: the batch's cached head (empty until read), advanced by appends.
  PgTx(pqxx::transaction_base& w, std::optional<JournalHead>& head) : w_(w), head_(head) {}

  /// The first database failure inside the transaction: after one, PostgreSQL refuses every
  /// further statement of it, and write() rolls back even if the caller ignored it.
  [[nodiscard]] const Status& failure() const { return failure_; }

  Result<std::optional<AlertRecord>> get_alert(std::int64_t id) override {
    return run<std::optional<AlertRecord>>(
        "get alert", [&]() -> Result<std::optional<AlertRecord>> {
          const auto r = pg::exec(
              w_, std::string("SELECT id, ") + kAlertColumns + " FROM alerts WHERE id = $1",
              Params().add(id));
          if (r.empty()) return std::optional<AlertRecord>();
          VIGIE_ASSIGN_OR_RETURN(auto a, read_alert(pg::Row(r[0])));
          return std::optional<AlertRecord>(std::move(a));
        });
  }

  Result<std::int64_t> put_alert(const AlertRecord& record) override {
    VIGIE_ASSIGN_OR_RETURN(const Values values, alert_values(record));
    Params params(values);
    return run<std::int64_t>("put alert", [&]() -> Result<std::int64_t> {
      if (record.id == 0) {
        const auto r =
            pg::exec(w_, insert_sql("alerts", kAlertColumns, kMark) + " RETURNING id", params);
        return pg::i64(r[0][0]);
      }
      params.add(record.id);
      const auto r = pg::exec(w_, update_sql("alerts", kAlertColumns, "id", kMark), params);
      if (r.affected_rows() == 0) return not_found("no alert " + std::to_string(record.id));
      return record.id;
    });
  }

  Result<std::int64_t> add_comment(const CommentRecord& c) override {
    VIGIE_RETURN_IF_ERROR(alert_exists(c.alert_id));
    return insert("add comment", "comments", kCommentColumns, comment_values(c));
  }

  Result<std::int64_t> add_evidence(const EvidenceRecord& e) override {
    VIGIE_RETURN_IF_ERROR(alert_exists(e.alert_id));
    return insert("add evidence", "evidence", kEvidenceColumns, evidence_values(e));
  }
  Status delete_evidence(std::int64_t evidence_id) override {
    return run<bool>("delete evidence",
                     [&]() -> Result<bool> {
                       const auto r = pg::exec(w_, "DELETE FROM evidence WHERE id = $1",
                                               Params().add(evidence_id));
                       if (r.affected_rows() == 0) {
                         return not_found("no evidence " + std::to_string(evidence_id));
                       }
                       return true;
                     })
        .status();
  }

  Status put_user(const UserRecord& u) override {
    if (u.name.empty()) return invalid_argument("user: empty name");
    return statement("put user", upsert_sql("users", kUserColumns, kMark), Params(user_values(u)));
  }

  Status put_authorization(const AuthorizationRecord& a) override {
    if (a.reference.empty()) return invalid_argument("authorization: empty reference");
    VIGIE_ASSIGN_OR_RETURN(const Values values, authorization_values(a));
    return statement("put authorization",
                     upsert_sql("authorizations", kAuthorizationColumns, kMark), Params(values));
  }

  Status put_camera_geometry(const CameraGeometryRecord& g) override {
    if (g.camera.empty()) return invalid_argument("camera geometry: empty camera");
    return statement("put camera geometry",
                     upsert_sql("camera_geometry", kCameraGeometryColumns, kMark),
                     Params(camera_geometry_values(g)));
  }

  Result<std::int64_t> delete_journal_before(TimeMs before_ms) override {
    // As in SQLite: the anchor is the last record (by seq) stamped before the cutoff.
    return run<std::int64_t>("journal retention", [&]() -> Result<std::int64_t> {
      const auto a =
          pg::exec(w_, "SELECT MAX(seq) FROM journal WHERE at_ms < $1", Params().add(before_ms));
      if (a[0][0].is_null()) return std::int64_t{0};
      const auto d =
          pg::exec(w_, "DELETE FROM journal WHERE seq < $1", Params().add(pg::i64(a[0][0])));
      return static_cast<std::int64_t>(d.affected_rows());
    });
  }

  Result<std::optional<JournalRecord>> journal_first() override {
    return run<std::optional<JournalRecord>>(
        "journal first", [&]() -> Result<std::optional<JournalRecord>> {
          const auto r = pg::exec(w_, std::string("SELECT ") + kJournalColumns +
                                          " FROM journal ORDER BY seq LIMIT 1");
          if (r.empty()) return std::optional<JournalRecord>();
          return std::optional<JournalRecord>(read_journal(pg::Row(r[0])));
        });
  }

  Result<JournalRecord> journal(const JournalDraft& draft) override {
    VIGIE_ASSIGN_OR_RETURN(JournalRecord rec, journal_record_of(draft));
    return run<JournalRecord>("journal append", [&]() -> Result<JournalRecord> {
      // write() holds kWriteLockSql: no other node appends between this read and the commit,
      // and within the batch every append goes through this cache.
      if (!head_) {
        const auto head = pg::exec(w_, "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1");
        head_ = head.empty() ? JournalHead{0, kGenesisHash}
                             : JournalHead{pg::i64(head[0][0]), pg::text(head[0][1])};
      }
      VIGIE_RETURN_IF_ERROR(chain_after(rec, head_->seq, head_->hash));
      pg::insert_journal(w_, rec);
      head_ = JournalHead{rec.seq, rec.hash};
      return rec;
    });
  }

  Result<std::string> claim_camera(const CameraId& camera, const std::string& node,
                                   double lease_s) override {
    return run<std::string>("claim camera",
                            [&]() { return pg::claim_camera(w_, camera, node, lease_s); });
  }

  Result<bool> release_camera(const CameraId& camera, const std::string& node) override {
    return run<bool>("release camera",
                     [&]() -> Result<bool> { return pg::release_camera(w_, camera, node); });
  }

  Result<bool> remove_node(const std::string& node, bool only_if_expired) override {
    return run<bool>("remove node",
                     [&]() -> Result<bool> { return pg::remove_node(w_, node, only_if_expired); });
  }

 private:
  /// Runs `body`, turning a libpqxx exception into the transaction's failure. A Status the
  /// body returns is the caller's refusal (NotFound...), not a database failure.
  template <typename T, typename Body>
  Result<T> run(const char* what, Body body) {
    if (!failure_.is_ok()) return fail(failure_);
    try {
      return body();
    } catch (const std::exception& e) {
      return fail(pg::status_of(e, what));
    }
  }

  /// Inserts a row with `values` into `table`; the id it was given.
  Result<std::int64_t> insert(const char* what, const char* table, const char* columns,
                              const Values& values) {
    return run<std::int64_t>(what, [&]() -> Result<std::int64_t> {
      const auto r =
          pg::exec(w_, insert_sql(table, columns, kMark) + " RETURNING id", Params(values));
      return pg::i64(r[0][0]);
    });
  }

  Status statement(const char* what, const std::string& sql, const Params& params) {
    return run<bool>(what,
                     [&]() -> Result<bool> {
                       pg::exec(w_, sql, params);
                       return true;
                     })
        .status();
  }

  Status alert_exists(std::int64_t id) {
    return run<bool>("find alert",
                     [&]() -> Result<bool> {
                       const auto r =
                           pg::exec(w_, "SELECT 1 FROM alerts WHERE id = $1", Params().add(id));
                       if (r.empty()) return not_found("no alert " + std::to_string(id));
                       return true;
                     })
        .status();
  }

  Status fail(Status s) {
    if (!s.is_ok() && failure_.is_ok()) failure_ = s;
    return s;
  }

  pqxx::transaction_base& w_;
  std::optional<JournalHead>& head_;
  Status failure_;
};

/// A connection opened on first use and again after it broke. Guarded by its owner's mutex.
class Link {
 public:
  explicit Link(pg::Target target) : target_(std::move(target)) {}

  Result<pqxx::connection*> get() {
    if (conn_ && !conn_->is_open()) conn_.reset();
    if (!conn_) {
      VIGIE_ASSIGN_OR_RETURN(conn_, pg::connect(target_));
    }
    return conn_.get();
  }
  /// After an exception: drops the connection when the exception says it is gone.
  void after(const std::exception& e) {
    if (pg::connection_lost(e)) conn_.reset();
  }
  void adopt(std::unique_ptr<pqxx::connection> c) { conn_ = std::move(c); }

 private:
  pg::Target target_;
  std::unique_ptr<pqxx::connection> conn_;
};

// ---- the store ----------------------------------------------------------------------------

/// The write connection's calls for group commit. A libpqxx exception becomes a status; one
/// that says the connection is gone drops it, so the next batch opens it again.
class PgWrites final : public GroupCommit::Connection {
 public:
  explicit PgWrites(const pg::Target& target) : writer_(target) {}

  Status begin() override {
    auto conn = writer_.get();
    if (!conn.is_ok()) return conn.status();
    try {
      work_ = std::make_unique<pqxx::work>(**conn);
      work_->exec(kWriteLockSql);
    } catch (const std::exception& e) {
      work_.reset();
      writer_.after(e);
      return pg::status_of(e, "begin");
    }
    head_.reset();
    return Status::ok();
  }

  // A savepoint that cannot be taken, released or rolled back loses the transaction, and with
  // it every write of the batch: each is reported as the commit's failure.
  Status savepoint() override {
    head_before_ = head_;
    return exec("SAVEPOINT vigie_write");
  }

  Status release() override { return exec("RELEASE SAVEPOINT vigie_write"); }

  Status roll_back_write(const Status& /*refusal*/) override {
    VIGIE_RETURN_IF_ERROR(exec("ROLLBACK TO SAVEPOINT vigie_write"));
    head_ = head_before_;  // the refused write's appends are gone
    return Status::ok();
  }

  Ran run(const Changes& changes) override {
    PgTx tx(*work_, head_);
    Status result = call_changes(changes, tx);
    return {std::move(result), tx.failure()};
  }

  Status end(bool commit) override {
    try {
      if (commit) {
        work_->commit();
      } else {
        work_->abort();
      }
    } catch (const std::exception& e) {
      writer_.after(e);
      return pg::status_of(e, "commit");
    }
    return Status::ok();
  }

  void discard() override {
    work_.reset();  // rolls back what was not committed
    head_.reset();
  }

 private:
  /// One statement of the open transaction.
  Status exec(const char* sql) {
    try {
      work_->exec(sql);
    } catch (const std::exception& e) {
      writer_.after(e);
      return pg::status_of(e, "commit");
    }
    return Status::ok();
  }

  // Every member is guarded by the GroupCommit's write_mu_, the only caller.
  Link writer_;
  std::unique_ptr<pqxx::work> work_;        ///< the open batch's transaction
  std::optional<JournalHead> head_;         ///< the batch's journal head, once read
  std::optional<JournalHead> head_before_;  ///< head_ when the last savepoint was taken
};

class PgStore final : public Store {
 public:
  PgStore(const pg::Target& target, std::unique_ptr<pqxx::connection> first, int version,
          bool read_only)
      : writes_(std::make_unique<PgWrites>(target)), reader_(target), leaser_(target),
        version_(version),
        read_only_(read_only) {
    reader_.adopt(std::move(first));
  }

  // Group commit (group_commit.hpp). The batch holds kWriteLockSql from its first write to
  // its commit, so batches from every node still follow each other and the chain stays one;
  // what grows is the number of records one lock, one round of statements and one WAL flush
  // carry.
  Status write(const std::function<Status(Tx&)>& changes) override {
    if (read_only_) return failed_precondition("this store was opened read-only");
    return writes_.write(changes);
  }

  [[nodiscard]] std::string commit_problem() const override { return writes_.commit_problem(); }

  Result<std::optional<AlertRecord>> alert(std::int64_t id) const override {
    return first<AlertRecord>(
        std::string("SELECT id, ") + kAlertColumns + " FROM alerts WHERE id = $1",
        Params().add(id), read_alert);
  }

  Result<std::vector<AlertRecord>> alerts(const AlertQuery& q) const override {
    if (q.limit <= 0) return invalid_argument("alert query: limit must be positive");
    std::string sql = std::string("SELECT id, ") + kAlertColumns + " FROM alerts WHERE ";
    Params p;
    if (q.only_calibration) {
      sql += "calibration";
    } else if (q.include_calibration) {
      sql += "TRUE";
    } else {
      sql += "NOT calibration";
    }
    const auto clause = [&](const char* column_op, auto value) {
      sql += std::string(" AND ") + column_op + " " + p.next();
      p.add(value);
    };
    if (q.type) clause("type =", std::string(to_string(*q.type)));
    if (q.camera) clause("camera =", *q.camera);
    if (q.state) clause("state =", std::string(to_string(*q.state)));
    if (q.from_ms) clause("raised_ms >=", *q.from_ms);
    if (q.to_ms) clause("raised_ms <", *q.to_ms);
    if (q.before_id) clause("id <", *q.before_id);
    if (q.only_unended) sql += " AND ended_ms = 0";
    sql += " ORDER BY id DESC LIMIT " + p.next();
    p.add(std::int64_t{q.limit});
    return rows<AlertRecord>(sql, p, read_alert);
  }

  Result<std::vector<CommentRecord>> comments(std::int64_t alert_id) const override {
    return rows<CommentRecord>(
        std::string("SELECT id, ") + kCommentColumns +
            " FROM comments WHERE alert_id = $1 ORDER BY id",
        Params().add(alert_id), read_comment);
  }

  Result<std::vector<EvidenceRecord>> evidence(std::int64_t alert_id) const override {
    return rows<EvidenceRecord>(std::string("SELECT id, ") + kEvidenceColumns +
                                    " FROM evidence WHERE alert_id = $1 ORDER BY id",
                                Params().add(alert_id), read_evidence);
  }

  Result<std::vector<EvidenceRecord>> evidence_before(TimeMs before_ms) const override {
    return rows<EvidenceRecord>(std::string("SELECT id, ") + kEvidenceColumns +
                                    " FROM evidence WHERE created_ms < $1 ORDER BY created_ms, id",
                                Params().add(before_ms), read_evidence);
  }

  Result<std::optional<UserRecord>> user(const std::string& name) const override {
    return first<UserRecord>(
        std::string("SELECT ") + kUserColumns + " FROM users WHERE name = $1",
        Params().add(name), read_user);
  }

  Result<std::vector<UserRecord>> users() const override {
    return rows<UserRecord>(
        std::string("SELECT ") + kUserColumns + " FROM users ORDER BY name", {},
        read_user);
  }

  Result<std::vector<CameraGeometryRecord>> camera_geometries() const override {
    return rows<CameraGeometryRecord>(
        std::string("SELECT ") + kCameraGeometryColumns + " FROM camera_geometry ORDER BY camera",
        {}, read_camera_geometry);
  }

  Result<std::vector<AuthorizationRecord>> authorizations() const override {
    return rows<AuthorizationRecord>(
        std::string("SELECT ") + kAuthorizationColumns +
            " FROM authorizations ORDER BY reference",
        {}, read_authorization);
  }

  Result<std::vector<JournalRecord>> journal(const JournalQuery& q) const override {
    if (q.limit <= 0) return invalid_argument("journal query: limit must be positive");
    std::string sql = std::string("SELECT ") + kJournalColumns + " FROM journal WHERE TRUE";
    Params p;
    const auto clause = [&](const char* column_op, auto value) {
      sql += std::string(" AND ") + column_op + " " + p.next();
      p.add(value);
    };
    if (q.from_ms) clause("at_ms >=", *q.from_ms);
    if (q.to_ms) clause("at_ms <", *q.to_ms);
    if (q.after_seq) clause("seq >", *q.after_seq);
    if (q.action_prefix && !q.action_prefix->empty()) {
      // The range lets the index serve; starts_with keeps '%' and '_' literal and needs no
      // upper bound (which could be invalid UTF-8 after a multibyte character).
      sql += " AND action >= " + p.next() + " AND starts_with(action, " + p.next() + ")";
      p.add(*q.action_prefix);
    }
    if (q.actor) clause("actor =", *q.actor);
    sql += " ORDER BY seq LIMIT " + p.next();
    p.add(std::int64_t{q.limit});
    return rows<JournalRecord>(sql, p, read_journal);
  }

  Result<std::optional<JournalRecord>> journal_head() const override {
    return first<JournalRecord>(
        std::string("SELECT ") + kJournalColumns + " FROM journal ORDER BY seq DESC LIMIT 1",
        {}, read_journal);
  }

  Result<std::vector<AlertCountRow>> alert_counts(TimeMs from_ms, TimeMs to_ms) const override {
    // As in SQLite: a closed alert counts as confirmed or dismissed by its verdict.
    return rows<AlertCountRow>(
        "SELECT type, camera, (raised_ms / 3600000) * 3600000 AS hour, calibration, COUNT(*), "
        "SUM(CASE WHEN state = 'confirmed' OR (state = 'closed' AND verdict_ms > 0 AND "
        "reason = '') THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN state = 'dismissed' OR (state = 'closed' AND verdict_ms > 0 AND "
        "reason <> '') THEN 1 ELSE 0 END), "
        "COALESCE(SUM(CASE WHEN verdict_ms > 0 THEN (verdict_ms - raised_ms) / 1000.0 "
        "ELSE 0 END), 0)::double precision "
        "FROM alerts WHERE raised_ms >= $1 AND raised_ms < $2 "
        "GROUP BY type, camera, hour, calibration ORDER BY hour, type, camera, calibration",
        Params().add(from_ms).add(to_ms), read_alert_count);
  }

  [[nodiscard]] int schema_version() const override { return version_; }
  [[nodiscard]] bool shared() const override { return true; }

  Result<LeaseBoard> heartbeat(const std::string& node, const std::string& api,
                               double lease_s, const NodeCameras& cameras) override {
    if (read_only_) return failed_precondition("this store was opened read-only");
    std::lock_guard lock(lease_mu_);
    VIGIE_ASSIGN_OR_RETURN(pqxx::connection* conn, leaser_.get());
    try {
      pqxx::work w(*conn);
      LeaseBoard board = pg::heartbeat(w, node, api, lease_s, cameras);
      w.commit();
      return board;
    } catch (const std::exception& e) {
      leaser_.after(e);
      return pg::status_of(e, "heartbeat");
    }
  }

 private:
  /// Runs one query on the read connection and converts its rows.
  template <typename T, typename Read>
  Result<std::vector<T>> rows(const std::string& sql, const Params& params, Read read) const {
    std::lock_guard lock(read_mu_);
    VIGIE_ASSIGN_OR_RETURN(pqxx::connection* conn, reader_.get());
    std::vector<T> out;
    try {
      pqxx::nontransaction n(*conn);
      const auto result = pg::exec(n, sql, params);
      out.reserve(result.size());
      for (const auto& row : result) {
        // Readers return a record, or Result<record> when a stored value can be corrupt.
        const pg::Row columns(row);
        if constexpr (std::is_same_v<std::decay_t<decltype(read(columns))>, T>) {
          out.push_back(read(columns));
        } else {
          VIGIE_ASSIGN_OR_RETURN(T r, read(columns));
          out.push_back(std::move(r));
        }
      }
    } catch (const std::exception& e) {
      reader_.after(e);
      return pg::status_of(e, "read");
    }
    return out;
  }

  /// The first row `sql` gives, if any.
  template <typename T, typename Read>
  Result<std::optional<T>> first(const std::string& sql, const Params& params, Read read) const {
    VIGIE_ASSIGN_OR_RETURN(auto list, rows<T>(sql, params, read));
    if (list.empty()) return std::optional<T>();
    return std::optional<T>(std::move(list.front()));
  }

  GroupCommit writes_;  ///< every write, on the write connection; locks itself
  mutable std::mutex read_mu_;
  mutable Link reader_;  ///< guarded by read_mu_
  std::mutex lease_mu_;
  Link leaser_;  ///< guarded by lease_mu_: heartbeats never wait for a write or a read
  int version_;
  bool read_only_;
};

// ---- opening --------------------------------------------------------------------------

Status not_vigie(const pg::Target& t, const std::string& why) {
  return invalid_argument("PostgreSQL database at " + t.description + " is not a vigie database (" +
                          why + ")");
}

Status newer_than_build(const pg::Target& t, int version, int latest) {
  return failed_precondition("PostgreSQL database at " + t.description + " has schema version " +
                             std::to_string(version) + ", newer than this build (" +
                             std::to_string(latest) + "): upgrade vigie");
}

/// Applies pending migrations, one step per transaction, under the migration lock; returns
/// the schema version.
Result<int> migrate(pqxx::connection& conn, const pg::Target& t) {
  const auto& steps = postgres_migrations();
  const int latest = static_cast<int>(steps.size());
  for (;;) {
    pqxx::work w(conn);
    w.exec(kMigrationLock);
    const bool has_schema =
        pg::boolean(w.exec("SELECT to_regclass('vigie_schema') IS NOT NULL")[0][0]);
    if (!has_schema) {
      const auto tables = pg::i64(
          w.exec("SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema()")[0][0]);
      if (tables > 0) return not_vigie(t, "it holds tables of another application");
      w.exec(
          "CREATE TABLE vigie_schema (only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row), "
          "application TEXT NOT NULL, version INTEGER NOT NULL)");
      w.exec("INSERT INTO vigie_schema (application, version) VALUES ('vigie', 0)");
    }
    const auto row = w.exec("SELECT application, version FROM vigie_schema");
    if (row.empty() || pg::text(row[0][0]) != "vigie") {
      return not_vigie(t, "its vigie_schema table names another application");
    }
    const int version = static_cast<int>(pg::i64(row[0][1]));
    if (version > latest) return newer_than_build(t, version, latest);
    if (version == latest) {
      w.commit();
      return version;
    }
    w.exec(steps[static_cast<std::size_t>(version)]);
    pg::exec(w, "UPDATE vigie_schema SET version = $1", Params().add(version + 1));
    w.commit();
  }
}

Result<std::unique_ptr<Store>> open(const PostgresOptions& options, bool read_only) {
  VIGIE_ASSIGN_OR_RETURN(const pg::Target target, pg::make_target(options, read_only));
  VIGIE_ASSIGN_OR_RETURN(auto conn, pg::connect(target));
  int version = 0;
  try {
    if (read_only) {
      pqxx::nontransaction n(*conn);
      if (!pg::boolean(n.exec("SELECT to_regclass('vigie_schema') IS NOT NULL")[0][0])) {
        return not_found("PostgreSQL database at " + target.description +
                         " holds no vigie schema");
      }
      const auto row = n.exec("SELECT application, version FROM vigie_schema");
      if (row.empty() || pg::text(row[0][0]) != "vigie") {
        return not_vigie(target, "its vigie_schema table names another application");
      }
      version = static_cast<int>(pg::i64(row[0][1]));
      const int latest = static_cast<int>(postgres_migrations().size());
      if (version < 1) return not_vigie(target, "its schema was never completed");
      if (version > latest) return newer_than_build(target, version, latest);
    } else {
      VIGIE_ASSIGN_OR_RETURN(version, migrate(*conn, target));
    }
  } catch (const std::exception& e) {
    return pg::status_of(e, std::string(read_only ? "reading" : "migrating") +
                                " the schema of PostgreSQL database at " + target.description);
  }
  return std::unique_ptr<Store>(
      std::make_unique<PgStore>(target, std::move(conn), version, read_only));
}

}  // namespace

Result<std::unique_ptr<Store>> open_postgres_store(const PostgresOptions& options) {
  return open(options, false);
}

Result<std::unique_ptr<Store>> open_postgres_store_read_only(const PostgresOptions& options) {
  return open(options, true);
}

}  // namespace vigie::storage
