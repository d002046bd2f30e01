// Copying a store into an empty PostgreSQL database. The source is read through the Store
// interface (any backend; `vigie migrate` gives it an SQLite file opened read-only) and
// written with the rows' own ids, so that what journal records name (alert ids, evidence
// ids) still names the same rows. Identity columns are moved past the copied ids afterwards,
// so the next alert a node raises gets the next id.

#include "storage/copy_to_postgres.hpp"

#include <algorithm>

#include "storage/journal_chain.hpp"
#include "storage/postgres_connection.hpp"
#include "storage/postgres_rows.hpp"
#include "storage/postgres_schema.hpp"

namespace vigie::storage {
namespace {

using pg::Params;

constexpr int kPage = 1000;

/// The tables a node writes; any row in one means the database is in use.
constexpr const char* kDataTables[] = {"alerts",  "comments",       "evidence",
                                       "users",   "authorizations", "camera_geometry",
                                       "journal", "nodes",          "camera_leases"};

/// FailedPrecondition naming every table that holds rows, or OK when none does.
Status require_empty(pqxx::work& w, const std::string& target) {
  std::string held;
  for (const char* table : kDataTables) {
    const auto n = pg::i64(w.exec(std::string("SELECT COUNT(*) FROM ") + table)[0][0]);
    if (n == 0) continue;
    held += (held.empty() ? "" : ", ") + std::string(table) + ": " + std::to_string(n) + " rows";
  }
  if (held.empty()) return Status::ok();
  return {StatusCode::kFailedPrecondition,
          "PostgreSQL database at " + target + " already holds vigie data (" + held +
              "): a store is only copied into an empty database; nothing was copied"};
}

/// Moves an identity column's sequence to `max_id`, so new rows continue after the copied ones.
void continue_identity(pqxx::work& w, const char* table, std::int64_t max_id) {
  if (max_id <= 0) return;
  pg::exec(w, std::string("SELECT setval(pg_get_serial_sequence('") + table + "', 'id'), $1)",
           Params().add(max_id));
}

/// Every id column's placeholders "$1, $2, ... $n".
std::string placeholders(int n) {
  std::string out;
  for (int i = 1; i <= n; ++i) out += (i > 1 ? ", $" : "$") + std::to_string(i);
  return out;
}

Status copy_alerts(const Store& source, pqxx::work& w, CopyReport& report) {
  std::int64_t max_alert = 0;
  std::int64_t max_comment = 0;
  std::int64_t max_evidence = 0;
  const std::string insert_alert = std::string("INSERT INTO alerts (id, ") + pg::kAlertColumns +
                                   ") OVERRIDING SYSTEM VALUE VALUES (" +
                                   placeholders(pg::kAlertColumnCount + 1) + ")";
  const std::string insert_evidence = std::string("INSERT INTO evidence (") + pg::kEvidenceColumns +
                                      ") OVERRIDING SYSTEM VALUE VALUES (" + placeholders(10) + ")";
  AlertQuery query;
  query.include_calibration = true;
  query.limit = kPage;
  for (;;) {
    auto page = source.alerts(query);
    if (!page.is_ok()) return page.status();
    if (page->empty()) break;
    for (const auto& alert : *page) {
      auto params = pg::alert_params(alert);
      if (!params.is_ok()) return params.status();
      Params with_id;
      with_id.add(alert.id);
      for (const auto& v : params->values()) with_id.add(v);
      pg::exec(w, insert_alert, with_id);
      max_alert = std::max(max_alert, alert.id);
      ++report.alerts;

      auto comments = source.comments(alert.id);
      if (!comments.is_ok()) return comments.status();
      for (const auto& c : *comments) {
        pg::exec(w,
                 "INSERT INTO comments (id, alert_id, \"user\", at_ms, text) OVERRIDING SYSTEM "
                 "VALUE VALUES ($1, $2, $3, $4, $5)",
                 Params().add(c.id).add(c.alert_id).add(c.user).add(c.at_ms).add(c.text));
        max_comment = std::max(max_comment, c.id);
        ++report.comments;
      }
      auto evidence = source.evidence(alert.id);
      if (!evidence.is_ok()) return evidence.status();
      for (const auto& e : *evidence) {
        Params row;
        pg::exec(w, insert_evidence, pg::add_evidence_columns(row.add(e.id), e));
        max_evidence = std::max(max_evidence, e.id);
        ++report.evidence;
      }
    }
    query.before_id = page->back().id;
  }
  continue_identity(w, "alerts", max_alert);
  continue_identity(w, "comments", max_comment);
  continue_identity(w, "evidence", max_evidence);
  return Status::ok();
}

Status copy_governance(const Store& source, pqxx::work& w, CopyReport& report) {
  auto users = source.users();
  if (!users.is_ok()) return users.status();
  for (const auto& u : *users) {
    pg::exec(
        w,
        "INSERT INTO users (name, role, password_hash, disabled, created_ms) VALUES "
        "($1, $2, $3, $4, $5)",
        Params().add(u.name).add(u.role).add(u.password_hash).add(u.disabled).add(u.created_ms));
    ++report.users;
  }
  auto authorizations = source.authorizations();
  if (!authorizations.is_ok()) return authorizations.status();
  for (const auto& a : *authorizations) {
    auto params = pg::authorization_params(a);
    if (!params.is_ok()) return params.status();
    pg::exec(w,
             std::string("INSERT INTO authorizations (") + pg::kAuthorizationColumns +
                 ") VALUES (" + placeholders(8) + ")",
             *params);
    ++report.authorizations;
  }
  auto geometries = source.camera_geometries();
  if (!geometries.is_ok()) return geometries.status();
  for (const auto& g : *geometries) {
    pg::exec(w,
             "INSERT INTO camera_geometry (camera, json, updated_ms, updated_by) VALUES "
             "($1, $2, $3, $4)",
             Params().add(g.camera).add(g.json).add(g.updated_ms).add(g.updated_by));
    ++report.camera_geometries;
  }
  return Status::ok();
}

Status broken(const char* where, const ChainBreak& b) {
  return data_loss(std::string(where) + " does not verify at record " + std::to_string(b.seq) +
                   ": " + b.reason);
}

/// Copies the journal record by record as stored (seq, hashes and the canonical detail text
/// that was hashed), checking the source's chain on the way.
Status copy_journal(const Store& source, pqxx::work& w, CopyReport& report) {
  ChainVerifier verifier;
  JournalQuery query;
  query.after_seq = 0;
  query.limit = kPage;
  for (;;) {
    auto page = source.journal(query);
    if (!page.is_ok()) return page.status();
    if (page->empty()) break;
    for (const auto& r : *page) {
      if (auto b = verifier.add(r)) return broken("the source's journal", *b);
      pg::insert_journal(w, r);
      ++report.journal;
      report.journal_head_seq = r.seq;
      report.journal_head_hash = r.hash;
    }
    query.after_seq = page->back().seq;
  }
  if (auto b = verifier.unanchored_start()) return broken("the source's journal", *b);
  return Status::ok();
}

/// Reads the copied journal back inside the transaction and checks it as `vigie journal
/// verify` will: the copied records and the record of the copy, nothing else.
Status verify_copied_journal(pqxx::work& w, const CopyReport& report) {
  ChainVerifier verifier;
  std::int64_t after = 0;
  for (;;) {
    const auto rows = pg::exec(w,
                               std::string("SELECT ") + pg::kJournalColumns +
                                   " FROM journal WHERE seq > $1 ORDER BY seq LIMIT $2",
                               Params().add(after).add(kPage));
    if (rows.empty()) break;
    for (const auto& row : rows) {
      const JournalRecord r = pg::read_journal(row);
      if (auto b = verifier.add(r)) return broken("the copied journal", *b);
      after = r.seq;
    }
  }
  if (auto b = verifier.unanchored_start()) return broken("the copied journal", *b);
  const std::int64_t expected = report.journal + 1;  // and the record of the copy
  if (verifier.checked() != expected || verifier.head_hash() != report.migrated.hash) {
    return internal_error("the copied journal holds " + std::to_string(verifier.checked()) +
                          " records, head " + verifier.head_hash() + ", instead of " +
                          std::to_string(expected) + ", head " + report.migrated.hash);
  }
  return Status::ok();
}

/// Appends the record of the copy after the copied journal.
Status journal_copy(pqxx::work& w, CopyReport& report, const std::string& actor, TimeMs at_ms) {
  JournalRecord& r = report.migrated;
  r.seq = report.journal_head_seq + 1;
  r.at_ms = at_ms;
  r.actor = actor;
  r.action = "store.migrated";
  r.detail = {
      {"from", "sqlite"},
      {"alerts", report.alerts},
      {"comments", report.comments},
      {"evidence", report.evidence},
      {"users", report.users},
      {"authorizations", report.authorizations},
      {"camera_geometries", report.camera_geometries},
      {"journal", report.journal},
      {"source_head", {{"seq", report.journal_head_seq}, {"hash", report.journal_head_hash}}}};
  r.prev_hash = report.journal_head_seq > 0 ? report.journal_head_hash : kGenesisHash;
  try {
    r.hash = journal_hash(r);
  } catch (const std::exception& e) {
    return invalid_argument(std::string("store.migrated record: ") + e.what());
  }
  pg::insert_journal(w, r);
  return Status::ok();
}

}  // namespace

Result<CopyReport> copy_to_postgres(const Store& source, const PostgresOptions& target,
                                    const std::string& actor, TimeMs at_ms) {
  // Opening the store creates the schema, or brings it to this build's version, as a node's
  // first start would; it writes no data.
  {
    auto store = open_postgres_store(target);
    if (!store.is_ok()) return store.status();
  }
  auto where = pg::make_target(target, /*read_only=*/false);
  if (!where.is_ok()) return where.status();
  auto conn = pg::connect(*where);
  if (!conn.is_ok()) return conn.status();
  CopyReport report;
  report.target = where->description;
  try {
    pqxx::work w(**conn);
    // Under the nodes' write lock, checked empty and filled in one transaction: a node
    // starting meanwhile writes after the copy (and finds it) or before (and the copy refuses).
    w.exec(kWriteLockSql);
    if (auto s = require_empty(w, where->description); !s.is_ok()) return s;
    if (auto s = copy_governance(source, w, report); !s.is_ok()) return s;
    if (auto s = copy_alerts(source, w, report); !s.is_ok()) return s;
    if (auto s = copy_journal(source, w, report); !s.is_ok()) return s;
    if (auto s = journal_copy(w, report, actor, at_ms); !s.is_ok()) return s;
    if (auto s = verify_copied_journal(w, report); !s.is_ok()) return s;
    w.commit();
  } catch (const std::exception& e) {
    return pg::status_of(e, "copying into PostgreSQL database at " + where->description);
  }
  return report;
}

}  // namespace vigie::storage
