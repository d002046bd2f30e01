// Renders evidence from a generated scene held in a packet ring, and checks what an
// operator would see: persons pixelated, privacy masks solid, the rest of the picture intact.

#include "evidence/evidence.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <future>
#include <random>
#include <iterator>
#include <string>
#include <sstream>
#include <optional>
#include <thread>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/digest.hpp"
#include "evidence/clip_io.hpp"
#include "evidence/evidence_writer.hpp"
#include "evidence_test_support.hpp"
#include "ingest/ingest_test_support.hpp"

namespace vigie::evidence {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace testing;
using ingest::testing::poll_until;
using ingest::testing::TempDir;

constexpr double kSceneSeconds = 20.0;
constexpr double kAlertStart = 10.0;

/// Where the privacy mask is surely inside (its edges blur a little through H.264 and JPEG).
const cv::Rect kMaskInside(250, 28, 40, 55);
/// A strip far from the person and the mask, with the moving disc in it.
const cv::Rect kBottomStrip(0, 196, 320, 40);

class EvidenceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ingest::av::install_log_bridge();  // libav's own messages through the (quiet) logger
    dir_ = new TempDir();
    source_ = dir_->path() / "scene.mp4";
    ASSERT_TRUE(write_scene(source_, kSceneSeconds));
    ring_ = new ingest::PacketRing(60.0);
    ASSERT_TRUE(fill_ring(source_, *ring_));
    source_frames_ = new std::map<int, cv::Mat>(decode_frames(source_, 0.0));
    ASSERT_EQ(source_frames_->size(), 200u);
    // Masked evidence of the default request, rendered once and checked by several tests.
    masked_dir_ = dir_->path() / "evidence" / "cam1" / "cam1-intrusion-1";
    const auto t0 = std::chrono::steady_clock::now();
    auto written = write_evidence(request(), masked_dir_, options());
    render_ms_ =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_TRUE(written.is_ok()) << written.status().to_string();
    files_ = new std::vector<EvidenceFile>(std::move(*written));
  }
  static void TearDownTestSuite() {
    delete files_;
    delete source_frames_;
    delete ring_;
    delete dir_;
  }

  /// A 10 s window: 5 s before the alert, 5 s after (the scene is only 20 s long).
  static EvidenceOptions options() {
    EvidenceOptions o;
    o.clip_before_s = 5.0;
    o.clip_after_s = 5.0;
    return o;
  }

  static Alert alert() {
    Alert a;
    a.id = "cam1-intrusion-1";
    a.camera = "cam1";
    a.type = EventType::kIntrusion;
    a.start_s = kAlertStart;
    a.wall_start = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
    const cv::Rect p = person_box(kAlertStart);
    a.region = cv::Rect2d(p.x - 8, p.y - 14, p.width + 16, p.height + 28);
    return a;
  }

  static EvidenceRequest request() {
    EvidenceRequest r;
    r.alert = alert();
    r.zone = zone();
    r.privacy_masks = {privacy_mask()};
    const EvidenceOptions o = options();
    r.clip = ring_->snapshot(kAlertStart - o.clip_before_s, kAlertStart + o.clip_after_s);
    r.persons = person_track(kSceneSeconds);
    return r;
  }

  static const EvidenceFile& file(EvidenceKind kind) {
    for (const EvidenceFile& f : *files_) {
      if (f.kind == kind) return f;
    }
    throw std::runtime_error("no such evidence file");
  }

  /// The interior of the person's box at time t (its mosaic edges excluded).
  static cv::Rect person_inside(double t) {
    const cv::Rect b = person_box(t);
    return {b.x + 4, b.y + 4, b.width - 8, b.height - 8};
  }

  static TempDir* dir_;
  static fs::path source_;
  static ingest::PacketRing* ring_;
  static std::map<int, cv::Mat>* source_frames_;
  static fs::path masked_dir_;
  static std::vector<EvidenceFile>* files_;
  static double render_ms_;
};
TempDir* EvidenceTest::dir_ = nullptr;
fs::path EvidenceTest::source_;
ingest::PacketRing* EvidenceTest::ring_ = nullptr;
std::map<int, cv::Mat>* EvidenceTest::source_frames_ = nullptr;
fs::path EvidenceTest::masked_dir_;
std::vector<EvidenceFile>* EvidenceTest::files_ = nullptr;
double EvidenceTest::render_ms_ = 0.0;

