#pragma once
// Pedestrians: a scripted timeline of actions on the ground plane (walk, run, stand, sit,
// bend, fall, lie), evaluated analytically at any time so that any frame can be rendered
// on its own, and an articulated body drawn from the pose (torso, head, two legs and two
// arms swinging with the gait phase).

#include <vector>

#include <opencv2/core/mat.hpp>

#include "core/geometry.hpp"
#include "synth/camera_model.hpp"
#include "synth/random.hpp"

namespace vigie::synth {

enum class Pose {
  kWalk,
  kRun,
  kStand,
  kSitBench,   ///< sitting on a seat about 0.45 m high, facing the camera
  kSitGround,  ///< sitting on the ground, legs forward
  kBend,       ///< bending down (to put a bag down)
  kFall,       ///< falling sideways, progress 0..1 over about a second
  kLie,        ///< lying still on the ground
};

/// Clothing and build of one person.
struct Appearance {
  cv::Scalar shirt;
  cv::Scalar trousers;
  cv::Scalar skin;
  cv::Scalar hair;
  cv::Scalar shoes;
  double height_m = 1.75;  ///< 1.6 to 1.9 m
  double build = 1.0;      ///< width factor

  /// A random, plausible appearance.
  static Appearance random(Rng& rng);
};

/// Where a person is and what they do at one instant.
struct PersonState {
  bool present = false;     ///< false before the script starts or after the person left
  Point ground;             ///< foot position, metres
  Point heading{1.0, 0.0};  ///< unit direction on the ground
  Pose pose = Pose::kStand;
  double phase = 0.0;     ///< gait phase in radians (walk/run)
  double progress = 0.0;  ///< 0..1 within a bend or fall
  bool carrying_bag = false;
};

/// A person's timeline. Build with the chained methods, then query with at().
class PersonScript {
 public:
  PersonScript(Point start, double start_time_s, Appearance appearance, bool carrying_bag = false);

  PersonScript& walk_to(Point target, double speed_mps);
  PersonScript& run_to(Point target, double speed_mps);
  PersonScript& stand(double duration_s);
  PersonScript& sit_bench(double duration_s);
  PersonScript& sit_ground(double duration_s);
  /// Bends down; when drop_bag, the bag leaves the hand at the middle of the bend.
  PersonScript& bend(double duration_s, bool drop_bag);
  PersonScript& fall(double duration_s = 1.0);
  PersonScript& lie(double duration_s);
  PersonScript& face(Point heading);
  /// After the last action the person is gone (walked out of the scene) instead of holding it.
  PersonScript& then_leave();

  [[nodiscard]] PersonState at(double t) const;
  [[nodiscard]] double start_time() const { return start_time_; }
  [[nodiscard]] double end_time() const;
  /// Time at which the bag is put down; negative when it never is.
  [[nodiscard]] double bag_drop_time() const { return bag_drop_time_; }
  /// Time at which the current last action started (for building scripts).
  [[nodiscard]] Point last_position() const { return cursor_; }
  [[nodiscard]] const Appearance& appearance() const { return appearance_; }

 private:
  struct Step {
    Pose pose;
    double t0;
    double t1;
    Point p0;
    Point p1;
    Point heading;
    double dist0;  // path length walked before this step, for the gait phase
  };
  PersonScript& move(Pose pose, Point target, double speed);
  PersonScript& hold(Pose pose, double duration);

  Appearance appearance_;
  double start_time_;
  bool carrying_;
  bool leaves_ = false;
  double bag_drop_time_ = -1.0;
  Point cursor_;
  Point heading_{1.0, 0.0};
  double dist_ = 0.0;
  std::vector<Step> steps_;
};

/// Draws a person and computes their image box from the same primitives.
class BodyRenderer {
 public:
  explicit BodyRenderer(const CameraModel& camera) : camera_(camera) {}

  /// Bounding box of the person (and what they carry) in pixels; empty if not present.
  [[nodiscard]] cv::Rect2d box(const PersonState& state, const Appearance& look) const;
  /// Draws the person onto a BGR image.
  void draw(cv::Mat& bgr, const PersonState& state, const Appearance& look) const;
  /// Darkens the ground under the person (soft sun shadow).
  void draw_shadow(cv::Mat& bgr, const PersonState& state, const Appearance& look) const;

 private:
  const CameraModel& camera_;
};

/// Darkens pixels inside a filled ellipse by `factor` (0..1), for soft ground shadows.
void darken_ellipse(cv::Mat& bgr, cv::Point2d centre, cv::Size2d axes, double factor);

}  // namespace vigie::synth
