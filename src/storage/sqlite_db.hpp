#pragma once
// An SQLite connection with its prepared statements, and the Status an SQLite result code
// means. Internal to the storage module (sqlite_store.cpp and sqlite_tx.cpp).

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "core/status.hpp"
#include "storage/row_mapping.hpp"

namespace vigie::storage {

/// Maps an SQLite result code to the Status a caller can act on: Unavailable for a busy,
/// full, unwritable or unreadable database, DataLoss for a corrupt one, InvalidArgument for a
/// broken constraint, Internal otherwise. The message is `what` and SQLite's own words.
Status sqlite_status(int rc, sqlite3* db, const std::string& what);

/// A cached prepared statement in use: bindings, stepping, columns; reset when it goes.
class Stmt final : public ColumnReader {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  ~Stmt() override;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  void bind(int i, std::int64_t v) { check(sqlite3_bind_int64(s_, i, v)); }
  void bind(int i, int v) { check(sqlite3_bind_int64(s_, i, v)); }
  void bind(int i, bool v) { check(sqlite3_bind_int(s_, i, v ? 1 : 0)); }
  void bind(int i, double v) { check(sqlite3_bind_double(s_, i, v)); }
  void bind(int i, const std::string& v);
  void bind(int i, const Value& v);
  /// Binds `values` to ?first, ?first+1...
  void bind_all(const Values& values, int first = 1);

  /// True while a row is available; errors end up in status().
  bool row();
  /// Runs a statement that returns no rows.
  Status run();
  [[nodiscard]] const Status& status() const { return status_; }

  [[nodiscard]] std::int64_t i64(int c) const override { return sqlite3_column_int64(s_, c); }
  [[nodiscard]] double f64(int c) const override { return sqlite3_column_double(s_, c); }
  [[nodiscard]] bool boolean(int c) const override { return sqlite3_column_int64(s_, c) != 0; }
  [[nodiscard]] bool is_null(int c) const override {
    return sqlite3_column_type(s_, c) == SQLITE_NULL;
  }
  [[nodiscard]] std::string text(int c) const override;

 private:
  void check(int rc) {
    if (rc != SQLITE_OK && status_.is_ok()) status_ = sqlite_status(rc, db_, "sqlite bind");
  }
  sqlite3* db_;
  sqlite3_stmt* s_;
  Status status_;
};

/// A connection with its prepared statements. Not thread-safe: its owner serialises use.
class Db {
 public:
  /// Takes `db`, even a handle whose opening failed, and closes it when it goes.
  explicit Db(sqlite3* db) : db_(db) {}
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  [[nodiscard]] sqlite3* handle() const { return db_; }

  /// A statement for `sql`, prepared once per connection.
  Result<std::unique_ptr<Stmt>> prepare(const std::string& sql);
  /// Runs `sql` (several statements allowed); errors say `what` failed.
  Status exec(const char* sql, const std::string& what);
  /// First column of the first row of `sql`, as an integer.
  Result<std::int64_t> scalar(const std::string& sql);
  /// Rolls back the open transaction, if any.
  void rollback();

 private:
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace vigie::storage
