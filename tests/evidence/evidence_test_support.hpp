#pragma once
// A generated test scene for the evidence tests: a static gradient, a "person" box covered
// with a fine checkerboard that drifts right, a striped area under a privacy mask and a disc
// that moves fast along the bottom (to check frame timing). 320x240, 10 fps.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "core/geometry.hpp"
#include "evidence/person_history.hpp"
#include "ingest/packet_ring.hpp"

namespace vigie::evidence::testing {

inline constexpr int kWidth = 320;
inline constexpr int kHeight = 240;
inline constexpr double kFps = 10.0;

/// The person's box at stream time t (source pixels).
cv::Rect person_box(double t);
/// Centre x of the moving disc at time t (its centre y is kDiscY).
double disc_x(double t);
inline constexpr int kDiscY = 215;
/// The privacy mask polygon of the scene.
std::vector<Point> privacy_mask();
/// The zone outline drawn on snapshots.
std::vector<Point> zone();

/// Frame `index` of the scene (time index / kFps).
cv::Mat scene_frame(int index);
/// Writes `seconds` of the scene as H.264 MP4 (no B-frames, keyframe every 2 s).
bool write_scene(const std::filesystem::path& path, double seconds);
/// Demuxes every video packet of `path` into `ring`, as the I/O thread would; `size`, when
/// given, receives the video's size.
bool fill_ring(const std::filesystem::path& path, ingest::PacketRing& ring,
               cv::Size* size = nullptr);
/// Person boxes at every frame time in [0, seconds).
std::vector<TimedBoxes> person_track(double seconds);

/// Decodes a file to BGR frames keyed by their time (first frame at `first_s`), in tenths
/// of a second rounded (the frame index at 10 fps).
std::map<int, cv::Mat> decode_frames(const std::filesystem::path& path, double first_s);

/// Mean absolute difference between horizontally adjacent pixels (grey) inside `roi`: high
/// for a fine pattern, near zero for flat blocks.
double horizontal_detail(const cv::Mat& bgr, const cv::Rect& roi);
/// Mean absolute difference of two images inside `roi`, over the three channels.
double mean_abs_diff(const cv::Mat& a, const cv::Mat& b, const cv::Rect& roi);
/// Runs a command and returns its standard output.
std::string command_output(const std::string& command);

}  // namespace vigie::evidence::testing
