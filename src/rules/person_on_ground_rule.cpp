// person_on_ground, a model of a fall (docs/rules.md): a person seen upright, a drop (the top
// comes down by half the height stood within 1.5 s), then lying still for dwell_s. When the
// fall itself was hidden (light passing over the walker, clothes like the ground), a still
// shape lying across the view where a person was enters the same down state. When the person
// lies still long enough to fade into the fast background, the static map keeps the same shape
// at the same place, and the situation goes on.

#include <algorithm>
#include <cmath>
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
/// static map holds it: about the fast background's absorption time.
constexpr double kLoseAfterS = perceive::BackgroundConfig{}.fast_absorb_s;
/// A fall is a drop seen within this long of the person seen upright.
constexpr double kDropWithinS = 1.2;
/// Upright: at least this share of the height expected of someone standing at its feet, and
/// at least as tall as wide...
constexpr double kUprightHeight = 0.6;
/// ...and at most this share: a taller shape is several people or light, not one person.
constexpr double kUprightMaxHeight = 1.6;
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

/// A body lying rises at most this share of a standing height above the ground (lying on the
/// side, the shoulders' width)...
constexpr double kLyingRise = 0.25;
/// ...and covers at most this much ground (m) in the direction of the view: 1.7 m, arms out.
constexpr double kBodyGroundM = 2.2;
/// How far from a standing person's feet, in their heights, a part of their fallen body lies.
constexpr double kFallReach = 1.0;
/// A body lying across the view is at most this long, in standing heights.
constexpr double kBodyLength = 1.2;
/// With a detector, a lying shape it looked at without seeing a person is still reported:
/// models trained on upright people seldom see someone lying down, even shown turned a
/// quarter (DetectorLink::confirm_lying), and at analysis size the body is small for them
/// (dropping the unseen lost a third of the development falls with yolox_nano). A pose
/// model does no better: on the real falls its keypoints came and went from frame to frame
/// on the same body, and dropping what it did not see lost 5 of the 9 falls found.
constexpr bool kUnseenRejects = false;

/// True when `box` reaches the top, left or right border: the frame cuts its top or its
/// sides. The bottom may be cut: the top of a shape, which is what a fall moves, is still seen.
bool cut_above_or_aside(const cv::Rect2d& box, cv::Size image) {
  constexpr double kBorderPx = 3.0;
  return box.x <= kBorderPx || box.y <= kBorderPx || box.x + box.width >= image.width - kBorderPx;
}

/// A fall changes a blob's shape so much that the tracker may start a new track for the
/// person on the ground; standing people seen this recently at the place vouch for it.
constexpr double kStandingMemoryS = 3.0;
/// Someone stands over a shape when seen there this long: two walkers crossing just behind a
/// body merge, for a frame or two, into one slow upright shape on top of it.
constexpr double kStandingOverS = 0.5;
/// A person-high shape moving this fast (m/s) is someone walking, whatever its outline.
constexpr double kWalkingSpeedMS = 0.6;

/// A body lying across the view with its shadow spans at most this many standing heights at
/// its place; a longer low shape is something else (the edge of a cloud's shadow, a queue).
constexpr double kMaxLyingLength = 2.0;

/// Low and wide for someone who stands `standing_h` tall at the place, and no longer than a
/// body where a person is expected to stand `expected` tall.
bool lying_shape(const cv::Rect2d& box, double standing_h, double expected, double fraction) {
  return box.height <= fraction * standing_h && box.width >= 1.2 * box.height &&
         box.width >= 0.35 * standing_h && box.width <= kMaxLyingLength * expected;
}

/// The height expected of someone standing at a shape's foot.
double standing_height_at(const Scene& scene, const cv::Rect2d& box) {
  return person_height_at(scene, {box.x + box.width / 2, box.y + box.height});
}

