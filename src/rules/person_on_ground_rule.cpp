// person_on_ground: a person-sized track that becomes low and wide (below
// lying_height_fraction of its standing height, wider than tall) and stays nearly still for
// dwell_s. When the person lies still long enough to fade into the fast background, the
// static map keeps the same shape at the same place, and the situation goes on. Sitting
// (tall and narrow) is not lying; excluded zones (benches) are ignored; nor are the feet and
// shadow of someone standing whose legs look like the ground.

#include <algorithm>
#include <cmath>
#include <optional>

#include <spdlog/spdlog.h>

#include "perceive/background.hpp"
#include "rules/rules_impl.hpp"

namespace vigie::rules {
namespace {

/// A candidate not supported by a track or a static shape for this long is dropped. A body
/// lying still fades out of the fast model's foreground, and so out of its track, before the
/// static map holds it: about the fast background's absorption time.
constexpr double kLoseAfterS = perceive::BackgroundConfig{}.fast_absorb_s;
/// A fall is a drop seen within this long of the person seen upright.
constexpr double kDropWithinS = 1.5;
/// Upright: at least this share of the height expected of someone standing at its feet, and
/// at least as tall as wide.
constexpr double kUprightHeight = 0.6;
/// Down: the top of the shape has dropped by at least this share of the height it stood...
constexpr double kTopDrop = 0.5;
/// ...and the shape has lost height: at most this share of the height it stood.
constexpr double kLowHeight = 0.6;
/// Up again: the top is back within this share of the standing height of where it stood.
constexpr double kBackUp = 0.25;
/// Seated: the shape keeps at least this share of the height it stood (a seated person keeps
/// about half to two thirds of it)...
constexpr double kSeatedHeight = 0.45;
/// ...and is narrower than this share of the height expected at its feet; a body lying, across
/// the view or along it seen from in front, is about as wide as a standing person is tall.
constexpr double kLyingWidth = 0.8;
/// A body lying is at least this long, in standing heights at its feet...
constexpr double kBodyMin = 0.5;
/// ...and at most this long or tall (lying with the arms out): a larger box is pieces of
/// several people joined.
constexpr double kBodyExtent = 1.4;

/// How far from a standing person's feet, in their heights, a part of their fallen body lies.
constexpr double kFallReach = 1.0;
/// A body lying across the view is at most this long, in standing heights.
constexpr double kBodyLength = 1.2;
/// With a detector, a lying shape it looked at without seeing a person is still reported:
/// models trained on upright people seldom see someone lying down, even shown turned a
/// quarter (DetectorLink::confirm_lying), and at analysis size the body is small for them
/// (dropping the unseen lost a third of the development falls with yolox_nano).
constexpr bool kUnseenRejects = false;

/// True when `box` reaches the top, left or right border: the frame cuts its top or its
/// sides. The bottom may be cut: the top of a shape, which is what a fall moves, is still seen.
bool cut_above_or_aside(const cv::Rect2d& box, cv::Size image) {
  constexpr double kBorderPx = 3.0;
  return box.x <= kBorderPx || box.y <= kBorderPx || box.x + box.width >= image.width - kBorderPx;
}

class PersonOnGroundRule final : public SituationRule {
 public:
  using SituationRule::SituationRule;

  /// A fall often comes soon after the camera starts: the rule watches the first frames.
  [[nodiscard]] bool watches_warm_up() const override { return true; }

 private:
  /// Where and how tall someone was last seen upright: the reference a fall drops from.
  struct Upright {
    double t = 0;
    track::TrackId id = 0;
    cv::Rect2d box;
  };

  struct Candidate {
    int id = 0;
    cv::Rect2d box;
    double since = 0;
    double last_support = 0;
    track::TrackId track = 0;  ///< the track that fell
    cv::Rect2d stood;          ///< the person when last seen upright

    /// Low for this person: the top dropped and the height lost since they stood.
    [[nodiscard]] bool low(const cv::Rect2d& b) const {
      return b.y - stood.y >= kTopDrop * stood.height && b.height <= kLowHeight * stood.height;
    }
  };