TEST_F(EvidenceTest, WritesTheThreeFilesUnderTheirFinalNamesOnly) {
  ASSERT_EQ(files_->size(), 3u);
  EXPECT_EQ((*files_)[0].kind, EvidenceKind::kSnapshot);
  EXPECT_EQ((*files_)[1].kind, EvidenceKind::kClip);
  EXPECT_EQ((*files_)[2].kind, EvidenceKind::kRaw);
  EXPECT_EQ((*files_)[0].path, masked_dir_ / "snapshot.jpg");
  EXPECT_EQ((*files_)[1].path, masked_dir_ / "clip.mp4");
  EXPECT_EQ((*files_)[2].path, masked_dir_ / "raw.mp4");
  EXPECT_TRUE((*files_)[0].masked);
  EXPECT_TRUE((*files_)[1].masked);
  EXPECT_FALSE((*files_)[2].masked);
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(masked_dir_)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"clip.mp4", "raw.mp4", "snapshot.jpg"}));
  std::cout << "[ info ] rendered snapshot + "
            << file(EvidenceKind::kClip).to_s - file(EvidenceKind::kClip).from_s
            << " s clip at 320x240 (+ raw remux) in " << render_ms_ << " ms\n";
}

TEST_F(EvidenceTest, Sha256AndSizeMatchTheBytesOnDisk) {
  for (const EvidenceFile& f : *files_) {
    const std::string out = command_output("sha256sum '" + f.path.string() + "'");
    ASSERT_GE(out.size(), 64u) << f.path;
    EXPECT_EQ(f.sha256, out.substr(0, 64)) << f.path;
    EXPECT_EQ(f.bytes, static_cast<std::int64_t>(fs::file_size(f.path)));
    auto again = sha256_file(f.path);
    ASSERT_TRUE(again.is_ok());
    EXPECT_EQ(*again, f.sha256);
  }
  EXPECT_EQ(sha256_file(dir_->path() / "missing").status().code(), StatusCode::kNotFound);
}

TEST_F(EvidenceTest, MaskedClipCoversTheWindowAtSourceSizeAndRate) {
  const EvidenceFile& clip = file(EvidenceKind::kClip);
  EXPECT_NEAR(clip.from_s, 5.0, 1e-6);
  EXPECT_NEAR(clip.to_s, 15.0, 1e-6);
  const std::string probe = command_output(
      "ffprobe -v error -select_streams v:0 -show_entries stream=codec_name,width,height,"
      "pix_fmt,has_b_frames,nb_frames -show_entries format=duration -of default=nw=1 '" +
      clip.path.string() + "'");
  EXPECT_NE(probe.find("codec_name=h264"), std::string::npos) << probe;
  EXPECT_NE(probe.find("width=320"), std::string::npos) << probe;
  EXPECT_NE(probe.find("height=240"), std::string::npos) << probe;
  EXPECT_NE(probe.find("pix_fmt=yuv420p"), std::string::npos) << probe;
  EXPECT_NE(probe.find("has_b_frames=0"), std::string::npos) << probe;
  EXPECT_NE(probe.find("nb_frames=101"), std::string::npos) << probe;
  const auto at = probe.find("duration=");
  ASSERT_NE(at, std::string::npos) << probe;
  EXPECT_NEAR(std::stod(probe.substr(at + 9)), 10.1, 0.15) << probe;
}

