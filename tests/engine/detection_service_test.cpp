// The shared detection service with a fake detector: budgets, the queue's bound, crops and
// coordinates, synchronous answers. No model needed.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "engine/detection_service.hpp"

namespace vigie::engine {
namespace {

/// Finds one person: the white pixels of whatever it is shown, else its middle half; can be
/// held, to keep a worker busy.
class FakeDetector final : public perceive::Detector {
 public:
  std::vector<perceive::Detection> detect(const cv::Mat& bgr, std::optional<cv::Rect>) override {
    {
      std::unique_lock lock(mutex_);
      ++calls_;
      seen_ = bgr.size();
      changed_.notify_all();
      changed_.wait(lock, [&] { return !held_; });
    }
    cv::Mat white;
    cv::inRange(bgr, cv::Scalar(250, 250, 250), cv::Scalar(255, 255, 255), white);
    const cv::Rect2d box = cv::countNonZero(white) > 0 ? cv::Rect2d(cv::boundingRect(white))
                                                       : cv::Rect2d(bgr.cols / 4.0, bgr.rows / 4.0,
                                                                    bgr.cols / 2.0, bgr.rows / 2.0);
    return {{box, 0, perceive::DetectionRole::kPerson, 0.9f}};
  }
  [[nodiscard]] const std::string& model_hash() const override { return hash_; }
  [[nodiscard]] perceive::DetectorKind kind() const override { return perceive::DetectorKind::kYolox; }
  [[nodiscard]] int input_size() const override { return 64; }

  void hold(bool on) {
    std::lock_guard lock(mutex_);
    held_ = on;
    changed_.notify_all();
  }
  void wait_calls(int n) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(10), [&] { return calls_ >= n; });
  }
  cv::Size seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool held_ = false;
  int calls_ = 0;
  cv::Size seen_;
  std::string hash_ = std::string(64, 'a');
};

struct Made {
  std::unique_ptr<DetectionService> service;
  FakeDetector* fake = nullptr;
};

Made make(config::DetectorConfig c, const Clock& clock) {
  auto fake = std::make_unique<FakeDetector>();
  Made m;
  m.fake = fake.get();
  std::vector<std::unique_ptr<perceive::Detector>> detectors;
  detectors.push_back(std::move(fake));
  m.service = std::make_unique<DetectionService>(std::move(detectors), c, clock);
  return m;
}

/// A service answering at once (in stream time), each camera allowed `camera_rate_hz`.
Made synchronous(double camera_rate_hz, const Clock& clock) {
  config::DetectorConfig c;
  c.sync = true;
  c.camera_rate_hz = camera_rate_hz;
  return make(c, clock);
}

rules::DetectorRequest request(std::uint64_t id, double t, cv::Rect2d region = {0, 0, 640, 360}) {
  return {id, region, t, rules::DetectorPurpose::kConfirm};
}

rules::DetectorRequest count_request(std::uint64_t id, double t) {
  return {id, {0, 0, 640, 360}, t, rules::DetectorPurpose::kCount};
}

