// The PostgreSQL schema, step by step. docs/storage.md describes the tables; they hold what
// the SQLite tables hold, with PostgreSQL's types. Text that is compared or ordered (names,
// references, cameras, actions) is collated "C", so order and prefix ranges are bytewise as in
// SQLite whatever the database's locale. The journal's `detail` is text, not jsonb: it is
// exactly the canonical form that was hashed.

#include "storage/postgres_schema.hpp"

namespace vigie::storage {

namespace {

// 1: everything the SQLite schema holds at its version 3.
constexpr const char* kVersion1 = R"sql(
CREATE TABLE alerts (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source_id TEXT NOT NULL,
  type TEXT COLLATE "C" NOT NULL,
  camera TEXT COLLATE "C" NOT NULL,
  zone TEXT NOT NULL,
  start_s DOUBLE PRECISION NOT NULL,
  last_s DOUBLE PRECISION NOT NULL,
  raised_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  ended_ms BIGINT NOT NULL,
  score DOUBLE PRECISION NOT NULL,
  detail TEXT NOT NULL,
  region TEXT NOT NULL,
  polygon TEXT NOT NULL,
  params TEXT NOT NULL,
  config_version TEXT NOT NULL,
  model_hash TEXT NOT NULL,
  calibration BOOLEAN NOT NULL,
  state TEXT COLLATE "C" NOT NULL,
  assignee TEXT NOT NULL,
  verdict_by TEXT NOT NULL,
  verdict_ms BIGINT NOT NULL,
  reason TEXT NOT NULL,
  verdict_comment TEXT NOT NULL,
  evidence_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alerts_raised ON alerts (raised_ms);
CREATE INDEX alerts_camera ON alerts (camera, id);
CREATE INDEX alerts_type ON alerts (type, id);
CREATE INDEX alerts_state ON alerts (state, id);
CREATE INDEX alerts_ended ON alerts (ended_ms);

CREATE TABLE comments (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  alert_id BIGINT NOT NULL REFERENCES alerts (id),
  "user" TEXT NOT NULL,
  at_ms BIGINT NOT NULL,
  text TEXT NOT NULL
);
CREATE INDEX comments_alert ON comments (alert_id);

CREATE TABLE evidence (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  alert_id BIGINT NOT NULL REFERENCES alerts (id),
  kind TEXT NOT NULL,
  masked BOOLEAN NOT NULL,
  path TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  bytes BIGINT NOT NULL,
  created_ms BIGINT NOT NULL,
  from_s DOUBLE PRECISION NOT NULL DEFAULT 0,
  to_s DOUBLE PRECISION NOT NULL DEFAULT 0
);
CREATE INDEX evidence_alert ON evidence (alert_id);
CREATE INDEX evidence_created ON evidence (created_ms);

CREATE TABLE users (
  name TEXT COLLATE "C" PRIMARY KEY,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  disabled BOOLEAN NOT NULL,
  created_ms BIGINT NOT NULL
);

CREATE TABLE authorizations (
  reference TEXT COLLATE "C" PRIMARY KEY,
  cameras TEXT NOT NULL,
  event_types TEXT NOT NULL,
  start_ms BIGINT NOT NULL,
  end_ms BIGINT NOT NULL,
  controller TEXT NOT NULL,
  origin TEXT NOT NULL,
  revoked BOOLEAN NOT NULL
);

CREATE TABLE camera_geometry (
  camera TEXT COLLATE "C" PRIMARY KEY,
  json TEXT NOT NULL,
  updated_ms BIGINT NOT NULL,
  updated_by TEXT NOT NULL
);

CREATE TABLE journal (
  seq BIGINT PRIMARY KEY,
  at_ms BIGINT NOT NULL,
  actor TEXT COLLATE "C" NOT NULL,
  action TEXT COLLATE "C" NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX journal_at ON journal (at_ms);
CREATE INDEX journal_action ON journal (action);
)sql";

// 2: nodes and camera leases (docs/deploy.md). Times are the database's clock, in ms,
// so nodes whose clocks differ still agree on when a lease expires.
constexpr const char* kVersion2 = R"sql(
CREATE TABLE nodes (
  id TEXT COLLATE "C" PRIMARY KEY,
  api TEXT NOT NULL,
  joined_ms BIGINT NOT NULL,
  heartbeat_ms BIGINT NOT NULL,
  expires_ms BIGINT NOT NULL
);
CREATE TABLE camera_leases (
  camera TEXT COLLATE "C" PRIMARY KEY,
  node TEXT COLLATE "C" NOT NULL,
  acquired_ms BIGINT NOT NULL,
  expires_ms BIGINT NOT NULL
);
CREATE INDEX camera_leases_node ON camera_leases (node);
)sql";

// 3: the node that wrote each evidence file, which keeps it on its disk ('' for files
// written before).
constexpr const char* kVersion3 = R"sql(
ALTER TABLE evidence ADD COLUMN node TEXT COLLATE "C" NOT NULL DEFAULT '';
)sql";

// 4: the cameras each node's configuration lists, with their weights (a JSON object), so that
// nodes whose configurations differ for a while claim only what they may run. It may run on
// a database that has the column already (one taken back to an older version).
constexpr const char* kVersion4 = R"sql(
ALTER TABLE nodes ADD COLUMN IF NOT EXISTS cameras TEXT NOT NULL DEFAULT '{}';
)sql";

// 5: the measures taken about a confirmed alert, a JSON array of strings, on the alert itself.
constexpr const char* kVersion5 = R"sql(
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS verdict_measures TEXT NOT NULL DEFAULT '[]';
)sql";

}  // namespace

const std::vector<const char*>& postgres_migrations() {
  static const std::vector<const char*> kMigrations = {kVersion1, kVersion2, kVersion3,
                                                       kVersion4, kVersion5};
  return kMigrations;
}

}  // namespace vigie::storage
