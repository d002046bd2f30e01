#pragma once
// The street scene every scenario shares: where things stand on the ground (metres), and
// the static background image (paving, walkway, track area, building facade, furniture),
// rendered once per scene.

#include <vector>

#include <opencv2/core/mat.hpp>

#include "core/geometry.hpp"
#include "synth/camera_model.hpp"
#include "synth/random.hpp"

namespace vigie::synth {

/// An axis-aligned rectangle on the ground, metres.
struct GroundRect {
  double x0, y0, x1, y1;
  [[nodiscard]] bool contains(Point p) const {
    return p.x >= x0 && p.x <= x1 && p.y >= y0 && p.y <= y1;
  }
  [[nodiscard]] double area() const { return (x1 - x0) * (y1 - y0); }
  [[nodiscard]] Point centre() const { return {(x0 + x1) / 2, (y0 + y1) / 2}; }
  /// Corners in order (x0,y0), (x1,y0), (x1,y1), (x0,y1).
  [[nodiscard]] std::vector<Point> corners() const {
    return {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}};
  }
};

/// Positions of the scene's fixed elements, metres on the ground (Z up where needed).
namespace layout {
inline constexpr double kFacadeY = 30.0;                       ///< building front
inline constexpr GroundRect kWalkway{-5.5, 7.0, -3.0, 30.0};   ///< asphalt walkway
inline constexpr GroundRect kTrack{6.5, 12.0, 11.0, 26.0};     ///< gravel track area
inline constexpr GroundRect kPlaza{-1.5, 13.0, 5.5, 23.0};     ///< open paved plaza
inline constexpr GroundRect kDenseZone{1.0, 17.0, 3.5, 19.0};  ///< gathering spot, 5 m^2
inline constexpr GroundRect kBench{-2.1, 13.8, -0.5, 14.2};    ///< bench footprint
inline const Point kBin{-1.3, 17.0};
inline const Point kLamp{5.2, 16.0};
inline constexpr double kLampHeight = 4.5;
inline const Point kTree{-9.0, 24.0};
inline const Point kPlanter{-1.2, 25.0};
inline const std::vector<double> kBollardsY{10.0, 13.0, 16.0, 19.0, 22.0};
inline constexpr double kBollardsX = -2.6;
/// Lit advertising panel on the facade: X range and Z range.
inline constexpr double kSignX0 = -2.5, kSignX1 = 2.5, kSignZ0 = 3.4, kSignZ1 = 4.9;
/// Blue beacon on the facade (X, Z).
inline const Point kBeacon{7.0, 3.2};
/// Calibration rectangle (ground corners given in camera.yaml).
inline constexpr GroundRect kCalibration{-3.0, 10.0, 5.0, 26.0};
}  // namespace layout

/// Renders the static background: ground textures, facade and street furniture.
cv::Mat render_background(const CameraModel& camera, Rng& rng);

/// Projects a ground rectangle to an image polygon clipped to the image.
std::vector<Point> project_rect(const CameraModel& camera, const GroundRect& rect);

/// Clips a polygon to the image rectangle (Sutherland-Hodgman).
std::vector<Point> clip_to_image(const std::vector<Point>& polygon, cv::Size size);

}  // namespace vigie::synth
