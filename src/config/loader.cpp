#include "config/loader.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "config/schema.hpp"
#include "config/to_json.hpp"
#include "core/digest.hpp"
#include "core/iso_time.hpp"

namespace vigie::config {
namespace {

std::optional<std::string> getenv_lookup(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

std::string join_errors(const std::vector<ConfigError>& errors, std::string_view source) {
  std::string out;
  for (const auto& e : errors) {
    out += fmt::format("{}: {}\n", source, e.to_string());
  }
  return out;
}

/// Parses YAML text; a syntax error becomes one ConfigError with its line.
std::optional<YAML::Node> parse_yaml(std::string_view text, std::vector<ConfigError>& errors) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    errors.push_back({"(document)", "YAML syntax: " + e.msg, e.mark.line + 1});
  } catch (const YAML::Exception& e) {
    errors.push_back({"(document)", std::string("YAML: ") + e.what(), 0});
  }
  return std::nullopt;
}

bool is_stream_url(const std::string& url) {
  return url.find("://") != std::string::npos;
}

void resolve_url(CameraConfig& c, const std::filesystem::path& base_dir) {
  if (c.url.empty() || is_stream_url(c.url)) return;
  const std::filesystem::path p(c.url);
  if (p.is_relative()) c.url = (base_dir / p).lexically_normal().string();
}

/// Checks that need the whole camera: unique ids, rules naming existing zones.
void validate_camera(const CameraConfig& c, const std::string& path, const YAML::Node& node,
                     std::vector<ConfigError>& errors) {
  std::set<std::string> ids;
  auto line_at = [&](const char* list, std::size_t i, const char* key) {
    const YAML::Node& n = node;
    if (!n.IsMap() || !n[list] || !n[list].IsSequence() || i >= n[list].size()) return line_of(n);
    const YAML::Node item = n[list][i];
    return item.IsMap() && item[key] ? line_of(item[key]) : line_of(item);
  };
  for (std::size_t i = 0; i < c.zones.size(); ++i) {
    if (!ids.insert(c.zones[i].id).second) {
      errors.push_back({fmt::format("{}.zones[{}].id", path, i),
                        "'" + c.zones[i].id + "' is already used by another zone or line",
                        line_at("zones", i, "id")});
    }
  }
  for (std::size_t i = 0; i < c.lines.size(); ++i) {
    if (!ids.insert(c.lines[i].id).second) {
      errors.push_back({fmt::format("{}.lines[{}].id", path, i),
                        "'" + c.lines[i].id + "' is already used by another zone or line",
                        line_at("lines", i, "id")});
    }
  }
  for (std::size_t i = 0; i < c.rules.size(); ++i) {
    for (std::size_t j = 0; j < c.rules[i].zones.size(); ++j) {
      const std::string& z = c.rules[i].zones[j];
      if (!ids.count(z)) {
        errors.push_back({fmt::format("{}.rules[{}].zones[{}]", path, i, j),
                          "no zone or line has the id '" + z + "'", line_at("rules", i, "zones")});
      }
    }
  }
}

/// Model paths start at the configuration's folder; the files must be there (whether they
/// load is checked when the engine starts, and by check-config).
void resolve_detector(DetectorConfig& d, const std::filesystem::path& base_dir,
                      const YAML::Node& root, std::vector<ConfigError>& errors) {
  const YAML::Node node = root.IsMap() ? YAML::Node(root["detector"]) : YAML::Node();
  auto line = [&](const char* key) {
    return node.IsMap() && node[key] ? line_of(node[key]) : line_of(node);
  };
  auto resolve = [&](std::string& file) {
    if (!file.empty() && std::filesystem::path(file).is_relative())
      file = (base_dir / file).lexically_normal().string();
  };
  resolve(d.model);
  resolve(d.config_file);
  if (!d.model.empty() && !std::filesystem::is_regular_file(d.model)) {
    errors.push_back({"detector.model", "'" + d.model + "' is not a readable file", line("model")});
  }
  const bool darknet = d.kind == "darknet" ||
                       (d.kind == "auto" && std::filesystem::path(d.model).extension() == ".weights");
  if (darknet) {
    if (d.config_file.empty())
      d.config_file = std::filesystem::path(d.model).replace_extension(".cfg").string();
    if (!std::filesystem::is_regular_file(d.config_file)) {
      errors.push_back({"detector.config",
                        "'" + d.config_file + "' (the Darknet .cfg) is not a readable file",
                        line("config")});
    }
  }
  const bool pose =
      d.kind == "pose" || (d.kind == "auto" && std::filesystem::path(d.model).extension() == ".pb");
  if (pose && !std::filesystem::is_regular_file(d.config_file)) {
    errors.push_back({"detector.config",
                      d.config_file.empty()
                          ? std::string("a pose model needs its text graph at a fixed input size "
                                        "(.pbtxt)")
                          : "'" + d.config_file + "' (the pose model's text graph) is not a readable file",
                      line("config")});
  }
}

void validate_node(const Config& c, const YAML::Node& root, std::vector<ConfigError>& errors) {
  std::set<std::string> camera_ids;
  const YAML::Node cameras = root.IsMap() ? YAML::Node(root["cameras"]) : YAML::Node();
  for (std::size_t i = 0; i < c.cameras.size(); ++i) {
    const YAML::Node node = cameras && cameras.IsSequence() ? cameras[i] : YAML::Node();
    const std::string path = fmt::format("cameras[{}]", i);
    if (!camera_ids.insert(c.cameras[i].id).second) {
      errors.push_back({path + ".id", "'" + c.cameras[i].id + "' is already used by another camera",
                        node.IsMap() && node["id"] ? line_of(node["id"]) : line_of(node)});
    }
    validate_camera(c.cameras[i], path, node, errors);
  }
  const YAML::Node auths = root.IsMap() ? YAML::Node(root["authorizations"]) : YAML::Node();
  for (std::size_t i = 0; i < c.authorizations.size(); ++i) {
    const Authorization& a = c.authorizations[i];
    const YAML::Node node = auths && auths.IsSequence() ? auths[i] : YAML::Node();
    const std::string path = fmt::format("authorizations[{}]", i);
    auto line = [&](const char* key) {
      return node.IsMap() && node[key] ? line_of(node[key]) : line_of(node);
    };
    for (const auto& cam : a.cameras) {
      if (!camera_ids.count(cam)) {
        errors.push_back(
            {path + ".cameras", "no camera has the id '" + cam + "'", line("cameras")});
      }
    }
    const auto start = parse_iso8601(a.start);
    const auto end = parse_iso8601(a.end);
    if (!a.start.empty() && !start) {
      errors.push_back({path + ".start", "'" + a.start + "' is not an ISO 8601 time with a zone",
                        line("start")});
    }
    if (!a.end.empty() && !end) {
      errors.push_back(
          {path + ".end", "'" + a.end + "' is not an ISO 8601 time with a zone", line("end")});
    }
    if (start && end && *end <= *start) {
      errors.push_back({path + ".end", "must be after start", line("end")});
    }
  }
}

}  // namespace