TEST_F(EvidenceTest, MaskedClipHidesPersonsAndMasksAndKeepsTheRest) {
  const EvidenceFile& clip = file(EvidenceKind::kClip);
  const auto frames = decode_frames(clip.path, clip.from_s);
  ASSERT_EQ(frames.size(), 101u);
  EXPECT_EQ(frames.begin()->first, 50);
  EXPECT_EQ(frames.rbegin()->first, 150);
  for (const auto& [index, frame] : frames) {
    SCOPED_TRACE("frame " + std::to_string(index));
    ASSERT_EQ(frame.size(), cv::Size(kWidth, kHeight));
    const double t = index / kFps;
    const cv::Mat& source = source_frames_->at(index);
    // The checkerboard person: fine detail in the source, flat blocks in the evidence.
    EXPECT_GT(horizontal_detail(source, person_inside(t)), 40.0);
    EXPECT_LT(horizontal_detail(frame, person_inside(t)), 8.0);
    // The privacy mask: solid, in every frame.
    cv::Scalar mean, stddev;
    cv::meanStdDev(frame(kMaskInside), mean, stddev);
    for (int c = 0; c < 3; ++c) {
      EXPECT_NEAR(mean[c], 64.0, 6.0);
      EXPECT_LT(stddev[c], 3.0);
    }
    // Elsewhere the picture is the source's, at the same time (the disc moves 3 px a frame).
    EXPECT_LT(mean_abs_diff(frame, source, kBottomStrip), 4.0);
    EXPECT_LT(mean_abs_diff(frame, source, cv::Rect(0, 0, 50, 60)), 4.0);
    cv::Mat grey, bright;
    cv::cvtColor(frame(kBottomStrip), grey, cv::COLOR_BGR2GRAY);
    cv::threshold(grey, bright, 200, 255, cv::THRESH_BINARY);
    const cv::Moments m = cv::moments(bright, true);
    ASSERT_GT(m.m00, 100);
    EXPECT_NEAR(m.m10 / m.m00, disc_x(t), 1.0);
  }
}

/// Mean standard deviation (grey) of the 8 x 8 tiles of `roi`: the detail a mosaic leaves.
double tile_detail(const cv::Mat& bgr, const cv::Rect& roi) {
  cv::Mat grey;
  cv::cvtColor(bgr(roi), grey, cv::COLOR_BGR2GRAY);
  double sum = 0;
  int tiles = 0;
  for (int y = 0; y + 8 <= grey.rows; y += 8) {
    for (int x = 0; x + 8 <= grey.cols; x += 8, ++tiles) {
      cv::Scalar mean, stddev;
      cv::meanStdDev(grey(cv::Rect(x, y, 8, 8)), mean, stddev);
      sum += stddev[0];
    }
  }
  return tiles > 0 ? sum / tiles : 0.0;
}

// The clip is masked in YUV: it must hide as much as the same masking drawn in BGR on the
// source frame (no more detail left in the person's region), and change nothing outside
// the hidden regions beyond what the codec blurs.
TEST_F(EvidenceTest, MaskedClipHidesAsMuchAsBgrMaskingAndNothingElse) {
  const EvidenceFile& clip = file(EvidenceKind::kClip);
  const auto frames = decode_frames(clip.path, clip.from_s);
  ASSERT_EQ(frames.size(), 101u);
  const EvidenceRequest r = request();
  const EvidenceOptions o = options();
  const cv::Rect image(0, 0, kWidth, kHeight);
  const cv::Mat masks = privacy_mask_pixels(image.size(), r.privacy_masks);
  double worst_outside = 0;
  for (const auto& [index, frame] : frames) {
    SCOPED_TRACE("frame " + std::to_string(index));
    const double t = index / kFps;
    const cv::Mat& source = source_frames_->at(index);
    const PrivacyPlan plan = privacy_plan(r.persons, r.alert, t, image.size(), {1.0, 1.0}, o);
    cv::Mat reference = source.clone();
    apply_privacy(reference, plan, o.pixelate);
    const cv::Mat hidden = hidden_pixels(image.size(), plan, o.pixelate);
    const cv::Rect person = cv::boundingRect(hidden) & image;
    ASSERT_GT(person.area(), 40 * 100);
    EXPECT_GT(tile_detail(source, person), 30.0);
    EXPECT_LE(tile_detail(frame, person), tile_detail(reference, person) + 2.0);
    // Outside what is hidden or masked, three pixels away (the codec spreads edges), the
    // frame is the source's.
    cv::Mat touched = hidden | masks;
    cv::dilate(touched, touched, cv::Mat::ones(7, 7, CV_8U));
    const cv::Mat outside = touched == 0;
    cv::Mat diff, grey;
    cv::absdiff(frame, source, diff);
    cv::cvtColor(diff, grey, cv::COLOR_BGR2GRAY);
    EXPECT_LT(cv::mean(grey, outside)[0], 3.0);
    for (int y = 0; y + 16 <= kHeight; y += 16) {
      for (int x = 0; x + 16 <= kWidth; x += 16) {
        const cv::Rect tile(x, y, 16, 16);
        if (cv::countNonZero(outside(tile)) < 128) continue;
        worst_outside = std::max(worst_outside, cv::mean(grey(tile), outside(tile))[0]);
      }
    }
  }
  EXPECT_LT(worst_outside, 8.0);
  std::cout << "[ info ] largest mean difference of a 16 px tile outside the hidden regions: "
            << worst_outside << "\n";
}

