#pragma once
// The changes of one SQLite transaction (Store::write()). Internal to the storage module.

#include "storage/sqlite_db.hpp"
#include "storage/store.hpp"

namespace vigie::storage {

/// Runs on the thread of the write() that made it, inside the transaction write() opened.
class SqliteTx final : public Tx {
 public:
  explicit SqliteTx(Db& db) : db_(db) {}

  /// The first database failure inside the transaction; write() refuses to keep the changes
  /// after one even when the caller's function ignores it.
  [[nodiscard]] const Status& failure() const { return failure_; }

  Result<std::optional<AlertRecord>> get_alert(std::int64_t id) override;
  Result<std::int64_t> put_alert(const AlertRecord& record) override;
  Result<std::int64_t> add_comment(const CommentRecord& c) override;
  Result<std::int64_t> add_evidence(const EvidenceRecord& e) override;
  Status delete_evidence(std::int64_t evidence_id) override;
  Status put_user(const UserRecord& u) override;
  Status put_authorization(const AuthorizationRecord& a) override;
  Status put_camera_geometry(const CameraGeometryRecord& g) override;
  Result<std::int64_t> delete_journal_before(TimeMs before_ms) override;
  Result<std::optional<JournalRecord>> journal_first() override;
  Result<JournalRecord> journal(const JournalDraft& draft) override;

 private:
  /// A statement; a failure to prepare it is the transaction's failure.
  Result<std::unique_ptr<Stmt>> prepare(const std::string& sql);
  /// Runs `sql` with `values` bound; the rowid it inserted.
  Result<std::int64_t> insert(const std::string& sql, const Values& values);
  /// Runs `sql` with `values` bound.
  Status run(const std::string& sql, const Values& values);
  Status alert_exists(std::int64_t id);
  Status fail(Status s);

  Db& db_;
  Status failure_;
};

}  // namespace vigie::storage
