#include "eval/report.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "core/html.hpp"

namespace vigie::eval {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr std::string_view kDash = "—";

ordered_json optional_number(const std::optional<double>& v) {
  if (!v || !std::isfinite(*v)) return nullptr;
  return *v;
}

std::string fixed(const std::optional<double>& v, int decimals) {
  if (!v || !std::isfinite(*v)) return std::string(kDash);
  return fmt::format("{:.{}f}", *v, decimals);
}

// Display width in code points: "—" is three bytes but one column.
std::size_t columns(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string pad_left(std::string_view s, std::size_t width) {
  const std::size_t w = columns(s);
  return std::string(w < width ? width - w : 0, ' ') + std::string(s);
}

std::string pad_right(std::string_view s, std::size_t width) {
  const std::size_t w = columns(s);
  return std::string(s) + std::string(w < width ? width - w : 0, ' ');
}


bool has_data(const EventMetrics& m) {
  return m.truth > 0 || m.detections + m.duplicates + m.fp > 0;
}

std::string clip_label(const ClipResult& clip) {
  const auto& p = clip.truth.truth_path.empty() ? clip.truth.path : clip.truth.truth_path;
  if (p.has_parent_path() && p.filename() == "truth.json") return p.parent_path().string();
  return p.string();
}

// Colours are chosen to stay distinct for the common colour-vision deficiencies.
constexpr std::string_view kPrecisionColour = "#0072b2";
constexpr std::string_view kRecallColour = "#e69f00";
constexpr std::string_view kF1Colour = "#009e73";
constexpr std::string_view kFalseColour = "#d55e00";
constexpr std::string_view kDuplicateColour = "#999999";

std::string bars_svg(const Evaluation& ev) {
  std::vector<std::size_t> rows;
  for (std::size_t i = 0; i < ev.events.size(); ++i) {
    if (has_data(ev.events[i])) rows.push_back(i);
  }
  const int left = 140;
  const int row_h = 54;
  const int plot_w = 420;
  const int height = 40 + static_cast<int>(std::max<std::size_t>(rows.size(), 1)) * row_h;
  std::string s = fmt::format(
      "<svg class=\"plot\" width=\"{}\" height=\"{}\" "
      "role=\"img\" aria-label=\"precision, recall and F1 per event type\">\n",
      left + plot_w + 80, height);
  for (int tick = 0; tick <= 4; ++tick) {
    const double x = left + plot_w * tick / 4.0;
    s += fmt::format(
        "<line x1=\"{0}\" y1=\"20\" x2=\"{0}\" y2=\"{1}\" class=\"grid\"/>"
        "<text x=\"{0}\" y=\"14\" text-anchor=\"middle\">{2:.2f}</text>\n",
        x, height - 10, tick / 4.0);
  }
  if (rows.empty()) {
    s += fmt::format("<text x=\"{}\" y=\"50\">no truth and no alert</text>\n", left + 10);
  }
  int y = 28;
  for (std::size_t i : rows) {
    const EventMetrics& m = ev.events[i];
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", left - 8, y + 26,
                     to_string(kAllEventTypes[i]));
    const std::array<std::pair<std::string_view, std::optional<double>>, 3> bars = {
        std::pair{"precision", m.precision}, std::pair{"recall", m.recall}, std::pair{"F1", m.f1}};
    const std::array<std::string_view, 3> colours = {kPrecisionColour, kRecallColour, kF1Colour};
    for (std::size_t b = 0; b < bars.size(); ++b) {
      const int by = y + static_cast<int>(b) * 15;
      const auto& [name, value] = bars[b];
      const double w = value ? plot_w * std::clamp(*value, 0.0, 1.0) : 0.0;
      s += fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"{:.1f}\" height=\"13\" fill=\"{}\">"
          "<title>{} {}: {}</title></rect>"
          "<text x=\"{:.1f}\" y=\"{}\" class=\"small\">{} {}</text>\n",
          left, by, w, colours[b], to_string(kAllEventTypes[i]), name, fixed(value, 3),
          left + w + 4, by + 11, name, fixed(value, 2));
    }
    y += row_h;
  }
  s += "</svg>\n";
  return s;
}

