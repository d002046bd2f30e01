#include "config/to_json.hpp"

#include <cmath>

#include "config/loader.hpp"
#include "core/redact.hpp"

namespace vigie::config {
namespace {

nlohmann::json point_json(Point p) {
  return nlohmann::json::array({p.x, p.y});
}

nlohmann::json points_json(const std::vector<Point>& pts) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : pts) out.push_back(point_json(p));
  return out;
}

std::string secret(const std::string& value, bool redacted) {
  return redacted && !value.empty() ? "***" : value;
}

/// "https://hooks.example/T0/B0/token?x" -> "https://hooks.example/***": webhook paths and
/// queries often carry the token that authorises the call.
std::string webhook_url_shown(const std::string& url) {
  const std::string clean = redact_url(url);
  const size_t scheme = clean.find("://");
  const size_t path = clean.find_first_of("/?#", scheme == std::string::npos ? 0 : scheme + 3);
  if (path == std::string::npos || path + 1 >= clean.size()) return clean;
  return clean.substr(0, path) + "/***";
}

}  // namespace

nlohmann::json to_json(const CameraConfig& c, bool redacted) {
  nlohmann::json j;
  j["id"] = c.id;
  j["name"] = c.name;
  j["url"] = redacted ? redact_url(c.url) : c.url;
  j["enabled"] = c.enabled;
  j["analysis"] = {{"fps", c.analysis.fps}, {"width", c.analysis.width}};
  const InputConfig& in = c.input;
  j["input"] = {{"rtsp_transport", in.rtsp_transport == RtspTransport::kTcp ? "tcp" : "udp"},
                {"connect_timeout_s", in.connect_timeout_s},
                {"read_timeout_s", in.read_timeout_s},
                {"stall_after_s", in.stall_after_s},
                {"realtime", in.realtime},
                {"loop", in.loop},
                {"skip_loop_filter", in.skip_loop_filter},
                {"skip_non_reference", in.skip_non_reference},
                {"ring_seconds", in.ring_seconds},
                {"backoff_max_s", in.backoff_max_s},
                {"queue_packets", in.queue_packets},
                {"hwaccel", to_string(in.hwaccel)}};
  if (c.calibration) {
    j["calibration"] = {{"image", points_json(c.calibration->image)},
                        {"ground", points_json(c.calibration->ground)}};
  }
  j["zones"] = nlohmann::json::array();
  for (const Zone& z : c.zones) {
    nlohmann::json zj = {{"id", z.id}, {"name", z.name}, {"polygon", points_json(z.polygon)}};
    if (z.allowed_direction) zj["allowed_direction"] = point_json(*z.allowed_direction);
    if (z.person_height_px) zj["person_height_px"] = *z.person_height_px;
    j["zones"].push_back(zj);
  }
  j["lines"] = nlohmann::json::array();
  for (const Line& l : c.lines) {
    nlohmann::json lj = {{"id", l.id}, {"name", l.name}, {"points", points_json({l.a, l.b})}};
    if (l.direction) lj["direction"] = point_json(*l.direction);
    j["lines"].push_back(lj);
  }
  j["rules"] = nlohmann::json::array();
  for (const RuleConfig& r : c.rules) {
    nlohmann::json rj = {{"type", to_string(r.type())}, {"enabled", r.enabled}, {"zones", r.zones}};
    for (const auto& [key, value] : rule_parameters(r)) rj[key] = value;
    for (const std::string& key : integer_parameter_keys(r)) {
      rj[key] = static_cast<long long>(std::llround(rj[key].get<double>()));
    }
    for (const auto& [key, ids] : rule_lists(r)) {
      if (!ids.empty()) rj[key] = ids;
    }
    j["rules"].push_back(rj);
  }
  j["privacy_masks"] = nlohmann::json::array();
  for (const auto& m : c.privacy_masks) j["privacy_masks"].push_back({{"polygon", points_json(m)}});
  j["analysis_masks"] = nlohmann::json::array();
  for (const auto& m : c.analysis_masks) {
    j["analysis_masks"].push_back({{"polygon", points_json(m)}});
  }
  j["calibration_mode"] = c.calibration_mode;
  j["weight"] = c.weight;
  return j;
}