TEST_F(EvidenceTest, RawClipIsTheRingRemuxedFromAKeyframe) {
  const EvidenceFile& raw = file(EvidenceKind::kRaw);
  EXPECT_NEAR(raw.from_s, 4.0, 1e-6);  // the keyframe before 5 s (one every 2 s)
  EXPECT_NEAR(raw.to_s, 15.0, 1e-6);
  const auto frames = decode_frames(raw.path, raw.from_s);
  ASSERT_EQ(frames.size(), 111u);
  // Unmasked, untouched: the person's detail is there.
  EXPECT_GT(horizontal_detail(frames.at(100), person_inside(10.0)), 40.0);
}

TEST_F(EvidenceTest, SnapshotIsAnnotatedAndMasked) {
  const EvidenceFile& snap = file(EvidenceKind::kSnapshot);
  EXPECT_NEAR(snap.from_s, kAlertStart, 1e-6);
  const cv::Mat img = cv::imread(snap.path.string());
  ASSERT_FALSE(img.empty());
  ASSERT_EQ(img.size(), cv::Size(kWidth, kHeight));
  // The zone outline: yellow along its bottom edge (y = 186), away from other drawings.
  for (int x = 20; x < 190; x += 10) {
    int best = -255;
    for (int y = 184; y <= 188; ++y) {
      const cv::Vec3b p = img.at<cv::Vec3b>(y, x);
      best = std::max(best, std::min<int>(p[1], p[2]) - p[0]);
    }
    EXPECT_GT(best, 100) << "zone outline at x=" << x;
  }
  // The alert region: red on its left edge.
  const cv::Rect2d region = alert().region;
  const cv::Vec3b red =
      img.at<cv::Vec3b>(static_cast<int>(region.y + region.height / 2), static_cast<int>(region.x));
  EXPECT_GT(red[2], 180);
  EXPECT_LT(red[1], 90);
  // The person pixelated, the mask solid, the rest as in the source.
  EXPECT_LT(horizontal_detail(img, person_inside(kAlertStart)), 8.0);
  cv::Scalar mean, stddev;
  cv::meanStdDev(img(kMaskInside), mean, stddev);
  EXPECT_NEAR(mean[0], 64.0, 6.0);
  EXPECT_LT(stddev[0], 3.0);
  EXPECT_LT(mean_abs_diff(img, source_frames_->at(100), kBottomStrip), 5.0);
}