std::string ttd_svg(const Evaluation& ev) {
  std::vector<std::size_t> rows;
  double max_ttd = 0.0;
  for (std::size_t i = 0; i < ev.events.size(); ++i) {
    if (ev.events[i].truth > 0) rows.push_back(i);
    for (double t : ev.events[i].ttd_s) max_ttd = std::max(max_ttd, t);
  }
  // Round the axis up to a readable number of seconds.
  const double axis = max_ttd <= 0 ? 1.0 : std::ceil(max_ttd / 5.0) * 5.0;
  const int left = 200;  // room for "abandoned_object (20/20)"
  const int plot_w = 420;
  const int row_h = 30;
  const int height = 50 + static_cast<int>(std::max<std::size_t>(rows.size(), 1)) * row_h;
  std::string s = fmt::format(
      "<svg class=\"plot\" width=\"{}\" height=\"{}\" "
      "role=\"img\" aria-label=\"time to detect per event type\">\n",
      left + plot_w + 40, height);
  for (int tick = 0; tick <= 5; ++tick) {
    const double x = left + plot_w * tick / 5.0;
    s += fmt::format(
        "<line x1=\"{0}\" y1=\"20\" x2=\"{0}\" y2=\"{1}\" class=\"grid\"/>"
        "<text x=\"{0}\" y=\"14\" text-anchor=\"middle\">{2:g} s</text>\n",
        x, height - 20, axis * tick / 5.0);
  }
  if (rows.empty()) s += fmt::format("<text x=\"{}\" y=\"50\">no truth event</text>\n", left + 10);
  int y = 30;
  for (std::size_t i : rows) {
    const EventMetrics& m = ev.events[i];
    const auto px = [&](double t) { return left + plot_w * std::clamp(t / axis, 0.0, 1.0); };
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{} ({}/{})</text>\n", left - 8,
                     y + 14, to_string(kAllEventTypes[i]), m.tp, m.truth);
    for (double t : m.ttd_s) {
      s += fmt::format(
          "<circle cx=\"{:.1f}\" cy=\"{}\" r=\"4\" fill=\"{}\" fill-opacity=\"0.6\">"
          "<title>{:.2f} s</title></circle>\n",
          px(t), y + 10, kPrecisionColour, t);
    }
    if (m.ttd_median_s) {
      s += fmt::format(
          "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#000\" "
          "stroke-width=\"2\"><title>median {3:.2f} s</title></line>\n",
          px(*m.ttd_median_s), y, y + 20, *m.ttd_median_s);
    }
    if (m.ttd_p95_s) {
      s += fmt::format(
          "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"{3}\" "
          "stroke-width=\"2\" stroke-dasharray=\"3 2\"><title>p95 {4:.2f} s</title></line>\n",
          px(*m.ttd_p95_s), y, y + 20, kFalseColour, *m.ttd_p95_s);
    }
    y += row_h;
  }
  s += fmt::format(
      "<text x=\"{}\" y=\"{}\" class=\"small\">dots: detected truths; black: median; "
      "dashed: p95</text>\n",
      left, height - 4);
  s += "</svg>\n";
  return s;
}

std::string timeline_svg(const ClipResult& clip, const MatchOptions& options) {
  const int left = 20;
  const int plot_w = 640;
  const int lane_h = 22;
  const double duration = std::max(clip.duration_s, 1e-6);
  // One lane per event type present on the clip, truths above alerts.
  std::vector<EventType> lanes;
  for (EventType t : kAllEventTypes) {
    const bool present = std::any_of(clip.truth.events.begin(), clip.truth.events.end(),
                                     [&](const TruthEvent& e) { return e.type == t; }) ||
                         std::any_of(clip.alerts.begin(), clip.alerts.end(),
                                     [&](const ClipAlert& a) { return a.type == t; });
    if (present) lanes.push_back(t);
  }
  const int height = 40 + static_cast<int>(std::max<std::size_t>(lanes.size(), 1)) * 2 * lane_h;
  const auto px = [&](double t) { return left + plot_w * std::clamp(t / duration, 0.0, 1.0); };
  std::string s = fmt::format(
      "<svg class=\"plot\" width=\"{}\" height=\"{}\" "
      "role=\"img\" aria-label=\"timeline of {}\">\n",
      left + plot_w + 200, height, html_escape(clip_label(clip)));
  for (int tick = 0; tick <= 4; ++tick) {
    const double x = left + plot_w * tick / 4.0;
    s += fmt::format(
        "<line x1=\"{0}\" y1=\"16\" x2=\"{0}\" y2=\"{1}\" class=\"grid\"/>"
        "<text x=\"{0}\" y=\"12\" text-anchor=\"middle\">{2:.1f} s</text>\n",
        x, height - 4, duration * tick / 4.0);
  }
  if (lanes.empty()) {
    s += fmt::format("<text x=\"{}\" y=\"40\">negative clip, no alert</text>\n", left + 10);
  }
  for (std::size_t l = 0; l < lanes.size(); ++l) {
    const int y = 22 + static_cast<int>(l) * 2 * lane_h;
    s += fmt::format("<text x=\"{}\" y=\"{}\">{} truth</text>\n", left + plot_w + 8, y + 14,
                     to_string(lanes[l]));
    s += fmt::format("<text x=\"{}\" y=\"{}\">{} alerts</text>\n", left + plot_w + 8,
                     y + lane_h + 14, to_string(lanes[l]));
    for (std::size_t t = 0; t < clip.truth.events.size(); ++t) {
      const TruthEvent& e = clip.truth.events[t];
      if (e.type != lanes[l]) continue;
      const bool hit = clip.match.time_to_detect_s[t].has_value();
      s += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"16\" fill=\"{}\" "
          "fill-opacity=\"0.25\"><title>grace</title></rect>\n",
          px(e.end_s), y, px(e.end_s + options.grace_s) - px(e.end_s), kF1Colour);
      s += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"16\" fill=\"{}\" stroke=\"{}\">"
          "<title>truth {}: {:.2f}–{:.2f} s, {}{}</title></rect>\n",
          px(e.start_s), y, std::max(px(e.end_s) - px(e.start_s), 1.0), hit ? kF1Colour : "#fff",
          kF1Colour, t, e.start_s, e.end_s, hit ? "detected" : "missed",
          e.note.empty() ? "" : "; " + html_escape(e.note));
    }
    for (std::size_t a = 0; a < clip.alerts.size(); ++a) {
      const ClipAlert& al = clip.alerts[a];
      if (al.type != lanes[l]) continue;
      const AlertOutcome o = clip.match.alert_outcomes[a];
      const std::string_view colour = o == AlertOutcome::kDetection   ? kPrecisionColour
                                      : o == AlertOutcome::kDuplicate ? kDuplicateColour
                                                                      : kFalseColour;
      const std::string_view what = o == AlertOutcome::kDetection   ? "detection"
                                    : o == AlertOutcome::kDuplicate ? "duplicate"
                                                                    : "false alert";
      const int ay = y + lane_h;
      const double x = px(al.start_s);
      s += fmt::format(
          "<path d=\"M{0:.1f} {1} l-5 14 h10 z\" fill=\"{2}\"><title>alert {3}: {4}, "
          "{5:.2f}–{6:.2f} s, score {7:.2f}</title></path>\n",
          x, ay, colour, a, what, al.start_s, al.end_s, al.score);
    }
  }
  s += "</svg>\n";
  return s;
}

}  // namespace

