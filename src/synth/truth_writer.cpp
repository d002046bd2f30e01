#include "synth/truth_writer.hpp"

#include <cmath>
#include <fstream>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

namespace vigie::synth {
namespace {

double round_to(double v, double step) {
  return std::round(v / step) * step;
}

nlohmann::ordered_json box_json(const cv::Rect2d& r) {
  const double x0 = std::floor(r.x), y0 = std::floor(r.y);
  return nlohmann::ordered_json::array({static_cast<int>(x0), static_cast<int>(y0),
                                        static_cast<int>(std::ceil(r.br().x) - x0),
                                        static_cast<int>(std::ceil(r.br().y) - y0)});
}

void emit_point(YAML::Emitter& out, const Point& p) {
  out << YAML::Flow << YAML::BeginSeq << round_to(p.x, 0.01) << round_to(p.y, 0.01) << YAML::EndSeq;
}

void emit_points(YAML::Emitter& out, const std::vector<Point>& pts) {
  out << YAML::Flow << YAML::BeginSeq;
  for (const Point& p : pts) emit_point(out, p);
  out << YAML::EndSeq;
}

}  // namespace

nlohmann::ordered_json truth_json(const Scene& scene) {
  nlohmann::ordered_json j;
  j["video"] = "video.mp4";
  j["fps"] = scene.fps();
  j["size"] = {scene.size().width, scene.size().height};
  j["events"] = nlohmann::ordered_json::array();
  for (const EventTruth& e : scene.events()) {
    nlohmann::ordered_json ev;
    ev["type"] = std::string(to_string(e.type));
    ev["start"] = round_to(e.start_s, 0.001);
    ev["end"] = round_to(e.end_s, 0.001);
    ev["region"] = box_json(e.region);
    if (!e.note.empty()) ev["note"] = e.note;
    j["events"].push_back(ev);
  }
  nlohmann::ordered_json persons = nlohmann::ordered_json::array();
  for (int i = 0; i < scene.frame_count(); ++i) {
    const FrameTruth f = scene.truth_at(i);
    nlohmann::ordered_json boxes = nlohmann::ordered_json::array();
    for (const PersonTruth& p : f.persons) boxes.push_back(box_json(p.box));
    persons.push_back({{"frame", i}, {"t", round_to(f.t, 0.001)}, {"boxes", boxes}});
  }
  j["persons"] = std::move(persons);
  return j;
}

std::string camera_yaml(const config::CameraConfig& c) {
  YAML::Emitter out;
  out.SetDoublePrecision(6);
  out << YAML::BeginMap;
  out << YAML::Key << "id" << YAML::Value << c.id;
  out << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << c.name;
  out << YAML::Key << "url" << YAML::Value << c.url;
  out << YAML::Key << "analysis" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key
      << "fps" << YAML::Value << c.analysis.fps << YAML::Key << "width" << YAML::Value
      << c.analysis.width << YAML::EndMap;
  if (c.calibration) {
    out << YAML::Key << "calibration" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "image" << YAML::Value;
    emit_points(out, c.calibration->image);
    out << YAML::Key << "ground" << YAML::Value;
    emit_points(out, c.calibration->ground);
    out << YAML::EndMap;
  }
  if (!c.zones.empty()) {
    out << YAML::Key << "zones" << YAML::Value << YAML::BeginSeq;
    for (const config::Zone& z : c.zones) {
      out << YAML::BeginMap << YAML::Key << "id" << YAML::Value << z.id;
      out << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << z.name;
      out << YAML::Key << "polygon" << YAML::Value;
      emit_points(out, z.polygon);
      if (z.allowed_direction) {
        out << YAML::Key << "allowed_direction" << YAML::Value;
        emit_point(out, *z.allowed_direction);
      }
      if (z.person_height_px)
        out << YAML::Key << "person_height_px" << YAML::Value << *z.person_height_px;
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (!c.lines.empty()) {
    out << YAML::Key << "lines" << YAML::Value << YAML::BeginSeq;
    for (const config::Line& l : c.lines) {
      out << YAML::BeginMap << YAML::Key << "id" << YAML::Value << l.id;
      out << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << l.name;
      out << YAML::Key << "points" << YAML::Value;
      emit_points(out, {l.a, l.b});
      if (l.direction) {
        out << YAML::Key << "direction" << YAML::Value;
        emit_point(out, *l.direction);
      }
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  out << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
  for (const config::RuleConfig& r : c.rules) {
    out << YAML::BeginMap << YAML::Key << "type" << YAML::Value << std::string(to_string(r.type()));
    if (!r.zones.empty()) out << YAML::Key << "zones" << YAML::Value << YAML::Flow << r.zones;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string truth_text(const Scene& scene) {
  // Pretty at the top, one line per frame below: readable, and diffs stay small.
  nlohmann::ordered_json j = truth_json(scene);
  nlohmann::ordered_json persons = std::move(j["persons"]);
  j.erase("persons");
  std::string head = j.dump(2);
  head.resize(head.size() - 2);  // drop the closing "\n}"
  std::string out = head + ",\n  \"persons\": [\n";
  for (size_t i = 0; i < persons.size(); ++i) {
    out += "    " + persons[i].dump() + (i + 1 < persons.size() ? ",\n" : "\n");
  }
  out += "  ]\n}\n";
  return out;
}

Status write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return not_found("cannot create " + path.string());
  f << text;
  f.close();
  if (!f) return data_loss("cannot write " + path.string());
  return Status::ok();
}

}  // namespace vigie::synth
