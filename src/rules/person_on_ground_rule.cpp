// person_on_ground: a person-sized track that becomes low and wide (below
// lying_height_fraction of its standing height, wider than tall) and stays nearly still for
// dwell_s. When the person lies still long enough to fade into the fast background, the
// static map keeps the same shape at the same place, and the situation goes on. Sitting
// (tall and narrow) is not lying; excluded zones (benches) are ignored; nor are the feet and
// shadow of someone standing whose legs look like the ground.

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include <spdlog/spdlog.h>

#include "perceive/background.hpp"
#include "rules/rules_impl.hpp"

namespace vigie::rules {
namespace {

/// A candidate not supported by a track or a static shape for this long is dropped. A body
/// lying still fades out of the fast model's foreground, and so out of its track, before the
/// static map holds it: about the fast background's absorption time, unevenly, and sooner
/// where a cloud's shadow passing over it cuts it into pieces.
constexpr double kLoseAfterS = perceive::BackgroundConfig{}.fast_absorb_s;
/// A fall changes a blob's shape so much that the tracker may start a new track for the
/// person on the ground; standing people seen this recently at the place vouch for it.
constexpr double kStandingMemoryS = 3.0;
/// Someone stands over a shape when seen there this long: two walkers crossing just behind a
/// body merge, for a frame or two, into one slow upright shape on top of it.
constexpr double kStandingOverS = 0.5;
/// How far from a standing person's feet, in their heights, a part of their fallen body lies.
constexpr double kFallReach = 1.0;
/// A body lying across the view is at most this long, in standing heights at its place.
constexpr double kBodyLength = 1.2;
/// A person-high shape moving this fast (m/s) is someone walking, whatever its outline.
constexpr double kWalkingSpeedMS = 0.6;
/// With a detector, a lying shape it looked at without seeing a person is still reported:
/// models trained on upright people seldom see someone lying down, even shown turned a
/// quarter (DetectorLink::confirm_lying), and at analysis size the body is small for them
/// (dropping the unseen lost a third of the development falls with yolox_nano).
constexpr bool kUnseenRejects = false;

/// A body lying across the view with its shadow spans at most this many standing heights at
/// its place; a longer low shape is something else (the edge of a cloud's shadow, a queue).
constexpr double kMaxLyingLength = 2.0;

/// Low and wide for someone who stands `standing_h` tall at the place, and no longer than a
/// body where a person is expected to stand `expected` tall.
bool lying_shape(const cv::Rect2d& box, double standing_h, double expected, double fraction) {
  return box.height <= fraction * standing_h && box.width >= 1.2 * box.height &&
         box.width >= 0.35 * standing_h && box.width <= kMaxLyingLength * expected;
}

class PersonOnGroundRule final : public SituationRule {
 public:
  using SituationRule::SituationRule;

