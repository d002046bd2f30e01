#pragma once
// The one storage seam: alerts, comments, evidence records, users, authorizations and the
// journal, behind an interface with an embedded SQLite backend (the default, one file under
// the data directory) and a PostgreSQL backend for several nodes sharing one database.
//
// Every change goes through write(): the changes and the journal records that describe them
// commit together, durably, before write() returns; so an action is acknowledged only once
// its journal record is on disk, and a crash loses neither or both.

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/status.hpp"
#include "storage/records.hpp"

namespace vigie::storage {

/// The changes of one transaction. Only valid inside the function given to Store::write().
class Tx {
 public:
  virtual ~Tx() = default;

  /// Reads an alert inside the transaction (the store's own read methods must not be called
  /// from inside write(): they may wait for the lock write() holds).
  virtual Result<std::optional<AlertRecord>> get_alert(std::int64_t id) = 0;
  /// Inserts a new alert (record.id == 0: the store assigns it, returned) or replaces the
  /// stored alert with the same id.
  virtual Result<std::int64_t> put_alert(const AlertRecord& record) = 0;
  virtual Result<std::int64_t> add_comment(const CommentRecord& comment) = 0;
  virtual Result<std::int64_t> add_evidence(const EvidenceRecord& evidence) = 0;
  virtual Status delete_evidence(std::int64_t evidence_id) = 0;
  /// Inserts or replaces by name.
  virtual Status put_user(const UserRecord& user) = 0;
  /// Inserts or replaces by reference.
  virtual Status put_authorization(const AuthorizationRecord& authorization) = 0;
  /// Inserts or replaces by camera.
  virtual Status put_camera_geometry(const CameraGeometryRecord& geometry) = 0;
  /// Deletes journal records older than `before_ms`, except the newest of them, which stays
  /// as the anchor of the chain that follows. Returns how many were deleted. "Newest" is by
  /// seq: every record before the anchor goes, so what remains is one unbroken chain.
  virtual Result<std::int64_t> delete_journal_before(TimeMs before_ms) = 0;
  /// The oldest journal record kept, if any: after a purge, the anchor of the chain.
  virtual Result<std::optional<JournalRecord>> journal_first() = 0;
  /// Chains and appends a record; returns it with its seq and hashes.
  virtual Result<JournalRecord> journal(const JournalDraft& draft) = 0;

  // Camera leases (nodes sharing a PostgreSQL database; Unimplemented on SQLite). Taken
  // inside write(), so the change of holder and its journal record commit together, and two
  // nodes claiming one camera are serialised by the write lock.

  /// Makes `node` the holder of `camera` for `lease_ms` from the database's clock, when no
  /// other node holds an unexpired lease on it. Returns the previous holder ("" when none,
  /// the node itself when it already held it); FailedPrecondition naming the holder when
  /// another node's lease is still running.
  virtual Result<std::string> claim_camera(const CameraId& camera, const std::string& node,
                                           double lease_s);
  /// Gives up `node`'s lease on `camera`; false when it did not hold it.
  virtual Result<bool> release_camera(const CameraId& camera, const std::string& node);
  /// Removes a node's row and its leases: `only_if_expired` (another node removing a node
  /// that stopped heartbeating) removes it only when its heartbeat has expired. True when a
  /// row was removed.
  virtual Result<bool> remove_node(const std::string& node, bool only_if_expired);
};

/// The cameras a node's configuration lists (the enabled ones), with their weights: what it
/// may run, announced with each heartbeat so the others balance with it.
using NodeCameras = std::map<CameraId, double>;

/// A node as the lease table shows it.
struct NodeRow {
  std::string id;
  std::string api;  ///< where its API listens, as the node announced it ("host:port")
  bool live = false;  ///< its heartbeat has not expired
  NodeCameras cameras;  ///< as of its latest heartbeat
};

/// A camera's lease.
struct LeaseRow {
  CameraId camera;
  std::string node;
  bool live = false;  ///< not expired
  TimeMs acquired_ms = 0;
};

/// What one heartbeat saw, just after renewing the node's own leases.
struct LeaseBoard {
  std::vector<NodeRow> nodes;
  std::vector<LeaseRow> leases;
};

/// Counts for the statistics pages, over a time range of `raised_ms`.
struct AlertCountRow {
  EventType type = EventType::kIntrusion;
  CameraId camera;
  TimeMs hour_ms = 0;  ///< start of the UTC hour
  bool calibration = false;
  std::int64_t alerts = 0;
  /// Confirmed, or closed after a verdict without a reason code.
  std::int64_t confirmed = 0;
  /// Dismissed, or closed after a verdict with a reason code.
  std::int64_t dismissed = 0;
  double verdict_seconds_sum = 0;  ///< sum over alerts with a verdict of (verdict - raised)
};

/// Thread-safe: any method may be called from any thread. Writes are serialised.
class Store {
 public:
  virtual ~Store() = default;

