#pragma once
// Group commit, shared by the SQLite and PostgreSQL stores. Concurrent writes of one store
// share one transaction: each runs its changes, on its own thread, under a savepoint of the
// open transaction (a write its caller refuses, or a statement the database refuses, is rolled
// back alone), then either leaves the transaction open for a write already waiting, or commits
// it. Every write of the batch returns after that one commit, with its own status: a caller
// never returns before its changes and their journal records are durable. What grows is the
// number of records one commit (one fsync, one WAL flush) carries.
//
// This class holds what both databases share: the batch, joining it, waiting for its commit,
// finishing it, and the commit problem health checks read. A store supplies only the calls on
// its write connection (GroupCommit::Connection) and their error mapping.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "core/status.hpp"
#include "storage/store.hpp"

namespace vigie::storage {

/// The changes of one write, as given to Store::write().
using Changes = std::function<Status(Tx&)>;

/// Runs the caller's changes on `tx`; their status, an exception they throw turned into an
/// internal error so that it cannot leave a batch half-finished.
Status call_changes(const Changes& changes, Tx& tx);

class GroupCommit {
 public:
  /// What differs between databases: the calls on the one write connection. GroupCommit calls
  /// them only with its write lock held, one at a time, so the connection needs no lock of its
  /// own. A failing call returns a status naming what failed; the database's own words are in it.
  class Connection {
   public:
    virtual ~Connection() = default;

    /// Opens the batch's transaction. On failure nothing is left open.
    virtual Status begin() = 0;
    /// Takes the savepoint a write after the first one runs under.
    virtual Status savepoint() = 0;
    /// Keeps the changes made since savepoint().
    virtual Status release() = 0;
    /// Rolls back the changes made since savepoint(), which `refusal` refused. A failure
    /// loses the whole transaction; a database that has already rolled the whole transaction
    /// back itself returns `refusal`, the reason it was lost.
    virtual Status roll_back_write(const Status& refusal) = 0;

    /// The outcome of one write's changes on the open transaction.
    struct Ran {
      Status result;   ///< the changes' own status (call_changes())
      Status failure;  ///< the transaction's first database failure inside them, if any
    };
    /// Runs `changes` on the open transaction, through call_changes().
    virtual Ran run(const Changes& changes) = 0;

    /// Ends the open transaction: commits it when `commit`, else rolls it back. Its status.
    virtual Status end(bool commit) = 0;
    /// Drops whatever the transaction left open, after end() or when it was lost; never fails.
    virtual void discard() = 0;
  };

  /// A batch commits at most this many writes. SQLite: other processes sharing the file
  /// (`vigie user`, `vigie journal`) wait for its write lock only briefly. PostgreSQL: a steady
  /// flow of writers cannot hold the journal's write lock from other nodes for long.
  static constexpr int kMaxBatch = 64;

  explicit GroupCommit(std::unique_ptr<Connection> connection)
      : connection_(std::move(connection)) {}

  /// Store::write(): runs `changes` in the open batch, or a new one, and returns once the
  /// batch is committed (or lost), with the write's own status.
  Status write(const Changes& changes);

  /// Why the database last refused a commit; empty since the last commit succeeded.
  [[nodiscard]] std::string commit_problem() const;

 private:
  /// The outcome of one batch, which its writers wait for.
  struct Batch {
    bool done = false;  ///< guarded by done_mu_
    Status status;      ///< guarded by done_mu_
  };

  /// Ends the open batch: commits it (or, with no write joined, rolls it back) when `lost`
  /// is OK, else rolls it back; every write of the batch is told the outcome. Returns it.
  /// Called with write_mu_ held.
  Status finish_batch(const Status& lost);

  /// Remembers why the database refused a commit, for health checks, and returns it. A
  /// constraint the change broke (InvalidArgument) says nothing of the database's health.
  Status commit_failed(Status s);

  // Recursive, so that write() called from inside write() on the same thread is refused
  // rather than deadlocked.
  std::recursive_mutex write_mu_;
  std::atomic<int> waiting_{0};             ///< writes about to take write_mu_
  bool in_write_ = false;                   ///< guarded by write_mu_
  std::unique_ptr<Connection> connection_;  ///< guarded by write_mu_
  std::shared_ptr<Batch> batch_;            ///< the open batch, if any; guarded by write_mu_
  int batch_writes_ = 0;                    ///< writes joined to the batch; guarded by write_mu_
  // A writer waits here, without write_mu_, so that the next writer can join the batch.
  std::mutex done_mu_;
  std::condition_variable done_cv_;  ///< notified once a batch's outcome is set
  mutable std::mutex problem_mu_;
  std::string commit_problem_;  ///< guarded by problem_mu_; empty since the last commit succeeded
};

}  // namespace vigie::storage