std::string LoadResult::error_text(std::string_view source) const {
  return join_errors(errors, source);
}

std::string CameraLoadResult::error_text(std::string_view source) const {
  return join_errors(errors, source);
}

LoadResult parse_config(std::string_view yaml_text, const std::filesystem::path& base_dir,
                        ParseContext context) {
  LoadResult result;
  if (!context.env) context.env = getenv_lookup;
  const auto root = parse_yaml(yaml_text, result.errors);
  if (!root) return result;
  Config config;
  {
    Section s(*root, "", context);
    parse_node(s, config);
  }  // the Section reports unknown keys when it goes out of scope
  validate_node(config, *root, context.errors);
  if (config.detector && !config.detector->enabled) config.detector.reset();
  if (config.detector) resolve_detector(*config.detector, base_dir, *root, context.errors);
  if (!context.errors.empty()) {
    result.errors = std::move(context.errors);
    return result;
  }
  for (auto& camera : config.cameras) resolve_url(camera, base_dir);
  if (!config.storage.data_dir.empty() &&
      std::filesystem::path(config.storage.data_dir).is_relative()) {
    config.storage.data_dir = (base_dir / config.storage.data_dir).lexically_normal().string();
  }
  if (!config.storage.postgres_password_file.empty() &&
      std::filesystem::path(config.storage.postgres_password_file).is_relative()) {
    config.storage.postgres_password_file =
        (base_dir / config.storage.postgres_password_file).lexically_normal().string();
  }
  result.config = std::move(config);
  return result;
}

