// SQLite connections, statements and result codes.

#include "storage/sqlite_db.hpp"

#include <variant>

namespace vigie::storage {

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

Stmt::~Stmt() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

void Stmt::bind(int i, const std::string& v) {
  check(sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
}

void Stmt::bind(int i, const Value& v) {
  std::visit([&](const auto& x) { bind(i, x); }, v);
}

void Stmt::bind_all(const Values& values, int first) {
  for (const auto& v : values) bind(first++, v);
}

bool Stmt::row() {
  if (!status_.is_ok()) return false;
  const int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) status_ = sqlite_status(rc, db_, "sqlite step");
  return false;
}

Status Stmt::run() {
  while (row()) {
  }
  return status_;
}

std::string Stmt::text(int c) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, c));
  const int n = sqlite3_column_bytes(s_, c);
  return p == nullptr ? std::string() : std::string(p, static_cast<std::size_t>(n));
}

Db::~Db() {
  for (auto& [sql, s] : cache_) sqlite3_finalize(s);
  sqlite3_close_v2(db_);
}

Result<std::unique_ptr<Stmt>> Db::prepare(const std::string& sql) {
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

Status Db::exec(const char* sql, const std::string& what) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) return sqlite_status(rc, db_, what);
  return Status::ok();
}

Result<std::int64_t> Db::scalar(const std::string& sql) {
  VIGIE_ASSIGN_OR_RETURN(auto st, prepare(sql));
  if (!st->row()) return st->status().is_ok() ? internal_error("no row for " + sql) : st->status();
  return st->i64(0);
}

void Db::rollback() {
  if (sqlite3_get_autocommit(db_) == 0) (void)exec("ROLLBACK", "rollback");
}

}  // namespace vigie::storage