/// Collects `n` answers of `camera` (waiting at most ten seconds), in arrival order.
std::vector<rules::DetectorAnswer> answers_of(DetectionService& service, const CameraId& camera,
                                              std::size_t n) {
  std::vector<rules::DetectorAnswer> answers;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (answers.size() < n && std::chrono::steady_clock::now() < deadline) {
    for (auto& a : service.take_answers(camera)) answers.push_back(std::move(a));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return answers;
}

const cv::Mat kFrame(180, 320, CV_8UC3, cv::Scalar(50, 60, 70));

TEST(RateBudgetTest, RefillsAtItsRateUpToOneSecond) {
  RateBudget b(2);
  EXPECT_TRUE(b.take(0));
  EXPECT_TRUE(b.take(0));
  EXPECT_FALSE(b.take(0));
  EXPECT_FALSE(b.take(0.4));  // 0.8 token
  EXPECT_TRUE(b.take(0.5));
  EXPECT_TRUE(b.take(10));  // ten seconds idle still hold only one second's worth
  EXPECT_TRUE(b.take(10));
  EXPECT_FALSE(b.take(10));
}

TEST(RateBudgetTest, KeepLeavesTokensForOthers) {
  RateBudget b(2);
  EXPECT_TRUE(b.take(0, 1));   // 2 -> 1
  EXPECT_FALSE(b.take(0, 1));  // would leave none
  EXPECT_TRUE(b.take(0));      // the kept token
  EXPECT_FALSE(b.take(0.4, 1));
  EXPECT_TRUE(b.take(1.0, 1));  // full again
  // A bucket of one second's worth under two tokens can still be taken from when full.
  RateBudget slow(0.5);
  EXPECT_TRUE(slow.take(0, 1));
  EXPECT_FALSE(slow.take(1, 1));
  EXPECT_TRUE(slow.take(2, 1));
}

TEST(DetectionServiceTest, SynchronousAnswersAtOnceInSourcePixels) {
  ManualClock clock;
  Made m = synchronous(5, clock);
  // A region of a 640-wide source seen at 320: the crop is widened to at least half the
  // network input (32 px) and the answer comes back in source pixels.
  ASSERT_TRUE(m.service->submit("cam", request(1, 0.0, {100, 100, 20, 20}), kFrame, 2.0));
  const auto answers = m.service->take_answers("cam");
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].id, 1u);
  EXPECT_EQ(m.fake->seen(), cv::Size(32, 32));
  ASSERT_EQ(answers[0].found.size(), 1u);
  const cv::Rect2d& box = answers[0].found[0].box;
  // The crop is 32 × 32 analysis pixels around (55, 55): [39, 39]; the fake's box is its
  // middle half, [47, 47, 16, 16], i.e. [94, 94, 32, 32] in source pixels.
  EXPECT_NEAR(box.x, 94, 1e-9);
  EXPECT_NEAR(box.y, 94, 1e-9);
  EXPECT_NEAR(box.width, 32, 1e-9);
  EXPECT_NEAR(answers[0].scale, 64.0 / 32 / 2.0, 1e-9);
  EXPECT_TRUE(m.service->take_answers("cam").empty());
  EXPECT_TRUE(m.service->take_answers("other").empty());
}

TEST(DetectionServiceTest, TurnedLooksShowTheRegionTurnedAndAnswerInSourcePixels) {
  ManualClock clock;
  Made m = synchronous(5, clock);
  // Someone lying across the view, white, nearer the region's left end: (120, 100, 24, 8) in
  // analysis pixels, (240, 200, 48, 16) in those of the 640-wide source.
  cv::Mat frame = kFrame.clone();
  cv::rectangle(frame, cv::Rect(120, 100, 24, 8), cv::Scalar(255, 255, 255), cv::FILLED);
  const cv::Rect2d region(220, 170, 160, 64);  // cropped as 81 × 33 analysis pixels
  std::uint64_t id = 1;
  for (rules::Turn turn : {rules::Turn::kClockwise, rules::Turn::kCounterClockwise}) {
    rules::DetectorRequest r = request(id++, 0.0, region);
    r.turn = turn;
    ASSERT_TRUE(m.service->submit("cam", r, frame, 2.0));
    EXPECT_EQ(m.fake->seen(), cv::Size(33, 81)) << "the region stands up";
    const auto answers = m.service->take_answers("cam");
    ASSERT_EQ(answers.size(), 1u);
    ASSERT_EQ(answers[0].found.size(), 1u);
    const cv::Rect2d& box = answers[0].found[0].box;
    EXPECT_NEAR(box.x, 240, 1e-9) << static_cast<int>(turn);
    EXPECT_NEAR(box.y, 200, 1e-9) << static_cast<int>(turn);
    EXPECT_NEAR(box.width, 48, 1e-9) << static_cast<int>(turn);
    EXPECT_NEAR(box.height, 16, 1e-9) << static_cast<int>(turn);
  }
}

/// A source picture held in memory; `readable` false: every region fails to read.
class PictureInMemory final : public SourcePicture {
 public:
  explicit PictureInMemory(cv::Mat bgr, bool readable = true)
      : bgr_(std::move(bgr)), readable_(readable) {}
  [[nodiscard]] cv::Size size() const override { return bgr_.size(); }
  [[nodiscard]] cv::Mat region(const cv::Rect& area, cv::Size size) const override {
    if (!readable_) return {};
    cv::Mat out;
    cv::resize(bgr_(area), out, size, 0, 0, cv::INTER_AREA);
    return out;
  }

 private:
  cv::Mat bgr_;
  bool readable_;
};

