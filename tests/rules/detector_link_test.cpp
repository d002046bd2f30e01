// What DetectorLink asks of the detector: the region around a candidate follows the
// model's own context share (an object detector wants the surroundings, a pose model the body).

#include <gtest/gtest.h>

#include "rules/detections.hpp"

namespace vigie::rules {
namespace {

cv::Rect2d region_asked(double context_share) {
  DetectorPolicy policy;
  policy.context_share = context_share;
  cv::Rect2d asked;
  DetectorLink link(policy, "model", {640, 360}, [&](const DetectorRequest& r) {
    asked = r.region;
    return true;
  });
  link.begin_frame(1.0);
  (void)link.confirm("track-1", {300, 100, 40, 100}, DetectionRole::kPerson,
                     DetectionRole::kOther, 1.0);
  return asked;
}

TEST(DetectorLinkTest, ShowsTheCandidateWithTheModelsShareOfContext) {
  // Half the larger side (100) on each side by default.
  EXPECT_EQ(region_asked(0.5), cv::Rect2d(250, 50, 140, 200));
  // A pose model: a tenth.
  EXPECT_EQ(region_asked(0.1), cv::Rect2d(290, 90, 60, 120));
}

}  // namespace
}  // namespace vigie::rules