 private:
  struct Candidate {
    int id = 0;
    cv::Rect2d box;
    double since = 0;
    double last_support = 0;
    bool feet = false;           ///< seen under someone standing: their feet and shadow, not a body
    double stood_on_since = -1;  ///< since when someone stands on it, if they do
    /// The track last seen standing on it, if a track was: a passer-by who paused over a body
    /// and walks on leaves the body behind, while a torso fading where it stands does not.
    std::optional<track::TrackId> stander = std::nullopt;
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
    std::erase_if(standing_, [&](const StoodAt& s) { return scene.t - s.t > kStandingMemoryS; });
    std::erase_if(vouched_, [&](track::TrackId id) { return is_gone(scene, id); });
    std::erase_if(tallest_, [&](const auto& e) { return is_gone(scene, e.first); });
    for (const track::Track& t : scene.tracks) {
      if (!is_reliable(t)) continue;
      const double expected = person_height_at(scene, t.foot);
      const double speed = ground_speed_m_s(scene, t);
      // How tall this one stands: their tallest height relative to the height expected where
      // it was seen. The tallest height in pixels alone would make someone who walked up close
      // and sat down farther away look as low as a body lying.
      double& tallest = tallest_[t.id];
      if (t.box.height >= 0.6 * expected && !touches_border(t.box, scene.source_size))
        tallest = std::max(tallest, t.box.height / expected);
      // Standing, or at least upright (a walker dressed like the ground shows only a torso),
      // or walking: a walker's shadow or swinging arms can make the shape wide.
      if (upright(t.box, expected) ||
          (t.box.height >= 0.4 * expected && speed >= kWalkingSpeedMS)) {
        standing_.push_back({scene.t, t.box, t.id});
      }
      if (!allowed(t.foot)) continue;
      // The frame cuts a shape at its border: its outline says nothing of a posture.
      if (cut_by_frame(scene, t)) continue;
      // Something that was person-tall: the track itself, or a standing person just there.
      // Once vouched for, a track stays a person: the standing memory is short.
      if (t.max_height_px >= 0.6 * expected || stood_here(scene, t, expected))
        vouched_.insert(t.id);
      if (!vouched_.contains(t.id)) continue;
      const double standing = std::max(tallest, 0.8) * expected;
      spdlog::trace(
          "ground t={:.1f} track {} box=[{:.0f},{:.0f},{:.0f},{:.0f}] standing={:.0f} "
          "expected={:.0f}",
          scene.t, t.id, t.box.x, t.box.y, t.box.width, t.box.height, standing, expected);
      if (!lying_shape(t.box, standing, expected, rule_.lying_height_fraction)) continue;
      if (speed > rule_.max_ground_speed_m_s) {
        // A still body fading into the background shrinks unevenly, which moves its box's
        // foot as if it walked: lying within a candidate, it keeps it (and starts none).
        keep_up(t.box, scene.t);
        continue;
      }
      support(scene, t.box, expected, true);
    }
    for (const perceive::Blob& b : scene.static_objects) {
      if (!allowed(b.foot)) continue;
      const double expected = person_height_at(scene, b.foot);
      if (lying_shape(b.box, expected, expected, rule_.lying_height_fraction)) {
        support(scene, b.box, expected, false);
      } else if (b.box.height <= rule_.lying_height_fraction * expected) {
        keep_up(b.box, scene.t);
      }
    }
    for (auto it = candidates_.begin(); it != candidates_.end();) {
      if (scene.t - it->last_support > kLoseAfterS) {
        it = candidates_.erase(it);
        continue;
      }
      const std::string key = "down-" + std::to_string(it->id);
      // Once seen under someone standing, a shape stays their feet: the body above fades
      // into the background while the feet and shadow stay, which alone look like a body.
      // Until the standing is sure, the shape raises nothing either. Only someone seen
      // walking off it undoes that: the low shape left behind is not their feet, and its
      // dwell starts again.
      const bool supported = it->last_support == scene.t;
      if (it->feet && it->stander && walked_off(scene, *it->stander, it->box)) {
        it->feet = false;
        it->stood_on_since = -1;
        it->stander.reset();
        it->since = scene.t;
        spdlog::trace("ground t={:.1f} candidate {}: whoever stood on it walked off", scene.t,
                      it->id);
      }
      if (supported && !it->feet) {
        const Standing standing = stands_on(scene, it->box);
        if (!standing.seen) {
          it->stood_on_since = -1;
        } else if (it->stood_on_since < 0) {
          it->stood_on_since = scene.t;
        }
        if (standing.seen) it->stander = standing.track;
        it->feet = it->stood_on_since >= 0 && scene.t - it->stood_on_since >= kStandingOverS;
      }
      if (supported && !it->feet && it->stood_on_since < 0 &&
          !someone_standing_over(scene, it->box)) {
        // Asked while the dwell runs, so that the answer is there when it ends.
        const Gate g = is_open(key) ? Gate{}
                                    : gate(scene, key, it->box, DetectionRole::kPerson,
                                           DetectionRole::kOther, kUnseenRejects, /*lying=*/true);
        if (scene.t - it->since >= rule_.dwell_s && g.report) {
          const Point foot(it->box.x + it->box.width / 2, it->box.y + it->box.height);
          const ZoneGeometry* z = zone_containing(zones, foot);
          report(key, z != nullptr ? z->id : "", scene, 0.8, it->box, {}, g.model_hash);
        }
      }
      ++it;
    }
  }

  /// A body that falls lies within one body length of where the feet stood; what is seen of
  /// it may be a part only (legs dressed like the ground vanish), anywhere along that length.
  /// The low track is that body only when the one who stood there is no longer seen standing
  /// elsewhere: the tracker started a new track on the fallen body, and the upright one ended
  /// or lost its shape. Someone who sets a bag down and walks on is still seen, walking: what
  /// they left is not their body.
  bool stood_here(const Scene& scene, const track::Track& low, double expected) const {
    const Point centre(low.box.x + low.box.width / 2, low.box.y + low.box.height / 2);
    for (const StoodAt& s : standing_) {
      if (s.id == low.id) continue;
      const Point foot(s.box.x + s.box.width / 2, s.box.y + s.box.height);
      if (cv::norm(foot - centre) > kFallReach * expected) continue;
      const bool still_up =
          std::any_of(scene.tracks.begin(), scene.tracks.end(), [&](const track::Track& t) {
            return t.id == s.id && t.misses == 0 && t.box.height >= 0.6 * expected;
          });
      if (!still_up) return true;
    }
    return false;
  }

  /// People standing still fade partly into the background, which can leave a low, wide
  /// remnant (legs, two people side by side); the whole foreground above it says whether
  /// bodies still rise there.
  static bool someone_standing_over(const Scene& scene, const cv::Rect2d& box) {
    const double h = standing_height_at(scene, box);
    const cv::Rect2d above(box.x, box.y - 0.6 * h, box.width, 0.5 * h);
    if (foreground_share(scene, above) > 0.3) return true;
    // People standing still are tall shapes in the static map.
    for (const perceive::Blob& b : scene.static_objects) {
      if ((b.box & box).area() > 0 && b.box.height >= 0.6 * h) return true;
    }
    return false;
  }