namespace {

std::optional<std::string> read_file(const std::filesystem::path& path,
                                     std::vector<ConfigError>& errors) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors.push_back({path.string(), "cannot be read (missing, or no permission)", 0});
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

LoadResult load_config_file(const std::filesystem::path& path) {
  LoadResult result;
  const auto text = read_file(path, result.errors);
  if (!text) return result;
  return parse_config(*text, path.parent_path(), {});
}

CameraLoadResult load_camera_file(const std::filesystem::path& path) {
  CameraLoadResult result;
  const auto text = read_file(path, result.errors);
  if (!text) return result;
  const auto root = parse_yaml(*text, result.errors);
  if (!root) return result;
  ParseContext context;
  context.env = getenv_lookup;
  CameraConfig camera;
  {
    Section s(*root, "", context);
    parse_camera(s, camera);
  }
  validate_camera(camera, "", *root, context.errors);
  // Paths of a single-camera file start at its root; drop the leading dot validate_camera adds.
  for (auto& e : context.errors) {
    if (!e.path.empty() && e.path[0] == '.') e.path.erase(0, 1);
  }
  if (!context.errors.empty()) {
    result.errors = std::move(context.errors);
    return result;
  }
  resolve_url(camera, path.parent_path());
  result.camera = std::move(camera);
  return result;
}

const std::vector<std::string>& geometry_keys() {
  static const std::vector<std::string> keys = {"zones", "lines", "calibration", "privacy_masks",
                                                "analysis_masks"};
  return keys;
}

CameraLoadResult with_geometry(const CameraConfig& camera, std::string_view geometry) {
  CameraLoadResult result;
  const auto root = parse_yaml(geometry, result.errors);
  if (!root) return result;
  if (!root->IsMap()) {
    result.errors.push_back(
        {"(document)",
         "must be a mapping of " + fmt::format("{}", fmt::join(geometry_keys(), ", ")),
         line_of(*root)});
    return result;
  }
  // The camera's own keys stand in for everything but the geometry, so that the camera's
  // parser checks the geometry exactly as in a configuration file.
  YAML::Node node(YAML::NodeType::Map);
  const nlohmann::json current = geometry_json(camera);
  std::set<std::string> given;
  for (const auto& kv : *root) {
    const std::string key = kv.first.as<std::string>();
    const auto& keys = geometry_keys();
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      result.errors.push_back(
          {key, fmt::format("unknown key (expected one of {})", fmt::join(keys, ", ")),
           line_of(kv.first)});
      continue;
    }
    given.insert(key);
    if (key == "calibration" && kv.second.IsNull()) continue;
    node[key] = kv.second;
  }
  if (!result.errors.empty()) return result;
  for (const std::string& key : geometry_keys()) {
    if (given.count(key) || current[key].is_null()) continue;
    node[key] = YAML::Load(current[key].dump());
  }
  node["id"] = camera.id;
  node["url"] = "geometry-check";
  YAML::Node rules(YAML::NodeType::Sequence);
  for (const auto& r : camera.rules) {
    YAML::Node rule(YAML::NodeType::Map);
    rule["type"] = std::string(to_string(r.type()));
    if (!r.zones.empty()) {
      YAML::Node zones(YAML::NodeType::Sequence);
      for (const auto& z : r.zones) zones.push_back(z);
      rule["zones"] = zones;
    }
    rules.push_back(rule);
  }
  if (rules.size() > 0) node["rules"] = rules;
  ParseContext context;
  context.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  CameraConfig parsed;
  {
    Section s(node, "", context);
    parse_camera(s, parsed);
  }
  validate_camera(parsed, "", node, context.errors);
  for (auto& e : context.errors) {
    if (!e.path.empty() && e.path[0] == '.') e.path.erase(0, 1);
  }
  if (!context.errors.empty()) {
    result.errors = std::move(context.errors);
    return result;
  }
  CameraConfig out = camera;
  out.zones = std::move(parsed.zones);
  out.lines = std::move(parsed.lines);
  out.calibration = std::move(parsed.calibration);
  out.privacy_masks = std::move(parsed.privacy_masks);
  out.analysis_masks = std::move(parsed.analysis_masks);
  result.camera = std::move(out);
  return result;
}

std::vector<FieldDoc> describe_schema() {
  ParseContext context;
  context.describing = true;
  Config config;
  {
    Section s(YAML::Node(), "", context);
    parse_node(s, config);
  }
  return context.docs;
}

std::string config_version(const Config& config) {
  const std::string canonical = to_json(config, /*redacted=*/false).dump();
  return sha256_hex(canonical).substr(0, 16);
}

}  // namespace vigie::config