// Sources wider than render_width are rendered at that width: the person stays hidden, the
// mask burnt in, and the clip keeps every frame of the window.
TEST_F(EvidenceTest, RenderWidthBoundsSnapshotAndClipAndMaskingFollows) {
  EvidenceOptions o = options();
  o.render_width = kWidth / 2;
  const fs::path out = dir_->path() / "half";
  auto written = write_evidence(request(), out, o);
  ASSERT_TRUE(written.is_ok()) << written.status().to_string();
  const cv::Size half(kWidth / 2, kHeight / 2);
  auto half_rect = [](const cv::Rect& r) {
    return cv::Rect(r.x / 2 + 2, r.y / 2 + 2, r.width / 2 - 4, r.height / 2 - 4);
  };
  for (const EvidenceFile& f : *written) {
    if (f.kind == EvidenceKind::kSnapshot) {
      const cv::Mat img = cv::imread(f.path.string());
      ASSERT_EQ(img.size(), half);
      EXPECT_LT(horizontal_detail(img, half_rect(person_inside(kAlertStart))), 8.0);
      cv::Scalar mean, stddev;
      cv::meanStdDev(img(half_rect(kMaskInside)), mean, stddev);
      EXPECT_NEAR(mean[0], 64.0, 6.0);
    } else if (f.kind == EvidenceKind::kClip) {
      const auto frames = decode_frames(f.path, f.from_s);
      EXPECT_EQ(frames.size(), 101u);
      for (const auto& [index, frame] : frames) {
        ASSERT_EQ(frame.size(), half) << "frame " << index;
        EXPECT_LT(horizontal_detail(frame, half_rect(person_inside(index / kFps))), 8.0)
            << "frame " << index;
      }
    } else {
      // The raw copy is the camera's packets: every source pixel, whatever the width.
      cv::Size size;
      ingest::PacketRing ring(60.0);
      ASSERT_TRUE(fill_ring(f.path, ring, &size));
      EXPECT_EQ(size, cv::Size(kWidth, kHeight));
    }
  }
}

TEST_F(EvidenceTest, UnmaskedRenderingsShowPersonsButNeverTheMask) {
  UnmaskedRequest u;
  u.alert = alert();
  u.zone = zone();
  u.privacy_masks = {privacy_mask()};
  u.raw_clip = file(EvidenceKind::kRaw).path;
  u.raw_from_s = file(EvidenceKind::kRaw).from_s;
  const fs::path out_dir = dir_->path() / "unmasked";

  auto clip = render_unmasked(u, EvidenceKind::kClip, out_dir / "clip.mp4", options());
  ASSERT_TRUE(clip.is_ok()) << clip.status().to_string();
  EXPECT_FALSE(clip->masked);
  EXPECT_NEAR(clip->from_s, 5.0, 1e-3);
  EXPECT_NEAR(clip->to_s, 15.0, 1e-3);
  EXPECT_EQ(clip->sha256, *sha256_file(clip->path));
  const auto frames = decode_frames(clip->path, clip->from_s);
  ASSERT_EQ(frames.size(), 101u);
  for (const auto& [index, frame] : frames) {
    SCOPED_TRACE("frame " + std::to_string(index));
    const double t = index / kFps;
    EXPECT_GT(horizontal_detail(frame, person_inside(t)), 30.0);
    cv::Scalar mean, stddev;
    cv::meanStdDev(frame(kMaskInside), mean, stddev);
    EXPECT_NEAR(mean[0], 64.0, 6.0);
    EXPECT_LT(stddev[0], 3.0);
  }

  auto snap = render_unmasked(u, EvidenceKind::kSnapshot, out_dir / "snapshot.jpg", options());
  ASSERT_TRUE(snap.is_ok()) << snap.status().to_string();
  EXPECT_NEAR(snap->from_s, kAlertStart, 1e-3);
  const cv::Mat img = cv::imread(snap->path.string());
  ASSERT_EQ(img.size(), cv::Size(kWidth, kHeight));
  EXPECT_GT(horizontal_detail(img, person_inside(kAlertStart)), 30.0);
  cv::Scalar mean, stddev;
  cv::meanStdDev(img(kMaskInside), mean, stddev);
  EXPECT_NEAR(mean[0], 64.0, 6.0);
  EXPECT_LT(stddev[0], 3.0);

  EXPECT_EQ(render_unmasked(u, EvidenceKind::kRaw, out_dir / "raw.mp4").status().code(),
            StatusCode::kInvalidArgument);
  u.raw_clip = dir_->path() / "missing.mp4";
  EXPECT_EQ(render_unmasked(u, EvidenceKind::kClip, out_dir / "x.mp4").status().code(),
            StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(out_dir / "x.mp4"));
}

