#include "eval/privacy_leaks.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <opencv2/core.hpp>

#include "evidence/overlay.hpp"

namespace vigie::eval {
namespace {

/// The truth frame nearest `t_s`, or null when none lies within half a frame.
const TruthPersons* truth_at(const TruthClip& truth, double t_s) {
  const auto& p = truth.persons;
  auto after = std::lower_bound(p.begin(), p.end(), t_s,
                                [](const TruthPersons& e, double t) { return e.t_s < t; });
  const TruthPersons* best = nullptr;
  if (after != p.end()) best = &*after;
  if (after != p.begin() &&
      (best == nullptr || t_s - std::prev(after)->t_s < best->t_s - t_s)) {
    best = &*std::prev(after);
  }
  const double half_frame = truth.fps > 0 ? 0.5 / truth.fps : 0.05;
  if (best == nullptr || std::abs(best->t_s - t_s) > half_frame + 1e-6) return nullptr;
  return best;
}

/// Checks every truth box of one image against what it hides; returns the share hidden.
double check_image(const TruthPersons& persons, const evidence::PrivacyPlan& plan, cv::Size size,
                   const std::string& image, double max_clear_share, PrivacyCheck& out) {
  const cv::Mat hidden = evidence::hidden_pixels(size, plan);
  const cv::Rect frame(0, 0, size.width, size.height);
  for (const cv::Rect2d& box : persons.boxes) {
    const cv::Rect r = cv::Rect(cv::Point(static_cast<int>(std::floor(box.x)),
                                          static_cast<int>(std::floor(box.y))),
                                cv::Point(static_cast<int>(std::ceil(box.br().x)),
                                          static_cast<int>(std::ceil(box.br().y)))) &
                       frame;
    if (r.empty()) continue;  // outside the picture: nothing of it is shown
    ++out.person_boxes;
    const double clear = 1.0 - cv::countNonZero(hidden(r)) / static_cast<double>(r.area());
    if (clear > max_clear_share) out.leaks.push_back({persons.t_s, image, box, clear});
  }
  return cv::countNonZero(hidden) / static_cast<double>(hidden.total());
}

/// What the clips hide in all: the wall as the mean of the clips' means (each clip is a
/// camera an operator looks at), the evidence as the mean over every evidence frame.
struct HiddenShares {
  double wall = 0.0;
  double evidence = 0.0;
};

HiddenShares hidden_shares(const std::vector<PrivacyCheck>& checks) {
  double wall = 0.0, evidence = 0.0;
  int clips = 0, frames = 0;
  for (const PrivacyCheck& c : checks) {
    if (c.wall_frames > 0) {
      wall += c.wall_hidden_share;
      ++clips;
    }
    evidence += c.evidence_hidden_share * c.evidence_frames;
    frames += c.evidence_frames;
  }
  return {clips > 0 ? wall / clips : 0.0, frames > 0 ? evidence / frames : 0.0};
}

}  // namespace

PrivacyCheck check_privacy(const PrivacyCheckInput& in) {
  PrivacyCheck out;
  out.clip = in.clip;
  if (in.truth == nullptr || in.history == nullptr || in.truth->persons.empty()) return out;
  const TruthClip& truth = *in.truth;
  const std::vector<evidence::TimedBoxes>& history = *in.history;
  const cv::Size size(truth.width, truth.height);

  // The wall shows the latest analysed frame with that frame's own boxes; it is looked at
  // here once a second.
  double hidden_sum = 0.0;
  if (!history.empty()) {
    for (double second = std::ceil(history.front().pts_s); second <= history.back().pts_s;
         second += 1.0) {
      auto after = std::upper_bound(
          history.begin(), history.end(), second,
          [](double t, const evidence::TimedBoxes& e) { return t < e.pts_s; });
      const evidence::TimedBoxes& shown = *std::prev(after);
      const TruthPersons* persons = truth_at(truth, shown.pts_s);
      if (persons == nullptr) continue;
      ++out.wall_frames;
      const evidence::PrivacyPlan plan{shown.boxes, shown.persons, {}};
      hidden_sum += check_image(*persons, plan, size, "wall", in.max_clear_share, out);
    }
  }
  if (out.wall_frames > 0) out.wall_hidden_share = hidden_sum / out.wall_frames;

  // Every frame of each alert's clip, rendered as the evidence writer renders it.
  double evidence_hidden_sum = 0.0;
  for (const Alert& alert : in.alerts) {
    const double from = alert.start_s - in.evidence.clip_before_s;
    const double to = alert.start_s + in.evidence.clip_after_s;
    const std::string image = "evidence of " + alert.id;
    for (const TruthPersons& persons : truth.persons) {
      if (persons.t_s < from || persons.t_s > to) continue;
      ++out.evidence_frames;
      const evidence::PrivacyPlan plan =
          evidence::privacy_plan(history, alert, persons.t_s, size, {1.0, 1.0}, in.evidence);
      evidence_hidden_sum += check_image(persons, plan, size, image, in.max_clear_share, out);
    }
  }
  if (out.evidence_frames > 0) out.evidence_hidden_share = evidence_hidden_sum / out.evidence_frames;
  return out;
}

nlohmann::ordered_json privacy_to_json(const std::vector<PrivacyCheck>& checks) {
  using nlohmann::ordered_json;
  ordered_json clips = ordered_json::array();
  int boxes = 0;
  std::size_t leaks = 0;
  const HiddenShares shares = hidden_shares(checks);
  for (const PrivacyCheck& c : checks) {
    if (c.person_boxes == 0) continue;
    ordered_json list = ordered_json::array();
    for (const PrivacyLeak& l : c.leaks) {
      list.push_back({{"t", l.t_s},
                      {"image", l.image},
                      {"box", {l.box.x, l.box.y, l.box.width, l.box.height}},
                      {"clear_share", l.clear_share}});
    }
    clips.push_back({{"clip", c.clip},
                     {"wall_frames", c.wall_frames},
                     {"evidence_frames", c.evidence_frames},
                     {"person_boxes", c.person_boxes},
                     {"wall_hidden_share", c.wall_hidden_share},
                     {"evidence_hidden_share", c.evidence_hidden_share},
                     {"leaking_boxes", c.leaks.size()},
                     {"leaks", list}});
    boxes += c.person_boxes;
    leaks += c.leaks.size();
  }
  return {{"person_boxes", boxes},
          {"leaking_boxes", leaks},
          {"wall_hidden_share", shares.wall},
          {"evidence_hidden_share", shares.evidence},
          {"clips", clips}};
}

std::string format_privacy(const std::vector<PrivacyCheck>& checks, std::size_t max_leaks) {
  std::string out;
  int boxes = 0;
  std::size_t leaks = 0;
  for (const PrivacyCheck& c : checks) {
    if (c.person_boxes == 0) continue;
    out += fmt::format(
        "  {}: {} person boxes in {} wall and {} evidence frames, {} leaking; {:.0f} % of the "
        "wall hidden",
        c.clip, c.person_boxes, c.wall_frames, c.evidence_frames, c.leaks.size(),
        100.0 * c.wall_hidden_share);
    if (c.evidence_frames > 0) {
      out += fmt::format(", {:.0f} % of the evidence", 100.0 * c.evidence_hidden_share);
    }
    out += "\n";
    boxes += c.person_boxes;
    leaks += c.leaks.size();
  }
  if (boxes == 0) return out;
  const HiddenShares shares = hidden_shares(checks);
  std::string head = fmt::format(
      "privacy: {} person boxes checked, {} leaking (more than a tenth of them clear); hidden: "
      "{:.1f} % of the wall (mean over clips), {:.1f} % of the evidence (mean over frames)\n",
      boxes, leaks, 100.0 * shares.wall, 100.0 * shares.evidence);
  std::size_t shown = 0;
  for (const PrivacyCheck& c : checks) {
    for (const PrivacyLeak& l : c.leaks) {
      if (shown++ == max_leaks) break;
      out += fmt::format("  leak: {} {} at {:.2f} s, box [{:.0f}, {:.0f}, {:.0f}, {:.0f}], {:.0f} % clear\n",
                         c.clip, l.image, l.t_s, l.box.x, l.box.y, l.box.width, l.box.height,
                         100.0 * l.clear_share);
    }
  }
  return head + out;
}

}  // namespace vigie::eval