  void detect(const Scene& scene) override {
    const auto zones = geometry_.zones_for(rule_);
    std::vector<const ZoneGeometry*> excluded;
    for (const auto& id : rule_.exclude_zones) {
      if (const ZoneGeometry* z = geometry_.zone(id)) excluded.push_back(z);
    }
    auto allowed = [&](Point foot) {
      if (zone_containing(excluded, foot) != nullptr) return false;
      return rule_.zones.empty() || zone_containing(zones, foot) != nullptr;
    };
    std::erase_if(upright_, [&](const Upright& u) { return scene.t - u.t > kDropWithinS; });
    for (const track::Track& t : scene.tracks) {
      // Measured boxes only: a coasting track's box is a prediction, and a fall is what no
      // prediction foresees.
      if (!t.measurement_index) continue;
      const cv::Rect2d box = measured_box(scene, t);
      const Point foot(box.x + box.width / 2, box.y + box.height);
      const double expected = person_height_at(scene, foot);
      const double speed = ground_speed_m_s(scene, t);
      if (cut_above_or_aside(box, scene.source_size)) continue;
      spdlog::trace("ground t={:.1f} track {} box=[{:.0f},{:.0f},{:.0f},{:.0f}] expected={:.0f}",
                    scene.t, t.id, box.x, box.y, box.width, box.height, expected);
      if (box.height >= kUprightHeight * expected && box.height >= box.width &&
          !touches_border(box, scene.source_size)) {
        // Where someone stood still before falling, the fast background keeps them upright
        // for a while: that ghost is no one standing, nor the person up again.
        if (is_ghost(scene, t)) continue;
        std::erase_if(upright_, [&](const Upright& u) { return u.id == t.id; });
        upright_.push_back({scene.t, t.id, box});
        // Up again where they stood: the fall, if it was one, is over (bending down and
        // getting up, jumping; the tracker may have followed them with another track).
        up_again(box, t.id);
        continue;
      }
      if (!allowed(foot)) continue;
      // The drop is fast by nature: it starts a candidate whatever the speed.
      if (start_if_fallen(scene, t, box)) continue;
      if (speed > rule_.max_ground_speed_m_s) {
        // A still body fading into the background shrinks unevenly, which moves its box's
        // foot as if it walked: lying within a candidate, it keeps it.
        keep_up(box, scene.t);
        continue;
      }
      support(scene, t, box);
    }
    for (const perceive::Blob& b : scene.static_objects) {
      if (!allowed(b.foot)) continue;
      const double expected = person_height_at(scene, b.foot);
      if (b.box.height >= kUprightHeight * expected && b.box.height >= b.box.width) {
        up_again(b.box, std::nullopt);
      } else {
        support_static(scene, b.box, scene.t);
      }
    }
    for (auto it = candidates_.begin(); it != candidates_.end();) {
      spdlog::trace("ground t={:.1f} candidate {} box=[{:.0f},{:.0f},{:.0f},{:.0f}] since={:.1f} "
                    "support={:.1f}", scene.t, it->id, it->box.x, it->box.y, it->box.width,
                    it->box.height, it->since, it->last_support);
      if (scene.t - it->last_support > kLoseAfterS) {
        it = candidates_.erase(it);
        continue;
      }
      const std::string key = "down-" + std::to_string(it->id);
      const bool supported = it->last_support == scene.t;
      if (supported) {
        // Asked while the dwell runs, so that the answer is there when it ends.
        const Gate g = is_open(key) ? Gate{}
                                    : gate(scene, key, it->box, DetectionRole::kPerson,
                                           DetectionRole::kOther, kUnseenRejects, /*lying=*/true);
        if (scene.t - it->since >= rule_.dwell_s && g.report && lies_there(scene, *it)) {
          const Point foot(it->box.x + it->box.width / 2, it->box.y + it->box.height);
          const ZoneGeometry* z = zone_containing(zones, foot);
          report(key, z != nullptr ? z->id : "", scene, 0.8, it->box, {}, g.model_hash);
        }
      }
      ++it;
    }
  }

