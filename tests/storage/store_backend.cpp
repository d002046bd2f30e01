#include "store_backend.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <stdexcept>

#include <gtest/gtest.h>

#include "support/postgres_server.hpp"

namespace vigie::storage::test {
namespace {

using vigie::test::PostgresServer;

class SqliteBackend final : public Backend {
 public:
  explicit SqliteBackend(std::filesystem::path path) : path_(std::move(path)) {}

  [[nodiscard]] std::string unavailable() const override { return {}; }
  Result<std::unique_ptr<Store>> open() override { return open_sqlite_store(path_); }

  void exec(const std::string& sql) override {
    Raw raw(path_);
    char* err = nullptr;
    if (sqlite3_exec(raw.db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      const std::string msg = err != nullptr ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error(sql + ": " + msg);
    }
  }

  std::int64_t scalar(const std::string& sql) override {
    Raw raw(path_);
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(raw.db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sql);
    }
    std::int64_t v = -1;
    if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
  }

  std::unique_ptr<Backend> copy(const std::string& name) override {
    const auto to = path_.parent_path() / (name + ".db");
    std::filesystem::copy_file(path_, to, std::filesystem::copy_options::overwrite_existing);
    return std::make_unique<SqliteBackend>(to);
  }

  std::string break_journal_inserts(bool broken) override {
    if (broken) {
      // A trigger writing to a table that is no longer there.
      exec("CREATE TABLE gone (x INTEGER)");
      exec(
          "CREATE TRIGGER refuse BEFORE INSERT ON journal BEGIN INSERT INTO gone VALUES (1); "
          "END");
      exec("DROP TABLE gone");
    } else {
      exec("DROP TRIGGER refuse");
    }
    return "no such table";
  }

  void set_schema_version(int version) override {
    exec("PRAGMA user_version = " + std::to_string(version));
  }

  [[nodiscard]] int evidence_node_version() const override { return 4; }

  [[nodiscard]] std::string spec() const override { return "sqlite:" + path_.string(); }

 private:
  struct Raw {
    explicit Raw(const std::filesystem::path& p) {
      if (sqlite3_open(p.c_str(), &db) != SQLITE_OK) throw std::runtime_error("open " + p.string());
    }
    ~Raw() { sqlite3_close(db); }
    Raw(const Raw&) = delete;
    Raw& operator=(const Raw&) = delete;
    sqlite3* db = nullptr;
  };
  std::filesystem::path path_;
};

class PostgresBackend final : public Backend {
 public:
  explicit PostgresBackend(std::string db, bool create = true) : db_(std::move(db)) {
    auto& server = PostgresServer::shared();
    if (!server.ok()) {
      why_ = "PostgreSQL could not start here: " + server.why();
    } else if (create) {
      if (auto e = server.create_database(db_); !e.empty()) why_ = "create database: " + e;
    }
  }

  [[nodiscard]] std::string unavailable() const override { return why_; }
  Result<std::unique_ptr<Store>> open() override {
    return open_postgres_store({PostgresServer::shared().url(db_), "", 10});
  }

  void exec(const std::string& sql) override {
    if (auto e = PostgresServer::shared().exec(db_, sql); !e.empty()) {
      throw std::runtime_error(sql + ": " + e);
    }
  }

  std::int64_t scalar(const std::string& sql) override {
    const std::string v = PostgresServer::shared().scalar(db_, sql);
    return v.empty() ? -1 : std::stoll(v);
  }

  std::unique_ptr<Backend> copy(const std::string& name) override {
    const std::string to = db_ + "_" + name;
    auto& server = PostgresServer::shared();
    if (auto e = server.exec("postgres", "DROP DATABASE IF EXISTS " + to); !e.empty()) {
      throw std::runtime_error(e);
    }
    if (auto e = server.exec("postgres", "CREATE DATABASE " + to + " TEMPLATE " + db_);
        !e.empty()) {
      throw std::runtime_error(e);
    }
    return std::make_unique<PostgresBackend>(to, false);
  }

  std::string break_journal_inserts(bool broken) override {
    if (broken) {
      exec("CREATE TABLE gone (x INTEGER)");
      exec(
          "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
          "INSERT INTO gone VALUES (1); RETURN NEW; END $$");
      exec(
          "CREATE TRIGGER refuse BEFORE INSERT ON journal FOR EACH ROW EXECUTE FUNCTION "
          "refuse()");
      exec("DROP TABLE gone");
    } else {
      exec("DROP TRIGGER refuse ON journal");
      exec("DROP FUNCTION refuse()");
    }
    return "does not exist";
  }

  void set_schema_version(int version) override {
    exec("UPDATE vigie_schema SET version = " + std::to_string(version));
  }

  [[nodiscard]] int evidence_node_version() const override { return 3; }

  [[nodiscard]] std::string spec() const override {
    return "postgres:" + PostgresServer::shared().url(db_);
  }

 private:
  std::string db_;
  std::string why_;
};

}  // namespace

AlertRecord sample_alert(const std::string& camera, EventType type, TimeMs raised_ms) {
  AlertRecord a;
  a.source_id = camera + "-" + std::string(to_string(type)) + "-1";
  a.type = type;
  a.camera = camera;
  a.zone = "quai";
  a.start_s = 12.1;
  a.last_s = 15.7;
  a.raised_ms = raised_ms;
  a.updated_ms = raised_ms + 10;
  a.score = 0.1;
  a.detail = "line gate";
  a.region = {10.5, 20.25, 30.1, 40.0};
  a.polygon = {{1.0, 2.0}, {3.5, 4.25}, {5.0, 1e-7}};
  a.params = {{"min_seconds", 2.5}, {"threshold", 0.1}};
  a.config_version = "abc123";
  a.model_hash = "";
  return a;
}

void expect_same_alert(const AlertRecord& a, const AlertRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.source_id, b.source_id);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.camera, b.camera);
  EXPECT_EQ(a.zone, b.zone);
  EXPECT_EQ(a.start_s, b.start_s);
  EXPECT_EQ(a.last_s, b.last_s);
  EXPECT_EQ(a.raised_ms, b.raised_ms);
  EXPECT_EQ(a.updated_ms, b.updated_ms);
  EXPECT_EQ(a.ended_ms, b.ended_ms);
  EXPECT_EQ(a.score, b.score);
  EXPECT_EQ(a.detail, b.detail);
  EXPECT_EQ(a.region, b.region);
  EXPECT_EQ(a.polygon, b.polygon);
  EXPECT_EQ(a.params, b.params);
  EXPECT_EQ(a.config_version, b.config_version);
  EXPECT_EQ(a.model_hash, b.model_hash);
  EXPECT_EQ(a.calibration, b.calibration);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.assignee, b.assignee);
  EXPECT_EQ(a.verdict_by, b.verdict_by);
  EXPECT_EQ(a.verdict_ms, b.verdict_ms);
  EXPECT_EQ(a.reason, b.reason);
  EXPECT_EQ(a.verdict_comment, b.verdict_comment);
  EXPECT_EQ(a.verdict_measures, b.verdict_measures);
}

std::unique_ptr<Backend> make_backend(BackendKind kind, const vigie::test::TempDir& dir) {
  if (kind == BackendKind::kSqlite) return std::make_unique<SqliteBackend>(dir / "vigie.db");
  static std::atomic<int> counter{0};
  return std::make_unique<PostgresBackend>("t_" + std::to_string(::getpid()) + "_" +
                                           std::to_string(++counter));
}

}  // namespace vigie::storage::test