TEST(DetectionServiceTest, RegionsAreReadFromTheSourcePictureAtItsResolution) {
  ManualClock clock;
  Made m = synchronous(50, clock);
  // A white mark of 3 × 3 source pixels, which the 320-wide analysis image has lost.
  cv::Mat picture(360, 640, CV_8UC3, cv::Scalar(50, 60, 70));
  cv::rectangle(picture, cv::Rect(301, 151, 3, 3), cv::Scalar(255, 255, 255), cv::FILLED);
  const PictureInMemory source(picture);
  std::uint64_t id = 1;
  // An upright look keeps the analysis crop's field (32 analysis pixels, 64 source ones);
  // a turned one is shown closer, widened only to 32 source pixels.
  for (auto [turn, side] : {std::pair{rules::Turn::kNone, 64}, {rules::Turn::kClockwise, 41}}) {
    rules::DetectorRequest r = request(id++, 0.0, {280, 130, 40, 40});
    r.turn = turn;
    ASSERT_TRUE(m.service->submit("cam", r, kFrame, 2.0, &source));
    EXPECT_EQ(m.fake->seen(), cv::Size(side, side)) << static_cast<int>(turn);
    const auto answers = m.service->take_answers("cam");
    ASSERT_EQ(answers.size(), 1u);
    ASSERT_EQ(answers[0].found.size(), 1u);
    EXPECT_NEAR(answers[0].scale, 64.0 / side, 1e-9);
    const cv::Rect2d& box = answers[0].found[0].box;
    EXPECT_NEAR(box.x, 301, 1e-9) << static_cast<int>(turn);
    EXPECT_NEAR(box.y, 151, 1e-9) << static_cast<int>(turn);
    EXPECT_NEAR(box.width, 3, 1e-9) << static_cast<int>(turn);
  }
  // A region larger than the network's input is read already shrunk to it; a mark large
  // enough to stay white there comes back where it is.
  cv::Mat large_mark = picture.clone();
  cv::rectangle(large_mark, cv::Rect(300, 148, 16, 16), cv::Scalar(255, 255, 255), cv::FILLED);
  const PictureInMemory shrunk(large_mark);
  ASSERT_TRUE(
      m.service->submit("cam", request(id++, 0.0, {160, 60, 256, 128}), kFrame, 2.0, &shrunk));
  EXPECT_EQ(m.fake->seen(), cv::Size(64, 32));
  auto answers = m.service->take_answers("cam");
  ASSERT_EQ(answers.size(), 1u);
  ASSERT_EQ(answers[0].found.size(), 1u);
  EXPECT_NEAR(answers[0].found[0].box.x, 300, 5.0);
  EXPECT_NEAR(answers[0].found[0].box.y, 148, 5.0);
  EXPECT_NEAR(answers[0].found[0].box.width, 16, 8.0);
  // A picture that cannot be read: the analysis image is cropped as before.
  const PictureInMemory unreadable(picture, /*readable=*/false);
  ASSERT_TRUE(
      m.service->submit("cam", request(id++, 0.0, {280, 130, 40, 40}), kFrame, 2.0, &unreadable));
  EXPECT_EQ(m.fake->seen(), cv::Size(32, 32));
  answers = m.service->take_answers("cam");
  ASSERT_EQ(answers.size(), 1u);
  ASSERT_EQ(answers[0].found.size(), 1u);
  EXPECT_GT(std::abs(answers[0].found[0].box.x - 301), 3.0) << "the mark is not in that image";
}

TEST(DetectionServiceTest, PerCameraBudgetInStreamTimeWhenSynchronous) {
  ManualClock clock;
  Made m = synchronous(2, clock);
  int accepted = 0;
  // Five frames a second for ten seconds, asking every frame: two per second go through.
  for (int f = 0; f < 50; ++f) accepted += m.service->submit("a", request(f + 1, f * 0.2), kFrame, 2.0);
  EXPECT_GE(accepted, 20);
  EXPECT_LE(accepted, 22);  // the first second's burst
  // Another camera has its own budget.
  EXPECT_TRUE(m.service->submit("b", request(100, 0.0), kFrame, 2.0));
  EXPECT_EQ(m.service->stats().refused_budget, static_cast<std::uint64_t>(50 - accepted));
}

TEST(DetectionServiceTest, CountsNeverTakeTheCamerasLastToken) {
  ManualClock clock;
  Made m = synchronous(2, clock);
  EXPECT_TRUE(m.service->submit("a", count_request(1, 0), kFrame, 2.0));
  EXPECT_FALSE(m.service->submit("a", count_request(2, 0), kFrame, 2.0));
  EXPECT_TRUE(m.service->submit("a", request(3, 0), kFrame, 2.0));  // kept for it
  EXPECT_FALSE(m.service->submit("a", request(4, 0), kFrame, 2.0));
  EXPECT_EQ(m.service->stats().refused_budget, 2u);
}