  /// The fall itself: the track is low now, and within kDropWithinS it, or someone standing
  /// where it lies who is no longer seen upright (a fall can make the tracker start a new
  /// track on the body), stood upright with its top at least kTopDrop of its height higher.
  bool start_if_fallen(const Scene& scene, const track::Track& t, const cv::Rect2d& box) {
    const Point centre(box.x + box.width / 2, box.y + box.height / 2);
    for (const Upright& u : upright_) {
      if (u.id != t.id) {
        const Point feet(u.box.x + u.box.width / 2, u.box.y + u.box.height);
        if (cv::norm(feet - centre) > kFallReach * u.box.height) continue;
        if (still_upright(scene, u.id) || top_still_there(scene, u, t.id)) continue;
      }
      Candidate c{next_id_, box, scene.t, scene.t, t.id, u.box};
      if (!c.low(box)) continue;
      // One fall, one candidate: the body's other pieces, falling with it, join it.
      for (Candidate& other : candidates_) {
        if (other.stood == u.box) {
          other.box |= box;
          other.last_support = scene.t;
          return true;
        }
      }
      spdlog::trace("ground t={:.1f} track {}: fell from [{:.0f},{:.0f},{:.0f},{:.0f}] at {:.1f}",
                    scene.t, t.id, u.box.x, u.box.y, u.box.width, u.box.height, u.t);
      ++next_id_;
      candidates_.push_back(c);
      return true;
    }
    return false;
  }

  /// What the candidate shows now is a body lying there, not someone on their feet or seated
  /// over a low part of their shape, nor pieces of passers-by joined into one box. In standing
  /// heights expected at its feet, a body lying is at least half of one long (seen across the
  /// view or foreshortened along it) and at most kBodyExtent in either direction; nothing
  /// stands over it (the legs of
  /// someone standing, a jumper landing, a walker whose track split at the waist); and it is not
  /// seated: a seated person keeps at least kSeatedHeight of the height they stood and is
  /// narrower than kLyingWidth.
  static bool lies_there(const Scene& scene, const Candidate& c) {
    const double h = standing_height_at(scene, c.box);
    const double longest = std::max(c.box.width, c.box.height);
    if (longest < kBodyMin * h || longest > kBodyExtent * h) return false;
    if (someone_standing_over(scene, c.box)) return false;
    const bool seated =
        c.box.height >= kSeatedHeight * c.stood.height && c.box.width < kLyingWidth * h;
    return !seated;
  }

  /// True when the blob measured for `t` this frame is a ghost.
  static bool is_ghost(const Scene& scene, const track::Track& t) {
    return t.measurement_index && *t.measurement_index < scene.moving.size() &&
           scene.moving[*t.measurement_index].ghost;
  }

  /// True when, this frame, a person-shaped track other than the low one `low` has its top
  /// where `u` stood: the person is still on their feet there (the tracker split them, the legs
  /// on a new track, the upper body on the old one or another new one), and the low shape is a
  /// part of them, not their fall. A shape wider than tall there is not someone on their feet
  /// (a fallen body joined with a passer-by's blob), and a ghost is the background's memory.
  static bool top_still_there(const Scene& scene, const Upright& u, track::TrackId low) {
    for (const track::Track& other : scene.tracks) {
      if (other.id == low || !other.measurement_index || is_ghost(scene, other)) continue;
      const cv::Rect2d box = measured_box(scene, other);
      const bool over = box.x < u.box.x + u.box.width && u.box.x < box.x + box.width;
      const bool top_there = std::abs(box.y - u.box.y) < kTopDrop * u.box.height;
      if (over && top_there && box.height >= box.width) return true;
    }
    return false;
  }

  /// True when the track `id` is measured upright this frame.
  bool still_upright(const Scene& scene, track::TrackId id) const {
    return std::any_of(upright_.begin(), upright_.end(),
                       [&](const Upright& u) { return u.id == id && u.t == scene.t; });
  }

  /// Legs of people standing still, beside a body, are low too: the foreground rising above
  /// a low shape says whether bodies stand there.
  static bool someone_standing_over(const Scene& scene, const cv::Rect2d& box) {
    const double h = standing_height_at(scene, box);
    const cv::Rect2d above(box.x, box.y - 0.6 * h, box.width, 0.5 * h);
    return foreground_share(scene, above) > 0.3;
  }

