#include "perceive/view_check.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

namespace vigie::perceive {
namespace {

constexpr int kCellsX = 8;
constexpr int kCellsY = 6;

cv::Rect cell_rect(cv::Size size, int cx, int cy) {
  const int x0 = cx * size.width / kCellsX;
  const int y0 = cy * size.height / kCellsY;
  const int x1 = (cx + 1) * size.width / kCellsX;
  const int y1 = (cy + 1) * size.height / kCellsY;
  return {x0, y0, x1 - x0, y1 - y0};
}

double ncc(const cv::Mat& a, const cv::Mat& b) {
  cv::Scalar ma, sa, mb, sb;
  cv::meanStdDev(a, ma, sa);
  cv::meanStdDev(b, mb, sb);
  if (sa[0] < 1e-3 || sb[0] < 1e-3) return 0;
  cv::Mat da = a - ma[0];
  cv::Mat db = b - mb[0];
  return da.dot(db) / (static_cast<double>(a.total()) * sa[0] * sb[0]);
}

double median(std::vector<double> v) {
  if (v.empty()) return 1.0;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

}  // namespace

std::string_view to_string(ViewProblem problem) {
  switch (problem) {
    case ViewProblem::kNone: return "none";
    case ViewProblem::kMoved: return "moved";
    case ViewProblem::kCovered: return "covered";
    case ViewProblem::kBlurred: return "blurred";
    case ViewProblem::kBlinded: return "blinded";
  }
  return "none";
}

ViewCheck::ViewCheck(ViewCheckConfig config) : config_(config) {}

ViewCheck::Signature ViewCheck::signature(const cv::Mat& bgr) const {
  Signature s;
  cv::Mat gray;
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  cv::Mat gx, gy;
  cv::Sobel(gray, gx, CV_32F, 1, 0, 3);
  cv::Sobel(gray, gy, CV_32F, 0, 1, 3);
  cv::magnitude(gx, gy, s.gradient);
  cv::Scalar mean, spread;
  cv::meanStdDev(gray, mean, spread);
  s.mean = mean[0];
  s.spread = spread[0];
  s.saturated = cv::countNonZero(gray >= 245) / static_cast<double>(gray.total());
  // Normalised by the luma: a darker scene has weaker gradients, not a blurred one.
  const double norm = s.mean + 20.0;
  s.energy = cv::Mat(kCellsY, kCellsX, CV_32F);
  for (int cy = 0; cy < kCellsY; ++cy) {
    for (int cx = 0; cx < kCellsX; ++cx) {
      s.energy.at<float>(cy, cx) =
          static_cast<float>(cv::mean(s.gradient(cell_rect(gray.size(), cx, cy)))[0] / norm);
    }
  }
  return s;
}

ViewProblem ViewCheck::judge(const Signature& now, std::string& detail) const {
  const Signature& ref = *reference_;
  const cv::Size size = now.gradient.size();
  std::vector<double> ratios;
  int cells = 0;
  int matching = 0;
  for (int cy = 0; cy < kCellsY; ++cy) {
    for (int cx = 0; cx < kCellsX; ++cx) {
      if (valid_cells_.at<uchar>(cy, cx) == 0) continue;
      const float e_ref = ref.energy.at<float>(cy, cx);
      if (e_ref < 0.02F) continue;  // a flat cell (sky, wall) says nothing
      ratios.push_back(now.energy.at<float>(cy, cx) / e_ref);
      const cv::Rect r = cell_rect(size, cx, cy);
      ++cells;
      if (ncc(now.gradient(r), ref.gradient(r)) >= config_.cell_match_ncc) ++matching;
    }
  }
  const double energy = median(ratios);
  const double match = cells > 0 ? static_cast<double>(matching) / cells : 1.0;
  const double spread = ref.spread > 1e-3 ? now.spread / ref.spread : 1.0;
  double response = 0;
  const cv::Point2d shift =
      cv::phaseCorrelate(ref.gradient, now.gradient, cv::noArray(), &response);
  const double moved_px = std::hypot(shift.x, shift.y);
  detail = fmt::format(
      "edge energy {:.2f} of the reference, {:.0f}% of cells matching, luma spread {:.2f}, "
      "shift {:.1f} px, saturated {:.0f}%",
      energy, 100 * match, spread, moved_px, 100 * now.saturated);
  if (now.saturated > config_.blinded_saturated_above ||
      (now.mean > 1.8 * ref.mean + 20 && energy < config_.blurred_energy_below)) {
    return ViewProblem::kBlinded;
  }
  if (spread < config_.covered_spread_below) return ViewProblem::kCovered;
  if (energy < config_.blurred_energy_below) return ViewProblem::kBlurred;
  if ((moved_px >= config_.min_shift_px && match < config_.moved_match_below) ||
      match < config_.lost_match_below) {
    return ViewProblem::kMoved;
  }
  return ViewProblem::kNone;
}

const ViewState& ViewCheck::update(const cv::Mat& bgr, const cv::Mat& ignore, double t_s) {
  if (bgr.empty() || (next_check_s_ >= 0 && t_s < next_check_s_)) return state_;
  next_check_s_ = t_s + config_.interval_s;
  if (valid_cells_.empty() || valid_cells_.size() != cv::Size(kCellsX, kCellsY)) {
    valid_cells_ = cv::Mat(kCellsY, kCellsX, CV_8U, cv::Scalar(1));
    if (!ignore.empty()) {
      for (int cy = 0; cy < kCellsY; ++cy) {
        for (int cx = 0; cx < kCellsX; ++cx) {
          const cv::Rect r = cell_rect(ignore.size(), cx, cy);
          if (cv::countNonZero(ignore(r)) * 2 > r.area()) valid_cells_.at<uchar>(cy, cx) = 0;
        }
      }
    }
  }
  Signature now = signature(bgr);
  last_ = now;
  if (!reference_ || reference_count_ < config_.reference_checks) {
    // The first checks average into the reference: one noisy frame is not the view.
    if (!reference_) {
      reference_ = now;
    } else {
      const double w = 1.0 / (reference_count_ + 1);
      cv::addWeighted(reference_->gradient, 1 - w, now.gradient, w, 0, reference_->gradient);
      cv::addWeighted(reference_->energy, 1 - w, now.energy, w, 0, reference_->energy);
      reference_->mean += (now.mean - reference_->mean) * w;
      reference_->spread += (now.spread - reference_->spread) * w;
    }
    ++reference_count_;
    return state_;
  }
  std::string detail;
  const ViewProblem seen = judge(now, detail);
  if (!state_.changed) {
    if (seen == ViewProblem::kNone) {
      pending_count_ = 0;
      // The reference follows slow, healthy change (a parked car, the season).
      const double a = config_.adapt_rate;
      cv::addWeighted(reference_->gradient, 1 - a, now.gradient, a, 0, reference_->gradient);
      cv::addWeighted(reference_->energy, 1 - a, now.energy, a, 0, reference_->energy);
      reference_->mean += (now.mean - reference_->mean) * a;
      reference_->spread += (now.spread - reference_->spread) * a;
      return state_;
    }
    // Any problem counts toward the change; the reason is the latest one seen.
    if (pending_count_ == 0) pending_since_s_ = t_s;
    ++pending_count_;
    if (pending_count_ >= config_.sustain_checks) {
      state_ = {true, seen, pending_since_s_, detail};
      pending_count_ = 0;
    }
    return state_;
  }
  if (seen != ViewProblem::kNone) {
    pending_count_ = 0;
    state_.problem = seen;
    state_.detail = detail;
    return state_;
  }
  if (++pending_count_ >= config_.sustain_checks) {
    state_ = {};
    pending_count_ = 0;
  }
  return state_;
}

void ViewCheck::accept() {
  if (last_) reference_ = last_;
  reference_count_ = config_.reference_checks;
  state_ = {};
  pending_count_ = 0;
}

}  // namespace vigie::perceive
