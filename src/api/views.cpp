#include "api/views.hpp"

#include <chrono>
#include <cstdio>

#include "core/iso_time.hpp"

namespace vigie::api {
namespace {

std::string iso(storage::TimeMs ms) {
  return format_iso8601(std::chrono::system_clock::time_point(std::chrono::milliseconds(ms)));
}

nlohmann::json types_json(const auto& types) {
  nlohmann::json out = nlohmann::json::array();
  for (EventType t : types) out.push_back(std::string(to_string(t)));
  return out;
}

}  // namespace

nlohmann::json alert_json(const storage::AlertRecord& a) {
  return {
      {"id", a.id},
      {"type", std::string(to_string(a.type))},
      {"camera", a.camera},
      {"zone", a.zone},
      {"start_s", a.start_s},
      {"last_s", a.last_s},
      {"raised_ms", a.raised_ms},
      {"updated_ms", a.updated_ms},
      {"ended_ms", a.ended_ms},
      {"score", a.score},
      {"detail", a.detail},
      {"region", a.region},
      {"polygon", a.polygon},
      {"params", a.params},
      {"config_version", a.config_version},
      {"model_hash", a.model_hash},
      {"calibration", a.calibration},
      {"state", std::string(storage::to_string(a.state))},
      {"assignee", a.assignee},
      {"verdict_by", a.verdict_by},
      {"verdict_ms", a.verdict_ms},
      {"reason", a.reason},
      {"verdict_comment", a.verdict_comment},
      {"verdict_measures", a.verdict_measures},
      {"evidence_note", a.evidence_note},
  };
}

nlohmann::json comment_json(const storage::CommentRecord& c) {
  return {{"id", c.id}, {"alert_id", c.alert_id}, {"user", c.user}, {"at_ms", c.at_ms},
          {"text", c.text}};
}

nlohmann::json evidence_json(const storage::EvidenceRecord& e, const std::string& url) {
  return {{"id", e.id},         {"alert_id", e.alert_id},     {"kind", e.kind},
          {"masked", e.masked}, {"sha256", e.sha256},         {"bytes", e.bytes},
          {"created_ms", e.created_ms}, {"node", e.node}, {"url", url}};
}

nlohmann::json authorization_json(const storage::AuthorizationRecord& a, storage::TimeMs now_ms) {
  return {{"reference", a.reference},
          {"cameras", a.cameras},
          {"event_types", types_json(a.event_types)},
          {"start", iso(a.start_ms)},
          {"end", iso(a.end_ms)},
          {"start_ms", a.start_ms},
          {"end_ms", a.end_ms},
          {"controller", a.controller},
          {"origin", a.origin},
          {"revoked", a.revoked},
          {"active", !a.revoked && a.start_ms <= now_ms && now_ms < a.end_ms}};
}

nlohmann::json journal_json(const storage::JournalRecord& r) {
  return {{"seq", r.seq},         {"at_ms", r.at_ms},         {"at", iso(r.at_ms)},
          {"actor", r.actor},     {"action", r.action},       {"detail", r.detail},
          {"prev_hash", r.prev_hash}, {"hash", r.hash}};
}

nlohmann::json user_json(const storage::UserRecord& u) {
  return {{"name", u.name}, {"role", u.role}, {"disabled", u.disabled},
          {"created_ms", u.created_ms}};
}

nlohmann::json stop_json(const govern::StopInfo& s) {
  return {{"stopped", s.stopped}, {"by", s.by}, {"at_ms", s.at_ms}, {"reason", s.reason}};
}

nlohmann::json permit_json(const govern::Permit& p) {
  return {{"analyse", p.analyse},
          {"event_types", types_json(p.event_types)},
          {"why_not", p.why_not},
          {"references", p.references}};
}

static std::string degraded_reason(const CameraView& c, bool analysed) {
  // A live camera analysed well below its configured rate misses what happens between its
  // frames: the operator must not take its tile for full watch. 80 % leaves room for the
  // jitter of a two-second rate measure.
  constexpr double kShareOfRate = 0.8;
  if (!analysed || c.health.state != CameraState::kLive || c.target_fps <= 0) return {};
  if (c.analysed_fps >= kShareOfRate * c.target_fps) return {};
  char text[96];
  std::snprintf(text, sizeof text, "analysed at %.1f fps of %.1f", c.analysed_fps, c.target_fps);
  return text;
}

nlohmann::json camera_json(const CameraView& c, const govern::Permit& permit) {
  const CameraHealth& h = c.health;
  const std::string degraded = degraded_reason(c, permit.analyse);
  return {{"id", c.id},
          {"name", c.name},
          {"state", std::string(to_string(h.state))},
          {"reason", h.reason},
          {"calibration", c.calibration},
          {"analysed_fps", c.analysed_fps},
          {"analysis_ms", c.analysis_ms},
          {"target_fps", c.target_fps},
          {"degraded", !degraded.empty()},
          {"degraded_why", degraded},
          {"frames_decoded", h.frames_decoded},
          {"frames_analysed", h.frames_analysed},
          {"frames_dropped", h.frames_dropped},
          {"reconnects", h.reconnects},
          {"decode_errors", h.decode_errors},
          {"last_frame_ms", h.last_frame_unix_ms},
          {"node", c.node},
          {"permit", permit_json(permit)}};
}

}  // namespace vigie::api