  /// Runs `changes` in one transaction, committed durably when it returns OK and rolled back
  /// entirely when it returns an error (that error is returned). `changes` runs on the
  /// caller's thread. Both stores commit concurrent writes together (each under its own
  /// savepoint, so each is kept or rolled back alone): a write may return only once writes
  /// that joined its commit have run, so `changes` must not wait for another thread that may
  /// itself be writing, nor for a lock such a thread holds.
  virtual Status write(const std::function<Status(Tx&)>& changes) = 0;

  virtual Result<std::optional<AlertRecord>> alert(std::int64_t id) const = 0;
  /// Newest first.
  virtual Result<std::vector<AlertRecord>> alerts(const AlertQuery& query) const = 0;
  virtual Result<std::vector<CommentRecord>> comments(std::int64_t alert_id) const = 0;
  virtual Result<std::vector<EvidenceRecord>> evidence(std::int64_t alert_id) const = 0;
  /// Evidence records created before `before_ms`, oldest first.
  virtual Result<std::vector<EvidenceRecord>> evidence_before(TimeMs before_ms) const = 0;
  virtual Result<std::optional<UserRecord>> user(const std::string& name) const = 0;
  virtual Result<std::vector<UserRecord>> users() const = 0;
  virtual Result<std::vector<AuthorizationRecord>> authorizations() const = 0;
  /// Geometries changed from the console, by camera id.
  virtual Result<std::vector<CameraGeometryRecord>> camera_geometries() const = 0;
  /// Oldest first.
  virtual Result<std::vector<JournalRecord>> journal(const JournalQuery& query) const = 0;
  /// The newest journal record, if any.
  virtual Result<std::optional<JournalRecord>> journal_head() const = 0;
  /// Per type, camera and hour, over [from_ms, to_ms).
  virtual Result<std::vector<AlertCountRow>> alert_counts(TimeMs from_ms, TimeMs to_ms) const = 0;

  /// Why the database itself refused the latest commit (a full disk, an I/O error), until a
  /// commit succeeds again; empty while commits succeed. Changes the caller's checks refused
  /// (NotFound, InvalidArgument...) are no such failure.
  [[nodiscard]] virtual std::string commit_problem() const = 0;

  /// Schema version of the open database (migrations are applied on open).
  [[nodiscard]] virtual int schema_version() const = 0;

  /// Whether several nodes may share this store (camera leases, a journal others append to).
  [[nodiscard]] virtual bool shared() const { return false; }
  /// One heartbeat of `node` (PostgreSQL only; Unimplemented on SQLite): marks the node alive
  /// for `lease_s`, records the cameras its configuration lists, renews every lease it holds
  /// for as long, on a connection of its own that never waits for writes or reads, and
  /// returns every node and lease. Not journaled.
  virtual Result<LeaseBoard> heartbeat(const std::string& node, const std::string& api,
                                       double lease_s, const NodeCameras& cameras);
};

/// Opens (creating if needed) the SQLite database `path`, in WAL mode with full
/// synchronisation, and applies pending migrations. InvalidArgument for a file that is not
/// a vigie database; FailedPrecondition for a database newer than this build.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& path);

/// Opens an existing SQLite store for reading only: nothing is created or migrated, and it
/// works on a copy the reader cannot write (verification by evaluators). Writes fail.
/// NotFound without the file, InvalidArgument when it is not a vigie database.
Result<std::unique_ptr<Store>> open_sqlite_store_read_only(const std::filesystem::path& path);

/// How to reach a PostgreSQL database.
struct PostgresOptions {
  /// A libpq connection URL (postgresql://user@host:port/db?sslmode=...) or key=value string.
  /// The password may be in it, in `password_file`, or in libpq's own PGPASSWORD or
  /// ~/.pgpass; it is never printed.
  std::string url;
  /// A file whose first line is the password; empty: none.
  std::string password_file;
  /// Used when the URL sets no connect_timeout.
  int connect_timeout_s = 10;
};

/// Opens the PostgreSQL database and applies pending migrations (one node at a time, under an
/// advisory lock). Unavailable naming host, port, database and user (never the password) when
/// it cannot be reached; InvalidArgument for a bad URL or password file, or a database that
/// holds another application's tables; FailedPrecondition for a schema newer than this build.
/// The journal stays one chain across every node that shares the database: appends are
/// serialised by a transaction-scoped advisory lock.
Result<std::unique_ptr<Store>> open_postgres_store(const PostgresOptions& options);

/// Opens an existing PostgreSQL store for reading only: nothing is created or migrated, and
/// the session is read-only, so the verifier needs no more than SELECT rights. Writes fail.
/// NotFound when the database holds no vigie schema.
Result<std::unique_ptr<Store>> open_postgres_store_read_only(const PostgresOptions& options);

/// The store a node's configuration asks for: SQLite at <data_dir>/vigie.db, or PostgreSQL
/// at storage.postgres_url.
Result<std::unique_ptr<Store>> make_store(const config::StorageConfig& config);

}  // namespace vigie::storage