TEST(DetectionServiceTest, NodeBudgetSharedByCameras) {
  config::DetectorConfig c;
  c.camera_rate_hz = 10;
  c.global_rate_hz = 3;
  ManualClock clock;
  Made m = make(c, clock);
  int accepted = 0;
  for (int cam = 0; cam < 6; ++cam) {
    accepted += m.service->submit("cam" + std::to_string(cam), request(cam + 1, 0), kFrame, 2.0);
  }
  EXPECT_EQ(accepted, 3);
  clock.advance(std::chrono::seconds(1));
  EXPECT_TRUE(m.service->submit("cam5", request(10, 1), kFrame, 2.0));
  m.service->stop();
}

/// A service with a queue of `queue_size`, budgets that never refuse, and its worker held
/// on request 1 of camera "a": what is submitted next waits in the queue.
Made held_on_first_request(int queue_size, const Clock& clock) {
  config::DetectorConfig c;
  c.queue_size = queue_size;
  c.camera_rate_hz = 30;
  c.global_rate_hz = 1000;
  c.confirm_timeout_s = 30;
  Made m = make(c, clock);
  m.fake->hold(true);
  EXPECT_TRUE(m.service->submit("a", request(1, 0), kFrame, 2.0));
  m.fake->wait_calls(1);
  return m;
}

TEST(DetectionServiceTest, QueueIsBoundedAndNeverBlocksTheCaller) {
  ManualClock clock;
  Made m = held_on_first_request(2, clock);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(m.service->submit("a", request(2, 0), kFrame, 2.0));
  EXPECT_TRUE(m.service->submit("a", request(3, 0), kFrame, 2.0));
  EXPECT_FALSE(m.service->submit("a", request(4, 0), kFrame, 2.0));  // full
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
  EXPECT_EQ(m.service->stats().refused_queue, 1u);
  EXPECT_EQ(m.service->queued(), 2u);
  m.fake->hold(false);
  const auto answers = answers_of(*m.service, "a", 3);
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[0].id, 1u);
  EXPECT_EQ(answers[2].id, 3u);
  m.service->stop();
}

TEST(DetectionServiceTest, CountsWaitBehindOtherRequestsAndKeepHalfTheQueueFree) {
  ManualClock clock;
  Made m = held_on_first_request(4, clock);
  EXPECT_TRUE(m.service->submit("a", count_request(2, 0), kFrame, 2.0));
  EXPECT_TRUE(m.service->submit("a", count_request(3, 0), kFrame, 2.0));
  EXPECT_FALSE(m.service->submit("a", count_request(4, 0), kFrame, 2.0));  // half full
  EXPECT_TRUE(m.service->submit("a", request(5, 0), kFrame, 2.0));
  EXPECT_TRUE(m.service->submit("a", request(6, 0), kFrame, 2.0));
  EXPECT_FALSE(m.service->submit("a", request(7, 0), kFrame, 2.0));  // full
  EXPECT_EQ(m.service->stats().refused_queue, 2u);
  m.fake->hold(false);
  const auto answers = answers_of(*m.service, "a", 5);
  std::vector<std::uint64_t> order;
  for (const auto& a : answers) order.push_back(a.id);
  EXPECT_EQ(order, (std::vector<std::uint64_t>{1, 5, 6, 2, 3}));
  m.service->stop();
}

TEST(DetectionServiceTest, RequestsOlderThanTheTimeoutAreDroppedUnrun) {
  config::DetectorConfig c;
  c.camera_rate_hz = 30;
  c.global_rate_hz = 1000;
  c.confirm_timeout_s = 1;
  ManualClock clock;
  Made m = make(c, clock);
  m.fake->hold(true);
  ASSERT_TRUE(m.service->submit("a", request(1, 0), kFrame, 2.0));
  m.fake->wait_calls(1);
  ASSERT_TRUE(m.service->submit("a", request(2, 0), kFrame, 2.0));
  clock.advance(std::chrono::seconds(2));  // request 2 has waited too long
  m.fake->hold(false);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (m.service->stats().dropped_stale == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(m.service->stats().dropped_stale, 1u);
  m.service->stop();
}

}  // namespace
}  // namespace vigie::engine
