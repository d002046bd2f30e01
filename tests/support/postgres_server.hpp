#pragma once
// A real PostgreSQL server for tests and benchmarks: initdb and postgres in a temporary
// folder, listening on 127.0.0.1 at a free port (and a unix socket in the folder). PostgreSQL
// refuses to run as root, so under root it runs as the `postgres` user (else `nobody`)
// through runuser. TCP connections need the password (scram-sha-256); the socket trusts.

#include <memory>
#include <string>

#include "support/process.hpp"

namespace vigie::test {

class PostgresServer {
 public:
  /// The superuser's name and password on every test server.
  static constexpr const char* kUser = "vigie";
  static constexpr const char* kPassword = "pg-test-secret-7f3a";

  /// Starts a server; `durable` keeps fsync on (for benchmarks), else it is off (tests).
  /// Never throws: when it cannot start, ok() is false and why() says why.
  explicit PostgresServer(bool durable = false);
  /// Stops the server (immediate shutdown) and removes its folder.
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  [[nodiscard]] bool ok() const { return port_ > 0; }
  [[nodiscard]] const std::string& why() const { return why_; }
  [[nodiscard]] int port() const { return port_; }

  /// Creates database `name` (dropping one of that name first); empty on success, else why.
  std::string create_database(const std::string& name);
  /// postgresql://vigie:PASSWORD@127.0.0.1:PORT/DB, or without the password.
  [[nodiscard]] std::string url(const std::string& db, bool with_password = true) const;
  /// Runs SQL on `db` as the superuser over the socket; empty on success, else the error.
  std::string exec(const std::string& db, const std::string& sql);
  /// First column of the first row of `sql` on `db`, as text ("" when none or on error).
  std::string scalar(const std::string& db, const std::string& sql);

  /// One server per process, started on first use (check ok()).
  static PostgresServer& shared();

 private:
  std::string as_owner(const std::string& command) const;

  TempDir dir_{"vigie-pg"};
  std::string bin_;    ///< folder of initdb, pg_ctl, postgres
  std::string owner_;  ///< the user the server runs as; empty: the current user
  int port_ = 0;
  std::string why_;
};

}  // namespace vigie::test