  /// The height expected of someone standing at the candidate's foot.
  static double standing_height_at(const Scene& scene, const cv::Rect2d& box) {
    return person_height_at(scene, {box.x + box.width / 2, box.y + box.height});
  }

  /// A low, still track supports the candidate it lies on: its own track, or a piece of the
  /// body tracked on its own (a body lying still fades into the fast background unevenly
  /// and splits into pieces). A piece lying mostly within the candidate leaves its box (the
  /// whole body) as it is; one beside it on the same ground line joins it. False when the
  /// track supports no candidate.
  bool support(const Scene& scene, const track::Track& t, const cv::Rect2d& box) {
    for (Candidate& c : candidates_) {
      if (!c.low(box)) continue;
      if (c.track == t.id || iou(c.box, box) >= 0.2 || lies_within(box, c.box)) {
        if (box.area() >= 0.5 * c.box.area()) c.box = box;
        c.last_support = scene.t;
        return true;
      }
    }
    for (Candidate& c : candidates_) {
      if (!c.low(box) || !same_body(c.box, box, c.stood.height)) continue;
      c.box |= box;
      c.last_support = scene.t;
      return true;
    }
    return false;
  }

  /// Once the body has faded into the fast background, the static map holds it: a low shape
  /// there lying mostly on the candidate keeps it (a static shape alone never starts one: a
  /// bench or a parcel was never seen standing).
  void support_static(const Scene& scene, const cv::Rect2d& box, double t) {
    for (Candidate& c : candidates_) {
      if (!c.low(box)) continue;
      if (iou(c.box, box) >= 0.2 || lies_within(box, c.box)) {
        c.last_support = t;
      } else if (same_body(c.box, box, c.stood.height) && !someone_standing_over(scene, box)) {
        c.box |= box;
        c.last_support = t;
      }
    }
  }

  /// Someone upright where the person stood, their top back near where it was: they got up
  /// (or never fell: a walker who stops fades into the background from the top, and the
  /// static map then holds them standing). The fall is over.
  void up_again(const cv::Rect2d& box, std::optional<track::TrackId> track) {
    std::erase_if(candidates_, [&](const Candidate& c) {
      const bool same = (track && c.track == *track) || iou(c.stood, box) >= 0.3;
      return same && box.y - c.stood.y < kBackUp * c.stood.height;
    });
  }

  /// Two lying shapes side by side on the same ground line, together no longer than a body,
  /// are pieces of one body (unless people rise above the new one: their legs): what the fast
  /// background, the tracker and the static map keep of a body lying still differs from frame to
  /// frame and from one end of it to the other.
  static bool same_body(const cv::Rect2d& a, const cv::Rect2d& b, double expected) {
    const double rows = std::min(a.y + a.height, b.y + b.height) - std::max(a.y, b.y);
    const double span = std::max(a.x + a.width, b.x + b.width) - std::min(a.x, b.x);
    return rows >= 0.5 * std::min(a.height, b.height) && span <= kBodyLength * expected;
  }

  /// A piece lies mostly within a candidate when at least half of it is inside its box.
  static bool lies_within(const cv::Rect2d& piece, const cv::Rect2d& candidate) {
    return (candidate & piece).area() >= 0.5 * piece.area();
  }

  /// A low piece moving within a candidate (a body fading unevenly) keeps it.
  void keep_up(const cv::Rect2d& piece, double t) {
    for (Candidate& c : candidates_) {
      if (lies_within(piece, c.box)) c.last_support = t;
    }
  }

  std::vector<Candidate> candidates_;
  std::vector<Upright> upright_;  ///< the last upright sighting of each track, kDropWithinS
  int next_id_ = 1;
};

}  // namespace

std::unique_ptr<Rule> make_person_on_ground_rule(const config::RuleConfig& rule,
                                                 const CameraGeometry& geometry,
                                                 const RuleContext& context) {
  return std::make_unique<PersonOnGroundRule>(rule, geometry, context);
}

}  // namespace vigie::rules