TEST_F(EvidenceTest, EmptyRingIsAFailedPrecondition) {
  EvidenceRequest r = request();
  r.clip = ingest::PacketRing(10.0).snapshot(5.0, 15.0);
  const fs::path out = dir_->path() / "empty";
  auto got = write_evidence(r, out, options());
  ASSERT_FALSE(got.is_ok());
  EXPECT_EQ(got.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(got.status().message().find("no packets in ring for"), std::string::npos)
      << got.status().message();
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(EvidenceTest, WindowOutsideTheClipLeavesNoFile) {
  EvidenceRequest r = request();
  r.alert.start_s = 100.0;  // the clip holds 4..15 s
  const fs::path out = dir_->path() / "late";
  auto got = write_evidence(r, out, options());
  ASSERT_FALSE(got.is_ok());
  EXPECT_EQ(got.status().code(), StatusCode::kFailedPrecondition) << got.status().to_string();
  EXPECT_TRUE(fs::is_empty(out));
}

TEST_F(EvidenceTest, CorruptPacketsAreDataLossAndLeaveNoFile) {
  EvidenceRequest r = request();
  std::mt19937 rng(3);
  for (ingest::av::PacketPtr& p : r.clip.packets) {
    ingest::av::PacketPtr garbage = ingest::av::make_packet();
    ASSERT_EQ(av_new_packet(garbage.get(), p->size), 0);
    for (int i = 0; i < garbage->size; ++i) garbage->data[i] = static_cast<std::uint8_t>(rng());
    av_packet_copy_props(garbage.get(), p.get());
    p = std::move(garbage);
  }
  const fs::path out = dir_->path() / "corrupt";
  auto got = write_evidence(r, out, options());
  ASSERT_FALSE(got.is_ok());
  EXPECT_EQ(got.status().code(), StatusCode::kDataLoss) << got.status().to_string();
  EXPECT_TRUE(fs::is_empty(out));
}

/// Blocks the worker inside a completion callback until released.
class Gate {
 public:
  EvidenceDone blocking_callback() {
    return [this](const Result<std::vector<EvidenceFile>>&) {
      entered_ = true;
      release_.get_future().wait();
    };
  }
  [[nodiscard]] bool entered() const { return entered_.load(); }
  void release() { release_.set_value(); }

 private:
  std::atomic<bool> entered_{false};
  std::promise<void> release_;
};

/// Counts callbacks by status code.
struct Outcomes {
  std::mutex mutex;
  std::vector<StatusCode> codes;
  EvidenceDone record() {
    return [this](const Result<std::vector<EvidenceFile>>& r) {
      std::lock_guard lock(mutex);
      codes.push_back(r.status().code());
    };
  }
  std::size_t count() {
    std::lock_guard lock(mutex);
    return codes.size();
  }
  std::size_t count(StatusCode code) {
    std::lock_guard lock(mutex);
    return static_cast<std::size_t>(std::count(codes.begin(), codes.end(), code));
  }
};

EvidenceRequest empty_request(const std::string& id) {
  EvidenceRequest r;
  r.alert.camera = "cam1";
  r.alert.id = id;
  return r;
}

// The nice value of this process's thread named `name`, once it exists; nullopt if none
// appears within the deadline.
std::optional<int> nice_of_thread(const std::string& name) {
  std::optional<int> found;
  poll_until(
      [&] {
        for (const auto& task : fs::directory_iterator("/proc/self/task")) {
          std::ifstream comm(task.path() / "comm");
          std::string n;
          std::getline(comm, n);
          if (n != name) continue;
          std::ifstream stat(task.path() / "stat");
          const std::string text((std::istreambuf_iterator<char>(stat)),
                                 std::istreambuf_iterator<char>());
          // Field 19, the nice value, is the 17th after the ')' that ends the name.
          std::istringstream rest(text.substr(text.rfind(')') + 2));
          std::string field;
          for (int i = 0; i < 17 && rest >> field; ++i) {
          }
          found = std::stoi(field);
          return true;
        }
        return false;
      },
      30000ms);
  return found;
}

TEST_F(EvidenceTest, TheWriterThreadYieldsTheCpuToAnalysis) {
  EvidenceWriter writer(dir_->path() / "nice", options(), 2);
  const auto nice = nice_of_thread("vigie-evidence");
  ASSERT_TRUE(nice.has_value()) << "no thread named vigie-evidence";
  EXPECT_GE(*nice, 10);
}

TEST_F(EvidenceTest, WriterRefusesWhatDoesNotFitAndNeverBlocks) {
  const fs::path root = dir_->path() / "writer";
  EvidenceWriter writer(root, options(), /*queue_limit=*/2);
  Gate gate;
  Outcomes outcomes;
  writer.submit(empty_request("a"), gate.blocking_callback());
  ASSERT_TRUE(poll_until([&] { return gate.entered(); }, 30000ms));
  // The worker is busy: two requests wait, the third is refused on the spot.
  writer.submit(empty_request("b"), outcomes.record());
  writer.submit(empty_request("c"), outcomes.record());
  writer.submit(empty_request("d"), outcomes.record());
  EXPECT_EQ(outcomes.count(), 1u);
  EXPECT_EQ(outcomes.count(StatusCode::kUnavailable), 1u);
  EvidenceCounters c = writer.counters();
  EXPECT_EQ(c.queued, 2u);
  EXPECT_EQ(c.dropped, 1u);
  EXPECT_EQ(c.submitted, 3u);
  // Unsafe ids are refused too, without reaching the worker.
  writer.submit(empty_request("../x"), outcomes.record());
  EXPECT_EQ(outcomes.count(StatusCode::kInvalidArgument), 1u);

  gate.release();
  ASSERT_TRUE(poll_until([&] { return outcomes.count() == 4; }, 30000ms));
  EXPECT_EQ(outcomes.count(StatusCode::kFailedPrecondition), 2u);  // b and c: empty clips

  // A real request is rendered in the background and reported with its files.
  std::promise<Result<std::vector<EvidenceFile>>> done;
  writer.submit(request(),
                [&](Result<std::vector<EvidenceFile>> r) { done.set_value(std::move(r)); });
  auto future = done.get_future();
  ASSERT_EQ(future.wait_for(60s), std::future_status::ready);
  auto files = future.get();
  ASSERT_TRUE(files.is_ok()) << files.status().to_string();
  ASSERT_EQ(files->size(), 3u);
  EXPECT_EQ((*files)[1].path, root / "cam1" / "cam1-intrusion-1" / "clip.mp4");
  EXPECT_TRUE(fs::exists((*files)[1].path));

  writer.stop();
  writer.stop();  // idempotent
  c = writer.counters();
  EXPECT_EQ(c.written, 1u);
  EXPECT_EQ(c.failed, 3u);  // a, b, c
  EXPECT_EQ(c.dropped, 2u);
  EXPECT_GT(c.last_render_ms, 0.0);
  std::cout << "[ info ] writer: last render " << c.last_render_ms << " ms\n";
  writer.submit(empty_request("late"), outcomes.record());
  EXPECT_EQ(outcomes.count(StatusCode::kUnavailable), 2u);
}

TEST_F(EvidenceTest, WriterStopCancelsQueuedRequestsAndJoins) {
  auto writer = std::make_unique<EvidenceWriter>(dir_->path() / "writer2", options(), 8);
  Gate gate;
  Outcomes outcomes;
  writer->submit(empty_request("a"), gate.blocking_callback());
  ASSERT_TRUE(poll_until([&] { return gate.entered(); }, 30000ms));
  writer->submit(empty_request("b"), outcomes.record());
  writer->submit(empty_request("c"), outcomes.record());
  std::thread stopper([&] { writer->stop(StopMode::kCancel); });
  // Queued requests are cancelled at once, while the one in progress still runs.
  ASSERT_TRUE(poll_until([&] { return outcomes.count(StatusCode::kCancelled) == 2; }, 30000ms));
  gate.release();
  stopper.join();
  EXPECT_EQ(writer->counters().dropped, 2u);
  EXPECT_EQ(writer->counters().failed, 1u);
  writer.reset();  // the destructor after stop() does nothing more
}

}  // namespace
}  // namespace vigie::evidence