nlohmann::json geometry_json(const CameraConfig& camera) {
  const nlohmann::json full = to_json(camera, /*redacted=*/true);
  nlohmann::json j;
  for (const std::string& key : geometry_keys()) {
    j[key] = full.contains(key) ? full[key] : nlohmann::json();  // calibration: null when none
  }
  return j;
}

nlohmann::json to_json(const Config& c, bool redacted) {
  nlohmann::json j;
  j["log_level"] = c.log_level;
  j["cameras"] = nlohmann::json::array();
  for (const auto& cam : c.cameras) j["cameras"].push_back(to_json(cam, redacted));
  const StorageConfig& s = c.storage;
  j["storage"] = {{"backend", s.backend == StorageBackend::kSqlite ? "sqlite" : "postgres"},
                  {"data_dir", s.data_dir},
                  {"postgres_url", secret(s.postgres_url, redacted)},
                  {"postgres_password_file", s.postgres_password_file},
                  {"evidence_days", s.evidence_days},
                  {"journal_months", s.journal_months}};
  j["api"] = {{"listen", c.api.listen},
              {"port", c.api.port},
              {"tls_cert", c.api.tls_cert},
              {"tls_key", c.api.tls_key}};
  const MqttConfig& m = c.mqtt;
  j["mqtt"] = {{"enabled", m.enabled},
               {"host", m.host},
               {"port", m.port},
               {"username", m.username},
               {"password", secret(m.password, redacted)},
               {"topic_prefix", m.topic_prefix},
               {"tls", m.tls},
               {"client_id", m.client_id},
               {"keepalive_s", m.keepalive_s},
               {"ca_file", m.ca_file},
               {"cert_file", m.cert_file},
               {"key_file", m.key_file}};
  j["webhooks"] = nlohmann::json::array();
  for (const auto& w : c.webhooks) {
    nlohmann::json types = nlohmann::json::array();
    for (auto t : w.event_types) types.push_back(to_string(t));
    j["webhooks"].push_back({{"url", redacted ? webhook_url_shown(w.url) : w.url},
                             {"secret", secret(w.secret, redacted)},
                             {"event_types", types}});
  }
  j["authorizations"] = nlohmann::json::array();
  for (const auto& a : c.authorizations) {
    nlohmann::json types = nlohmann::json::array();
    for (auto t : a.event_types) types.push_back(to_string(t));
    j["authorizations"].push_back({{"reference", a.reference},
                                   {"cameras", a.cameras},
                                   {"event_types", types},
                                   {"start", a.start},
                                   {"end", a.end},
                                   {"controller", a.controller}});
  }
  if (const auto& d = c.detector) {
    j["detector"] = {{"model", d->model},
                     {"config", d->config_file},
                     {"kind", d->kind},
                     {"input_size", d->input_size},
                     {"score_threshold", d->score_threshold},
                     {"nms_iou", d->nms_iou},
                     {"threads", d->threads},
                     {"workers", d->workers},
                     {"queue_size", d->queue_size},
                     {"camera_rate_hz", d->camera_rate_hz},
                     {"global_rate_hz", d->global_rate_hz},
                     {"confirm_timeout_s", d->confirm_timeout_s},
                     {"recheck_s", d->recheck_s},
                     {"weapon_scan_hz", d->weapon_scan_hz},
                     {"sync", d->sync},
                     {"classes",
                      {{"person", d->classes.person},
                       {"bag", d->classes.bag},
                       {"weapon", d->classes.weapon},
                       {"vehicle", d->classes.vehicle}}}};
  }
  return j;
}

}  // namespace vigie::config
