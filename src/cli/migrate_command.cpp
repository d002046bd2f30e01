// vigie migrate: moves a single node's SQLite store into an empty PostgreSQL database, so that
// the node joins others on the shared database with its alerts, users and journal
// (docs/deploy.md). The SQLite file is only read; the copy is one transaction.

#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/commands.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/redact.hpp"
#include "storage/copy_to_postgres.hpp"
#include "storage/store.hpp"

namespace vigie::cli {
namespace {

struct Options {
  std::string data_dir = config::StorageConfig{}.data_dir;
  std::string db;
  std::string postgres;
  std::string password_file;
  std::string user = "cli";
};

int usage_or_failure(const Status& s) {
  const auto c = s.code();
  return c == StatusCode::kInvalidArgument || c == StatusCode::kFailedPrecondition ||
                 c == StatusCode::kNotFound || c == StatusCode::kDataLoss
             ? 2
             : 1;
}

int migrate(const Options& o) {
  const std::filesystem::path path =
      o.db.empty() ? std::filesystem::path(o.data_dir) / "vigie.db" : std::filesystem::path(o.db);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    std::fprintf(stderr, "migrate: no SQLite store at %s (give --data-dir DIR or --db FILE)\n",
                 path.c_str());
    return 2;
  }
  auto source = storage::open_sqlite_store_read_only(path);
  if (!source.is_ok()) {
    std::fprintf(stderr, "migrate: %s: %s\n", path.c_str(), source.status().to_string().c_str());
    return usage_or_failure(source.status());
  }
  const storage::TimeMs now = unix_ms(std::chrono::system_clock::now());
  auto report = storage::copy_to_postgres(**source, {o.postgres, o.password_file, 10}, o.user, now);
  if (!report.is_ok()) {
    std::fprintf(stderr, "migrate: %s\n", redact(report.status().to_string()).c_str());
    return usage_or_failure(report.status());
  }
  std::printf(
      "migrated %s into PostgreSQL at %s: %lld alerts, %lld comments, %lld evidence records, "
      "%lld users, %lld authorizations, %lld camera geometries, %lld journal records\n",
      path.c_str(), report->target.c_str(), static_cast<long long>(report->alerts),
      static_cast<long long>(report->comments), static_cast<long long>(report->evidence),
      static_cast<long long>(report->users), static_cast<long long>(report->authorizations),
      static_cast<long long>(report->camera_geometries), static_cast<long long>(report->journal));
  std::printf("journal OK: %lld records, head %s (store.migrated, seq %lld)\n",
              static_cast<long long>(report->journal + 1), report->migrated.hash.c_str(),
              static_cast<long long>(report->migrated.seq));
  return 0;
}

}  // namespace

Command add_migrate_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "migrate",
      "Move a single node's SQLite store (alerts, verdicts, comments, evidence records, users, "
      "authorizations, camera geometry, the journal) into an empty PostgreSQL database, with "
      "ids and the journal's hash chain unchanged, in one transaction. Stop the node first; the "
      "SQLite file is only read. Refused when the database already holds vigie data. Evidence "
      "files stay in the node's data directory.");
  auto* dir = sub->add_option("--data-dir", o->data_dir,
                              "Data directory holding vigie.db (default: storage.data_dir's "
                              "default, /var/lib/vigie)");
  auto* db = sub->add_option("--db", o->db, "The SQLite database file itself");
  dir->excludes(db);
  sub->add_option("--postgres", o->postgres,
                  "The PostgreSQL database to fill (libpq URL or key=value string); the password "
                  "from --password-file, the URL, PGPASSWORD or ~/.pgpass")
      ->required();
  sub->add_option("--password-file", o->password_file,
                  "File whose first line is the PostgreSQL password");
  sub->add_option("--user", o->user, "Who migrates, as journaled (default: cli)");
  return {sub, [o] {
            try {
              return migrate(*o);
            } catch (const std::exception& e) {
              std::fprintf(stderr, "migrate: %s\n", e.what());
              return 1;
            }
          }};
}

}  // namespace vigie::cli
