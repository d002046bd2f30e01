// Parameters and row conversions of the PostgreSQL store.

#include "storage/postgres_rows.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace vigie::storage::pg {

using nlohmann::json;

Params& Params::add(std::int64_t v) {
  values_.push_back(std::to_string(v));
  return *this;
}

Params& Params::add(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest exact form
  values_.emplace_back(buf, r.ptr);
  return *this;
}

Params& Params::add(bool v) {
  values_.emplace_back(v ? "t" : "f");
  return *this;
}

Params& Params::add(std::string v) {
  values_.push_back(std::move(v));
  return *this;
}

pqxx::result exec(pqxx::transaction_base& tx, const std::string& sql, const Params& params) {
  if (params.values().empty()) return tx.exec(sql);
  return tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params.values()));
}

std::int64_t i64(const pqxx::field& f) {
  return f.is_null() ? 0 : f.as<std::int64_t>();
}

double f64(const pqxx::field& f) {
  if (f.is_null()) return 0;
  return std::strtod(f.c_str(), nullptr);
}

bool boolean(const pqxx::field& f) {
  return !f.is_null() && f.as<bool>();
}

std::string text(const pqxx::field& f) {
  return f.is_null() ? std::string() : std::string(f.c_str(), f.size());
}

const char* const kAlertColumns =
    "source_id, type, camera, zone, start_s, last_s, raised_ms, updated_ms, ended_ms, score, "
    "detail, region, polygon, params, config_version, model_hash, calibration, state, assignee, "
    "verdict_by, verdict_ms, reason, verdict_comment, evidence_note";

Result<Params> alert_params(const AlertRecord& a) {
  const auto finite = [](double v, const char* field) -> Status {
    if (!std::isfinite(v)) {
      return invalid_argument(std::string("alert ") + field + " is not finite");
    }
    return Status::ok();
  };
  for (const auto& [v, name] : {std::pair{a.start_s, "start_s"}, std::pair{a.last_s, "last_s"},
                                std::pair{a.score, "score"}}) {
    if (auto st = finite(v, name); !st.is_ok()) return st;
  }
  for (double v : a.region) {
    if (auto st = finite(v, "region"); !st.is_ok()) return st;
  }
  for (const auto& p : a.polygon) {
    for (double v : p) {
      if (auto st = finite(v, "polygon"); !st.is_ok()) return st;
    }
  }
  Params p;
  try {
    p.add(a.source_id)
        .add(std::string(to_string(a.type)))
        .add(a.camera)
        .add(a.zone)
        .add(a.start_s)
        .add(a.last_s)
        .add(a.raised_ms)
        .add(a.updated_ms)
        .add(a.ended_ms)
        .add(a.score)
        .add(a.detail)
        .add(json(a.region).dump())
        .add(json(a.polygon).dump())
        .add(a.params.dump())
        .add(a.config_version)
        .add(a.model_hash)
        .add(a.calibration)
        .add(std::string(to_string(a.state)))
        .add(a.assignee)
        .add(a.verdict_by)
        .add(a.verdict_ms)
        .add(a.reason)
        .add(a.verdict_comment)
        .add(a.evidence_note);
  } catch (const std::exception& e) {
    return invalid_argument(std::string("alert params: ") + e.what());
  }
  return p;
}

Result<AlertRecord> read_alert(const pqxx::row& r) {
  AlertRecord a;
  pqxx::row::size_type i = 0;
  a.id = i64(r[i++]);
  a.source_id = text(r[i++]);
  const std::string type = text(r[i++]);
  const auto t = parse_event_type(type);
  if (!t) return data_loss("alert " + std::to_string(a.id) + ": unknown type \"" + type + "\"");
  a.type = *t;
  a.camera = text(r[i++]);
  a.zone = text(r[i++]);
  a.start_s = f64(r[i++]);
  a.last_s = f64(r[i++]);
  a.raised_ms = i64(r[i++]);
  a.updated_ms = i64(r[i++]);
  a.ended_ms = i64(r[i++]);
  a.score = f64(r[i++]);
  a.detail = text(r[i++]);
  try {
    a.region = json::parse(text(r[i++])).get<std::vector<double>>();
    a.polygon = json::parse(text(r[i++])).get<std::vector<std::vector<double>>>();
    a.params = json::parse(text(r[i++]));
  } catch (const std::exception& e) {
    return data_loss("alert " + std::to_string(a.id) + ": " + e.what());
  }
  a.config_version = text(r[i++]);
  a.model_hash = text(r[i++]);
  a.calibration = boolean(r[i++]);
  const std::string state = text(r[i++]);
  const auto st = alert_state_from_string(state);
  if (!st) return data_loss("alert " + std::to_string(a.id) + ": unknown state \"" + state + "\"");
  a.state = *st;
  a.assignee = text(r[i++]);
  a.verdict_by = text(r[i++]);
  a.verdict_ms = i64(r[i++]);
  a.reason = text(r[i++]);
  a.verdict_comment = text(r[i++]);
  a.evidence_note = text(r[i++]);
  return a;
}

