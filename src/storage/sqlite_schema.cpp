// The SQLite schema, step by step. docs/storage.md describes the tables.

#include "storage/sqlite_schema.hpp"

namespace vigie::storage {

namespace {

// 1: alerts, their comments and evidence, users, authorizations, the journal.
constexpr const char* kVersion1 = R"sql(
CREATE TABLE alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source_id TEXT NOT NULL,
  type TEXT NOT NULL,
  camera TEXT NOT NULL,
  zone TEXT NOT NULL,
  start_s REAL NOT NULL,
  last_s REAL NOT NULL,
  raised_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  ended_ms INTEGER NOT NULL,
  score REAL NOT NULL,
  detail TEXT NOT NULL,
  region TEXT NOT NULL,
  polygon TEXT NOT NULL,
  params TEXT NOT NULL,
  config_version TEXT NOT NULL,
  model_hash TEXT NOT NULL,
  calibration INTEGER NOT NULL,
  state TEXT NOT NULL,
  assignee TEXT NOT NULL,
  verdict_by TEXT NOT NULL,
  verdict_ms INTEGER NOT NULL,
  reason TEXT NOT NULL,
  verdict_comment TEXT NOT NULL
);
CREATE INDEX alerts_raised ON alerts (raised_ms);
CREATE INDEX alerts_camera ON alerts (camera, id);
CREATE INDEX alerts_type ON alerts (type, id);
CREATE INDEX alerts_state ON alerts (state, id);

CREATE TABLE comments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  alert_id INTEGER NOT NULL REFERENCES alerts (id),
  user TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  text TEXT NOT NULL
);
CREATE INDEX comments_alert ON comments (alert_id);

CREATE TABLE evidence (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  alert_id INTEGER NOT NULL REFERENCES alerts (id),
  kind TEXT NOT NULL,
  masked INTEGER NOT NULL,
  path TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  from_s REAL NOT NULL DEFAULT 0,
  to_s REAL NOT NULL DEFAULT 0
);
CREATE INDEX evidence_alert ON evidence (alert_id);
CREATE INDEX evidence_created ON evidence (created_ms);

CREATE TABLE users (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL,
  created_ms INTEGER NOT NULL
);

CREATE TABLE authorizations (
  reference TEXT PRIMARY KEY,
  cameras TEXT NOT NULL,
  event_types TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL,
  controller TEXT NOT NULL,
  origin TEXT NOT NULL,
  revoked INTEGER NOT NULL
);

CREATE TABLE journal (
  seq INTEGER PRIMARY KEY,
  at_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX journal_at ON journal (at_ms);
CREATE INDEX journal_action ON journal (action);
)sql";

// 2: camera geometry changed from the console (overrides the configuration's).
constexpr const char* kVersion2 = R"sql(
CREATE TABLE camera_geometry (
  camera TEXT PRIMARY KEY,
  json TEXT NOT NULL,
  updated_ms INTEGER NOT NULL,
  updated_by TEXT NOT NULL
);
)sql";

// 3: why an alert has no evidence, when it has none.
constexpr const char* kVersion3 = R"sql(
ALTER TABLE alerts ADD COLUMN evidence_note TEXT NOT NULL DEFAULT '';
CREATE INDEX alerts_ended ON alerts (ended_ms);
)sql";

// 4: the node that wrote each evidence file, which keeps it on its disk ('' for files
// written before).
constexpr const char* kVersion4 = R"sql(
ALTER TABLE evidence ADD COLUMN node TEXT NOT NULL DEFAULT '';
)sql";

// 5: the measures taken about a confirmed alert, a JSON array of strings, on the alert itself
// (the journal keeps each verdict; the row says what stands now).
constexpr const char* kVersion5 = R"sql(
ALTER TABLE alerts ADD COLUMN verdict_measures TEXT NOT NULL DEFAULT '[]';
)sql";

}  // namespace

const std::vector<const char*>& schema_migrations() {
  static const std::vector<const char*> kMigrations = {kVersion1, kVersion2, kVersion3, kVersion4,
                                                       kVersion5};
  return kMigrations;
}

}  // namespace vigie::storage
