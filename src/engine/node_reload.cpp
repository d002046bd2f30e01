// What a node does when its configuration is read again while it runs (SIGHUP, `vigie
// reload`, POST /api/v1/reload), and the per-camera state a reload adds to.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/redact.hpp"
#include "engine/node_impl.hpp"

namespace vigie::engine {
namespace {

// Sections a running node does not take over: they shape the process itself (its port, its
// store, its publishers, its detector), so only a restart applies them.
std::vector<std::string> sections_needing_restart(const config::Config& before,
                                                  const config::Config& after) {
  const nlohmann::json b = config::to_json(before, false);
  const nlohmann::json a = config::to_json(after, false);
  std::vector<std::string> out;
  for (const auto& [key, value] : a.items()) {
    if (key == "cameras" || key == "authorizations") continue;
    if (!b.contains(key) || b[key] != value) out.push_back(key);
  }
  for (const auto& [key, value] : b.items()) {
    if (!a.contains(key)) out.push_back(key);
  }
  return out;
}

std::vector<std::string> changed_keys(const config::CameraConfig* before,
                                      const config::CameraConfig* after) {
  if (before == nullptr || after == nullptr) return {};
  const nlohmann::json b = config::to_json(*before, false);
  const nlohmann::json a = config::to_json(*after, false);
  std::vector<std::string> out;
  for (const auto& [key, value] : a.items()) {
    if (!b.contains(key) || b[key] != value) out.push_back(key);
  }
  for (const auto& [key, value] : b.items()) {
    if (!a.contains(key)) out.push_back(key);
  }
  return out;
}

std::set<EventType> enabled_types(const config::CameraConfig& camera) {
  std::set<EventType> out;
  for (const auto& r : camera.rules) {
    if (r.enabled) out.insert(r.type());
  }
  return out;
}

const config::CameraConfig* find_camera(const std::vector<config::CameraConfig>& list,
                                        const CameraId& id) {
  for (const auto& c : list) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

/// The cameras that differ between `before` (what runs now) and `after`, with the keys that
/// changed: in `after`'s order, then the removed ones. `removed_types` gets, per camera, the
/// event types it evaluated and no longer will.
std::vector<ReloadResult::CameraReload> camera_changes(
    const std::vector<config::CameraConfig>& before, const std::vector<config::CameraConfig>& after,
    std::map<CameraId, std::set<EventType>>& removed_types) {
  std::vector<ReloadResult::CameraReload> changes;
  for (const auto& now : after) {
    const config::CameraConfig* was = find_camera(before, now.id);
    const CameraChange change = classify_change(was, &now);
    if (change == CameraChange::kUnchanged) continue;
    changes.push_back({now.id, change, changed_keys(was, &now)});
    if (was == nullptr) continue;
    const std::set<EventType> kept = now.enabled ? enabled_types(now) : std::set<EventType>{};
    for (EventType t : enabled_types(*was)) {
      if (kept.count(t) == 0) removed_types[now.id].insert(t);
    }
  }
  for (const auto& was : before) {
    if (find_camera(after, was.id) == nullptr)
      changes.push_back({was.id, CameraChange::kRemoved, {}});
  }
  return changes;
}

/// Why each changed camera's open situations end, as their alerts will say. `whose`: empty
/// for a node alone, " of node ID" where nodes share the store (each node has its own file).
std::map<CameraId, std::string> end_reasons(const std::vector<ReloadResult::CameraReload>& changes,
                                            const std::vector<config::CameraConfig>& after,
                                            const std::string& whose) {
  std::map<CameraId, std::string> why;
  for (const auto& c : changes) {
    const config::CameraConfig* now = find_camera(after, c.camera);
    switch (c.change) {
      case CameraChange::kRemoved:
        why[c.camera] = "the camera was removed from the configuration" + whose;
        break;
      case CameraChange::kInputChanged:
        why[c.camera] = now != nullptr && !now->enabled
                            ? "the camera was disabled in the configuration" + whose
                            : "the camera's input was reopened with a new configuration";
        break;
      default: why[c.camera] = "the camera's analysis restarted with a new configuration";
    }
  }
  return why;
}

}  // namespace

nlohmann::json ReloadResult::summary() const {
  nlohmann::json cams = nlohmann::json::array();
  for (const auto& c : cameras) {
    cams.push_back({{"camera", c.camera}, {"change", to_string(c.change)}, {"keys", c.keys}});
  }
  return {{"from_version", from_version},
          {"to_version", to_version},
          {"changed", from_version != to_version},
          {"cameras", cams},
          {"needs_restart", needs_restart}};
}

void Node::Impl::add_camera_state(const config::CameraConfig& c) {
  std::unique_lock lock(cameras_mutex);
  cameras[c.id] = std::make_shared<const config::CameraConfig>(c);
  if (persons.count(c.id) == 0) {
    // Longer than any evidence window, so the clip's persons are all known.
    persons[c.id] = std::make_unique<evidence::PersonHistory>(config.alerts.evidence_before_s +
                                                              config.alerts.evidence_after_s + 10);
  }
  if (latest.count(c.id) == 0) latest[c.id] = std::make_unique<LatestFrame>();
}

std::shared_ptr<const config::CameraConfig> Node::Impl::camera(const CameraId& id) const {
  std::shared_lock lock(cameras_mutex);
  auto it = cameras.find(id);
  return it != cameras.end() ? it->second : nullptr;
}

evidence::PersonHistory* Node::Impl::person_history(const CameraId& id) const {
  std::shared_lock lock(cameras_mutex);
  auto it = persons.find(id);
  return it != persons.end() ? it->second.get() : nullptr;
}

Node::Impl::LatestFrame* Node::Impl::latest_frame(const CameraId& id) const {
  std::shared_lock lock(cameras_mutex);
  auto it = latest.find(id);
  return it != latest.end() ? it->second.get() : nullptr;
}

Status Node::Impl::apply_saved_geometry(config::Config& c) const {
  // Geometry changed from the console replaces the configuration's, as long as it still fits
  // the configured camera (its rules may have changed since).
  VIGIE_ASSIGN_OR_RETURN(auto saved, store->camera_geometries());
  for (const auto& g : saved) {
    for (auto& camera : c.cameras) {
      if (camera.id != g.camera) continue;
      auto applied = config::with_geometry(camera, g.json);
      if (!applied.ok()) {
        spdlog::warn(
            "camera {}: the geometry saved from the console no longer fits the "
            "configuration, which is used instead: {}",
            camera.id, applied.error_text("geometry"));
        continue;
      }
      camera = std::move(*applied.camera);
      spdlog::info("camera {}: geometry from the console (changed by {})", camera.id, g.updated_by);
    }
  }
  return Status::ok();
}

void Node::Impl::end_retired(const CameraId& camera, const std::string& why,
                             const std::set<EventType>& removed_types) {
  if (!removed_types.empty()) {
    auto ended =
        alerts->end_followed(camera, "its rule was removed from the configuration", &removed_types);
    if (!ended.is_ok()) {
      spdlog::error("camera {}: cannot end the alerts of removed rules: {}", camera,
                    ended.status().to_string());
    }
  }
  auto ended = alerts->end_followed(camera, why);
  if (!ended.is_ok()) {
    spdlog::error("camera {}: cannot end its open alerts: {}", camera, ended.status().to_string());
  }
}

ReloadResult Node::Impl::reload_file(const std::string& by) {
  ReloadResult r;
  const std::string file = options.config_file.string();
  if (options.config_file.empty()) {
    r.status = Status(StatusCode::kFailedPrecondition,
                      "this node was not started from a configuration file");
    return r;
  }
  config::LoadResult loaded = config::load_config_file(options.config_file);
  if (!loaded.ok()) {
    r.errors = loaded.errors;
    r.status = invalid_argument(
        fmt::format("{}: {} configuration error(s); nothing changed", file, loaded.errors.size()));
    spdlog::error("reload asked by {} refused, nothing changed:\n{}", by,
                  redact(loaded.error_text(file)));
    nlohmann::json errors = nlohmann::json::array();
    for (const auto& e : loaded.errors) errors.push_back(redact(e.to_string()));
    Status s = store->write([&](storage::Tx& tx) -> Status {
      auto j = tx.journal(
          {wall_ms(), by, "config.reload_refused", {{"file", file}, {"errors", errors}}});
      return j.status();
    });
    if (!s.is_ok()) spdlog::error("cannot journal the refused reload: {}", s.to_string());
    return r;
  }
  return reload(std::move(*loaded.config), by);
}

ReloadResult Node::Impl::reload(config::Config next, const std::string& by) {
  std::lock_guard lock(reload_mutex);
  ReloadResult r;
  if (!started || stopped) {
    r.status = Status(StatusCode::kFailedPrecondition, "the node is not running");
    return r;
  }
  // Found at start when not configured (run_loop's default_console_dir): not a change.
  if (next.api.console_dir.empty()) next.api.console_dir = config.api.console_dir;
  if (Status s = apply_saved_geometry(next); !s.is_ok()) {
    r.status = s;
    return r;
  }
  r.from_version = config::config_version(config);
  r.to_version = config::config_version(next);
  r.needs_restart = sections_needing_restart(config, next);

  // What runs now: the engine's cameras (with geometry changed from the console since).
  std::vector<config::CameraConfig> before;
  for (const auto& c : config.cameras) {
    auto now = engine->camera_config(c.id);
    before.push_back(now ? *now : c);
  }
  std::map<CameraId, std::set<EventType>> removed_types;
  r.cameras = camera_changes(before, next.cameras, removed_types);

  // The authorizations first: they are the one part that can still be refused (bad times),
  // and a camera added for an authorization must find it when it starts.
  if (Status s = governance->apply_configured(next.authorizations, by); !s.is_ok()) {
    r.status = s;
    if (s.code() == StatusCode::kInvalidArgument) {
      r.errors.push_back({"authorizations", s.message(), 0});
      spdlog::error("reload asked by {} refused, nothing changed: {}", by, s.message());
    }
    return r;
  }
  for (const auto& c : next.cameras) add_camera_state(c);
  // Journaled before it applies, like every change an evaluator must be able to see.
  const nlohmann::json summary = r.summary();
  Status journaled = store->write([&](storage::Tx& tx) -> Status {
    nlohmann::json detail = summary;
    detail["file"] = options.config_file.string();
    detail["node"] = node_id;
    auto j = tx.journal({wall_ms(), by, "config.reloaded", detail});
    return j.status();
  });
  if (!journaled.is_ok()) {
    r.status = journaled;
    return r;
  }

  const std::map<CameraId, std::string> why =
      end_reasons(r.cameras, next.cameras, leases ? " of node " + node_id : "");
  auto apply = [&] {
    engine->reconfigure(next, [this, why, removed_types](const CameraId& id, CameraChange) {
      auto w = why.find(id);
      auto t = removed_types.find(id);
      end_retired(id, w != why.end() ? w->second : "the configuration changed",
                  t != removed_types.end() ? t->second : std::set<EventType>{});
    });
  };
  if (leases) {
    // Nodes sharing the store: a camera added is claimed from the next heartbeat (here or by
    // another node listing it), one removed or disabled is stopped and given back now.
    if (Status s = leases->reconfigure(next.cameras, apply); !s.is_ok()) {
      spdlog::error("reload: the camera leases did not all follow: {}", s.to_string());
    }
  } else {
    apply();
  }
  {
    std::unique_lock cameras_lock(cameras_mutex);
    for (const auto& c : r.cameras) {
      if (c.change == CameraChange::kRemoved) cameras.erase(c.camera);
    }
    config.cameras = next.cameras;
    config.authorizations = next.authorizations;
  }
  std::string changes;
  for (const auto& c : r.cameras) {
    changes += fmt::format("{}{} {}", changes.empty() ? "" : ", ", c.camera, to_string(c.change));
  }
  spdlog::info("configuration reloaded by {}: version {} -> {}; cameras: {}", by, r.from_version,
               r.to_version, changes.empty() ? "unchanged" : changes);
  if (!r.needs_restart.empty()) {
    spdlog::warn("configuration reloaded: changed sections that only a restart applies: {}",
                 fmt::join(r.needs_restart, ", "));
  }
  return r;
}

}  // namespace vigie::engine