const char* const kJournalColumns = "seq, at_ms, actor, action, detail, prev_hash, hash";

JournalRecord read_journal(const pqxx::row& r) {
  JournalRecord j;
  j.seq = i64(r[0]);
  j.at_ms = i64(r[1]);
  j.actor = text(r[2]);
  j.action = text(r[3]);
  const std::string detail = text(r[4]);
  try {
    j.detail = json::parse(detail);
  } catch (const std::exception&) {
    // A tampered row: kept as a string, whose hash cannot match (see the SQLite store).
    j.detail = detail;
  }
  j.prev_hash = text(r[5]);
  j.hash = text(r[6]);
  return j;
}

void insert_journal(pqxx::transaction_base& tx, const JournalRecord& r) {
  exec(tx,
       std::string("INSERT INTO journal (") + kJournalColumns +
           ") VALUES ($1, $2, $3, $4, $5, $6, $7)",
       Params()
           .add(r.seq)
           .add(r.at_ms)
           .add(r.actor)
           .add(r.action)
           .add(r.detail.dump())
           .add(r.prev_hash)
           .add(r.hash));
}

const char* const kEvidenceColumns =
    "id, alert_id, kind, masked, path, sha256, bytes, created_ms, from_s, to_s";

Params& add_evidence_columns(Params& p, const EvidenceRecord& e) {
  return p.add(e.alert_id)
      .add(e.kind)
      .add(e.masked)
      .add(e.path)
      .add(e.sha256)
      .add(e.bytes)
      .add(e.created_ms)
      .add(e.from_s)
      .add(e.to_s);
}

EvidenceRecord read_evidence(const pqxx::row& r) {
  EvidenceRecord e;
  e.id = i64(r[0]);
  e.alert_id = i64(r[1]);
  e.kind = text(r[2]);
  e.masked = boolean(r[3]);
  e.path = text(r[4]);
  e.sha256 = text(r[5]);
  e.bytes = i64(r[6]);
  e.created_ms = i64(r[7]);
  e.from_s = f64(r[8]);
  e.to_s = f64(r[9]);
  return e;
}

CommentRecord read_comment(const pqxx::row& r) {
  return {i64(r[0]), i64(r[1]), text(r[2]), i64(r[3]), text(r[4])};
}

UserRecord read_user(const pqxx::row& r) {
  return {text(r[0]), text(r[1]), text(r[2]), boolean(r[3]), i64(r[4])};
}

const char* const kAuthorizationColumns =
    "reference, cameras, event_types, start_ms, end_ms, controller, origin, revoked";

Result<Params> authorization_params(const AuthorizationRecord& a) {
  json types = json::array();
  for (EventType t : a.event_types) types.push_back(std::string(to_string(t)));
  std::string cameras;
  try {
    cameras = json(a.cameras).dump();
  } catch (const std::exception& e) {
    return invalid_argument(std::string("authorization cameras: ") + e.what());
  }
  Params p;
  p.add(a.reference)
      .add(cameras)
      .add(types.dump())
      .add(a.start_ms)
      .add(a.end_ms)
      .add(a.controller)
      .add(a.origin)
      .add(a.revoked);
  return p;
}

Result<AuthorizationRecord> read_authorization(const pqxx::row& r) {
  AuthorizationRecord a;
  a.reference = text(r[0]);
  try {
    a.cameras = json::parse(text(r[1])).get<std::vector<CameraId>>();
    for (const auto& name : json::parse(text(r[2])).get<std::vector<std::string>>()) {
      const auto t = parse_event_type(name);
      if (!t) return data_loss("authorization " + a.reference + ": unknown type " + name);
      a.event_types.push_back(*t);
    }
  } catch (const std::exception& e) {
    return data_loss("authorization " + a.reference + ": " + e.what());
  }
  a.start_ms = i64(r[3]);
  a.end_ms = i64(r[4]);
  a.controller = text(r[5]);
  a.origin = text(r[6]);
  a.revoked = boolean(r[7]);
  return a;
}

}  // namespace vigie::storage::pg