std::string format_table(const Evaluation& ev) {
  const std::array<std::string_view, 11> head = {
      "event", "truth", "TP", "FP", "FN", "prec", "recall", "F1", "FA/cam-h", "TTD med", "TTD p95"};
  const std::array<std::size_t, 11> width = {17, 6, 5, 5, 5, 6, 7, 6, 9, 8, 8};
  std::vector<std::array<std::string, 11>> rows;
  for (std::size_t i = 0; i < ev.events.size(); ++i) {
    const EventMetrics& m = ev.events[i];
    rows.push_back({std::string(to_string(kAllEventTypes[i])), std::to_string(m.truth),
                    std::to_string(m.tp), std::to_string(m.fp), std::to_string(m.fn),
                    fixed(m.precision, 3), fixed(m.recall, 3), fixed(m.f1, 3),
                    fixed(m.false_alerts_per_camera_hour, 2),
                    m.ttd_median_s ? fixed(m.ttd_median_s, 2) + "s" : std::string(kDash),
                    m.ttd_p95_s ? fixed(m.ttd_p95_s, 2) + "s" : std::string(kDash)});
  }
  std::string out;
  const auto line = [&](const auto& cells) {
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) out += ' ';
      out += c == 0 ? pad_right(cells[c], width[c]) : pad_left(cells[c], width[c]);
    }
    out += '\n';
  };
  line(head);
  for (const auto& r : rows) line(r);
  int duplicates = 0;
  for (const EventMetrics& m : ev.events) duplicates += m.duplicates;
  out += fmt::format(
      "{} clips, {:.3f} camera-hours; grace {:g} s; {} duplicate alerts (neither TP nor FP); "
      "precision = matched alerts / (matched + false alerts)\n",
      ev.clips.size(), ev.camera_hours, ev.options.grace_s, duplicates);
  return out;
}

ordered_json alert_to_json(const ClipAlert& a) {
  ordered_json out{
      {"type", std::string(to_string(a.type))},
      {"start", a.start_s},
      {"end", a.end_s},
      {"region", ordered_json::array({a.region.x, a.region.y, a.region.width, a.region.height})},
      {"score", a.score}};
  if (!a.model_hash.empty()) out["model"] = a.model_hash;
  return out;
}

