#pragma once
// The store tests run against every backend: a Backend opens the test's own database and
// gives the raw access an attacker or an evaluator with the database's own client would
// have, to tamper with it or look under the store.

#include <cstdint>
#include <memory>
#include <string>

#include "storage/store.hpp"
#include "support/process.hpp"

namespace vigie::storage::test {

enum class BackendKind { kSqlite, kPostgres };

class Backend {
 public:
  virtual ~Backend() = default;
  /// Why this backend cannot run here (PostgreSQL did not start); empty when it can.
  [[nodiscard]] virtual std::string unavailable() const = 0;
  /// Opens the test's database (the same one every time).
  virtual Result<std::unique_ptr<Store>> open() = 0;
  /// Runs SQL on the database directly; throws std::runtime_error with the error.
  virtual void exec(const std::string& sql) = 0;
  /// First column of the first row, as an integer; -1 when none.
  virtual std::int64_t scalar(const std::string& sql) = 0;
  /// A copy of the database as it is now (no store may have it open), for tampering.
  virtual std::unique_ptr<Backend> copy(const std::string& name) = 0;
  /// Makes every journal insert fail as a failing disk would (an error of the database, not
  /// a constraint of the change), or stops doing so; returns what the error message says.
  virtual std::string break_journal_inserts(bool broken) = 0;
  /// Sets the schema version the database claims.
  virtual void set_schema_version(int version) = 0;
  /// The schema version whose migration gave evidence records their node.
  [[nodiscard]] virtual int evidence_node_version() const = 0;
  /// Where the crash and writer helpers find the database: "sqlite:PATH" or "postgres:URL".
  [[nodiscard]] virtual std::string spec() const = 0;
};

/// An alert with every field set, as the tests write it.
AlertRecord sample_alert(const std::string& camera = "gare-1",
                         EventType type = EventType::kIntrusion, TimeMs raised_ms = 1000);
/// Expects every field of two alerts to be equal.
void expect_same_alert(const AlertRecord& a, const AlertRecord& b);

/// A fresh database of that kind for one test, in `dir` for SQLite.
std::unique_ptr<Backend> make_backend(BackendKind kind, const vigie::test::TempDir& dir);

/// Opens a store from a helper's spec ("sqlite:PATH" or "postgres:URL").
inline Result<std::unique_ptr<Store>> open_spec(const std::string& spec) {
  if (spec.rfind("sqlite:", 0) == 0) return open_sqlite_store(spec.substr(7));
  if (spec.rfind("postgres:", 0) == 0) return open_postgres_store({spec.substr(9), "", 10});
  return invalid_argument("not sqlite:PATH or postgres:URL: " + spec);
}

}  // namespace vigie::storage::test
