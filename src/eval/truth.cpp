#include "eval/truth.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace vigie::eval {
namespace {

using nlohmann::json;

// Small error builder so every message reads "<source>: <field>: <problem>".
class Fields {
 public:
  explicit Fields(std::string_view source) : source_(source) {}

  [[nodiscard]] Status error(std::string_view field, std::string_view problem) const {
    return invalid_argument(fmt::format("{}: {}: {}", source_, field, problem));
  }

  // Finite number, or an error naming the field.
  Status number(const json& parent, const char* key, std::string_view field, double& out) const {
    const auto it = parent.find(key);
    if (it == parent.end()) return error(field, "is required");
    if (!it->is_number()) return error(field, fmt::format("must be a number, not {}", it->dump()));
    out = it->get<double>();
    if (!std::isfinite(out)) return error(field, "must be finite");
    return Status::ok();
  }

  Status known_keys(const json& object, std::string_view field,
                    const std::set<std::string, std::less<>>& allowed) const {
    for (const auto& [key, value] : object.items()) {
      if (!allowed.contains(key)) {
        return error(field.empty() ? key : fmt::format("{}.{}", field, key), "unknown key");
      }
    }
    return Status::ok();
  }

 private:
  std::string_view source_;
};

Result<TruthEvent> parse_event(const json& node, const Fields& f, std::string_view field, int width,
                               int height) {
  if (!node.is_object()) return f.error(field, "must be an object");
  if (Status s = f.known_keys(node, field, {"type", "start", "end", "region", "note"});
      !s.is_ok()) {
    return s;
  }
  TruthEvent event;
  const auto type = node.find("type");
  const std::string type_field = fmt::format("{}.type", field);
  if (type == node.end()) return f.error(type_field, "is required");
  if (!type->is_string()) return f.error(type_field, "must be a string");
  const auto parsed = parse_event_type(type->get<std::string>());
  if (!parsed) {
    return f.error(type_field, fmt::format("'{}' is not one of the eight event types",
                                           type->get<std::string>()));
  }
  event.type = *parsed;

  const std::string start_field = fmt::format("{}.start", field);
  const std::string end_field = fmt::format("{}.end", field);
  VIGIE_RETURN_IF_ERROR(f.number(node, "start", start_field, event.start_s));
  VIGIE_RETURN_IF_ERROR(f.number(node, "end", end_field, event.end_s));
  if (event.start_s < 0) return f.error(start_field, "must be >= 0 (seconds from the first frame)");
  if (event.end_s < event.start_s) {
    return f.error(end_field, fmt::format("{} is before start {}", event.end_s, event.start_s));
  }

  const std::string region_field = fmt::format("{}.region", field);
  const auto region = node.find("region");
  if (region == node.end()) return f.error(region_field, "is required");
  if (!region->is_array() || region->size() != 4) {
    return f.error(region_field, "must be [x, y, w, h]");
  }
  double r[4];
  for (int i = 0; i < 4; ++i) {
    if (!(*region)[i].is_number()) return f.error(region_field, "must be [x, y, w, h] numbers");
    r[i] = (*region)[i].get<double>();
    if (!std::isfinite(r[i])) return f.error(region_field, "must be finite");
  }
  if (r[2] <= 0 || r[3] <= 0) return f.error(region_field, "width and height must be > 0");
  if (r[0] < 0 || r[1] < 0 || r[0] + r[2] > width || r[1] + r[3] > height) {
    return f.error(region_field, fmt::format("[{}, {}, {}, {}] is not inside the {}x{} frame", r[0],
                                             r[1], r[2], r[3], width, height));
  }
  event.region = cv::Rect2d(r[0], r[1], r[2], r[3]);

  if (const auto note = node.find("note"); note != node.end()) {
    if (!note->is_string()) return f.error(fmt::format("{}.note", field), "must be a string");
    event.note = note->get<std::string>();
  }
  return event;
}

// "persons": [{"frame": 0, "t": 0.0, "boxes": [[x, y, w, h], ...]}, ...], by time.
Result<std::vector<TruthPersons>> parse_persons(const json& node, const Fields& f) {
  if (!node.is_array()) return f.error("persons", "must be a list");
  std::vector<TruthPersons> out;
  out.reserve(node.size());
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string field = fmt::format("persons[{}]", i);
    const json& entry = node[i];
    if (!entry.is_object()) return f.error(field, "must be an object");
    VIGIE_RETURN_IF_ERROR(f.known_keys(entry, field, {"frame", "t", "boxes"}));
    TruthPersons p;
    VIGIE_RETURN_IF_ERROR(f.number(entry, "t", field + ".t", p.t_s));
    if (!out.empty() && p.t_s < out.back().t_s) return f.error(field + ".t", "goes back in time");
    const auto boxes = entry.find("boxes");
    if (boxes == entry.end() || !boxes->is_array()) {
      return f.error(field + ".boxes", "must be a list of [x, y, w, h]");
    }
    for (std::size_t b = 0; b < boxes->size(); ++b) {
      const json& box = (*boxes)[b];
      const std::string box_field = fmt::format("{}.boxes[{}]", field, b);
      if (!box.is_array() || box.size() != 4 ||
          !std::all_of(box.begin(), box.end(), [](const json& v) { return v.is_number(); })) {
        return f.error(box_field, "must be [x, y, w, h] numbers");
      }
      p.boxes.emplace_back(box[0].get<double>(), box[1].get<double>(), box[2].get<double>(),
                           box[3].get<double>());
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

Result<TruthClip> parse_truth(std::string_view text, std::string_view source,
                              const std::filesystem::path& base_dir) {
  const Fields f(source);
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    // A syntax error, or a number too large for a double. The library's message carries the
    // byte offset, which is what an annotator needs.
    return invalid_argument(fmt::format("{}: not valid JSON: {}", source, e.what()));
  }
  if (!doc.is_object()) return f.error("(document)", "must be a JSON object");
  if (Status s = f.known_keys(doc, "",
                              {"video", "fps", "size", "duration", "frames", "events", "persons"});
      !s.is_ok()) {
    return s;
  }

  TruthClip clip;
  const auto video = doc.find("video");
  if (video == doc.end()) return f.error("video", "is required");
  if (!video->is_string() || video->get<std::string>().empty()) {
    return f.error("video", "must be a non-empty string (the video file, relative to truth.json)");
  }
  clip.path = base_dir / video->get<std::string>();

  VIGIE_RETURN_IF_ERROR(f.number(doc, "fps", "fps", clip.fps));
  if (clip.fps <= 0) return f.error("fps", "must be > 0");

  const auto size = doc.find("size");
  if (size == doc.end()) return f.error("size", "is required");
  if (!size->is_array() || size->size() != 2 || !(*size)[0].is_number_integer() ||
      !(*size)[1].is_number_integer() || (*size)[0].get<long long>() <= 0 ||
      (*size)[1].get<long long>() <= 0 || (*size)[0].get<long long>() > 100000 ||
      (*size)[1].get<long long>() > 100000) {
    return f.error("size", "must be [width, height], positive integers in pixels");
  }
  clip.width = (*size)[0].get<int>();
  clip.height = (*size)[1].get<int>();

  if (doc.contains("duration")) {
    double d = 0;
    VIGIE_RETURN_IF_ERROR(f.number(doc, "duration", "duration", d));
    if (d <= 0) return f.error("duration", "must be > 0 seconds");
    clip.duration_s = d;
  }
  if (doc.contains("frames")) {
    const json& frames = doc["frames"];
    if (!frames.is_number_integer() || frames.get<long long>() <= 0) {
      return f.error("frames", "must be a positive integer");
    }
    const double from_frames = static_cast<double>(frames.get<long long>()) / clip.fps;
    // Half a frame of slack: durations written by hand are rounded.
    if (clip.duration_s && std::abs(*clip.duration_s - from_frames) > 0.5 / clip.fps + 1e-9) {
      return f.error("frames",
                     fmt::format("{} frames at {} fps is {} s, but duration is {} s",
                                 frames.get<long long>(), clip.fps, from_frames, *clip.duration_s));
    }
    if (!clip.duration_s) clip.duration_s = from_frames;
  }

  const auto events = doc.find("events");
  if (events == doc.end()) return f.error("events", "is required (an empty list for a negative)");
  if (!events->is_array()) return f.error("events", "must be a list");
  for (std::size_t i = 0; i < events->size(); ++i) {
    const std::string field = fmt::format("events[{}]", i);
    Result<TruthEvent> event = parse_event((*events)[i], f, field, clip.width, clip.height);
    if (!event) return event.status();
    if (clip.duration_s && event->start_s > *clip.duration_s) {
      return f.error(field + ".start", fmt::format("{} is after the end of the clip ({} s)",
                                                   event->start_s, *clip.duration_s));
    }
    clip.events.push_back(std::move(*event));
  }
  if (const auto persons = doc.find("persons"); persons != doc.end()) {
    Result<std::vector<TruthPersons>> parsed = parse_persons(*persons, f);
    if (!parsed) return parsed.status();
    clip.persons = std::move(*parsed);
  }
  return clip;
}

Result<TruthClip> load_truth(const std::filesystem::path& truth_json) {
  std::ifstream in(truth_json, std::ios::binary);
  if (!in) return not_found(fmt::format("{}: cannot be read", truth_json.string()));
  std::ostringstream text;
  text << in.rdbuf();
  Result<TruthClip> clip = parse_truth(text.str(), truth_json.string(), truth_json.parent_path());
  if (clip) clip->truth_path = truth_json;
  return clip;
}

}  // namespace vigie::eval
