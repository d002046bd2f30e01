#include "publish/outbox.hpp"

#include <sqlite3.h>

#include <chrono>

namespace vigie::publish {
namespace {

/// Makes a cached statement reusable on every path out of a scope.
struct Reset {
  sqlite3_stmt* stmt;
  ~Reset() {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
};

}  // namespace

Result<std::unique_ptr<Outbox>> Outbox::open(const std::filesystem::path& dir,
                                             std::size_t max_messages) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Status(StatusCode::kInvalidArgument,
                  "cannot create the outbox folder " + dir.string() + ": " + ec.message());
  }
  // Alerts wait here for the broker: for the node's account only.
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  const std::filesystem::path path = dir / "outbox.sqlite";
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Status(StatusCode::kInvalidArgument,
                  "cannot open the outbox " + path.string() + ": " + message);
  }
  std::unique_ptr<Outbox> outbox(new Outbox(db, path, max_messages == 0 ? 1 : max_messages));
  VIGIE_RETURN_IF_ERROR(outbox->prepare());
  return outbox;
}

Outbox::Outbox(sqlite3* db, std::filesystem::path path, std::size_t max_messages)
    : db_(db), path_(std::move(path)), max_messages_(max_messages) {}

Outbox::~Outbox() {
  for (sqlite3_stmt* s : {insert_, read_, delete_, drop_oldest_}) sqlite3_finalize(s);
  sqlite3_close(db_);
}

Status Outbox::error(const char* what) const {
  return Status(StatusCode::kUnavailable,
                std::string("outbox ") + what + " failed: " + sqlite3_errmsg(db_));
}

Status Outbox::exec(const char* sql) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return error(sql);
  return Status::ok();
}

Status Outbox::prepare() {
  // WAL + FULL: a commit is on disk when it returns, and readers never block the writer.
  // A corrupt or foreign file fails here, with SQLite's reason, rather than at first use.
  for (const char* sql :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=5000",
        "CREATE TABLE IF NOT EXISTS messages ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"  // AUTOINCREMENT: ids never reused, so order
        "  topic TEXT NOT NULL,"                   // holds even after the newest was removed
        "  payload BLOB NOT NULL,"
        "  created_ms INTEGER NOT NULL)"}) {
    if (Status s = exec(sql); !s.is_ok()) {
      return Status(StatusCode::kInvalidArgument, path_.string() + ": " + s.message());
    }
  }
  const std::pair<sqlite3_stmt**, const char*> statements[] = {
      {&insert_, "INSERT INTO messages (topic, payload, created_ms) VALUES (?, ?, ?)"},
      {&read_, "SELECT id, topic, payload FROM messages WHERE id > ? ORDER BY id LIMIT ?"},
      {&delete_, "DELETE FROM messages WHERE id = ?"},
      {&drop_oldest_,
       "DELETE FROM messages WHERE id IN (SELECT id FROM messages ORDER BY id LIMIT ?)"},
  };
  for (const auto& [stmt, sql] : statements) {
    if (sqlite3_prepare_v2(db_, sql, -1, stmt, nullptr) != SQLITE_OK) {
      return Status(StatusCode::kInternal, std::string("outbox: ") + sqlite3_errmsg(db_));
    }
  }
  sqlite3_stmt* count = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT COUNT(*) FROM messages", -1, &count, nullptr) != SQLITE_OK ||
      sqlite3_step(count) != SQLITE_ROW) {
    sqlite3_finalize(count);
    return error("count");
  }
  size_.store(static_cast<std::size_t>(sqlite3_column_int64(count, 0)));
  sqlite3_finalize(count);
  return Status::ok();
}

Result<std::size_t> Outbox::append(
    const std::vector<std::pair<std::string, std::string>>& messages) {
  std::lock_guard lock(mutex_);
  VIGIE_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
  std::size_t dropped = 0;
  std::size_t size = size_.load();
  auto fail = [&](const char* what) {
    Status s = error(what);
    (void)exec("ROLLBACK");
    return s;
  };
  if (size + messages.size() > max_messages_) {
    const std::size_t excess = std::min(size, size + messages.size() - max_messages_);
    Reset r{drop_oldest_};
    sqlite3_bind_int64(drop_oldest_, 1, static_cast<sqlite3_int64>(excess));
    if (sqlite3_step(drop_oldest_) != SQLITE_DONE) return fail("drop");
    dropped = static_cast<std::size_t>(sqlite3_changes(db_));
    size -= dropped;
  }
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  for (const auto& [topic, payload] : messages) {
    Reset r{insert_};
    sqlite3_bind_text(insert_, 1, topic.data(), static_cast<int>(topic.size()), SQLITE_STATIC);
    sqlite3_bind_blob(insert_, 2, payload.data(), static_cast<int>(payload.size()), SQLITE_STATIC);
    sqlite3_bind_int64(insert_, 3, now_ms);
    if (sqlite3_step(insert_) != SQLITE_DONE) return fail("insert");
    ++size;
  }
  if (Status s = exec("COMMIT"); !s.is_ok()) {
    (void)exec("ROLLBACK");
    return s;
  }
  size_.store(size);
  return dropped;
}

Result<std::vector<OutboxMessage>> Outbox::read_after(std::int64_t after_id, std::size_t limit) {
  std::lock_guard lock(mutex_);
  Reset r{read_};
  sqlite3_bind_int64(read_, 1, after_id);
  sqlite3_bind_int64(read_, 2, static_cast<sqlite3_int64>(limit));
  std::vector<OutboxMessage> out;
  int rc;
  while ((rc = sqlite3_step(read_)) == SQLITE_ROW) {
    OutboxMessage m;
    m.id = sqlite3_column_int64(read_, 0);
    m.topic = reinterpret_cast<const char*>(sqlite3_column_text(read_, 1));
    const void* blob = sqlite3_column_blob(read_, 2);
    m.payload.assign(static_cast<const char*>(blob),
                     static_cast<std::size_t>(sqlite3_column_bytes(read_, 2)));
    out.push_back(std::move(m));
  }
  if (rc != SQLITE_DONE) return error("read");
  return out;
}

Status Outbox::remove(const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return Status::ok();
  std::lock_guard lock(mutex_);
  VIGIE_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
  std::size_t removed = 0;
  for (std::int64_t id : ids) {
    Reset r{delete_};
    sqlite3_bind_int64(delete_, 1, id);
    if (sqlite3_step(delete_) != SQLITE_DONE) {
      Status s = error("delete");
      (void)exec("ROLLBACK");
      return s;
    }
    removed += static_cast<std::size_t>(sqlite3_changes(db_));
  }
  if (Status s = exec("COMMIT"); !s.is_ok()) {
    (void)exec("ROLLBACK");
    return s;
  }
  size_.store(size_.load() - std::min(removed, size_.load()));
  return Status::ok();
}

}  // namespace vigie::publish