Result<std::vector<ClipAlert>> alerts_from_json(const json& array, std::string_view source) {
  if (!array.is_array())
    return invalid_argument(fmt::format("{}: must be a list of alerts", source));
  std::vector<ClipAlert> out;
  for (std::size_t i = 0; i < array.size(); ++i) {
    const json& a = array[i];
    const auto bad = [&](std::string_view field, std::string_view problem) {
      return invalid_argument(fmt::format("{}: [{}].{}: {}", source, i, field, problem));
    };
    if (!a.is_object())
      return invalid_argument(fmt::format("{}: [{}]: must be an object", source, i));
    ClipAlert alert;
    if (!a.contains("type") || !a["type"].is_string()) return bad("type", "must be a string");
    const auto type = parse_event_type(a["type"].get<std::string>());
    if (!type) {
      return bad("type", fmt::format("'{}' is not one of the eight event types",
                                     a["type"].get<std::string>()));
    }
    alert.type = *type;
    for (const auto& [key, dest] :
         {std::pair{"start", &alert.start_s}, std::pair{"end", &alert.end_s},
          std::pair{"score", &alert.score}}) {
      if (!a.contains(key) || !a[key].is_number()) return bad(key, "must be a number");
      *dest = a[key].get<double>();
    }
    const json* r = a.contains("region") ? &a["region"] : nullptr;
    if (r == nullptr || !r->is_array() || r->size() != 4 ||
        !std::all_of(r->begin(), r->end(), [](const json& v) { return v.is_number(); })) {
      return bad("region", "must be [x, y, w, h]");
    }
    alert.region = cv::Rect2d((*r)[0].get<double>(), (*r)[1].get<double>(), (*r)[2].get<double>(),
                              (*r)[3].get<double>());
    if (a.contains("model")) {
      if (!a["model"].is_string()) return bad("model", "must be a string (a model's SHA-256)");
      alert.model_hash = a["model"].get<std::string>();
    }
    out.push_back(alert);
  }
  return out;
}

ordered_json to_json(const Evaluation& ev) {
  ordered_json events = ordered_json::object();
  for (std::size_t i = 0; i < ev.events.size(); ++i) {
    const EventMetrics& m = ev.events[i];
    events[std::string(to_string(kAllEventTypes[i]))] = {
        {"truth", m.truth},
        {"tp", m.tp},
        {"fp", m.fp},
        {"fn", m.fn},
        {"precision", optional_number(m.precision)},
        {"recall", optional_number(m.recall)},
        {"f1", optional_number(m.f1)},
        {"false_alerts_per_camera_hour", optional_number(m.false_alerts_per_camera_hour)},
        {"ttd_median_s", optional_number(m.ttd_median_s)},
        {"ttd_p95_s", optional_number(m.ttd_p95_s)}};
  }
  ordered_json clips = ordered_json::array();
  for (const ClipResult& c : ev.clips) {
    ordered_json alerts = ordered_json::array();
    for (const ClipAlert& a : c.alerts) alerts.push_back(alert_to_json(a));
    ordered_json matched = ordered_json::array();
    for (const MatchPair& p : c.match.matched) {
      matched.push_back({{"truth", p.truth}, {"alert", p.alert}});
    }
    clips.push_back({{"path", c.truth.path.string()}, {"alerts", alerts}, {"matched", matched}});
  }
  return {{"events", events}, {"clips", clips}};
}

std::string render_html(const Evaluation& ev, std::string_view title,
                        const std::vector<PrivacyCheck>* privacy) {
  std::string body;
  body += "<h2>Precision, recall and F1</h2>\n" + bars_svg(ev);
  body += "<h2>Time to detect</h2>\n" + ttd_svg(ev);
  if (privacy != nullptr) {
    body += "<h2>Persons left clear in evidence and wall images</h2>\n<pre>" +
            html_escape(format_privacy(*privacy, std::numeric_limits<std::size_t>::max())) +
            "</pre>\n";
  }
  body += "<h2>Clips</h2>\n";
  for (const ClipResult& c : ev.clips) {
    body += fmt::format("<h3>{}</h3>\n", html_escape(clip_label(c)));
    body += timeline_svg(c, ev.options);
  }
  // Inline SVG in HTML needs no xmlns, so the page holds no URL at all.
  std::string html = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>{0}</title>\n<style>\n"
      "body{{font-family:sans-serif;margin:1.5em;color:#222}}\n"
      "table{{border-collapse:collapse}} td,th{{padding:2px 8px;text-align:right}}\n"
      "td:first-child,th:first-child{{text-align:left}} tr:nth-child(even){{background:#f4f4f4}}\n"
      "svg.plot{{display:block;margin:0.5em 0 1.5em}} svg text{{font-size:12px}}\n"
      "svg .small{{font-size:10px}} svg .grid{{stroke:#ddd}}\n"
      "</style>\n</head>\n<body>\n<h1>{0}</h1>\n<pre>{1}</pre>\n{2}</body>\n</html>\n",
     html_escape(title), html_escape(format_table(ev)), body);
  return html;
}

}  // namespace vigie::eval
