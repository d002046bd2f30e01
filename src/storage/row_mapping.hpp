#pragma once
// How records map to table rows, written once for both stores: each table's column list, a
// record's column values in that order, the statements built from them, and a record read
// back from a row. Each store adapts its own row (an SQLite statement, a libpq result row) to
// ColumnReader and binds Values its own way. Internal to the storage module.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "core/status.hpp"
#include "storage/records.hpp"
#include "storage/store.hpp"

namespace vigie::storage {

/// One column value to bind.
using Value = std::variant<std::int64_t, double, bool, std::string>;
using Values = std::vector<Value>;

/// The columns of the current row, by position from 0; NULL reads as 0, false or "".
class ColumnReader {
 public:
  virtual ~ColumnReader() = default;
  [[nodiscard]] virtual std::int64_t i64(int column) const = 0;
  [[nodiscard]] virtual double f64(int column) const = 0;
  [[nodiscard]] virtual bool boolean(int column) const = 0;
  [[nodiscard]] virtual std::string text(int column) const = 0;
  [[nodiscard]] virtual bool is_null(int column) const = 0;
};

/// How a backend numbers statement parameters: SQLite's ?1, ?2... or PostgreSQL's $1, $2...
enum class Placeholder : char { kSqlite = '?', kPostgres = '$' };

/// "?first, ?first+1, ..." (count of them).
std::string placeholders(Placeholder mark, int count, int first = 1);
/// "INSERT INTO table (columns) VALUES (?1, ...)".
std::string insert_sql(const char* table, const std::string& columns, Placeholder mark);
/// insert_sql, then "ON CONFLICT (key) DO UPDATE SET" every column but the key to the new
/// row's value. `key` must be the first column.
std::string upsert_sql(const char* table, const std::string& columns, Placeholder mark);
/// "UPDATE table SET c1 = ?1, ... WHERE key = ?N+1" for N columns.
std::string update_sql(const char* table, const std::string& columns, const char* key,
                       Placeholder mark);

/// The alert columns after `id`, in alert_values()' order.
extern const char* const kAlertColumns;
/// An alert's columns; InvalidArgument for a non-finite number or parameters JSON refuses.
Result<Values> alert_values(const AlertRecord& a);
/// Reads an alert from columns `id, <kAlertColumns>`; DataLoss for a corrupt stored value.
Result<AlertRecord> read_alert(const ColumnReader& r);

/// The comment columns after `id`.
extern const char* const kCommentColumns;
Values comment_values(const CommentRecord& c);
/// Reads a comment from columns `id, <kCommentColumns>`.
CommentRecord read_comment(const ColumnReader& r);

/// The evidence columns after `id`.
extern const char* const kEvidenceColumns;
Values evidence_values(const EvidenceRecord& e);
/// Reads an evidence record from columns `id, <kEvidenceColumns>`.
EvidenceRecord read_evidence(const ColumnReader& r);

/// The user columns, the name first.
extern const char* const kUserColumns;
Values user_values(const UserRecord& u);
UserRecord read_user(const ColumnReader& r);

/// The authorization columns, the reference first.
extern const char* const kAuthorizationColumns;
/// InvalidArgument for a camera name JSON refuses.
Result<Values> authorization_values(const AuthorizationRecord& a);
/// DataLoss for a corrupt stored value.
Result<AuthorizationRecord> read_authorization(const ColumnReader& r);

/// The camera geometry columns, the camera first.
extern const char* const kCameraGeometryColumns;
Values camera_geometry_values(const CameraGeometryRecord& g);
CameraGeometryRecord read_camera_geometry(const ColumnReader& r);

/// The journal columns, seq first.
extern const char* const kJournalColumns;
/// A record as it is, seq and hashes included; its detail as its canonical dump, the text its
/// hash was computed over.
Values journal_values(const JournalRecord& r);
JournalRecord read_journal(const ColumnReader& r);
/// A draft made a record to append (seq and hashes still unset), its detail the reparse of
/// its canonical dump, so what is stored is exactly what is hashed. InvalidArgument for an
/// empty action or actor, or a detail JSON refuses.
Result<JournalRecord> journal_record_of(const JournalDraft& draft);
/// Sets `r`'s seq, prev_hash and hash to follow `prev_seq` and `prev_hash`.
Status chain_after(JournalRecord& r, std::int64_t prev_seq, const std::string& prev_hash);

/// Reads a statistics row: type, camera, hour, calibration, alerts, confirmed, dismissed,
/// verdict seconds.
Result<AlertCountRow> read_alert_count(const ColumnReader& r);

}  // namespace vigie::storage