/// Two lying shapes side by side on the same ground line, together no longer than a body,
/// are pieces of one body (unless people rise above the new one: their legs): what the fast
/// background, the tracker and the static map keep of a body lying still differs from frame to
/// frame and from one end of it to the other.
bool same_body(const cv::Rect2d& a, const cv::Rect2d& b, double expected) {
  const double rows = std::min(a.y + a.height, b.y + b.height) - std::max(a.y, b.y);
  const double span = std::max(a.x + a.width, b.x + b.width) - std::min(a.x, b.x);
  return rows >= 0.5 * std::min(a.height, b.height) && span <= kBodyLength * expected;
}

/// A piece lies mostly within a candidate when at least half of it is inside its box.
bool lies_within(const cv::Rect2d& piece, const cv::Rect2d& candidate) {
  return (candidate & piece).area() >= 0.5 * piece.area();
}

/// A body lying still shows in the foreground in pieces (a median and an opening cut its
/// thinnest parts, and it fades unevenly): a low piece lying on a candidate keeps it, though
/// alone it is no shape. `Candidate` has a `box` and a `last_support` time.
template <typename Candidate>
void keep_up(std::vector<Candidate>& candidates, const cv::Rect2d& piece, double t) {
  for (Candidate& c : candidates) {
    if (lies_within(piece, c.box)) c.last_support = t;
  }
}

/// The fall not seen while it happened: a still shape lying across the view (low and wide for
/// the height expected at its place) that was a person, either its own track stood
/// person-tall, or a person stood within reach in the last kStandingMemoryS and is not seen
/// standing now. Light passing over the ground (a cloud's shadow) or clothes like the ground
/// hide a walker for seconds, so that no drop is seen. Its own model of the people standing
/// on or over a low shape (their feet and shadow) keeps those out.
class LyingShapes {
 public:
  struct Ready {
    int id = 0;
    cv::Rect2d box;
    double since = 0;  ///< first seen lying
  };


  /// Follows one frame; returns the candidates that may be reported in it: supported now,
  /// with nobody standing on or over them. The caller applies the dwell.
  template <typename Allowed>
  std::vector<Ready> update(const Scene& scene, const config::PersonOnGroundParams& rule,
                            const Allowed& allowed) {
    std::vector<Ready> ready;
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
      if (!lying_shape(t.box, standing, expected, rule.lying_height_fraction)) continue;
      if (speed > rule.max_ground_speed_m_s) {
        // A still body fading into the background shrinks unevenly, which moves its box's
        // foot as if it walked: lying within a candidate, it keeps it (and starts none).
        keep_up(candidates_, t.box, scene.t);
        continue;
      }
      support(scene, t.box, expected, true);
    }
    for (const perceive::Blob& b : scene.static_objects) {
      if (!allowed(b.foot)) continue;
      const double expected = person_height_at(scene, b.foot);
      if (lying_shape(b.box, expected, expected, rule.lying_height_fraction)) {
        support(scene, b.box, expected, false);
      } else if (b.box.height <= rule.lying_height_fraction * expected) {
        keep_up(candidates_, b.box, scene.t);
      }
    }
    for (auto it = candidates_.begin(); it != candidates_.end();) {
      if (scene.t - it->last_support > kLoseAfterS) {
        it = candidates_.erase(it);
        continue;
      }
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
        ready.push_back({it->id, it->box, it->since});
      }
      ++it;
    }
    return ready;
  }

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

class PersonOnGroundRule final : public SituationRule<config::PersonOnGroundParams> {
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

