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

constexpr Placeholder kMark = Placeholder::kPostgres;

/// "INSERT INTO table (id, columns) ...", the row's own id kept.
std::string insert_with_id(const char* table, const char* columns) {
  std::string sql = insert_sql(table, std::string("id, ") + columns, kMark);
  return sql.insert(sql.find(" VALUES"), " OVERRIDING SYSTEM VALUE");
}

Status copy_alerts(const Store& source, pqxx::work& w, CopyReport& report) {
  std::int64_t max_alert = 0;
  std::int64_t max_comment = 0;
  std::int64_t max_evidence = 0;
  const std::string insert_alert = insert_with_id("alerts", kAlertColumns);
  const std::string insert_comment = insert_with_id("comments", kCommentColumns);
  const std::string insert_evidence = insert_with_id("evidence", kEvidenceColumns);
  AlertQuery query;
  query.include_calibration = true;
  query.limit = kPage;
  for (;;) {
    VIGIE_ASSIGN_OR_RETURN(const auto page, source.alerts(query));
    if (page.empty()) break;
    for (const auto& alert : page) {
      VIGIE_ASSIGN_OR_RETURN(const Values values, alert_values(alert));
      pg::exec(w, insert_alert, Params().add(alert.id).add_all(values));
      max_alert = std::max(max_alert, alert.id);
      ++report.alerts;

      VIGIE_ASSIGN_OR_RETURN(const auto comments, source.comments(alert.id));
      for (const auto& c : comments) {
        pg::exec(w, insert_comment, Params().add(c.id).add_all(comment_values(c)));
        max_comment = std::max(max_comment, c.id);
        ++report.comments;
      }
      VIGIE_ASSIGN_OR_RETURN(const auto evidence, source.evidence(alert.id));
      for (const auto& e : evidence) {
        pg::exec(w, insert_evidence, Params().add(e.id).add_all(evidence_values(e)));
        max_evidence = std::max(max_evidence, e.id);
        ++report.evidence;
      }
    }
    query.before_id = page.back().id;
  }
  continue_identity(w, "alerts", max_alert);
  continue_identity(w, "comments", max_comment);
  continue_identity(w, "evidence", max_evidence);
  return Status::ok();
}

Status copy_governance(const Store& source, pqxx::work& w, CopyReport& report) {
  VIGIE_ASSIGN_OR_RETURN(const auto users, source.users());
  for (const auto& u : users) {
    pg::exec(w, insert_sql("users", kUserColumns, kMark), Params(user_values(u)));
    ++report.users;
  }
  VIGIE_ASSIGN_OR_RETURN(const auto authorizations, source.authorizations());
  for (const auto& a : authorizations) {
    VIGIE_ASSIGN_OR_RETURN(const Values values, authorization_values(a));
    pg::exec(w, insert_sql("authorizations", kAuthorizationColumns, kMark), Params(values));
    ++report.authorizations;
  }
  VIGIE_ASSIGN_OR_RETURN(const auto geometries, source.camera_geometries());
  for (const auto& g : geometries) {
    pg::exec(w, insert_sql("camera_geometry", kCameraGeometryColumns, kMark),
             Params(camera_geometry_values(g)));
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
    VIGIE_ASSIGN_OR_RETURN(const auto page, source.journal(query));
    if (page.empty()) break;
    for (const auto& r : page) {
      if (auto b = verifier.add(r)) return broken("the source's journal", *b);
      pg::insert_journal(w, r);
      ++report.journal;
      report.journal_head_seq = r.seq;
      report.journal_head_hash = r.hash;
    }
    query.after_seq = page.back().seq;
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
                               std::string("SELECT ") + kJournalColumns +
                                   " FROM journal WHERE seq > $1 ORDER BY seq LIMIT $2",
                               Params().add(after).add(kPage));
    if (rows.empty()) break;
    for (const auto& row : rows) {
      const JournalRecord r = read_journal(pg::Row(row));
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
  VIGIE_RETURN_IF_ERROR(open_postgres_store(target));
  VIGIE_ASSIGN_OR_RETURN(const pg::Target where, pg::make_target(target, /*read_only=*/false));
  VIGIE_ASSIGN_OR_RETURN(auto conn, pg::connect(where));
  CopyReport report;
  report.target = where.description;
  try {
    pqxx::work w(*conn);
    // Under the nodes' write lock, checked empty and filled in one transaction: a node
    // starting meanwhile writes after the copy (and finds it) or before (and the copy refuses).
    w.exec(kWriteLockSql);
    VIGIE_RETURN_IF_ERROR(require_empty(w, where.description));
    VIGIE_RETURN_IF_ERROR(copy_governance(source, w, report));
    VIGIE_RETURN_IF_ERROR(copy_alerts(source, w, report));
    VIGIE_RETURN_IF_ERROR(copy_journal(source, w, report));
    VIGIE_RETURN_IF_ERROR(journal_copy(w, report, actor, at_ms));
    VIGIE_RETURN_IF_ERROR(verify_copied_journal(w, report));
    w.commit();
  } catch (const std::exception& e) {
    return pg::status_of(e, "copying into PostgreSQL database at " + where.description);
  }
  return report;
}

}  // namespace vigie::storage