  struct Standing {
    bool seen = false;
    std::optional<track::TrackId> track;  ///< the track standing there, if one is
  };

  /// Someone stands on the candidate: an upright body standing still just above the shape,
  /// cut off from its own feet and shadow (legs dressed like the ground), which then lie as a
  /// low, wide shape of their own.
  static Standing stands_on(const Scene& scene, const cv::Rect2d& box) {
    const double h = standing_height_at(scene, box);
    for (const track::Track& t : scene.tracks) {
      if (!is_reliable(t) || ground_speed_m_s(scene, t) >= kWalkingSpeedMS) continue;
      if (upright(t.box, h) && rests_on(t.box, box, h)) return {true, t.id};
    }
    // Once the torso has faded into the fast background too, the static map holds the whole
    // person standing: an upright shape rising well above the candidate and reaching down
    // into it, its feet and shadow included.
    for (const perceive::Blob& b : scene.static_objects) {
      const bool rises_above = b.box.height >= 0.6 * h && b.box.y <= box.y - 0.4 * h;
      const bool reaches_in = b.box.y + b.box.height >= box.y + 0.5 * box.height;
      if (rises_above && reaches_in && shares_columns(b.box, box)) return {true, std::nullopt};
    }
    return {};
  }

  /// The track `id`, once standing on the candidate, now walks and is no longer over it.
  static bool walked_off(const Scene& scene, track::TrackId id, const cv::Rect2d& box) {
    const double h = standing_height_at(scene, box);
    return std::any_of(scene.tracks.begin(), scene.tracks.end(), [&](const track::Track& t) {
      return t.id == id && is_reliable(t) && ground_speed_m_s(scene, t) >= kWalkingSpeedMS &&
             !rests_on(t.box, box, h);
    });
  }

  /// Upright for someone `h` tall: tall enough, and taller than wide.
  static bool upright(const cv::Rect2d& b, double h) {
    return b.height >= 0.4 * h && b.height >= 1.2 * b.width;
  }

  /// `other`'s bottom lies on the candidate's far part or just behind it, over some of its
  /// columns, for someone `h` tall.
  static bool rests_on(const cv::Rect2d& other, const cv::Rect2d& box, double h) {
    const double bottom = other.y + other.height;
    return bottom <= box.y + 0.5 * box.height && bottom >= box.y - 0.5 * h &&
           shares_columns(other, box);
  }

  static bool shares_columns(const cv::Rect2d& a, const cv::Rect2d& b) {
    return a.x < b.x + b.width && b.x < a.x + a.width;
  }

  /// The height expected of someone standing at the candidate's foot.
  static double standing_height_at(const Scene& scene, const cv::Rect2d& box) {
    return person_height_at(scene, {box.x + box.width / 2, box.y + box.height});
  }

  /// A lying shape supports the candidate at its place; only a track can start one, since a
  /// static shape alone may be a bench or a parcel. A body lying still fades into the fast
  /// background unevenly and splits into pieces, each tracked on its own: a piece lying
  /// mostly within the candidate supports it and leaves its box (the whole body) as it is.
  void support(const Scene& scene, const cv::Rect2d& box, double expected, bool from_track) {
    const double t = scene.t;
    for (Candidate& c : candidates_) {
      if (iou(c.box, box) >= 0.2 || lies_within(box, c.box)) {
        if (box.area() >= 0.5 * c.box.area()) c.box = box;
        c.last_support = t;
        return;
      }
    }
    for (Candidate& c : candidates_) {
      if (!same_body(c.box, box, expected) || someone_standing_over(scene, box)) continue;
      c.box |= box;
      c.last_support = t;
      return;
    }
    if (from_track) candidates_.push_back({next_id_++, box, t, t});
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

  /// A body lying still shows in the static map in pieces (a median and an opening cut its
  /// thinnest parts): a low piece lying on a candidate keeps it, though alone it is no shape.
  void keep_up(const cv::Rect2d& piece, double t) {
    for (Candidate& c : candidates_) {
      if (lies_within(piece, c.box)) c.last_support = t;
    }
  }

  std::vector<Candidate> candidates_;
  struct StoodAt {
    double t = 0;
    cv::Rect2d box;
    track::TrackId id = 0;
  };
  std::vector<StoodAt> standing_;             ///< recent standing people
  std::set<track::TrackId> vouched_;          ///< live tracks known to be people
  std::map<track::TrackId, double> tallest_;  ///< live tracks: tallest height / expected height
  int next_id_ = 1;
};

}  // namespace

std::unique_ptr<Rule> make_person_on_ground_rule(const config::RuleConfig& rule,
                                                 const CameraGeometry& geometry,
                                                 const RuleContext& context) {
  return std::make_unique<PersonOnGroundRule>(rule, geometry, context);
}

}  // namespace vigie::rules