    /// Another piece of the body joins it, as long as the whole stays low for this person:
    /// pieces that together rise higher are someone else's (a passer-by's legs).
    void join(const cv::Rect2d& piece, double t) {
      box |= piece;
      last_support = t;
    }
  };

  void detect(const Scene& scene) override {
    const auto zones = geometry_.zones_for(rule_);
    std::vector<const ZoneGeometry*> excluded;
    for (const auto& id : params_.exclude_zones) {
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
      if (box.height >= kUprightHeight * expected && box.height <= kUprightMaxHeight * expected &&
          box.height >= box.width) {
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
      if (speed > params_.max_ground_speed_m_s) {
        // A still body fading into the background shrinks unevenly, which moves its box's
        // foot as if it walked: lying within a candidate, it keeps it.
        keep_up(candidates_, box, scene.t);
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
      if (it->last_support == scene.t && lies_there(scene, *it)) {
        consider("down-" + std::to_string(it->id), it->box, it->since, scene, zones);
      }
      ++it;
    }
    // The fall not seen: the person was hidden while falling (light, clothes like the ground).
    // The warm-up's foreground shows only what moved since the start, not whole shapes.
    if (!scene.warming_up) {
      for (const LyingShapes::Ready& c : unseen_.update(scene, params_, allowed)) {
        consider("lying-" + std::to_string(c.id), c.box, c.since, scene, zones);
      }
    }
    std::erase_if(raised_, [&](const auto& r) { return !is_open(r.first); });
  }

  /// A body lying at `box` since `since` may be reported: once down for dwell_s, unless the
  /// same body is already reported by the other way into the down state (one fall, one alert).
  void consider(const std::string& key, const cv::Rect2d& box, double since, const Scene& scene,
                const std::vector<const ZoneGeometry*>& zones) {
    const bool other = std::any_of(raised_.begin(), raised_.end(), [&](const auto& r) {
      return r.first != key && (r.second & box).area() > 0;
    });
    if (other) return;
    // Asked while the dwell runs, so that the answer is there when it ends. What the shape
    // shows may be a piece of the body (the legs, a slice the background kept): the model
    // is shown at least a body lying there, a standing height long and half of it high.
    const Point base(box.x + box.width / 2, box.y + box.height);
    const double stood = person_height_at(scene, base);
    const double w = std::max(box.width, stood), h = std::max(box.height, 0.5 * stood);
    const cv::Rect2d body = cv::Rect2d(base.x - w / 2, box.y + box.height / 2 - h / 2, w, h) &
                            cv::Rect2d(0, 0, scene.source_size.width, scene.source_size.height);
    const Gate g = is_open(key) ? Gate{}
                                : gate(scene, key, body, DetectionRole::kPerson,
                                       DetectionRole::kOther, kUnseenRejects, /*lying=*/true);
    if (scene.t - since < params_.dwell_s || !g.report) return;
    const Point foot(box.x + box.width / 2, box.y + box.height);
    const ZoneGeometry* z = zone_containing(zones, foot);
    report(key, z != nullptr ? z->id : "", scene, 0.8, box, {}, g.model_hash);
    std::erase_if(raised_, [&](const auto& r) { return r.first == key; });
    raised_.emplace_back(key, box);
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
          other.join(box, scene.t);
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
    if (scene.scale != nullptr && scene.scale->ground()) {
      // On a calibrated ground, a body lies on it: from the bottom of its box to its top, less
      // what a body lying rises above the ground, it covers at most a body's length of ground.
      const double cx = c.box.x + c.box.width / 2;
      const Point near(cx, c.box.y + c.box.height);
      const Point far(cx, std::min(c.box.y + kLyingRise * h, near.y));
      if (ground_distance_m(scene, near, far) > kBodyGroundM) return false;
    }
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
      c.join(box, scene.t);
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
        c.join(box, t);
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


  std::vector<Candidate> candidates_;
  LyingShapes unseen_;  ///< the other way into the down state: bodies lying, the fall unseen
  /// Open alerts and their last region, by key: a body already reported one way is not
  /// reported the other way.
  std::vector<std::pair<std::string, cv::Rect2d>> raised_;
  std::vector<Upright> upright_;  ///< the last upright sighting of each track, kDropWithinS
  int next_id_ = 1;
};

}  // namespace

std::unique_ptr<Rule> make_rule_of(const config::PersonOnGroundParams& /*params*/,
                                   const config::RuleConfig& rule, const CameraGeometry& geometry,
                                   const RuleContext& context) {
  return std::make_unique<PersonOnGroundRule>(rule, geometry, context);
}

}  // namespace vigie::rules
